"""The best mix of convening, shared goals, champions and events under a total budget (Optuna).

    pasim-optimise [--trials 50] [--budget 500] [--replicates 3] [--objective O]
                           [--top 5] [--confirm 10] [--jobs J] [--out DIR] [overrides ...]

A mix splits ``--budget`` (£k per year) between the four levers: Optuna's TPE sampler
proposes a weight in [0, 1] for each, the weights are normalised to shares, and each share
of the budget is turned into the lever's setting with the unit costs of the base config:

- convening: ``levers.convening.budget`` = its share (ties at ``cost_per_tie``);
- shared goals: ``strength`` = share / (cost of a goal of strength 1 per year), at most 1 --
  the base config's ``cost_per_year / strength`` (a goal's cost is ASSUMED linear in its
  strength);
- champions: ``per_system`` = whole champions affordable in every ICS at
  ``cost_per_champion_year``;
- events: as many events a year as the share buys at the base schedule's mean cost, spread
  evenly over the run, cycling through the base schedule's events (audience, region, format).

Money a lever cannot use (a fraction of a champion per ICS) is left unspent. Designs (convening
strategy and width, champion placement, goal scope, event format) come from the base config,
``scenario=recommended`` unless the command line says otherwise; a lever the base leaves off
uses ``DESIGN_DEFAULTS``.

Every trial runs ``--replicates`` replicates on the same seeds (common random numbers), so
trials differ by their mix, not their luck. The ``--top`` best mixes are then re-run with
``--confirm`` replicates on fresh seeds, and reported with the mean, standard deviation and a
95 % interval of the objective: the uncertainty across replicates, free of the optimiser's
winner's curse. Objectives are those of ``sim.analysis.sensitivity.OUTCOMES`` (censored the
same way).

Writes ``trials.csv``, ``optimisation.png``, ``optimise.json`` (the settings) and, last,
``best.csv`` into ``--out`` (default ``results/optimise/<time>``). The defaults (50 trials x 3
replicates, then 5 x 10, of five years of England under the recommended designs) take about
ten minutes on 2 cores.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import OUTCOMES, compose_config, run_sample, with_defaults
from sim.analysis.studies.common import map_tasks, save_figure
from sim.errors import InputError
from sim.runs.results import atomic_write, write_json
from sim.world.levers.plan import STEPS_PER_YEAR

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MIX = ("convening", "shared_goals", "champions", "events")
#: what a mix comes to, one column each in the tables
SETTING_COLUMNS = ("setting_convening_budget", "setting_goal_strength",
                   "setting_champions_per_system", "setting_events")
DEFAULT_OVERRIDES = ("scenario=recommended",)
DEFAULT_OUT = Path("results/optimise")

#: Lever designs used when the base config leaves a lever off (the recommended scenario's).
DESIGN_DEFAULTS: dict[str, dict[str, Any]] = {
    "convening": {"strategy": "wide_bridges", "cost_per_tie": 1.0, "width": 2},
    "shared_goals": {"scope": "all", "inequalities_focus": True, "cost_per_strength": 100.0},
    "champions": {"placement": "complex_centrality", "influence": 2.0,
                  "cost_per_champion_year": 10.0},
    "events": {"template": {"name": "purposeful in-person workshop", "size": 80,
                            "audience": {"health": 0.4, "physical_activity": 0.2,
                                         "local_government": 0.2, "community": 0.2},
                            "format": "in_person", "clarity": 0.9, "cost": 15.0}},
}


# ------------------------------------------------------------------------------------------
# from a budget split to lever settings


def shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights normalised to shares summing to 1 (all zero: nothing is spent)."""
    total = sum(max(0.0, float(weights[k])) for k in MIX)
    return {k: (max(0.0, float(weights[k])) / total if total > 0 else 0.0) for k in MIX}


def group_count(cfg: Mapping[str, Any]) -> int:
    """How many groups champions are placed in ``per_system`` at a time: ICSs, else
    clusters, else one (the whole network), as ``sim.world.levers.champions`` places them."""
    from sim.networks import build_network

    params = dict(cfg["network"])
    name = params.pop("name")
    if "seed" in params and params["seed"] is None:
        params["seed"] = 0
    nodes = build_network(name, **params).nodes
    for column in ("system", "cluster"):
        if column in nodes:
            values = nodes[column]
            return int(values[values.astype(str) != ""].nunique())
    return 1


