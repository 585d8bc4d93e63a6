"""Analyses built on runs: scenario comparison, reports, sensitivity, optimisation, the
validation studies against the literature and calibration to observed diffusion.

Each module may import ``sim.runs`` and below, and its siblings; the command-line entry
points in ``sim.commands`` import it, never the other way round.
"""
