"""The scenario page: levers with their costs, a run against the matched baseline, results
as replicates finish, and the settings saved as a scenario ``pasim`` runs."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from typing import Any

import pandas as pd
import solara
import solara.lab

from sim.analysis.compare import comparison_table
from sim.errors import InputError
from sim.explore import charts
from sim.explore import scenario as sc

LEVER_TITLES = {"convening": "Convening", "champions": "Champions",
                "shared_goals": "Shared goal", "events": "Events", "data": "Data"}


def _snapshot(progress: sc.Progress) -> sc.Progress:
    """A copy the page can hold while the run goes on adding replicates to the original."""
    return dataclasses.replace(progress, scenario=dict(progress.scenario),
                               baseline=dict(progress.baseline))


def _throttled(show, every_s: float = 1.0):
    """Show the first pair at once, then at most one update a second (redrawing the charts
    takes longer than a replicate on a busy machine), and always the last."""
    last = [-math.inf]

    def update(progress: sc.Progress) -> None:
        now = time.monotonic()
        first = len(progress.paired) == 1
        if first or progress.done or progress.cancelled or now - last[0] >= every_s:
            last[0] = now
            show(_snapshot(progress))

    return update


@solara.component
def LeverControl(control: sc.Control, value: Any, on_value) -> None:
    if control.choices:
        solara.Select(label=control.label, value=value, values=list(control.choices),
                      on_value=on_value)
    elif control.integer:
        solara.SliderInt(label=control.label, value=int(value), min=int(control.low),
                         max=int(control.high), step=int(control.step), on_value=on_value)
    else:
        solara.SliderFloat(label=control.label, value=float(value), min=control.low,
                           max=control.high, step=control.step, on_value=on_value)
    if not control.choices:
        solara.Text(f"{control.label}: {value:g}", classes=["lever-value"],
                    style={"font-size": "0.8em", "color": "#555"})


@solara.component
def LeverPanel(settings: sc.Settings, values: dict[str, Any], costs: dict[str, float] | None,
               on_change) -> None:
    """Every lever's controls under its name and planned cost."""
    for lever, title in LEVER_TITLES.items():
        cost = "–" if costs is None else f"£{costs[lever]:,.0f}k"
        with solara.Card(f"{title}: {cost}", margin=0, classes=[f"lever-{lever}"]):
            for control in sc.controls():
                if control.lever == lever:
                    LeverControl(control, values[control.key],
                                 lambda v, k=control.key: on_change(k, v))


def _figures(progress: sc.Progress, region_of: dict[str, str]) -> tuple | None:
    """The four charts of the paired replicates so far (None before the first pair)."""
    if not progress.paired:
        return None
    series, groups = sc.frames(progress, "timeseries"), sc.frames(progress, "groups")
    return (charts.adoption_chart(series), charts.equity_chart(groups),
            charts.sector_chart(groups), charts.ics_chart(groups, region_of))


@solara.component
def Headline(runs: pd.DataFrame) -> None:
    """Total cost, extra adopters and cost per extra adopter against the baseline (paired)."""
    table = comparison_table(runs).set_index("scenario")
    row = table.loc["scenario"]
    cper = row["cost_per_extra_adopter"]
    gap = table["equity_gap_median"]
    items = [
        ("Total cost", f"£{row['cost_median']:,.0f}k"),
        ("Extra adopters", f"{row['extra_adopters_median']:+,.0f}"),
        ("Cost per extra adopter", "–" if pd.isna(cper) else f"£{cper:,.2f}k"),
        ("Final adoption", f"{table.loc['baseline', 'final_adoption_median']:.0%} → "
                           f"{row['final_adoption_median']:.0%}"),
        ("Equity gap (Q5 − Q1)", "–" if gap.isna().all() else
         f"{gap['baseline'] * 100:+.1f} → {gap['scenario'] * 100:+.1f} pp"),
    ]
    with solara.Row(classes=["headline"], style={"flex-wrap": "wrap"}):
        for label, value in items:
            with solara.Card(margin=0, classes=["metric"]):
                solara.Text(label, style={"font-size": "0.85em", "color": "#555",
                                          "display": "block"})
                solara.Text(value, classes=["metric-value"],
                            style={"font-size": "1.3em", "font-weight": "bold"})


@solara.component
def Results(progress: sc.Progress, region_of: dict[str, str]) -> None:
    figures = solara.use_memo(lambda: _figures(progress, region_of), [progress])
    if figures is None:
        return
    runs = sc.summaries(progress)
    Headline(runs)
    with solara.Columns([1, 1]):
        solara.FigureMatplotlib(figures[0], format="png", dpi=90)
        solara.FigureMatplotlib(figures[1], format="png", dpi=90)
    with solara.Columns([1, 1]):
        solara.FigureMatplotlib(figures[2], format="png", dpi=80)
        solara.FigureMatplotlib(figures[3], format="png", dpi=90)
    table = comparison_table(runs)
    keep = ["scenario", "replicates", "final_adoption_median", "steps_to_50_median",
            "equity_gap_median", "systems_past_50_median", "cost_median",
            "extra_adopters_median", "cost_per_extra_adopter"]
    solara.DataFrame(table[keep].round(3), items_per_page=5)


