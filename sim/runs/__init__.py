"""Runs: from a config to results on disk.

The config schema and pre-flight checks (``config``), replicates and their matched baselines
(``runner``, ``replicates``), sweeps and their collation (``sweep``, ``results``), metrics and
labels of a run, output folders (``paths``) and Hydra callbacks. Imports the world, networks
and engine; never analysis or commands.
"""
