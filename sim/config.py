"""Checking a run's configuration before anything runs or is written.

Every rule gives one line naming the key, the bad value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.errors import InputError

REQUIRED_GROUPS = ("network", "model")


def _int(cfg: Mapping[str, Any], key: str, minimum: int, allow_none: bool = False) -> None:
    value = cfg.get(key)
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        none = " or null" if allow_none else ""
        raise InputError(f"{key}: must be an integer >= {minimum}{none} (got {value!r})")


def validate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Return ``cfg`` unchanged if it is valid, else raise ``InputError``."""
    for group in REQUIRED_GROUPS:
        if not isinstance(cfg.get(group), Mapping):
            raise InputError(f"{group}: missing config group; choose one, e.g. {group}=<name>")
    if "name" not in cfg["network"]:
        raise InputError("network.name: missing; choose a network, e.g. network=ring_lattice")
    _int(cfg, "seed", 0)
    _int(cfg, "replicates", 1)
    _int(cfg, "steps", 0, allow_none=True)
    return cfg