@solara.component
def SaveScenario(settings: sc.Settings) -> None:
    title, set_title = solara.use_state("My scenario")
    message, set_message = solara.use_state("")

    def save():
        try:
            path = sc.save_scenario(settings, title)
        except InputError as err:
            set_message(f"error: {err}")
            return
        set_message(f"saved {path}; run it with: "
                    f"{sc.command_line_for_saved(path.stem, settings.replicates)}")

    with solara.Row():
        solara.InputText("Scenario title", value=title, on_value=set_title)
        solara.Button("Save as scenario", on_click=save, classes=["save-scenario"])
    if message:
        solara.Text(message, classes=["save-message"])


@solara.component
def ScenarioPicker(scenario: str, on_scenario) -> None:
    """A built-in scenario or the path of the user's own scenario YAML."""
    own, set_own = solara.use_state("" if scenario in sc.BUILT_IN else scenario)
    choice = scenario if scenario in sc.BUILT_IN else "my own file"
    with solara.Row():
        solara.Select("Scenario", value=choice, values=[*sc.BUILT_IN, "my own file"],
                      on_value=lambda v: on_scenario(v) if v in sc.BUILT_IN else None)
        solara.InputText("…or your scenario YAML", value=own, on_value=set_own,
                         continuous_update=False)
        solara.Button("Load", on_click=lambda: own and on_scenario(own), disabled=not own)


def _compose(settings: sc.Settings) -> tuple[dict | None, dict | None, str | None]:
    try:
        return sc.scenario_config(settings), sc.baseline_config(settings), None
    except InputError as err:
        return None, None, str(err)


@solara.component
def ScenarioPage(initial: sc.Settings | None = None) -> None:
    settings, set_settings = solara.use_state(initial or sc.initial_settings())
    progress = solara.use_reactive(None)
    cancel = solara.use_memo(threading.Event, [])
    config, baseline, error = solara.use_memo(lambda: _compose(settings), [settings])
    values = solara.use_memo(
        lambda: sc.lever_values(config) if config else {}, [config])
    info = solara.use_memo(lambda: sc.network_info(config) if config else None, [config])
    costs = solara.use_memo(lambda: sc.planned_total(config) if config else None, [config])

    def on_lever(key: str, value: Any) -> None:
        set_settings(dataclasses.replace(settings, levers={**settings.levers, key: value}))

    def on_scenario(name: str) -> None:
        set_settings(dataclasses.replace(settings, scenario=name, levers={}))

    # the task is made once: it must read the settings of the latest render, not the first
    latest = solara.use_ref(None)
    latest.current = (settings, config, baseline)

    def work() -> None:
        run_settings, run_config, run_baseline = latest.current
        cancel.clear()
        progress.set(sc.Progress(replicates=run_settings.replicates))
        try:
            sc.run(run_config, run_baseline, _throttled(progress.set), cancel,
                   label=run_config.get("title") or run_settings.scenario)
        except Exception as err:  # shown on the page; the server keeps serving
            progress.set(dataclasses.replace(progress.value, error=f"{type(err).__name__}: "
                                                                   f"{err}"))

    task = solara.lab.use_task(work, dependencies=None)

    solara.Title("pasim explorer: scenario")
    with solara.Columns([1, 2]):
        with solara.Column():
            ScenarioPicker(settings.scenario, on_scenario)
            if config is not None:
                LeverPanel(settings, values, costs, on_lever)
            solara.SliderInt("Replicates", value=settings.replicates, min=1, max=50,
                             on_value=lambda n: set_settings(
                                 dataclasses.replace(settings, replicates=n)))
        with solara.Column():
            RunBar(settings, config, costs, error, task, cancel, progress.value)
            if progress.value is not None and info is not None:
                Results(progress.value, info.region_of)
            SaveScenario(settings)


@solara.component
def RunBar(settings, config, costs, error, task, cancel, progress) -> None:
    """Run / cancel, the planned total, progress and the command line."""
    with solara.Row():
        solara.Button("Run", on_click=task, color="primary",
                      disabled=config is None or task.pending, classes=["run-button"])
        solara.Button("Cancel", on_click=cancel.set, disabled=not task.pending,
                      classes=["cancel-button"])
        if costs is not None:
            solara.Text(f"Planned cost: £{sum(costs.values()):,.0f}k over the run",
                        classes=["planned-cost"])
    if error:
        solara.Error(error, classes=["config-error"])
    if progress is not None:
        done, total = len(progress.paired), progress.replicates
        solara.ProgressLinear(100 * done / max(total, 1) if task.pending else False)
        state = ("cancelled" if progress.cancelled else progress.error if progress.error
                 else "running" if task.pending else "done")
        written = f" · written to {progress.out_dir}" if progress.out_dir else ""
        solara.Text(f"{done} of {total} paired replicates · {state}{written}",
                    classes=["run-status"])
    with solara.Row():
        solara.Text("Command line:")
        solara.Text(sc.command_line(settings), classes=["command-line"],
                    style={"font-family": "monospace"})
