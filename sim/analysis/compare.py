"""``pasim-compare``: scenarios side by side, replicates paired, one table and one slide.

    pasim-compare                                     # baseline vs recommended, 10 replicates
    pasim-compare scenario=baseline,anhss_2021_22,recommended replicates=20 model.noise=0.01
    pasim-compare out=results/my_comparison            # choose the output folder

Every other argument is a Hydra override shared by all scenarios. The scenarios run in this
process (Hydra's compose API, no job per run), each with the same base seed, so replicate r
of every scenario shares its random draws up to where the levers change the world
(common random numbers). Every run also reports its effect against the matched no-lever run
of the same replicate seed (``sim.runs.metrics.effect``): "extra adopters" is the median of those
paired differences and "£k per extra adopter" the mean extra cost over the mean extra
adopters (``sim.runs.metrics.pooled_effect``; "–" when the levers gained no adopter).

Writes ``comparison.csv`` and ``comparison.md`` (the table), ``replicates.csv`` (every run's
summary) and ``comparison.png`` (adoption curves with 10-90 % bands, overall and by sector)
into ``results/compare/<time>/``, atomically and only after every run has finished.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.calibration.decision import markdown as decision_markdown
from sim.runs import results as io
from sim.runs.plots import finish_panel_grid, panel_grid

DEFAULT_SCENARIOS = ("baseline", "recommended")
DEFAULT_REPLICATES = 10
BAND = (0.1, 0.9)
#: group attribute the figure's small panels show
FIGURE_GROUPS = "sector"


def compose(scenario: str | None, overrides: Sequence[str]) -> dict:
    """The resolved config of one scenario (None: no scenario) with the shared overrides."""
    from sim.runs.compose import compose as compose_config

    chosen = [] if scenario is None else [f"scenario={scenario}"]
    return compose_config([*chosen, *overrides], where=f"scenario={scenario}")


def _quantiles(values: pd.Series) -> tuple[float, float, float]:
    v = values.dropna().astype(float)
    if v.empty:
        return (np.nan, np.nan, np.nan)
    return (float(v.median()), float(v.quantile(BAND[0])), float(v.quantile(BAND[1])))


def comparison_table(summaries: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario: medians and 10-90 % ranges over replicates, and the effect
    against the matched no-lever run of each replicate (``sim.runs.metrics.pooled_effect``: the
    same definition every command reports)."""
    from sim.runs.metrics import pooled_effect

    order = list(dict.fromkeys(summaries["scenario"]))
    rows = []
    for name in order:
        runs = summaries[summaries["scenario"] == name].set_index("replicate")
        row: dict[str, float | int | str | None] = {"scenario": name, "replicates": len(runs)}
        for column in ("final_adoption", "steps_to_50", "equity_gap", "cost",
                       "cost_per_new_adopter", "systems_past_50", "extra_adopters",
                       "weeks_gained_to_50"):
            mid, lo, hi = _quantiles(runs[column]) if column in runs else (np.nan,) * 3
            row.update({f"{column}_median": mid, f"{column}_p10": lo, f"{column}_p90": hi})
        row["reached_50"] = int(runs["steps_to_50"].notna().sum())
        pooled = pooled_effect(runs)
        row["extra_adopters_mean"] = pooled["extra_adopters"]
        row["extra_cost_mean"] = pooled["extra_cost"]
        row["cost_per_extra_adopter"] = (np.nan if pooled["cost_per_extra_adopter"] is None
                                         else pooled["cost_per_extra_adopter"])
        row["runtime_s_mean"] = float(runs["runtime_s"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _range(row: pd.Series, column: str, fmt: str, scale: float = 1.0) -> str:
    mid, lo, hi = (row[f"{column}_{q}"] for q in ("median", "p10", "p90"))
    if pd.isna(mid):
        return "–"
    return f"{fmt.format(mid * scale)} ({fmt.format(lo * scale)}–{fmt.format(hi * scale)})"


def markdown(table: pd.DataFrame, n_agents: int) -> str:
    """The table a strategist reads: medians with 10-90 % ranges in brackets."""
    head = ("| scenario | final adoption | weeks to 50 % | equity gap (Q5 − Q1) | "
            "ICSs past 50 % | cost £k | extra adopters | £k per extra adopter |")
    lines = [head, "|" + "---|" * 8]
    for _, r in table.iterrows():
        weeks = _range(r, "steps_to_50", "{:.0f}")
        if r["reached_50"] < r["replicates"]:
            weeks += f" [{r['replicates'] - r['reached_50']} never]"
        cper = "–" if pd.isna(r["cost_per_extra_adopter"]) else f"{r['cost_per_extra_adopter']:.2f}"
        lines.append(
            f"| {r['scenario']} | {_range(r, 'final_adoption', '{:.0f} %', 100)} | {weeks} | "
            f"{_range(r, 'equity_gap', '{:+.0f} pp', 100)} | "
            f"{_range(r, 'systems_past_50', '{:.0f}')} | {_range(r, 'cost', '{:,.0f}')} | "
            f"{_range(r, 'extra_adopters', '{:+.0f}')} | {cper} |")
    reps = int(table["replicates"].iloc[0])
    lines.append("")
    lines.append(f"Medians over {reps} paired replicates (10–90 % range in brackets), "
                 f"{n_agents:,} agents. Extra adopters and cost per extra adopter (mean extra "
                 "cost / mean extra adopters, £k in the units of the lever configs) are "
                 "against the matched run with every lever off.")
    return "\n".join(lines) + "\n"


def figure(series: dict[str, pd.DataFrame], groups: dict[str, pd.DataFrame], path: Path,
           by: str = FIGURE_GROUPS) -> Path:
    """Adoption over time with bands: overall, then one small panel per group of ``by``."""
    import matplotlib.pyplot as plt

    from sim.runs.plots import band

    first = next(iter(groups.values()))
    sizes = (first[first["attribute"] == by].groupby("group")["size"].first()
             if len(first) else pd.Series(dtype=int))
    panels = ["all agents", *sizes.index]
    fig, axes = panel_grid(len(panels), 3, (4.2, 3.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, panel in enumerate(panels):
        ax = axes.flat[k]
        for c, (scenario, ts) in enumerate(series.items()):
            if panel == "all agents":
                frame = ts
            else:
                g = groups[scenario]
                frame = g[(g["attribute"] == by) & (g["group"] == panel)]
            frame = frame.assign(year=frame["step"] / 52)
            band(ax, frame, "year", "adopted_fraction", scenario, colours[c % len(colours)])
        size = "" if panel == "all agents" else f" (n={int(sizes[panel]):,})"
        ax.set_title(f"{panel.replace('_', ' ')}{size}", fontsize="medium")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    finish_panel_grid(axes, len(panels), "years", "share adopted")
    axes.flat[0].legend(loc="upper left", fontsize="small")
    fig.suptitle("PA practice adopted: median and 10–90 % range over replicates", y=1.0)
    fig.tight_layout()
    out = io.atomic_write(path, lambda p: fig.savefig(p, dpi=150, format="png",
                                                      bbox_inches="tight"))
    plt.close(fig)
    return out


def run(scenarios: Sequence[str], overrides: Sequence[str],
        out: Path | None = None, echo=print) -> tuple[pd.DataFrame, Path]:
    """Run every scenario, then write the table, the replicate summaries and the figure."""
    from sim.runs.config import validate
    from sim.runs.runner import simulate

    configs = {s: validate(compose(s, overrides)) for s in scenarios}  # all checked first
    summaries, series, groups = [], {}, {}
    for scenario, cfg in configs.items():
        t0 = time.perf_counter()
        result = simulate(cfg)
        per_run = result.summary["runtime_s"].mean()
        echo(f"{scenario}: {len(result.summary)} runs in {time.perf_counter() - t0:.1f} s "
             f"({per_run:.2f} s per run)")
        summaries.append(result.summary.assign(scenario=scenario))
        series[scenario], groups[scenario] = result.timeseries, result.groups
    runs = pd.concat(summaries, ignore_index=True)
    table = comparison_table(runs)
    text = markdown(table, int(runs["n_agents"].iloc[0]))
    text += decision_markdown(runs, configs)  # P(better), cost per extra adopter, intervals
    out = out or Path("results") / "compare" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    figure(series, groups, out / "comparison.png")
    io.atomic_write(out / "replicates.csv", lambda p: runs.to_csv(p, index=False))
    io.atomic_write(out / "comparison.csv", lambda p: table.to_csv(p, index=False))
    io.write_text(out / "comparison.md", text)
    echo("")
    echo(text)
    echo(f"written to {out}")
    return table, out
