"""Figures a strategist can put on a slide: adoption curves with bands, overall and by group."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.runs import results as io  # noqa: E402
from sim.runs.results import atomic_write  # noqa: E402
from sim.world.outcomes import BEHIND_TABLE, RANKING_FIGURE, ranking  # noqa: E402


def _pyplot() -> Any:
    """``matplotlib.pyplot``, imported when a figure is first drawn: a sweep job that writes
    only ``ics_behind.csv`` (``figure: false``) does not pay for importing it."""
    import matplotlib.pyplot as plt

    return plt

BAND = (0.1, 0.9)  # the band drawn around each median curve: 10th-90th percentile


def band(ax, frame: pd.DataFrame, x: str, y: str, label: str, color=None) -> None:
    """Median across replicates with a 10-90 % band (a single run is just its line)."""
    grouped = frame.groupby(x)[y]
    mid = grouped.median()
    line = ax.plot(mid.index, mid.to_numpy(), label=label, color=color)[0]
    if frame["replicate"].nunique() > 1 if "replicate" in frame else False:
        lo, hi = grouped.quantile(BAND[0]), grouped.quantile(BAND[1])
        ax.fill_between(mid.index, lo.to_numpy(), hi.to_numpy(), alpha=0.2,
                        color=line.get_color())


def adoption_figure(timeseries: pd.DataFrame, groups: pd.DataFrame, path: Path | str,
                    title: str = "", by: str = "sector") -> Path:
    """Left: adopted and aware fraction over time. Right: adoption by ``by`` (if tracked)."""
    if groups is not None and len(groups) and by not in set(groups["attribute"]):
        by = str(groups["attribute"].iloc[0])
    has_groups = groups is not None and len(groups) > 0
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2 if has_groups else 1, figsize=(11 if has_groups else 6, 4),
                             squeeze=False)
    ax = axes[0, 0]
    band(ax, timeseries, "step", "adopted_fraction", "adopted")
    band(ax, timeseries, "step", "aware_fraction", "aware")
    ax.set(xlabel="Week", ylabel="Share of agents", ylim=(0, 1.02), title="Adoption")
    ax.legend(loc="lower right")
    if has_groups:
        ax = axes[0, 1]
        sub = groups[groups["attribute"] == by]
        for name, frame in sub.groupby("group"):
            band(ax, frame, "step", "adopted_fraction", str(name))
        ax.set(xlabel="Week", ylabel="Adopted share", ylim=(0, 1.02),
               title=f"Adoption by {by.replace('_', ' ')}")
        ax.legend(loc="upper left", fontsize="small", ncol=2 if sub["group"].nunique() > 6 else 1)
    if title:  # across the whole figure, wrapped: a scenario's title is often long
        fig.suptitle("\n".join(textwrap.wrap(str(title), width=90)))
    fig.tight_layout()
    out = atomic_write(path, lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)
    return out


def finish_panel_grid(axes, used: int, xlabel: str, ylabel: str) -> None:
    """A grid of small multiples: hide the panels left over, label the outer axes once."""
    for ax in axes.flat[used:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)


def panel_grid(panels: int, max_cols: int, panel_size: tuple[float, float]):
    """A figure of ``panels`` small multiples sharing both axes, at most ``max_cols`` wide."""
    cols = min(max_cols, panels)
    rows = -(-panels // cols)
    return _pyplot().subplots(rows, cols, figsize=(panel_size[0] * cols, panel_size[1] * rows),
                        squeeze=False, sharex=True, sharey=True)


def write_ics_outputs(groups: pd.DataFrame, out_dir: Path | str, figure: bool = True) -> None:
    """``ics_behind.csv`` (the 10 ICSs furthest behind) and ``ics_ranking.png``."""
    if "population_embedded_share" not in groups:
        return
    table = ranking(groups)
    behind = table.sort_values("adopted_fraction", kind="stable").head(10)
    out = Path(out_dir)
    io.write_text(out / BEHIND_TABLE, behind.to_csv(index=False, float_format="%.4f"))
    if figure:
        ranking_figure(table, out / RANKING_FIGURE)


def ranking_figure(table: pd.DataFrame, path: Path) -> None:
    """Horizontal bars: each region's ICSs ordered by adoption, people embedded as dots."""
    plt = _pyplot()
    table = table.sort_values(["region", "adopted_fraction"], ascending=[False, True])
    y = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(9, 0.24 * len(table) + 1.5))
    colours = dict(zip(sorted(table["region"].unique()), plt.cm.tab10.colors, strict=False))
    ax.barh(y, table["adopted_fraction"], color=table["region"].map(colours), alpha=0.85)
    ax.plot(table["population_embedded_share"], y, "k.", label="residents where embedded")
    ax.set_yticks(y, [n.removeprefix("NHS ").removesuffix(" ICB") for n in table["icb_name"]],
                  fontsize=7)
    ax.set_xlabel("final adoption (organisations and leaders), mean over replicates")
    ax.set_xlim(0, 1)
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=r) for r, c in colours.items()]
    handles += ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.set_title("ICSs ranked by adoption within their NHS region")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
