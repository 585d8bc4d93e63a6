"""``pasim-report <sweep dir>``: the figures a strategist asks of a sweep.

Writes into ``<sweep dir>/report/``:

- ``heatmap_steps_to_50.png``: median weeks to 50 % adoption over two swept levers (a run
  that never reaches 50 % counts as "never", so a cell is "never" when most of its runs are);
- ``heatmap_cost_per_extra_adopter.png``: cost per extra adopter against the matched
  no-lever runs (mean extra cost / mean extra adopters, ``sim.runs.metrics.pooled_effect``)
  over the same two levers;
- ``adoption_curves.png``: adopted share over time, median and 10-90 % band across
  replicates, one line per value of the first lever, one panel per setting of the others;
- ``frontier.png``: cost against final adoption for every setting, the Pareto front
  (no other setting adopts more for less) highlighted, numbered and listed;
- ``settings.csv``: per setting, the number of runs and failures, the mean of every metric,
  and per milestone the median weeks to it and the share of runs that reached it.

``--x``/``--y`` choose the two levers (default: the first two swept parameters). The
heatmaps get one panel per setting of any other swept parameter (up to six panels; beyond,
those parameters are pooled and the title says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.errors import InputError  # noqa: E402
from sim.runs.labels import label, short_label  # noqa: E402
from sim.runs.plots import band  # noqa: E402
from sim.runs.results import atomic_write  # noqa: E402
from sim.runs.sweep import collate, swept  # noqa: E402

REPORT_DIR = "report"
MAX_PANELS = 24  #: adoption-curve panels (settings of the levers after the first)
MAX_HEATMAP_PANELS = 6  #: beyond this many settings of the other levers, they are pooled
MILESTONES = ("steps_to_25", "steps_to_50", "steps_to_80")


def short(name: str) -> str:
    """``levers.convening.budget`` -> ``Convening budget``: legends and panel titles."""
    return short_label(name)


def _label(values: Sequence, names: Sequence[str]) -> str:
    return ", ".join(f"{short(n)} {_fmt(v)}" for n, v in zip(names, values, strict=True))


def _fmt(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _save(fig, path: Path, tight: bool = True) -> Path:
    if tight:
        fig.tight_layout()
    out = atomic_write(path, lambda p: fig.savefig(p, dpi=120, format="png",
                                                   bbox_inches="tight"))
    plt.close(fig)
    return out


def _pooled_note(pooled: Sequence[str]) -> str:
    return f"\n(all values of {', '.join(map(short, pooled))} pooled)" if pooled else ""


def _facets(runs: pd.DataFrame, others: Sequence[str]) -> tuple[list, list[str], list[str]]:
    """Panels: one per setting of the other swept parameters, if there are few enough;
    else one panel with those parameters pooled. Returns (panels, faceted, pooled)."""
    if others:
        groups = list(runs.groupby(list(others), dropna=False))
        if len(groups) <= MAX_HEATMAP_PANELS:
            return [(_label(k if isinstance(k, tuple) else (k,), others), g)
                    for k, g in groups], list(others), []
    return [("", runs)], [], list(others)


# --------------------------------------------------------------------------------------
# cells


def median_steps(values: pd.Series) -> float:
    """Median time to a milestone, a run that never reached it counting as infinitely late
    (so the median is finite exactly when more than half the runs reached it)."""
    return float(np.median(values.astype(float).fillna(np.inf)))


def mean_defined(values: pd.Series) -> float:
    values = values.astype(float).dropna()
    return float(values.mean()) if len(values) else np.nan


def _grid(runs: pd.DataFrame, metric: str, x: str, y: str | None, reduce) -> pd.DataFrame:
    keys = [k for k in (y, x) if k]
    cells = runs.groupby(keys, dropna=False)[metric].apply(reduce)
    return cells.unstack(x) if y else cells.to_frame().T


def heatmap(runs: pd.DataFrame, metric: str, x: str, y: str | None, reduce, title: str,
            path: Path, others: Sequence[str] = ()) -> Path:
    """One cell per (x, y) setting: ``reduce`` of ``metric`` over its runs; one panel per
    setting of the other swept parameters (one colour scale for all panels)."""
    panels, _, pooled = _facets(runs, others)
    grids = [(name, _grid(frame, metric, x, y, reduce)) for name, frame in panels]
    values = np.concatenate([g.to_numpy(float).ravel() for _, g in grids])
    finite = values[np.isfinite(values)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    rows, cols = grids[0][1].shape
    fig, axes = plt.subplots(1, len(grids), squeeze=False,
                             figsize=(len(grids) * (1.1 * cols + 1.5) + 1.5, 0.7 * rows + 2.4))
    for ax, (name, grid) in zip(axes[0], grids, strict=True):
        cells = grid.to_numpy(float)
        image = ax.imshow(np.ma.masked_invalid(np.where(np.isfinite(cells), cells, np.nan)),
                          cmap="viridis_r", aspect="auto", vmin=lo, vmax=hi)
        ax.set_facecolor("0.85")  # never / undefined cells
        ax.set_xticks(range(grid.shape[1]), [_fmt(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [_fmt(v) for v in grid.index] if y else [""])
        ax.set(xlabel=label(x), ylabel=label(y) if y and ax is axes[0, 0] else "",
               title=name)
        for (i, j), value in np.ndenumerate(cells):
            text = "never" if value == np.inf else ("n/a" if np.isnan(value) else _fmt(value))
            dark = bool(np.isfinite(value) and hi > lo and value > (lo + hi) / 2)
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if dark else "black")
    fig.colorbar(image, ax=axes[0].tolist(), label=label(metric))
    fig.suptitle(title + _pooled_note(pooled))
    return _save(fig, path, tight=False)


# --------------------------------------------------------------------------------------
# curves and frontier


def adoption_curves(runs: pd.DataFrame, series: pd.DataFrame, params: Sequence[str],
                    path: Path) -> Path:
    """Median adopted share with a 10-90 % band; lines by the first lever, panels by the rest."""
    ok = series[series["job"].isin(runs.loc[runs["status"] == "ok", "job"])]
    line_key, panel_keys = (params[0], list(params[1:])) if params else (None, [])
    panels = list(ok.groupby(panel_keys, dropna=False)) if panel_keys else [((), ok)]
    panels = panels[:MAX_PANELS]
    cols = min(4, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False,
                             sharex=True, sharey=True)
    colours = plt.get_cmap("viridis")
    for ax, (panel, frame) in zip(axes.flat, panels, strict=False):
        lines = list(frame.groupby(line_key, dropna=False)) if line_key else [("all", frame)]
        for k, (value, sub) in enumerate(lines):
            colour = colours(k / max(1, len(lines) - 1) * 0.9)
            name = f"{short(line_key)} {_fmt(value)}" if line_key else "all runs"
            band(ax, sub, "step", "adopted_fraction", name, color=colour)
        values = panel if isinstance(panel, tuple) else (panel,)
        ax.set_title(_label(values, panel_keys) if panel_keys else "Adoption",
                     fontsize="small")
        ax.set_ylim(0, 1.02)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Week")
    for ax in axes[:, 0]:
        ax.set_ylabel(label("adopted_fraction"))
    axes.flat[0].legend(loc="upper left", fontsize="x-small")
    return _save(fig, path)


def pareto_front(cost: np.ndarray, adoption: np.ndarray) -> np.ndarray:
    """Settings no other setting beats: none costs no more and adopts no less, one strictly."""
    efficient = np.ones(len(cost), dtype=bool)
    for i in range(len(cost)):
        better = (cost <= cost[i]) & (adoption >= adoption[i]) & \
                 ((cost < cost[i]) | (adoption > adoption[i]))
        efficient[i] = not better.any()
    return efficient


def frontier(settings: pd.DataFrame, params: Sequence[str], path: Path) -> Path:
    """Mean cost against mean final adoption per setting; the Pareto front highlighted and
    numbered, its settings listed in a table under the plot (as wide as the plot, in the
    figure's own font, so it reads on a slide)."""
    cost = settings["cost"].to_numpy(float)
    adoption = settings["final_adoption"].to_numpy(float)
    front = pareto_front(cost, adoption)
    order = np.flatnonzero(front)[np.argsort(cost[front], kind="stable")]
    rows, seen = [], {}
    for i in order:  # settings at the same point share a number
        point = (cost[i], adoption[i])
        if point not in seen:
            seen[point] = len(seen) + 1
        row = settings.loc[settings.index[i]]
        rows.append([str(seen[point]), *(_fmt(row[n]) for n in params), _fmt(cost[i]),
                     f"{adoption[i]:.2f}"])
    fig, ax = plt.subplots(figsize=(8, 5 + 0.28 * len(rows)))
    ax.errorbar(cost, adoption, yerr=settings["final_adoption_sd"].fillna(0).to_numpy(float),
                fmt="o", color="0.6", ecolor="0.85", label="setting (mean ± sd over runs)")
    ax.plot(cost[order], adoption[order], "o-", color="tab:red",
            label="cost-effectiveness frontier")
    for point, number in seen.items():
        ax.annotate(str(number), point, textcoords="offset points", xytext=(-10, 4),
                    fontsize="small", color="tab:red")
    ax.set(xlabel=label("cost"), ylabel=label("final_adoption"), title="Cost against adoption")
    ax.legend(loc="lower right", fontsize="small")
    if rows:
        columns = ["#", *(short(n) for n in params), "cost £k", "adoption"]
        table = ax.table(cellText=rows, colLabels=columns, loc="bottom", cellLoc="center",
                         bbox=[0, -0.18 - 0.075 * (len(rows) + 1), 1, 0.075 * (len(rows) + 1)])
        table.auto_set_font_size(False)
        table.set_fontsize(8)
    return _save(fig, path)


def settings_table(runs: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """Per setting: runs, failures, the mean of every metric, adoption's sd, and for each
    milestone its median weeks (inf: most runs never got there) and the share reaching it."""
    metrics = [m for m in runs.attrs.get("metrics", []) if m in runs]
    ok = runs[runs["status"] == "ok"]
    keys = list(params) if params else (lambda _: "all")
    grouped = ok.groupby(keys, dropna=False)
    table = grouped[metrics].mean(numeric_only=True)
    table.insert(0, "runs", grouped.size())
    failed = runs[runs["status"] == "failed"].groupby(keys, dropna=False).size()
    table.insert(1, "failed", failed.reindex(table.index, fill_value=0))
    table["final_adoption_sd"] = grouped["final_adoption"].std()
    for milestone in (m for m in MILESTONES if m in table):
        table[milestone] = grouped[milestone].apply(median_steps)
        table[f"reached_{milestone.rsplit('_', 1)[1]}"] = grouped[milestone].apply(
            lambda v: float(v.notna().mean()))
    return table.reset_index(drop=not params)


# --------------------------------------------------------------------------------------
# the command


def _axes(params: list[str], runs: pd.DataFrame, x: str | None, y: str | None):
    for option, name in (("--x", x), ("--y", y)):
        if name is not None and name not in runs.attrs.get("parameters", []):
            allowed = ", ".join(runs.attrs.get("parameters", [])) or "none"
            raise InputError(f"{option}: {name!r} is not a parameter of this sweep "
                             f"(parameters: {allowed})")
    x = x or next((p for p in params if p != y), None)
    y = y or next((p for p in params if p != x), None)
    if x is not None and x == y:
        raise InputError(f"--y: must differ from --x (both {x!r})")
    return x, y


def report(sweep_dir: Path | str, x: str | None = None, y: str | None = None,
           out: Path | str | None = None) -> list[Path]:
    """Collate ``sweep_dir`` and write the report's figures; return their paths."""
    sweep_dir = Path(sweep_dir)
    runs, series = collate(sweep_dir)
    params = swept(runs)
    x, y = _axes(params, runs, x, y)
    out = Path(out) if out else sweep_dir / REPORT_DIR
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise InputError(f"path: every run in {sweep_dir} failed; nothing to draw")
    written = []
    if x is not None:
        others = [p for p in params if p not in (x, y)]
        written.append(heatmap(ok, "steps_to_50", x, y, median_steps,
                               f"{label('steps_to_50')} (median)",
                               out / "heatmap_steps_to_50.png", others))
        def pooled_cost_per_extra(values: pd.Series) -> float:
            """One cell's runs (by index): mean extra cost / mean extra adopters."""
            from sim.runs.metrics import pooled_effect

            value = pooled_effect(ok.loc[values.index])["cost_per_extra_adopter"]
            return np.nan if value is None else value

        written.append(heatmap(ok, "cost_per_extra_adopter", x, y, pooled_cost_per_extra,
                               "Cost per extra adopter vs no levers (£k)",
                               out / "heatmap_cost_per_extra_adopter.png", others))
    line_first = [p for p in (x, y) if p] + [p for p in params if p not in (x, y)]
    written.append(adoption_curves(runs, series, line_first, out / "adoption_curves.png"))
    table = settings_table(runs, params)
    written.append(frontier(table, params, out / "frontier.png"))
    written.append(atomic_write(out / "settings.csv", lambda p: table.to_csv(p, index=False)))
    return written
