"""The sweep page: a sweep directory's heatmaps, cost-effectiveness frontier and runs table.

The tables come from ``sim.load`` and the figures from ``sim.analysis.report``'s own
functions (the same heatmap and frontier ``pasim-report`` writes), drawn into a temporary
folder, never into the sweep or the repository.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pandas as pd
import solara

from sim.errors import InputError

_DRAWING = threading.Lock()  # sim.analysis.report draws with pyplot, which is not thread-safe
NONE = "(none)"


def load_sweep(path: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Runs table, swept keys and metrics of a sweep directory (one-line error otherwise)."""
    from sim import load
    from sim.runs.sweep import swept

    folder = Path(path).expanduser()
    if not (folder / "runs.parquet").is_file() and not (folder / "multirun.yaml").is_file():
        raise InputError(f"path: {str(folder)!r} is not a sweep directory (no runs.parquet)")
    runs = load(folder).runs
    metrics = [m for m in runs.attrs.get("metrics", []) if m in runs
               and pd.api.types.is_numeric_dtype(runs[m])]
    return runs, swept(runs), metrics


def heatmap_png(runs: pd.DataFrame, params: list[str], metric: str, x: str,
                y: str | None) -> bytes:
    """``pasim-report``'s heatmap of ``metric`` over ``x`` (and ``y``), panels by the rest."""
    from sim.analysis import report

    reduce = report.median_steps if metric in report.MILESTONES else report.mean_defined
    others = [p for p in params if p not in (x, y)]
    ok = runs[runs["status"] == "ok"]
    return _drawn(lambda path: report.heatmap(ok, metric, x, y, reduce,
                                              f"{metric} over {x}" + (f" × {y}" if y else ""),
                                              path, others))


def frontier_png(runs: pd.DataFrame, params: list[str]) -> bytes:
    from sim.analysis import report

    return _drawn(lambda path: report.frontier(report.settings_table(runs, params), params,
                                               path))


def _drawn(draw) -> bytes:
    with _DRAWING, tempfile.TemporaryDirectory(prefix="pasim-explore-") as tmp:
        path = Path(tmp) / "figure.png"
        draw(path)
        return path.read_bytes()


def filtered(runs: pd.DataFrame, key: str, value: str) -> pd.DataFrame:
    """Runs whose ``key`` shows as ``value`` (all runs when no key is chosen)."""
    if key == NONE or key not in runs or value == NONE:
        return runs
    return runs[runs[key].astype(str) == value]


@solara.component
def SweepFigures(runs: pd.DataFrame, params: list[str], metrics: list[str]) -> None:
    metric, set_metric = solara.use_state("final_adoption" if "final_adoption" in metrics
                                          else metrics[0])
    x, set_x = solara.use_state(params[0] if params else NONE)
    y, set_y = solara.use_state(params[1] if len(params) > 1 else NONE)
    with solara.Row():
        solara.Select("Metric", value=metric, values=metrics, on_value=set_metric)
        solara.Select("Across (x)", value=x, values=params or [NONE], on_value=set_x)
        solara.Select("Down (y)", value=y, values=[NONE, *[p for p in params if p != x]],
                      on_value=set_y)
    png = solara.use_memo(lambda: heatmap_png(runs, params, metric, x,
                                              None if y in (NONE, x) else y)
                          if params else None, [runs, metric, x, y])
    if png is None:
        solara.Info("Nothing was swept: one setting, no heatmap.")
    else:
        solara.Image(png, classes=["sweep-heatmap"])
    frontier = solara.use_memo(lambda: frontier_png(runs, params), [runs])
    solara.Image(frontier, classes=["sweep-frontier"])


@solara.component
def RunsTable(runs: pd.DataFrame, params: list[str], metrics: list[str]) -> None:
    keys = [c for c in runs.columns if c not in metrics and runs[c].nunique(dropna=False) > 1]
    key, set_key = solara.use_state(params[0] if params else NONE)
    values = sorted(runs[key].astype(str).unique()) if key in runs else []
    value, set_value = solara.use_state(NONE)
    with solara.Row():
        solara.Select("Filter by", value=key, values=[NONE, *keys],
                      on_value=lambda k: (set_key(k), set_value(NONE)))
        solara.Select("equal to", value=value if value in values else NONE,
                      values=[NONE, *values], on_value=set_value)
    table = filtered(runs, key, value)
    solara.Text(f"{len(table)} of {len(runs)} runs", classes=["sweep-count"])
    solara.DataFrame(table, items_per_page=10)


@solara.component
def SweepPage(initial: str | None = None) -> None:
    default = initial if initial is not None else os.environ.get("PASIM_EXPLORE_SWEEP", "")
    path, set_path = solara.use_state(default)
    loaded, set_loaded = solara.use_state(default)

    def load():
        if not loaded:
            return None, None
        try:
            return load_sweep(loaded), None
        except InputError as err:
            return None, str(err)

    result, error = solara.use_memo(load, [loaded])
    solara.Title("pasim explorer: sweep")
    with solara.Row():
        solara.InputText("Sweep directory (holds runs.parquet)", value=path,
                         on_value=set_path, continuous_update=True)
        solara.Button("Open", on_click=lambda: set_loaded(path), color="primary",
                      classes=["open-sweep"])
    if error:
        solara.Error(error)
    if result is not None:
        runs, params, metrics = result
        solara.Text(f"{len(runs)} runs; swept: {', '.join(params) or 'nothing'}",
                    classes=["sweep-summary"])
        SweepFigures(runs, params, metrics)
        RunsTable(runs, params, metrics)
