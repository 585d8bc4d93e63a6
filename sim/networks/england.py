"""England's health system (``network=england``)."""

from sim.networks.england_synthetic import england_synthetic as england
from sim.networks.england_synthetic import icb_regions

__all__ = ["england", "icb_regions"]