def mix_settings(base: Mapping[str, Any], spend: Mapping[str, float], groups: int
                 ) -> dict[str, dict[str, Any]]:
    """Lever settings that spend ``spend[lever]`` £k a year on each lever of the mix."""
    levers = base.get("levers") or {}
    out: dict[str, dict[str, Any]] = {}

    convening = dict(levers.get("convening") or {})
    if convening.get("strategy", "none") == "none":
        convening.update(DESIGN_DEFAULTS["convening"])
    convening["budget"] = float(spend["convening"])
    out["convening"] = convening

    goals = dict(levers.get("shared_goals") or {})
    strength, cost = float(goals.get("strength", 0.0)), float(goals.get("cost_per_year", 0.0))
    defaults = DESIGN_DEFAULTS["shared_goals"]
    if strength > 0 and cost > 0:
        per_strength = cost / strength
    else:
        per_strength = defaults["cost_per_strength"]
        goals.update({k: v for k, v in defaults.items() if k != "cost_per_strength"})
    goals["strength"] = min(1.0, float(spend["shared_goals"]) / per_strength)
    goals["cost_per_year"] = goals["strength"] * per_strength
    out["shared_goals"] = goals

    champions = dict(levers.get("champions") or {})
    if float(champions.get("cost_per_champion_year", 0.0)) <= 0:
        champions.update(DESIGN_DEFAULTS["champions"])
    unit = float(champions["cost_per_champion_year"]) * groups
    champions["per_system"] = int(math.floor(float(spend["champions"]) / unit + 1e-9))
    out["champions"] = champions

    templates = list((levers.get("events") or {}).get("schedule") or [])
    templates = templates or [DESIGN_DEFAULTS["events"]["template"]]
    out["events"] = {"schedule": event_schedule(templates, float(spend["events"]),
                                                int(base.get("steps") or STEPS_PER_YEAR))}
    return out


def event_schedule(templates: Sequence[Mapping[str, Any]], per_year: float,
                   steps: int) -> list[dict[str, Any]]:
    """As many events as ``per_year`` £k buys each year, evenly spaced over ``steps`` weeks,
    cycling through ``templates`` (their step is replaced, everything else kept)."""
    mean_cost = float(np.mean([float(t.get("cost", 0.0)) for t in templates]))
    years = steps / STEPS_PER_YEAR
    if mean_cost <= 0:
        raise InputError("levers.events.schedule: the base events cost nothing, so a budget "
                         "cannot buy them; give the events a cost")
    count = int(math.floor(per_year / mean_cost * years + 1e-9))
    schedule = []
    for j in range(count):
        event = copy.deepcopy(dict(templates[j % len(templates)]))
        event["step"] = 1 + (j * steps) // count
        schedule.append(event)
    return schedule


def planned_spend(settings: Mapping[str, Mapping[str, Any]], groups: int,
                  steps: int) -> dict[str, float]:
    """What a mix spends on each lever per year (£k), after rounding: ``spend_<lever>``."""
    years = steps / STEPS_PER_YEAR
    champions = settings["champions"]
    return {
        "spend_convening": float(settings["convening"]["budget"]),
        "spend_shared_goals": float(settings["shared_goals"]["cost_per_year"]),
        "spend_champions": champions["per_system"] * groups
        * float(champions["cost_per_champion_year"]),
        "spend_events": sum(float(e.get("cost", 0.0))
                            for e in settings["events"]["schedule"]) / years,
    }


# ------------------------------------------------------------------------------------------
# the search


def without_events(overrides: Sequence[str]) -> list[str]:
    """``overrides`` with any event setting replaced by ``levers/events=none``."""
    kept = [o for o in overrides
            if not o.lstrip("+~").startswith(("levers/events", "levers.events"))]
    return [*kept, "levers/events=none"]


def trial_config(base: Mapping[str, Any], settings: Mapping[str, Mapping[str, Any]],
                 replicates: int, seed: int) -> dict[str, Any]:
    cfg = copy.deepcopy(dict(base))
    cfg["levers"] = {**(cfg.get("levers") or {}), **copy.deepcopy(dict(settings))}
    cfg["replicates"] = replicates
    cfg["seed"] = seed
    return cfg


def objective_value(rows: Sequence[Mapping[str, Any]], objective: str) -> float:
    return float(np.mean([r[objective] for r in rows]))


