"""Figures of a calibration: posterior predictive bands over the data, and the pairs plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.runs import results as io
from sim.runs.plots import finish_panel_grid, panel_grid

BAND = (0.1, 0.9)


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    out = io.atomic_write(path, lambda p: fig.savefig(p, dpi=130, format="png",
                                                      bbox_inches="tight"))
    plt.close(fig)
    return out


def predictive_figure(bands: pd.DataFrame, observed: pd.DataFrame, path: Path,
                      title: str, group_name: str | None = None) -> Path:
    """One panel per group: each model's median and 10-90 % band, the observed data on top.

    ``bands``: model, group, step, median, p10, p90; ``observed``: group, step, share.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(observed["group"]))
    fig, axes = panel_grid(len(groups), 2, (5, 3.4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, group in enumerate(groups):
        ax = axes.flat[k]
        for c, (model, frame) in enumerate(bands[bands["group"] == group].groupby(
                "model", sort=False)):
            colour = colours[c % len(colours)]
            ax.fill_between(frame["step"], frame["p10"], frame["p90"], color=colour, alpha=0.2)
            ax.plot(frame["step"], frame["median"], color=colour, label=model)
        obs = observed[observed["group"] == group]
        ax.plot(obs["step"], obs["share"], "ko", ms=3.5, label="observed")
        held = " (held out)" if bool(obs.get("held_out", pd.Series([False])).any()) else ""
        label = group if group_name is None else f"{group_name} {group}"
        ax.set_title(f"{label}{held}", fontsize="medium")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    finish_panel_grid(axes, len(groups), "step", "share adopted")
    axes.flat[0].legend(fontsize="small", loc="lower right")
    fig.suptitle(f"{title}: posterior predictive, median and 10–90 % band", y=1.0)
    fig.tight_layout()
    return _save(fig, path)


def pairs_figure(samples: pd.DataFrame, weights: np.ndarray, path: Path, title: str) -> Path:
    """Weighted histograms on the diagonal, weighted scatter below: the joint posterior."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(samples.columns)
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(2.4 * k + 0.6, 2.4 * k + 0.6), squeeze=False)
    size = 4 + 60 * weights / max(weights.max(), 1e-300)
    for i, row in enumerate(names):
        for j, col in enumerate(names):
            ax = axes[i, j]
            if i == j:
                ax.hist(samples[col], bins=25, weights=weights, color="0.4")
                ax.set_yticks([])
            elif i > j:
                ax.scatter(samples[col], samples[row], s=size, alpha=0.35, lw=0)
            else:
                ax.axis("off")
            if i == k - 1:
                ax.set_xlabel(col, fontsize="small")
            if j == 0 and i > 0:
                ax.set_ylabel(row, fontsize="small")
            ax.tick_params(labelsize="x-small")
    fig.suptitle(f"{title}: posterior (final ABC-SMC population)")
    fig.tight_layout()
    return _save(fig, path)
