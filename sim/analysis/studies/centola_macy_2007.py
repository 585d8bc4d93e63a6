"""Centola & Macy (2007): long ties speed simple contagions but slow, then stop, complex ones.

On a ring lattice every node's neighbours share many neighbours, so a block of adopters
gives the next nodes several reinforcing contacts at once. Rewiring ties into long ties
shortens paths (good for a simple contagion, T = 1) but removes that redundancy: a long tie
is a bridge of width one, which a threshold-2 or -3 contagion cannot cross.

Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties.
American Journal of Sociology 113(3), 702-734.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.analysis.studies.common import Study
from sim.analysis.studies.rewiring import rewiring_figure, rewiring_table, summary_by

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REWIRED = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def run(n: int, k: int, rewired: tuple[float, ...], thresholds: tuple[int, ...],
        replicates: int, seed: int = 1, jobs: int = 1) -> pd.DataFrame:
    """Deterministic threshold contagion (no noise) on degree-preserving rewired lattices."""
    return rewiring_table(n, k, rewired, thresholds, noises=(0.0,), replicates=replicates,
                          seed=seed, jobs=jobs)


def figure(table: pd.DataFrame) -> Figure:
    return rewiring_figure(table, hue="threshold", label="T",
                           title="Centola & Macy (2007) in pasim")


def findings(table: pd.DataFrame) -> dict[str, Any]:
    return {"by_threshold": summary_by(table, "threshold")}


STUDY = Study(
    name="centola_macy_2007",
    question="Do long ties speed a contagion up? Simple (T = 1) against complex (T = 2, 3).",
    reference="Centola & Macy (2007), AJS 113(3) 702-734: the rewiring figure (time to "
              "spread against the fraction of ties randomly rewired, simple vs complex).",
    run=run,
    figure=figure,
    findings=findings,
    sizes={
        "default": {"n": 2000, "k": 6, "rewired": REWIRED, "thresholds": (1, 2, 3),
                    "replicates": 20},
        # the README's "How much depends on k": the same study with 8 neighbours
        "k8": {"n": 2000, "k": 8, "rewired": REWIRED, "thresholds": (1, 2, 3),
               "replicates": 20},
        "small": {"n": 400, "k": 6, "rewired": (0.0, 0.01, 0.1, 1.0), "thresholds": (1, 2, 3),
                  "replicates": 6},
    },
)
