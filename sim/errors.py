"""One error type for every bad input, so the command line can print it as one line.

The message always names the field (``network.k``, ``model.threshold``, a file column ...)
and what is allowed. The CLI catches ``InputError`` and prints ``error: <message>`` with a
non-zero exit status and no traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """A user-supplied value (config, argument or file) that the model cannot accept."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # always one line


def require(condition: bool, field: str, allowed: str, value: object = None) -> None:
    """Raise ``InputError`` naming ``field`` unless ``condition`` holds."""
    if not condition:
        got = "" if value is None else f" (got {value!r})"
        raise InputError(f"{field}: must be {allowed}{got}")