def optimise(overrides: Sequence[str] = (), trials: int = 50, budget: float = 500.0,
             replicates: int = 3, objective: str = "steps_to_50", top: int = 5,
             confirm: int = 10, seed: int = 1, jobs: int = 1, batch: int = 2,
             out: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    """Search, confirm the best mixes, write the tables and figure; return
    (trials table, best-mixes table, output folder).

    Trials are asked ``batch`` at a time and each batch runs on ``jobs`` processes; the
    search depends on ``batch`` (what the sampler knows when it proposes), never on ``jobs``.
    """
    import optuna

    from sim.runs.config import check_command_line, validate

    _check_arguments(trials, budget, replicates, objective, top, confirm, batch)
    overrides = [*with_defaults(overrides, DEFAULT_OVERRIDES), "figure=false"]
    # the base's events are only templates, rescheduled inside the horizon for every mix:
    # check everything else as pasim would, and validate each trial's config in full
    check_command_line(without_events(overrides))
    base = compose_config(overrides, check=False)
    groups = group_count(base)
    steps = int(base.get("steps") or STEPS_PER_YEAR)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if OUTCOMES[objective][1] else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, trials)))
    records: list[dict[str, Any]] = []
    settings_of: dict[int, dict[str, dict[str, Any]]] = {}
    while len(records) < trials:
        asked = [study.ask() for _ in range(min(batch, trials - len(records)))]
        tasks = []
        for trial in asked:
            split = shares({k: trial.suggest_float(k, 0.0, 1.0) for k in MIX})
            settings = mix_settings(base, {k: split[k] * budget for k in MIX}, groups)
            config = validate(trial_config(base, settings, replicates, seed))
            settings_of[trial.number] = settings
            tasks.append({"config": config, "sample": trial.number})
            spend = planned_spend(settings, groups, steps)
            records.append({"trial": trial.number, **{f"share_{k}": split[k] for k in MIX},
                            **_describe(settings), **spend,
                            "spend_per_year": sum(spend.values())})
        runs = map_tasks(run_sample, tasks, jobs)
        for trial, record in zip(asked, records[-len(asked):], strict=True):
            mine = runs[runs["sample"] == trial.number]
            record.update(_means(mine))
            record["objective"] = record[f"mean_{objective}"]
            study.tell(trial, record["objective"])
    table = pd.DataFrame(records)
    best = confirm_best(base, table, settings_of, objective, top, confirm, seed + 1, jobs)
    folder = Path(out) if out is not None else DEFAULT_OUT / time.strftime("%Y-%m-%d_%H-%M-%S")
    atomic_write(folder / "trials.csv", lambda p: table.to_csv(p, index=False))
    save_figure(optimisation_figure(table, best, objective, budget), folder / "optimisation.png")
    write_json(folder / "optimise.json", {
        "overrides": overrides, "trials": trials, "budget": budget, "replicates": replicates,
        "objective": objective, "top": top, "confirm": confirm, "seed": seed, "batch": batch,
        "groups": groups})
    atomic_write(folder / "best.csv", lambda p: best.to_csv(p, index=False))
    return table, best, folder


def confirm_best(base: Mapping[str, Any], table: pd.DataFrame,
                 settings_of: Mapping[int, Mapping[str, Any]], objective: str, top: int,
                 replicates: int, seed: int, jobs: int) -> pd.DataFrame:
    """Re-run the ``top`` best distinct mixes with ``replicates`` fresh replicates each:
    mean, standard deviation and 95 % t-interval of the objective, means of the rest.

    Rows keep the search's order (``search_rank``); the confirmed means are estimates free of
    the search's selection, so two mixes whose intervals overlap are not told apart."""
    ascending = not OUTCOMES[objective][1]
    ranked = table.sort_values(["objective", "trial"], ascending=[ascending, True])
    chosen = ranked.drop_duplicates(subset=SETTING_COLUMNS).head(top)
    tasks = [{"config": trial_config(base, settings_of[t], replicates, seed), "sample": int(t)}
             for t in chosen["trial"]]
    runs = map_tasks(run_sample, tasks, jobs)
    rows = []
    for rank, row in enumerate(chosen.to_dict(orient="records"), start=1):
        mine = runs[runs["sample"] == row["trial"]]
        values = mine[objective].to_numpy(float)
        mean, sd = float(values.mean()), float(values.std(ddof=1))
        half = _t_half_width(sd, len(values))
        rows.append({"search_rank": rank, "trial": row["trial"],
                     **{k: v for k, v in row.items() if k.startswith(("share_", "spend_"))},
                     **{k: row[k] for k in SETTING_COLUMNS},
                     "objective": objective, "search_value": row["objective"],
                     "mean": mean, "sd": sd, "ci95_low": mean - half, "ci95_high": mean + half,
                     "replicates": len(values), **_means(mine)})
    return pd.DataFrame(rows)


