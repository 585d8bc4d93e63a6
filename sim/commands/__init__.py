"""Thin command-line entry points (``pasim`` and its shared argument helpers).

They parse arguments, turn bad input into one-line errors and call down into the layers.
"""
