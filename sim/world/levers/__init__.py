"""The levers a strategist can pull, one module each, each with its cost.

Every lever module declares its settings as ``SCHEMA`` (``sim.engine.schema.Group``), has
``check(cfg, steps) -> settings`` (one-line ``InputError`` naming
``levers.<lever>.<key>`` for a bad value; used by ``sim.runs.config.validate`` before anything
runs) and ``apply(cfg, plan)``, which edits the replicate's ``Plan``: model arguments
(coherence, alignment, thresholds, champions, influence), interventions run at the start of
each step (convening, events) and running costs. A lever that is off changes nothing and draws
no random numbers, so all levers off is exactly the baseline.

Levers apply in a fixed order: shared goals and data first (they change thresholds), then
champions (``complex_centrality`` ranks leaders under those thresholds), then convening and
events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.errors import InputError
from sim.world.levers import champions, convening, data, events, shared_goals
from sim.world.levers.plan import LEVERS, Plan

#: lever name -> module, in the order levers are applied
MODULES = {
    "shared_goals": shared_goals,
    "data": data,
    "champions": champions,
    "convening": convening,
    "events": events,
}
assert set(MODULES) == set(LEVERS)


def _levers(cfg: Mapping[str, Any] | None) -> dict[str, Any]:
    cfg = dict(cfg or {})
    unknown = sorted(set(cfg) - set(MODULES))
    if unknown:
        raise InputError(f"levers.{unknown[0]}: unknown lever; allowed: {', '.join(MODULES)}")
    return cfg


def check_levers(cfg: Mapping[str, Any] | None, steps: int | None = None) -> None:
    """Raise ``InputError`` on the first bad lever value (those that need no network)."""
    cfg = _levers(cfg)
    for name, module in MODULES.items():
        module.check(cfg.get(name), steps)


def all_off(cfg: Mapping[str, Any] | None, steps: int | None = None) -> bool:
    """Whether every lever is off (the run is its own no-lever baseline)."""
    cfg = _levers(cfg)
    return all(module.is_off(module.check(cfg.get(name), steps))
               for name, module in MODULES.items())


def apply_levers(cfg: Mapping[str, Any] | None, plan: Plan) -> Plan:
    """Apply every lever to ``plan`` (in ``MODULES`` order) and return it."""
    cfg = _levers(cfg)
    for name, module in MODULES.items():
        module.apply(cfg.get(name), plan)
    return plan


__all__ = ["LEVERS", "MODULES", "Plan", "all_off", "apply_levers", "check_levers"]
