"""Centola (2010): behaviour spreads further and faster in a clustered network than in a
random network with exactly the same degrees.

As in Centola's experiment, the clustered network is a two-dimensional lattice in which every
agent has six neighbours (here a triangular lattice on a torus: neighbours share neighbours,
clustering 0.4) and the random network is a random graph in which every agent also has six
neighbours (a random 6-regular graph: same size, same degree for everyone, clustering near
0). With a complex contagion (threshold 2; once reinforced an agent adopts with probability
``adoption_rate`` per week) adopters in the lattice reinforce the same people, while in the
random network their signals scatter and often stall.

Centola, D. (2010). The spread of behavior in an online social network experiment.
Science 329(5996), 1194-1197, Fig. 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.studies.common import Row, Study, derive_seed, map_tasks
from sim.engine.model import AdoptionModel
from sim.engine.network import Network
from sim.errors import InputError
from sim.networks import networkx as networkx_graph

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: "faster" is measured as the steps taken to reach this share of the network
MILESTONE = 0.25


def networks(rows: int, columns: int, seed: int) -> dict[str, Network]:
    """The clustered lattice (rows x columns / 2 agents, degree 6) and a random graph with
    the same size and every degree the same."""
    lattice = networkx_graph(generator="triangular_lattice_graph", m=rows, n=columns,
                             periodic=True)
    degree = int(lattice.degree[0])
    if not (lattice.degree == degree).all():
        raise InputError(f"rows, columns: a {rows} x {columns} periodic triangular lattice is "
                         "not regular; use at least 3 rows and 5 columns")
    random = networkx_graph(generator="random_regular_graph", d=degree, n=lattice.n, seed=seed)
    return {"clustered": lattice, "random": random}


def _pair(rows: int, columns: int, threshold: float, adoption_rate: float, steps: int,
          replicate: int, seed: int) -> list[Row]:
    """One replicate on both networks, with the same seed (common random numbers)."""
    out = []
    for name, network in networks(rows, columns, seed).items():
        model = AdoptionModel(network, threshold=threshold, adoption_rate=adoption_rate,
                              initial_adopters={"strategy": "neighbourhood"},
                              seed=seed).run(steps)
        history = model.history
        k = int(network.degree[0])
        out.extend({"network": name, "n": network.n, "k": k, "threshold": threshold,
                    "adoption_rate": adoption_rate, "replicate": replicate, "step": int(s),
                    "adopted_fraction": float(f)}
                   for s, f in zip(history["step"], history["adopted_fraction"], strict=True))
    return out


def run(rows: int, columns: int, threshold: float, adoption_rate: float, steps: int,
        replicates: int, seed: int = 1, jobs: int = 1) -> pd.DataFrame:
    """One row per (network, replicate, step): the adopted share over time. The seed
    neighbourhood (a random agent and its six neighbours) is drawn per replicate."""
    tasks = [{"rows": rows, "columns": columns, "threshold": threshold,
              "adoption_rate": adoption_rate, "steps": steps, "replicate": r,
              "seed": derive_seed(seed, r)} for r in range(replicates)]
    return map_tasks(_pair, tasks, jobs)


def per_run(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (network, replicate): final adoption and steps to ``MILESTONE``
    (infinite when never reached, so that a run that stalls counts as the slowest)."""
    def summarise(frame: pd.DataFrame) -> pd.Series:
        reached = frame.loc[frame["adopted_fraction"] >= MILESTONE - 1e-12, "step"]
        return pd.Series({
            "final_adoption": frame["adopted_fraction"].iloc[-1],
            "steps_to_milestone": float(reached.iloc[0]) if len(reached) else np.inf,
        })

    ordered = table.sort_values(["network", "replicate", "step"])
    return ordered.groupby(["network", "replicate"])[["step", "adopted_fraction"]].apply(
        summarise).reset_index()


def findings(table: pd.DataFrame) -> dict[str, Any]:
    from scipy.stats import mannwhitneyu

    runs = per_run(table)
    clustered = runs[runs["network"] == "clustered"]
    rnd = runs[runs["network"] == "random"]
    out: dict[str, Any] = {}
    for name, frame in (("clustered", clustered), ("random", rnd)):
        steps = frame["steps_to_milestone"]
        out[name] = {
            "mean_final_adoption": round(float(frame["final_adoption"].mean()), 4),
            f"share_reaching_{MILESTONE:.0%}": round(float(np.isfinite(steps).mean()), 4),
            # None: most runs never got there
            f"median_steps_to_{MILESTONE:.0%}": float(steps.median())
            if np.isfinite(steps.median()) else None,
        }
    out["p_more"] = float(mannwhitneyu(clustered["final_adoption"], rnd["final_adoption"],
                                       alternative="greater").pvalue)
    out["p_faster"] = float(mannwhitneyu(clustered["steps_to_milestone"],
                                         rnd["steps_to_milestone"], alternative="less").pvalue)
    return out


def figure(table: pd.DataFrame) -> Figure:
    import matplotlib.pyplot as plt

    fig, (ax_curve, ax_final) = plt.subplots(1, 2, figsize=(10, 3.8),
                                             gridspec_kw={"width_ratios": [3, 2]})
    runs = per_run(table)
    bins = np.linspace(0, 1, 21)
    for colour, (name, frame) in zip(("C0", "C3"), table.groupby("network"), strict=False):
        grouped = frame.groupby("step")["adopted_fraction"]
        mean = grouped.mean()
        ax_curve.plot(mean.index, mean.to_numpy(), color=colour, label=f"{name} (mean)")
        ax_curve.fill_between(mean.index, grouped.quantile(0.1), grouped.quantile(0.9),
                              color=colour, alpha=0.15)
        final = runs.loc[runs["network"] == name, "final_adoption"]
        ax_final.hist(final, bins=bins, color=colour, alpha=0.6, label=name)
    first = table.iloc[0]
    ax_curve.set(xlabel="step", ylabel="adopted share", ylim=(0, 1.02),
                 title=f"n = {first['n']}, every agent degree {first['k']}, T = "
                       f"{first['threshold']:g}, adoption rate {first['adoption_rate']:g}")
    ax_curve.legend(loc="upper left")
    ax_final.set(xlabel="final adopted share", ylabel="runs", title="where runs end")
    ax_final.legend(loc="upper center")
    fig.suptitle("Centola (2010) in pasim: clustered against random, same degrees")
    fig.tight_layout()
    return fig


STUDY = Study(
    name="clustered_vs_random",
    question="Does a complex contagion spread further and faster in a clustered network "
             "than in a random one with the same degrees?",
    reference="Centola (2010), Science 329(5996) 1194-1197, Fig. 2 (adoption over time in "
              "clustered-lattice against random networks of the same size and degree).",
    run=run,
    figure=figure,
    findings=findings,
    sizes={
        "default": {"rows": 16, "columns": 16, "threshold": 2, "adoption_rate": 0.5,
                    "steps": 40, "replicates": 200},
        "small": {"rows": 16, "columns": 16, "threshold": 2, "adoption_rate": 0.5,
                  "steps": 30, "replicates": 30},
    },
)
