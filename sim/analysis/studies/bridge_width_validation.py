"""Bridge width: clusters joined by bridges of width 1..k; a threshold-T contagion crosses
from one cluster to the next only when the bridge is at least T wide.

Centola & Macy (2007) measure a bridge between two neighbourhoods by its width, the
number of overlapping ties joining them. In ``sim.networks.clustered`` a bridge of width w
ties w nodes on one side to each of w nodes on the other, so a node across the bridge hears
from at most w adopters: a contagion that needs T of them crosses only if w >= T. The
clusters are complete graphs on a ring; the whole of cluster 0 adopts at the start; the
model is deterministic, so one run per cell is the answer.

Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties.
American Journal of Sociology 113(3), 702-734 (the argument on bridge width).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.studies.common import Row, Study, map_tasks
from sim.engine.model import AdoptionModel
from sim.networks import clustered

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: a cluster counts as reached when this share of it has adopted
REACHED = 0.5


def _one_run(clusters: int, size: int, width: int, threshold: int) -> list[Row]:
    network = clustered(clusters, size, width)
    cluster = network.nodes["cluster"].to_numpy()
    first = np.flatnonzero(cluster == 0)
    model = AdoptionModel(network, threshold=threshold, initial_adopters=first.tolist(),
                          seed=0).run(None)
    by_cluster = np.bincount(cluster, weights=model.adopted, minlength=clusters) / size
    return [{"clusters": clusters, "size": size, "width": width, "threshold": threshold,
             "final_adoption": float(model.adopted.mean()),
             "clusters_reached": int((by_cluster >= REACHED).sum()),
             "crossed": bool((by_cluster[1:] > 0).any()), "steps": model.steps}]


def run(clusters: int, size: int, widths: tuple[int, ...], thresholds: tuple[int, ...],
        seed: int = 1, jobs: int = 1) -> pd.DataFrame:
    """One row per (width, threshold). Deterministic: ``seed`` is accepted and unused."""
    tasks = [{"clusters": clusters, "size": size, "width": w, "threshold": t}
             for w in widths for t in thresholds]
    return map_tasks(_one_run, tasks, jobs)


def findings(table: pd.DataFrame) -> dict[str, Any]:
    """Per threshold, the narrowest bridge that carried it into the next cluster, and
    whether "crosses iff width >= T" held in every cell."""
    narrowest = {}
    for threshold, frame in table.groupby("threshold"):
        crossed = frame.loc[frame["crossed"], "width"]
        narrowest[f"{threshold:g}"] = int(crossed.min()) if len(crossed) else None
    rule = table["crossed"] == (table["width"] >= table["threshold"])
    return {"narrowest_bridge_crossed": narrowest, "crosses_iff_width_at_least_T":
            bool(rule.all()), "cells_breaking_rule": int((~rule).sum())}


def figure(table: pd.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    grid = table.pivot(index="threshold", columns="width", values="clusters_reached")
    clusters = int(table["clusters"].iloc[0])
    fig, ax = plt.subplots(figsize=(6, 3.8))
    image = ax.imshow(grid.to_numpy(), origin="lower", cmap="viridis", vmin=0, vmax=clusters,
                      aspect="auto")
    for (i, j), value in np.ndenumerate(grid.to_numpy()):
        ax.text(j, i, f"{value:.0f}", ha="center", va="center",
                color="black" if value > clusters / 2 else "white")
    widths, thresholds = grid.columns.to_numpy(), grid.index.to_numpy()
    ax.set_xticks(range(len(widths)), [str(w) for w in widths])
    ax.set_yticks(range(len(thresholds)), [f"{t:g}" for t in thresholds])
    # the predicted boundary: width = threshold
    ax.step(np.arange(len(widths) + 1) - 0.5,
            [np.searchsorted(thresholds, w, side="right") - 0.5 for w in
             np.append(widths, widths[-1] + 1)], where="post", color="red", lw=1.5)
    ax.set(xlabel="bridge width w (w x w overlapping ties)", ylabel="threshold T",
           title=f"Bridge width in pasim: clusters reached (of {clusters}, size "
                 f"{table['size'].iloc[0]})\nred: the predicted edge, width = T")
    fig.colorbar(image, ax=ax, label="clusters reached")
    fig.tight_layout()
    return fig


STUDY = Study(
    name="bridge_width_validation",
    question="Does a threshold-T contagion cross between clusters only over bridges at least "
             "T wide (T nodes a side, every pair tied)?",
    reference="Centola & Macy (2007), AJS 113(3) 702-734: the definition of bridge width and "
              "the claim that complex contagions need wide bridges.",
    run=run,
    figure=figure,
    findings=findings,
    sizes={
        "default": {"clusters": 10, "size": 12, "widths": (1, 2, 3, 4, 5, 6),
                    "thresholds": (1, 2, 3, 4, 5)},
        "small": {"clusters": 4, "size": 8, "widths": (1, 2, 3), "thresholds": (1, 2, 3)},
    },
)
