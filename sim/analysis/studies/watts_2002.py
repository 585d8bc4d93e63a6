"""Watts (2002): global cascades on random graphs happen only inside a window of mean degree.

Every agent adopts once a fraction phi of its neighbours has (here phi = 0.18); one random
agent starts. Below z ~ 1 the graph falls apart into small pieces, so nothing spreads far.
Above the window's upper edge agents have so many neighbours that one adopter is too small
a share of any of them (a "vulnerable" agent needs degree <= 1/phi ~ 5.6), so the cascade
never starts. In between, global cascades are possible, and near the upper edge they are
rare but huge.

Watts, D. J. (2002). A simple model of global cascades on random networks.
PNAS 99(9), 5766-5771, Fig. 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.studies.common import Row, Study, derive_seed, map_tasks
from sim.engine.model import AdoptionModel
from sim.networks import random as random_graph

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A cascade is global when it reaches more than this share of the network.
GLOBAL = 0.1
#: The window's edges are where at least this share of runs cascade globally.
WINDOW = 0.05
MEAN_DEGREES = tuple(np.round(np.arange(0.5, 10.01, 0.5), 2))


def _one_run(n: int, mean_degree: float, threshold: float, replicate: int,
             seed: int) -> list[Row]:
    network = random_graph(n, mean_degree, seed=seed)
    model = AdoptionModel(network, threshold=threshold, threshold_kind="fraction",
                          initial_adopters={"strategy": "random", "k": 1}, seed=seed).run(None)
    size = float(model.adopted.mean())
    return [{"n": n, "mean_degree": mean_degree, "threshold": threshold,
             "replicate": replicate, "realised_mean_degree": 2 * network.n_edges / n,
             "cascade_size": size, "global": size > GLOBAL, "steps": model.steps}]


def run(n: int, mean_degrees: tuple[float, ...], threshold: float, replicates: int,
        seed: int = 1, jobs: int = 1) -> pd.DataFrame:
    """One row per (mean degree, replicate): a fresh graph and a fresh random seed node."""
    tasks = [{"n": n, "mean_degree": float(z), "threshold": threshold, "replicate": r,
              "seed": derive_seed(seed, r)} for z in mean_degrees for r in range(replicates)]
    return map_tasks(_one_run, tasks, jobs)


def cascade_curve(table: pd.DataFrame) -> pd.DataFrame:
    """Per mean degree: share of runs with a global cascade (with a 95 % Wilson interval)
    and the mean size of the global cascades."""
    grouped = table.groupby("mean_degree")
    runs = grouped.size()
    hits = grouped["global"].sum()
    lo, hi = _wilson(hits.to_numpy(), runs.to_numpy())
    sizes = table[table["global"]].groupby("mean_degree")["cascade_size"].mean()
    return pd.DataFrame({"runs": runs, "frequency": hits / runs, "lo": lo, "hi": hi,
                         "mean_global_size": sizes.reindex(runs.index)})


def _wilson(hits: np.ndarray, runs: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, ...]:
    p = hits / runs
    centre = (p + z**2 / (2 * runs)) / (1 + z**2 / runs)
    half = z * np.sqrt(p * (1 - p) / runs + z**2 / (4 * runs**2)) / (1 + z**2 / runs)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def findings(table: pd.DataFrame) -> dict[str, Any]:
    curve = cascade_curve(table)
    inside = curve.index[curve["frequency"] >= WINDOW]
    anywhere = curve.index[curve["frequency"] > 0]
    return {
        "window": [float(inside.min()), float(inside.max())] if len(inside) else None,
        "any_global_cascade": [float(anywhere.min()), float(anywhere.max())]
        if len(anywhere) else None,
        "peak_frequency": float(curve["frequency"].max()),
        "peak_at": float(curve["frequency"].idxmax()),
        "frequency": {f"{z:g}": round(float(f), 4) for z, f in curve["frequency"].items()},
    }


def figure(table: pd.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    curve = cascade_curve(table)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    z = curve.index.to_numpy()
    ax.fill_between(z, curve["lo"], curve["hi"], alpha=0.2, color="C0")
    ax.plot(z, curve["frequency"], "o-", ms=4, color="C0",
            label=f"share of runs with a global cascade (> {GLOBAL:.0%})")
    ax.plot(z, curve["mean_global_size"], "^--", ms=4, color="C1",
            label="mean size of global cascades")
    found = findings(table)["window"]
    if found:
        ax.axvspan(found[0], found[1], color="0.9", zorder=0,
                   label=f"window (>= {WINDOW:.0%} of runs): z = {found[0]:g}-{found[1]:g}")
    ax.set(xlabel="mean degree z", ylabel="share", ylim=(-0.02, 1.02),
           title=f"Watts (2002) in pasim: Erdos-Renyi graphs, n = {table['n'].iloc[0]:,},\n"
                 f"phi = {table['threshold'].iloc[0]:g}, one random seed, "
                 f"{int(curve['runs'].iloc[0])} runs per z")
    ax.legend(loc="center right", fontsize="small")
    fig.tight_layout()
    return fig


STUDY = Study(
    name="watts_2002",
    question="On random graphs, for which mean degrees can one adopter start a global cascade?",
    reference="Watts (2002), PNAS 99(9) 5766-5771, Fig. 1a (frequency and size of global "
              "cascades against mean degree z; n = 10,000, phi = 0.18).",
    run=run,
    figure=figure,
    findings=findings,
    sizes={
        "default": {"n": 10_000, "mean_degrees": MEAN_DEGREES, "threshold": 0.18,
                    "replicates": 200},
        "small": {"n": 2000, "mean_degrees": (0.5, 3.0, 12.0), "threshold": 0.18,
                  "replicates": 40},
    },
)
