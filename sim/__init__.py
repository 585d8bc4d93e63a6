"""pasim: complex contagion of physical-activity practice across England's health system."""

from sim.errors import InputError
from sim.network import Network

__all__ = ["InputError", "Network"]
