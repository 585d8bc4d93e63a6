"""``pasim-explore``: the model in a browser, for strategists who do not run Hydra overrides.

Three pages (a Solara multi-page app, ``sim.explore.app``):

- **Scenario** (``scenario_page``): a scenario's levers as controls, each with its planned
  cost; a run against the matched baseline (same seeds), replicates shown as they finish.
- **Network** (``network_page``): the contagion on a small network, step by step, in Mesa's
  SolaraViz (a narrow bridge stops a threshold-2 practice, a wide one carries it).
- **Sweep** (``sweep_page``): heatmaps, cost-effectiveness frontier and table of a sweep.

Everything the pages compute goes through the project's own API (``sim.analysis.compare.compose``,
``sim.runs.runner``, ``sim.runs.results``); nothing is written into the repository: runs go to
``results/explore/`` under the current directory, like every other command's output.
"""
