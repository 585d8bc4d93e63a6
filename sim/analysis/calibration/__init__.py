"""Calibration: fit pasim's parameters to observed diffusion, with uncertainty.

``pasim-calibrate calibration=<name>`` reads ``configs/calibration/<name>.yaml`` (the base
pasim config, the observed data, the parameters with their priors and, optionally, several
mechanisms to compare), runs Approximate Bayesian Computation by sequential Monte Carlo
(pyABC's ``ABCSMC``) over pasim's own model, and writes the posterior, its summary and
figures. The modules, in the order a calibration uses them:

- ``spec``: the calibration config, priors and its validation (one-line ``InputError``);
- ``observed``: the observed data (a time series, or adoption times on a file network);
- ``external``: time-varying external influence (a per-step spontaneous-adoption schedule);
- ``simulator``: one pasim run for one parameter draw, reduced to summary statistics;
- ``fit``: the ABC-SMC run (resumable), model selection, and what it writes;
- ``plots``: posterior-predictive bands and the pairs plot;
- ``posterior``: one posterior draw per replicate in ``pasim`` runs, sweeps and comparisons;
- ``decision``: probability that one option beats another, cost per extra adopter;
- ``recovery``: the parameter-recovery (coverage) study on data simulated by pasim.
"""