def _means(runs: pd.DataFrame) -> dict[str, float]:
    return {f"mean_{c}": float(runs[c].mean()) for c in (*OUTCOMES, "cost")}


def _t_half_width(sd: float, n: int) -> float:
    from scipy.stats import t

    return float(t.ppf(0.975, n - 1) * sd / math.sqrt(n))


def _describe(settings: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The settings a mix comes to, as flat ``setting_*`` columns."""
    values = (float(settings["convening"]["budget"]),
              round(float(settings["shared_goals"]["strength"]), 6),
              int(settings["champions"]["per_system"]), len(settings["events"]["schedule"]))
    return dict(zip(SETTING_COLUMNS, values, strict=True))


# ------------------------------------------------------------------------------------------
# the figure


def optimisation_figure(table: pd.DataFrame, best: pd.DataFrame, objective: str,
                        budget: float) -> Figure:
    """Left: each trial's objective and the best so far. Right: what the best mixes spend on
    each lever (after rounding to whole champions and events), with the confirmed mean and
    95 % interval of the objective."""
    import matplotlib.pyplot as plt

    higher = OUTCOMES[objective][1]
    label = OUTCOMES[objective][0]
    fig, (ax_search, ax_mix) = plt.subplots(1, 2, figsize=(11, 4),
                                            gridspec_kw={"width_ratios": [1, 1.3]})
    ordered = table.sort_values("trial")
    running = ordered["objective"].cummax() if higher else ordered["objective"].cummin()
    ax_search.plot(ordered["trial"], ordered["objective"], "o", ms=3, color="0.5",
                   label="trial (mean over replicates)")
    ax_search.step(ordered["trial"], running, where="post", color="C3", label="best so far")
    ax_search.set(xlabel="trial", ylabel=label, title="search")
    ax_search.legend(loc="best", fontsize="small")

    # ranked by the confirmed mean (free of the search's selection), best first
    best = best.sort_values("mean", ascending=not higher, kind="stable").reset_index(drop=True)
    names = [f"{rank}. trial {r.trial} (search #{r.search_rank})"
             for rank, r in enumerate(best.itertuples(), start=1)]
    left = np.zeros(len(best))
    for i, lever in enumerate(MIX):
        width = best[f"spend_{lever}"].to_numpy()
        ax_mix.barh(names, width, left=left, color=f"C{i}", label=lever.replace("_", " "))
        left += width
    ax_mix.axvline(budget, color="black", lw=0.8, ls="--")
    ax_mix.invert_yaxis()
    ax_mix.set(xlabel=f"Spend (£k/yr; budget {budget:g}, dashed)",
               title=f"Best mixes by confirmed mean: {label} [95 % CI]",
               xlim=(0, max(budget, 1) * 1.6))
    ax_mix.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small", ncol=4,
                  frameon=False)
    for y, r in enumerate(best.itertuples()):
        ax_mix.text(max(budget, 1) * 1.02, y,
                    f"{r.mean:.3g} [{r.ci95_low:.3g}, {r.ci95_high:.3g}]", va="center",
                    fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------
# the command


def _check_arguments(trials: int, budget: float, replicates: int, objective: str, top: int,
                     confirm: int, batch: int) -> None:
    if trials < 1:
        raise InputError(f"--trials: must be >= 1 (got {trials})")
    if not (budget >= 0 and math.isfinite(budget)):
        raise InputError(f"--budget: must be a number >= 0 (£k per year; got {budget})")
    if replicates < 1:
        raise InputError(f"--replicates: must be >= 1 (got {replicates})")
    if objective not in OUTCOMES:
        raise InputError(f"--objective: must be one of {', '.join(OUTCOMES)} (got {objective!r})")
    if top < 1:
        raise InputError(f"--top: must be >= 1 (got {top})")
    if confirm < 2:
        raise InputError(f"--confirm: must be >= 2 replicates to estimate spread (got {confirm})")
    if batch < 1:
        raise InputError(f"--batch: must be >= 1 (got {batch})")
