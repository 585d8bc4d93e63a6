"""Shared goals: partners who share a goal hear one message and pull the same way.

The evaluation found inconsistent language between sectors and national-local
misalignment held adoption back, and that goals shared across partners (tackling
inequalities above all) helped. Here a goal of ``strength`` s closes part of the gap for
every node in ``scope``: coherence and alignment become ``base + s * (1 - base)``. A tie
takes the smaller value of its two ends, so a tie gains only when *both* partners share the
goal -- ``scope: ics`` improves cross-sector ties inside systems but not centre-place ties,
which need ``scope: all``. With ``inequalities_focus`` the goal also removes the share s of
the deprivation penalty for nodes in scope.

Cost: ``cost_per_year`` (£k) while the goal is on (strength > 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from sim.engine import schema
from sim.engine.schema import Group, NonNegative, Share, key
from sim.errors import InputError
from sim.world.levers.plan import Plan
from sim.world.liveness import track, unused
from sim.world.mechanisms import raise_towards_one

FIELD = "levers.shared_goals"
#: scope -> the levels whose nodes share the goal (None: every node)
SCOPES: dict[str, tuple[str, ...] | None] = {
    "ics": ("system", "local"),
    "national": ("national", "regional"),
    "all": None,
}


class SharedGoalSettings(Group):
    """``levers.shared_goals``: a goal the partners in scope share."""

    strength: Share = key(0.0, "share of the coherence and alignment gap closed in scope")
    scope: Literal[tuple(SCOPES)] = key(  # type: ignore[valid-type]
        "all", "ics: systems and local partners; national: the centre; all: everyone")
    inequalities_focus: bool = key(False, "also remove `strength` of the deprivation penalty "
                                          "in scope")
    cost_per_year: NonNegative = key(0.0, "cost per year while strength > 0, £k")


#: the settings this lever reads, and their defaults
SCHEMA = SharedGoalSettings
DEFAULTS: dict[str, Any] = SCHEMA().model_dump()


def check(cfg: Mapping[str, Any] | None, steps: int | None = None) -> dict[str, Any]:
    return schema.check(SharedGoalSettings, cfg, FIELD).model_dump()


def in_scope(nodes, scope: str) -> np.ndarray:
    """The nodes that share the goal."""
    levels = SCOPES[scope]
    if levels is None:
        return np.ones(len(nodes), dtype=bool)
    if "level" not in nodes:
        raise InputError(f"{FIELD}.scope: {scope!r} needs a network with a 'level' attribute "
                         "(e.g. network=england); use scope=all")
    return nodes["level"].isin(levels).to_numpy()


def is_off(s: Mapping[str, Any]) -> bool:
    """No goal: the lever changes nothing (``s`` from ``check``)."""
    return s["strength"] == 0.0


def apply(cfg: Mapping[str, Any] | None, plan: Plan) -> None:
    s = track(check(cfg), FIELD)  # reports each setting read (sim.world.liveness)
    strength = s["strength"]
    if is_off(s):
        unused(FIELD, f"{FIELD}.strength is 0: there is no shared goal")
        return
    mask = in_scope(plan.network.nodes, s["scope"])
    plan.coherence = raise_towards_one(plan.coherence, strength, mask)
    plan.alignment = raise_towards_one(plan.alignment, strength, mask)
    if plan.deprivation_penalty == 0.0:
        unused(f"{FIELD}.inequalities_focus", "there is no deprivation penalty to remove "
               "(no 'deprivation' attribute, or mechanisms.deprivation_penalty is 0)")
    elif s["inequalities_focus"]:
        plan.penalty_offset = raise_towards_one(plan.penalty_offset, strength, mask)
    plan.charge_yearly("shared_goals", s["cost_per_year"])
