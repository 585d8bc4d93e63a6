"""Eckles, Mossel, Rahimian & Sen (2024): with a little noise, long ties help again.

Centola & Macy's threshold-2 contagion stalls on a rewired lattice because a lone long tie
gives its far end one adopting contact, not two. Let an aware agent adopt below threshold
with a small probability per step (``noise``) and that far end sometimes adopts anyway;
its lattice neighbours then see two adopters and a new front starts far from the first.
Once noise is of order n^(-1/T), rewiring speeds the contagion up.

Eckles, D., Mossel, E., Rahimian, M. A. & Sen, S. (2024). Long ties accelerate noisy
threshold-based contagions. Nature Human Behaviour 8, 1057-1064.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.analysis.studies.common import Study
from sim.analysis.studies.rewiring import rewiring_figure, rewiring_table, summary_by

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REWIRED = (0.0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def run(n: int, k: int, rewired: tuple[float, ...], threshold: int, noises: tuple[float, ...],
        replicates: int, seed: int = 1, jobs: int = 1) -> pd.DataFrame:
    """Threshold-``threshold`` contagion with below-threshold noise on rewired lattices."""
    return rewiring_table(n, k, rewired, (threshold,), noises, replicates, seed=seed, jobs=jobs)


def figure(table: pd.DataFrame) -> Figure:
    threshold = table["threshold"].iloc[0]
    return rewiring_figure(table, hue="noise", label="noise",
                           title=f"Eckles et al. (2024) in pasim, T = {threshold:g}")


def findings(table: pd.DataFrame) -> dict[str, Any]:
    return {"by_noise": summary_by(table, "noise")}


STUDY = Study(
    name="noisy_thresholds",
    question="With a little below-threshold adoption, do long ties speed a threshold-2 "
             "contagion up again?",
    reference="Eckles, Mossel, Rahimian & Sen (2024), Nature Human Behaviour 8, 1057-1064, "
              "Fig. 3 (spread time of a noisy complex contagion over rewired C2 lattices).",
    run=run,
    figure=figure,
    findings=findings,
    sizes={
        "default": {"n": 1000, "k": 4, "rewired": REWIRED, "threshold": 2,
                    "noises": (0.0, 0.005, 0.02, 0.05), "replicates": 20},
        "small": {"n": 300, "k": 4, "rewired": (0.0, 0.1, 1.0), "threshold": 2,
                  "noises": (0.0, 0.05), "replicates": 8},
    },
)
