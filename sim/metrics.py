"""What a run reports: the milestones, equity and cost a strategist asks about."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.model import AdoptionModel

MILESTONES = (0.25, 0.5, 0.8)


def first_step_reaching(history: pd.DataFrame, share: float) -> int | None:
    """The first step at which the adopted fraction is at least ``share`` (None if never)."""
    hit = history.loc[history["adopted_fraction"] >= share - 1e-12, "step"]
    return int(hit.iloc[0]) if len(hit) else None


def group_adoption(model: AdoptionModel, column: str) -> pd.Series:
    """Final adopted fraction per value of a node attribute."""
    values = model.network.nodes[column]
    return pd.Series(model.adopted, index=values.index).groupby(values.to_numpy()).mean()


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
    for lever, spent in getattr(model, "lever_costs", {}).items():  # set by sim.world
        out[f"cost_{lever}"] = float(spent)
    new_adopters = adopted - seeds
    out["cost_per_adopter"] = float(model.cost / new_adopters) if new_adopters > 0 else None
    return out
