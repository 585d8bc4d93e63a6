"""pasim's Hydra configs. This folder is installed as the package ``sim.conf`` (setup.py),
so an installed pasim finds its configs as ``pkg://sim.conf`` wherever it runs."""
