"""pasim: complex contagion of physical-activity practice across England's health system."""

from sim.agents import Leader, Organisation
from sim.errors import InputError
from sim.model import AdoptionModel
from sim.network import Network

__all__ = ["AdoptionModel", "InputError", "Leader", "Network", "Organisation", "simulate"]


def __getattr__(name: str):
    # simulate pulls in Hydra/OmegaConf; import it only when asked for.
    if name == "simulate":
        from sim.runner import simulate

        return simulate
    raise AttributeError(name)
