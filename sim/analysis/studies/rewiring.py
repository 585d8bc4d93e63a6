"""Time to spread against the fraction of ties rewired on a ring lattice.

The engine behind two studies: Centola & Macy (2007), where the threshold varies, and
Eckles et al. (2024), where the below-threshold noise varies. Rewiring is degree-preserving
(double-edge swaps, as in Centola & Macy), so that every node keeps its k ties and only their
reach changes. The contagion starts from one node's neighbourhood (node 0 and its k
neighbours), the seed a complex contagion needs on a lattice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.studies.common import (
    Row,
    derive_seed,
    map_tasks,
    median_band,
    rewiring_axis,
    steps_to,
)
from sim.engine.model import AdoptionModel
from sim.networks import ring_lattice

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A run "spreads" when this share of the network adopts; its time to spread is the first
#: step at which it does.
SPREAD = 0.9
SEED = {"strategy": "neighbourhood", "node": 0}


def _runs_on_one_network(n: int, k: int, rewired: float, thresholds: Sequence[float],
                         noises: Sequence[float], replicate: int, seed: int) -> list[Row]:
    """Every (threshold, noise) on one rewired lattice: the network is a common random number."""
    network = ring_lattice(n, k, rewired, rewire="degree_preserving", seed=seed)
    rows = []
    for threshold in thresholds:
        for noise in noises:
            model = AdoptionModel(network, threshold=threshold, initial_adopters=SEED,
                                  seed=seed, noise=noise, max_steps=10 * n).run(None)
            final = float(model.adopted.mean())
            rows.append({
                "n": n, "k": k, "rewired": rewired, "threshold": threshold, "noise": noise,
                "replicate": replicate, "final_adoption": final, "spread": final >= SPREAD,
                "steps_to_spread": steps_to(model.history, SPREAD), "steps": model.steps,
            })
    return rows


def rewiring_table(n: int, k: int, rewired: Sequence[float], thresholds: Sequence[float],
                   noises: Sequence[float], replicates: int, seed: int = 1,
                   jobs: int = 1) -> pd.DataFrame:
    """One row per (fraction rewired, threshold, noise, replicate).

    Columns: n, k, rewired, threshold, noise, replicate, final_adoption, spread (reached
    ``SPREAD``), steps_to_spread (NaN if it never did), steps (until the model stopped).
    """
    tasks = [
        {"n": n, "k": k, "rewired": float(p), "thresholds": list(thresholds),
         "noises": list(noises), "replicate": r, "seed": derive_seed(seed, r)}
        for p in rewired for r in range(replicates)
    ]
    return map_tasks(_runs_on_one_network, tasks, jobs)


def rewiring_figure(table: pd.DataFrame, hue: str, label: str, title: str) -> Figure:
    """Left: median time to spread (10-90 % band) over the runs that spread. Right: the
    share of runs that spread. One line per value of ``hue``."""
    import matplotlib.pyplot as plt

    fig, (ax_time, ax_share) = plt.subplots(1, 2, figsize=(10, 3.8))
    for value, frame in table.groupby(hue):
        band = median_band(frame, "rewired", "steps_to_spread")
        share = frame.groupby("rewired")["spread"].mean()
        name = f"{label} = {value:g}"
        line = ax_time.plot(band.index, band["median"], marker="o", ms=3, label=name)[0]
        ax_time.fill_between(band.index, band["lo"], band["hi"], alpha=0.2,
                             color=line.get_color())
        ax_share.plot(share.index, share.to_numpy(), marker="o", ms=3, label=name,
                      color=line.get_color())
    values = sorted(table["rewired"].unique())
    for ax in (ax_time, ax_share):
        rewiring_axis(ax, values)
    ax_time.set(ylabel=f"steps to {SPREAD:.0%} adoption (runs that got there)",
                title="time to spread")
    ax_time.set_yscale("log")
    ax_share.set(ylabel=f"share of runs reaching {SPREAD:.0%}", ylim=(-0.03, 1.03),
                 title="does it spread at all?")
    ax_share.legend(loc="best", fontsize="small")
    fig.suptitle(f"{title}: ring lattice, n = {table['n'].iloc[0]}, k = {table['k'].iloc[0]}")
    fig.tight_layout()
    return fig


def summary_by(table: pd.DataFrame, hue: str) -> dict[str, dict[str, float | None]]:
    """Per value of ``hue``: median time on the lattice, fastest median time over the
    rewired networks, and the smallest fraction rewired at which under half the runs spread."""
    out: dict[str, dict[str, float | None]] = {}
    for value, frame in table.groupby(hue):
        median = frame.groupby("rewired")["steps_to_spread"].median()
        share = frame.groupby("rewired")["spread"].mean()
        stopped = share[share < 0.5]
        rewired = median.drop(index=0.0, errors="ignore").dropna()
        out[f"{value:g}"] = {
            "median_steps_on_lattice": _num(median.get(0.0)),
            "fastest_median_steps": _num(rewired.min()) if len(rewired) else None,
            "rewired_at_fastest": _num(rewired.idxmin()) if len(rewired) else None,
            "stops_from_rewired": _num(stopped.index.min()) if len(stopped) else None,
        }
    return out


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(np.round(float(value), 6))
