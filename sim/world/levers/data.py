"""Data capability: organisations that can see their own population's activity data.

The evaluation called data an enabler: an organisation that can show need and effect needs
less persuasion. A ``share`` of organisations (drawn at random) gets data capability; their
thresholds, and their own leaders', are multiplied by ``1 - threshold_reduction``.

Cost: ``cost_per_org_year`` (£k) for each capable organisation, every year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from sim.engine import schema
from sim.engine.schema import Group, NonNegative, Share, key
from sim.world.levers.plan import Plan
from sim.world.liveness import track, unused
from sim.world.mechanisms import raise_towards_one

FIELD = "levers.data"


class DataSettings(Group):
    """``levers.data``: organisations that can see their population's activity data."""

    share: Share = key(0.0, "share of organisations with data capability")
    threshold_reduction: Annotated[float, Field(ge=0.0, le=0.95, allow_inf_nan=False)] = key(
        0.25, "their (and their leaders') thresholds x (1 - this)")
    cost_per_org_year: NonNegative = key(0.0, "cost per organisation per year, £k")


#: the settings this lever reads, and their defaults
SCHEMA = DataSettings
DEFAULTS: dict[str, Any] = SCHEMA().model_dump()


def check(cfg: Mapping[str, Any] | None, steps: int | None = None) -> dict[str, Any]:
    return schema.check(DataSettings, cfg, FIELD).model_dump()


def capable_nodes(plan: Plan, share: float) -> tuple[np.ndarray, int]:
    """Organisations drawn to have data capability plus their leaders; and how many orgs."""
    nodes = plan.network.nodes
    if "agent_type" in nodes:
        orgs = np.flatnonzero(nodes["agent_type"].to_numpy() == "Organisation")
    else:
        orgs = np.arange(plan.n)
    k = int(round(share * orgs.size))
    chosen = np.sort(plan.rng("data").choice(orgs, size=k, replace=False))
    mask = np.zeros(plan.n, dtype=bool)
    mask[chosen] = True
    if "organisation" in nodes:
        mask |= np.isin(nodes["organisation"].to_numpy(), chosen)
    return mask, k


def is_off(s: Mapping[str, Any]) -> bool:
    """No organisation equipped: the lever changes nothing (``s`` from ``check``)."""
    return s["share"] == 0.0


def apply(cfg: Mapping[str, Any] | None, plan: Plan) -> None:
    s = track(check(cfg), FIELD)  # reports each setting read (sim.world.liveness)
    if is_off(s):
        unused(FIELD, f"{FIELD}.share is 0: no organisation has data capability")
        return
    mask, n_orgs = capable_nodes(plan, s["share"])
    plan.threshold_reduction = raise_towards_one(plan.threshold_reduction,
                                                 s["threshold_reduction"], mask)
    plan.charge_yearly("data", n_orgs * s["cost_per_org_year"])
