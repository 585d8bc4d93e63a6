"""The explorer's figures, drawn on ``matplotlib.figure.Figure`` (no pyplot: the server
draws from several threads) and shown by Solara as PNG, so nothing needs a CDN."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.runs.plots import band

#: baseline grey, scenario blue: the same colour for a side on every chart
COLOURS = {"baseline": "#7f7f7f", "scenario": "#1f77b4"}


def adoption_chart(series: Mapping[str, pd.DataFrame]) -> Figure:
    """Share adopted over time: median and 10-90 % band over replicates, per side."""
    fig = Figure(figsize=(6, 3.4))
    ax = fig.subplots()
    for name, frame in series.items():
        if len(frame):
            band(ax, frame.assign(year=frame["step"] / 52), "year", "adopted_fraction", name,
                 COLOURS.get(name))
    ax.set(xlabel="years", ylabel="share adopted", ylim=(0, 1.02),
           title="Adoption (median, 10–90 % band)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def _attribute(groups: pd.DataFrame, attribute: str) -> pd.DataFrame:
    if not len(groups):
        return groups
    return groups[groups["attribute"] == attribute]


def sector_chart(groups: Mapping[str, pd.DataFrame]) -> Figure:
    """One small panel per sector, both sides with bands."""
    sectors = sorted({g for frame in groups.values()
                      for g in _attribute(frame, "sector")["group"].unique()})
    cols = 3
    rows = max(1, int(np.ceil(len(sectors) / cols)))
    fig = Figure(figsize=(9, 2.4 * rows))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    for ax, sector in zip(axes.flat, sectors, strict=False):
        for name, frame in groups.items():
            sub = _attribute(frame, "sector")
            sub = sub[sub["group"] == sector]
            band(ax, sub.assign(year=sub["step"] / 52), "year", "adopted_fraction", name,
                 COLOURS.get(name))
        ax.set_title(sector.replace("_", " "), fontsize="medium")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(sectors):]:
        ax.axis("off")
    fig.suptitle("Adoption by sector")
    fig.tight_layout()
    return fig


def final_by_group(groups: pd.DataFrame, attribute: str) -> pd.Series:
    """Median over replicates of each group's adopted share at the last step."""
    sub = _attribute(groups, attribute)
    if not len(sub):
        return pd.Series(dtype=float)
    last = sub[sub["step"] == sub["step"].max()]
    return last.groupby("group")["adopted_fraction"].median()


def ics_chart(groups: Mapping[str, pd.DataFrame], region_of: Mapping[str, str]) -> Figure:
    """Final adoption in each ICS, grouped by NHS region: baseline to scenario."""
    finals = {name: final_by_group(frame, "system") for name, frame in groups.items()}
    names = sorted({s for f in finals.values() for s in f.index if s},
                   key=lambda s: (region_of.get(s, ""), s))
    fig = Figure(figsize=(7, 0.2 * max(len(names), 5) + 1))
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    base = finals.get("baseline", pd.Series(dtype=float)).reindex(names)
    scen = finals.get("scenario", pd.Series(dtype=float)).reindex(names)
    ax.hlines(y, base.to_numpy(), scen.to_numpy(), color="#c7c7c7", zorder=1)
    for name, values in (("baseline", base), ("scenario", scen)):
        ax.scatter(values.to_numpy(), y, s=14, color=COLOURS[name], label=name, zorder=2)
    ax.set_yticks(y, [f"{region_of.get(s, '')[:14]} · {_short(s)}" for s in names],
                  fontsize=6)
    ax.set(xlim=(0, 1.02), xlabel="share adopted at the end",
           title="The 42 ICSs by region (median over replicates)")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig


def _short(system: str) -> str:
    return system.removeprefix("NHS ").removesuffix(" ICB")[:32]


def equity_chart(groups: Mapping[str, pd.DataFrame]) -> Figure:
    """The equity gap over time: adoption in the most deprived quintile minus the least
    (the summary's ``equity_gap`` is its last value)."""
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    for name, frame in groups.items():
        sub = _attribute(frame, "deprivation_quintile")
        if not len(sub):
            continue
        wide = sub.pivot_table(index=["replicate", "step"], columns="group",
                               values="adopted_fraction")
        gap = (wide["5"] - wide["1"]).rename("gap").reset_index()
        band(ax, gap.assign(year=gap["step"] / 52), "year", "gap", name, COLOURS.get(name))
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlabel="years", ylabel="Q5 − Q1 adopted share",
           title="Equity gap (most − least deprived)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig
