"""What a run reports: the milestones, equity and cost a strategist asks about.

Two costs per adopter, each with its own name:

- ``cost_per_new_adopter`` (within one run): the run's whole spend divided by the agents
  that adopted beyond the seeds and champions it started with;
- ``cost_per_extra_adopter`` (incremental, the one to compare levers by): the run's extra
  spend over the matched no-lever run (same replicate seed, every lever off) divided by its
  extra adopters over that run. ``effect`` computes it per replicate and
  ``pooled_effect`` over replicates (mean extra cost / mean extra adopters, the usual
  incremental cost-effectiveness ratio); both go through ``cost_per_extra_adopter``.

Either is None (null) when the denominator is not positive: no new (or no extra) adopter.
"""


from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.memo import once
from sim.engine.model import AdoptionModel

MILESTONES = (0.25, 0.5, 0.8)


def first_step_reaching(history: pd.DataFrame, share: float) -> int | None:
    """The first step at which the adopted fraction is at least ``share`` (None if never)."""
    hit = np.flatnonzero(history["adopted_fraction"].to_numpy() >= share - 1e-12)
    return int(history["step"].to_numpy()[hit[0]]) if len(hit) else None


def _group_codes(nodes: pd.DataFrame, column: str) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Each node's group in ``column`` (-1: no value), the groups in sorted order and their
    sizes: worked out once per node table (every replicate on a network, and every job of a
    sweep worker on a network it kept, summarises by the same groups)."""
    def codes() -> tuple[np.ndarray, pd.Index, np.ndarray]:
        code, labels = pd.factorize(nodes[column].to_numpy(), sort=True)
        return code, pd.Index(labels), np.bincount(code[code >= 0], minlength=len(labels))

    return once(nodes, ("group_adoption", column), codes)


def group_adoption(model: AdoptionModel, column: str) -> pd.Series:
    """Final adopted fraction per value of a node attribute (sorted; nodes without a value
    left out), as ``groupby(values).mean()`` gives it: sums of 0/1 are exact, so counting
    the adopters of each group and dividing by its size is the same number."""
    code, labels, sizes = _group_codes(model.network.nodes, column)
    valued = code >= 0
    adopted = np.bincount(code[valued], weights=np.asarray(model.adopted, dtype=float)[valued],
                          minlength=len(labels))
    return pd.Series(adopted / sizes, index=labels)


def _extreme_quintiles(model: AdoptionModel) -> tuple[float, float] | None:
    """Final adoption in the least (1) and most (5) deprived quintiles, if the network has them."""
    if "deprivation_quintile" not in model.network.nodes:
        return None
    by_q = group_adoption(model, "deprivation_quintile")
    return float(by_q.get(1, np.nan)), float(by_q.get(5, np.nan))


def equity_gap(model: AdoptionModel) -> float | None:
    """Adoption in the most deprived quintile minus the least deprived (negative: the most
    deprived are left behind). None when the network has no deprivation attribute."""
    quintiles = _extreme_quintiles(model)
    return None if quintiles is None else quintiles[1] - quintiles[0]


def equity_ratio(model: AdoptionModel) -> float | None:
    """Adoption in the most deprived quintile as a share of the least deprived's (1 = equal).

    The gap alone misleads when little is adopted anywhere: 1 % against 6 % is a small gap
    but a five-fold inequality. None without deprivation, or when the least deprived
    quintile has no adopters.
    """
    quintiles = _extreme_quintiles(model)
    if quintiles is None or not quintiles[0] > 0:
        return None
    return quintiles[1] / quintiles[0]


def summarise(model: AdoptionModel) -> dict[str, Any]:
    """The summary of one run (everything but seed, config and runtime, which the runner adds)."""
    history = model.history
    adopted = int(model.adopted.sum())
    seeds = int(model.initial_adopters.size + (model.champion & ~np.isin(
        np.arange(model.n), model.initial_adopters)).sum())
    out: dict[str, Any] = {
        "n_agents": model.n,
        "steps": int(model.steps),
        "final_adoption": adopted / model.n,
        "final_adopted": adopted,
        "final_aware": float(model.aware.mean()),
        "initial_adopters": seeds,
    }
    for share in MILESTONES:
        out[f"steps_to_{int(share * 100)}"] = first_step_reaching(history, share)
    out["equity_gap"] = equity_gap(model)
    out["equity_ratio"] = equity_ratio(model)
    nodes = model.network.nodes
    for column, key in (("sector", "sectors_past_50"), ("system", "systems_past_50")):
        if column in nodes:
            by_group = group_adoption(model, column)
            by_group = by_group[by_group.index.astype(str) != ""]
            out[key] = int((by_group >= 0.5).sum())
        else:
            out[key] = None
    out["ties_built"] = int(model.ties_built)
    out["cost"] = float(model.cost)
    for lever, spent in getattr(model, "lever_costs", {}).items():  # set by sim.world.build
        out[f"cost_{lever}"] = float(spent)
    out["cost_per_new_adopter"] = cost_per(model.cost, adopted - seeds)
    return out


def cost_per(cost: float, adopters: float) -> float | None:
    """``cost / adopters``, or None when there is no adopter to divide by."""
    return float(cost / adopters) if adopters > 0 else None


#: what ``effect`` adds to each run's summary: the change against the matched no-lever run
EFFECT_KEYS = ("extra_adopters", "extra_cost", "weeks_gained_to_50", "cost_per_extra_adopter")


def cost_per_extra_adopter(extra_cost: float, extra_adopters: float) -> float | None:
    """The incremental cost per adopter; None when the levers gained no adopter."""
    return cost_per(extra_cost, extra_adopters)


def effect(run: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict[str, Any]:
    """A run's effect against its matched no-lever run (two summaries of ``summarise``).

    ``weeks_gained_to_50`` is defined only when both reach 50 % (positive: the levers got
    there sooner).
    """
    extra = int(run["final_adopted"]) - int(baseline["final_adopted"])
    extra_cost = float(run["cost"]) - float(baseline["cost"])
    reached, base_reached = run.get("steps_to_50"), baseline.get("steps_to_50")
    gained = (None if _missing(reached) or _missing(base_reached)
              else int(base_reached) - int(reached))
    return {"extra_adopters": extra, "extra_cost": extra_cost, "weeks_gained_to_50": gained,
            "cost_per_extra_adopter": cost_per_extra_adopter(extra_cost, extra)}


def pooled_effect(runs: pd.DataFrame) -> dict[str, float | None]:
    """The effect over replicates (rows with ``EFFECT_KEYS``): means, and the cost per extra
    adopter as mean extra cost over mean extra adopters."""
    extra, extra_cost = float(runs["extra_adopters"].mean()), float(runs["extra_cost"].mean())
    gained = pd.to_numeric(runs["weeks_gained_to_50"], errors="coerce")
    return {"extra_adopters": extra, "extra_cost": extra_cost,
            "weeks_gained_to_50": None if gained.isna().all() else float(gained.mean()),
            "cost_per_extra_adopter": cost_per_extra_adopter(extra_cost, extra)}


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))
