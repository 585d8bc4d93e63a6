"""Plumbing shared by the validation studies (and by sim.analysis.sensitivity and
sim.analysis.optimise): seeds,
a parallel map, time to spread, figures.

Every study is a grid of independent runs. Each run's seed is derived from the study's base
seed and the run's replicate index alone (NumPy ``SeedSequence``), so every parameter value
is tried on the same random draws (common random numbers: differences between grid points
are the parameter's effect, not luck) and the table never depends on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.runs.metrics import first_step_reaching
from sim.runs.results import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Row = dict[str, Any]


def derive_seed(*keys: int) -> int:
    """A 63-bit seed from integer keys (base seed, replicate ...), the same on every machine."""
    state = np.random.SeedSequence([int(k) for k in keys]).generate_state(1, np.uint64)[0]
    return int(state >> 1)


def map_tasks(func: Callable[..., list[Row]], tasks: Iterable[Mapping[str, Any]],
              jobs: int = 1) -> pd.DataFrame:
    """Run ``func(**task)`` for every task (each returns rows) and stack the rows in task order.

    ``jobs > 1`` uses that many worker processes; ``func`` must then be a module-level
    function. The result does not depend on ``jobs``: seeds travel inside the tasks.
    """
    tasks = [dict(t) for t in tasks]
    if jobs > 1 and len(tasks) > 1:
        chunk = max(1, len(tasks) // (4 * jobs))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            parts = list(pool.map(_call, [func] * len(tasks), tasks, chunksize=chunk))
    else:
        parts = [func(**t) for t in tasks]
    return pd.DataFrame([row for part in parts for row in part])


def _call(func: Callable[..., list[Row]], task: Mapping[str, Any]) -> list[Row]:
    return func(**task)


def steps_to(history: pd.DataFrame, share: float) -> float:
    """First step at which the adopted share reaches ``share``; NaN if it never does."""
    step = first_step_reaching(history, share)
    return np.nan if step is None else float(step)


def save_figure(fig: Figure, path: Path | str) -> Path:
    """Write ``fig`` as a PNG atomically (a reader never sees half a file) and close it."""
    import matplotlib.pyplot as plt

    out = atomic_write(path, lambda p: fig.savefig(p, dpi=100, format="png"))
    plt.close(fig)
    return out


def rewiring_axis(ax: Axes, values: Iterable[float]) -> None:
    """Fraction rewired on a log scale that still shows 0 (a linear stretch below the
    smallest positive value)."""
    positive = [v for v in values if v > 0]
    ax.set_xscale("symlog", linthresh=min(positive) if positive else 1e-3)
    ax.set_xlim(left=0)
    ax.set_xlabel("fraction of ties rewired (0, then log scale)")


def median_band(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Median and 10th/90th percentiles of ``y`` per value of ``x`` (NaNs ignored)."""
    grouped = frame.groupby(x)[y]
    return pd.DataFrame({"median": grouped.median(), "lo": grouped.quantile(0.1),
                         "hi": grouped.quantile(0.9)})


@dataclass(frozen=True)
class Study:
    """A validation study: how to run it, draw it and read its result.

    ``run(**sizes[size], seed=..., jobs=...)`` returns a tidy table (one row per run);
    ``figure(table)`` draws it; ``findings(table)`` gives the few numbers its README quotes
    and its test checks. ``sizes`` holds ``"default"`` (the README figure, minutes on two
    cores) and ``"small"`` (seconds: tests and a first look).
    """

    name: str
    question: str
    reference: str
    run: Callable[..., pd.DataFrame]
    figure: Callable[[pd.DataFrame], Figure]
    findings: Callable[[pd.DataFrame], dict[str, Any]]
    sizes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def execute(self, size: str = "default", seed: int = 1, jobs: int = 1,
                **overrides: Any) -> pd.DataFrame:
        """Run the study at a named size, with any parameter overridden."""
        return self.run(**{**self.sizes[size], **overrides}, seed=seed, jobs=jobs)
