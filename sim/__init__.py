"""pasim: complex contagion of physical-activity practice across England's health system."""

import warnings

# Mesa imports tqdm.auto for a batch runner pasim never uses; in a notebook without
# ipywidgets that import warns "IProgress not found" on every kernel start. Not ours to act on.
warnings.filterwarnings("ignore", message="IProgress not found")

from sim.engine.agents import Leader, Organisation  # noqa: E402
from sim.engine.model import AdoptionModel  # noqa: E402
from sim.engine.network import Network  # noqa: E402
from sim.errors import InputError  # noqa: E402

__all__ = ["AdoptionModel", "InputError", "Leader", "Network", "Organisation", "load", "simulate"]


def __getattr__(name: str):
    # simulate and load pull in Hydra/OmegaConf and pyarrow; import them only when asked for.
    if name == "simulate":
        from sim.runs.runner import simulate

        return simulate
    if name == "load":  # a sweep's (or a run's) tables: sim.runs.sweep.load
        from sim.runs.sweep import load

        return load
    raise AttributeError(name)
