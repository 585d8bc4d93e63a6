"""The scenario page's model: settings -> configs, planned costs, runs, saved scenarios.

A user's settings are a base scenario plus Hydra overrides (``levers.convening.budget=300``,
``levers/events=purposeful``), exactly what they would type after ``pasim``; so the page can
show the equivalent command line and the run is the one the command would make. The matched
baseline is the same overrides minus the levers, composed with ``scenario=baseline``: the
same network, model, seed and replicates, hence the same random draws (common random
numbers) up to where the levers change the world.

Runs go through ``sim.runs.runner.simulate_replicate`` one replicate at a time in a small pool of
worker processes, so the first replicates can be shown while the rest run, and a run can be
cancelled between replicates. Baselines are cached by configuration: a lever change re-runs
only the scenario.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import yaml

from sim.errors import InputError
from sim.runs import results as io
from sim.world.levers import champions, convening, events, shared_goals
from sim.world.levers import data as data_lever
from sim.world.levers.plan import STEPS_PER_YEAR

BUILT_IN = ("baseline", "anhss_2021_22", "recommended")
#: where the app's runs and saved scenarios go (relative to the current directory)
OUTPUT_ROOT = Path("results") / "explore"
#: saved scenarios: ``pasim --config-dir results/explore/scenarios scenario=<name>``
SCENARIO_DIR = OUTPUT_ROOT / "scenarios"
DEFAULT_REPLICATES = 10
#: the launcher's command-line overrides, handed to the app (a JSON list of key=value)
OVERRIDES_ENV = "PASIM_EXPLORE_OVERRIDES"


@dataclass(frozen=True)
class Control:
    """One lever setting the page offers: its override key and the values it may take."""

    key: str  # a dotted key, or a config group (``levers/events``) chosen by option name
    label: str
    lever: str
    choices: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    integer: bool = False

    @property
    def is_group(self) -> bool:
        return "/" in self.key


def _config_dir() -> Path:
    from sim.runs import config

    return Path(config.CONFIG_DIR)


def event_programmes() -> tuple[str, ...]:
    """The event programmes shipped in ``configs/levers/events/``."""
    return tuple(sorted(p.stem for p in (_config_dir() / "levers" / "events").glob("*.yaml")))


def _lever_control(key: str, label: str, *, reach: float | None = None,
                   step: float = 1.0) -> Control:
    """A control for a lever key: its choices, bounds and whether it is an integer come from
    the lever's schema (``SCHEMA``), so the page offers what the check accepts; ``reach`` is
    how far the slider goes where the schema has no upper bound (a budget)."""
    from sim.engine import schema
    from sim.world.levers import MODULES

    _, lever, name = key.split(".")
    spec = MODULES[lever].SCHEMA.model_fields[name]
    options = schema.choices(spec)
    if options:
        return Control(key, label, lever, choices=tuple(options))
    low, high = schema.bounds(spec)
    return Control(key, label, lever, low=0.0 if low is None else low,
                   high=reach if high is None else high, step=step,
                   integer=schema.is_integer(spec))


def controls() -> list[Control]:
    """The levers' settings a strategist changes (the issue's list), cheapest first."""
    return [
        _lever_control("levers.convening.strategy", "Convening strategy"),
        _lever_control("levers.convening.budget", "Convening budget (£k a year)", reach=1000,
                       step=10),
        _lever_control("levers.convening.width", "Bridge width (ties per bridge)", reach=9),
        _lever_control("levers.champions.per_system", "Champions per ICS", reach=5),
        _lever_control("levers.champions.placement", "Champion placement"),
        _lever_control("levers.shared_goals.strength", "Shared goal strength", step=0.05),
        _lever_control("levers.shared_goals.scope", "Shared goal scope"),
        Control("levers/events", "Events programme", "events", choices=event_programmes()),
        _lever_control("levers.data.share", "Share of organisations with data", step=0.05),
    ]


# ------------------------------------------------------------------------------------------
# settings -> configs


@dataclass
class Settings:
    """What the page's controls hold: a base scenario, lever overrides and run size."""

    scenario: str = "recommended"  # a built-in name or the path of a user's scenario file
    levers: dict[str, Any] = field(default_factory=dict)  # control key -> value
    replicates: int = DEFAULT_REPLICATES
    seed: int = 1
    extra: tuple[str, ...] = ()  # other overrides (network, steps ...), shared with baseline

    def run_overrides(self) -> list[str]:
        return [*self.extra, f"replicates={self.replicates}", f"seed={self.seed}"]

    def lever_overrides(self) -> list[str]:
        return [f"{key}={_override_value(value)}" for key, value in self.levers.items()]


def initial_settings() -> Settings:
    """The page's first settings: the launcher's overrides (``replicates=`` and ``seed=``
    set those controls; the rest are shared by scenario and baseline)."""
    import json

    overrides = json.loads(os.environ.get(OVERRIDES_ENV, "[]"))
    settings = Settings()
    extra = []
    for override in overrides:
        key, _, value = override.partition("=")
        if key in ("replicates", "seed"):
            if not value.isdigit():
                raise InputError(f"{key}: must be a non-negative integer (got {value!r})")
            setattr(settings, key, int(value))
        else:
            extra.append(override)
    settings.extra = tuple(extra)
    return settings


def _override_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def compose_scenario(scenario: str, overrides: Sequence[str]) -> dict[str, Any]:
    """The validated config of a built-in scenario or a user's file, with overrides.

    Hydra finds a scenario only inside a ``scenario/`` folder of its search path, so a
    user's file is composed from a copy in a temporary one.
    """
    from sim.analysis.compare import compose
    from sim.runs.config import validate

    if scenario in BUILT_IN:
        return validate(compose(scenario, list(overrides)))
    source = Path(scenario).expanduser()
    if not source.is_file():
        raise InputError(f"scenario: no such scenario file {str(source)!r}")
    with tempfile.TemporaryDirectory(prefix="pasim-explore-") as root:
        (Path(root) / "scenario").mkdir()
        shutil.copyfile(source, Path(root) / "scenario" / f"{source.stem}.yaml")
        return validate(compose(source.stem, [f"hydra.searchpath=[file://{root}]",
                                              *overrides]))


def _group_overrides(settings: Settings) -> list[str]:
    return [o for o in settings.lever_overrides() if "/" in o.split("=", 1)[0]]


def _composed(scenario: str, overrides: tuple[str, ...]) -> dict[str, Any]:
    """Composed once per scenario, overrides and (for a user's file) its modification time,
    so an edited file is read again."""
    stamp = None if scenario in BUILT_IN else _modified(scenario)
    return _composed_cached(scenario, overrides, stamp)


def _modified(path: str) -> float | None:
    try:
        return Path(path).expanduser().stat().st_mtime
    except OSError:
        return None


@functools.lru_cache(maxsize=64)
def _composed_cached(scenario: str, overrides: tuple[str, ...], stamp: float | None
                     ) -> dict[str, Any]:
    return compose_scenario(scenario, overrides)


def scenario_config(settings: Settings) -> dict[str, Any]:
    """The run's config: what ``pasim`` composes from ``command_line(settings)``.

    Hydra composes the scenario with the group choices (events programme) once per
    combination; the scalar lever settings are then set on a copy and validated, which is
    what a ``key=value`` override does, without paying a compose (~0.4 s) per slider move.
    """
    from sim.runs.config import validate

    config = copy.deepcopy(_composed(settings.scenario, (*settings.run_overrides(),
                                                         *_group_overrides(settings))))
    for key, value in settings.levers.items():
        if "/" not in key:
            _set(config, key, value)
    return validate(config)


def _set(config: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = config
    for part in parents:
        node = node[part]
    if leaf not in node:
        raise InputError(f"{dotted}: not a key of this scenario's config")
    node[leaf] = value


def baseline_config(settings: Settings) -> dict[str, Any]:
    """The matched baseline: the same network, model, seed and replicates, no levers."""
    return copy.deepcopy(_composed("baseline", tuple(settings.run_overrides())))


def lever_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """What each control shows for a composed config (the events control: the shipped
    programme with the same schedule, or ``custom``)."""
    values: dict[str, Any] = {}
    for control in controls():
        if control.is_group:
            values[control.key] = events_programme(config["levers"]["events"])
            continue
        node: Any = config
        for part in control.key.split("."):
            node = node[part]
        values[control.key] = node
    return values


def events_programme(settings: Mapping[str, Any]) -> str:
    schedule = [events.check_event(e, "e", None) for e in settings.get("schedule", [])]
    for name in event_programmes():
        path = _config_dir() / "levers" / "events" / f"{name}.yaml"
        shipped = yaml.safe_load(path.read_text()).get("schedule") or []
        if [events.check_event(e, "e", None) for e in shipped] == schedule:
            return name
    return "custom"


def command_line(settings: Settings) -> str:
    """The ``pasim`` command that runs the same scenario (one job; ``pasim-compare`` takes
    the same overrides)."""
    if settings.scenario in BUILT_IN:
        head = [f"scenario={settings.scenario}"]
    else:
        source = Path(settings.scenario)
        head = [f"--config-dir {source.parent.parent}" if source.parent.name == "scenario"
                else f"hydra.searchpath=[file://{source.parent.resolve()}]",
                f"scenario={source.stem}"]
    return " ".join(["pasim", *head, *settings.lever_overrides(), *settings.run_overrides()])


# ------------------------------------------------------------------------------------------
# planned costs: what the levers' own cost models charge over the run (£k)


def running_costs(annual: Mapping[str, float], steps: int | None) -> dict[str, float]:
    """What each lever's yearly running cost adds up to over the run, charged by the plan's
    own rule (``Plan.yearly_charges``) on a stand-in for the model, step by step."""
    from sim.world.levers.plan import Plan

    ledger = SimpleNamespace(annual_costs={k: v for k, v in annual.items() if v > 0},
                             costs=dict.fromkeys(annual, 0.0))
    ledger.charge = lambda model, lever, amount: Plan.charge(ledger, model, lever, amount)
    charge = Plan.yearly_charges(ledger)
    model = SimpleNamespace(steps=0, add_cost=lambda amount: None)
    for step in range(1, (STEPS_PER_YEAR if steps is None else int(steps)) + 1):
        model.steps = step  # what an intervention sees during step `step` (1-based)
        if charge is not None:
            charge(model)
    return ledger.costs


def _convening_shape(s: Mapping[str, Any]) -> tuple[int, int]:
    """(bridges a year, ties per bridge) as the convening lever computes them."""
    return (convening.bridges_per_year(s), convening.bridge_ties(convening.bridge_width(s)))


def bridges_built(per_year: int, rounds: int, steps: int | None) -> int:
    """Bridges a convenor has built by the end of the run: a year's bridges are spread over
    its ``rounds`` (as ``sim.world.levers.convening.Convenor`` does), so a part year builds part."""
    steps = STEPS_PER_YEAR if steps is None else int(steps)
    full, weeks = divmod(steps, STEPS_PER_YEAR)
    return full * per_year + per_year * (weeks * rounds // STEPS_PER_YEAR) // rounds


def planned_costs(config: Mapping[str, Any], n_systems: int, n_organisations: int
                  ) -> dict[str, float]:
    """Each lever's cost over the run as its module charges it (£k), before running.

    ``n_systems``/``n_organisations``: the network's ICSs and organisations (champions are
    per ICS, data capability per organisation).
    """
    levers = config.get("levers") or {}
    conv = convening.check(levers.get("convening"))
    if conv["strategy"] == "none" or conv["budget"] == 0.0:
        convening_cost = 0.0
    else:
        bridges, ties = _convening_shape(conv)
        built = bridges_built(bridges, conv["rounds_per_year"], config.get("steps"))
        convening_cost = built * ties * conv["cost_per_tie"]
    champ = champions.check(levers.get("champions"))
    goal = shared_goals.check(levers.get("shared_goals"))
    data = data_lever.check(levers.get("data"))
    steps = config.get("steps")
    schedule = [events.check_event(e, "e", steps)
                for e in (levers.get("events") or {}).get("schedule", [])]
    running = running_costs({
        "champions": champ["per_system"] * n_systems * champ["cost_per_champion_year"],
        "shared_goals": goal["cost_per_year"] if goal["strength"] > 0 else 0.0,
        "data": round(data["share"] * n_organisations) * data["cost_per_org_year"],
    }, steps)
    return {"convening": convening_cost, "champions": running["champions"],
            "shared_goals": running["shared_goals"],
            "events": float(sum(e["cost"] for e in schedule)), "data": running["data"]}


@dataclass(frozen=True)
class NetworkInfo:
    """What the page needs to know of a config's network: sizes the costs scale with, and
    each ICS's region (the ICS chart groups by it)."""

    systems: int
    organisations: int
    region_of: dict[str, str]


_NETWORKS: dict[str, NetworkInfo] = {}


def network_info(config: Mapping[str, Any]) -> NetworkInfo:
    """The ICSs, organisations and regions of the config's network, from one built copy."""
    import json

    from sim.runs.runner import replicate_network

    key = json.dumps(config["network"], sort_keys=True, default=str)
    if key not in _NETWORKS:
        network = replicate_network(config, 0, {})
        nodes = network.nodes
        # the champions lever's own notion of an ICS (it places per_system in each)
        systems = len(champions.systems(SimpleNamespace(network=network, n=network.n)))
        orgs = (int((nodes["agent_type"] == "Organisation").sum()) if "agent_type" in nodes
                else len(nodes))
        region_of = {}
        if {"system", "region"} <= set(nodes.columns):
            pairs = nodes[["system", "region"]].astype(str).drop_duplicates("system")
            region_of = dict(zip(pairs["system"], pairs["region"], strict=True))
        _NETWORKS[key] = NetworkInfo(systems, orgs, region_of)
    return _NETWORKS[key]


def planned_total(config: Mapping[str, Any]) -> dict[str, float]:
    info = network_info(config)
    return planned_costs(config, info.systems, info.organisations)


# ------------------------------------------------------------------------------------------
# saving a scenario


def scenario_yaml(settings: Settings, config: Mapping[str, Any], title: str) -> str:
    """A scenario file ``pasim scenario=<name>`` composes to the same levers: every lever's
    full settings (so it does not depend on which option files exist), plus whatever else a
    user's own base scenario set."""
    body: dict[str, Any] = {}
    defaults: list[Any] = []
    if settings.scenario not in BUILT_IN:
        own = yaml.safe_load(Path(settings.scenario).read_text()) or {}
        defaults = [d for d in own.get("defaults", [])
                    if not (isinstance(d, dict) and any("levers" in str(k) for k in d))]
        body.update({k: v for k, v in own.items() if k not in ("defaults", "levers")})
    body["title"] = title
    body["levers"] = {name: dict(value) for name, value in config["levers"].items()}
    head = ("# @package _global_\n"
            f"# Saved from pasim-explore ({settings.scenario} with: "
            f"{' '.join(settings.lever_overrides()) or 'no changes'}).\n"
            f"#   {command_line_for_saved(title_to_name(title))}\n")
    text = yaml.safe_dump({"defaults": defaults, **body} if defaults else body,
                          sort_keys=False, allow_unicode=True)
    return head + text


def title_to_name(title: str) -> str:
    """A file name from a title: lower case letters, digits and underscores."""
    name = "".join(c if c.isalnum() else "_" for c in title.strip().lower()).strip("_")
    return "_".join(part for part in name.split("_") if part) or "my_scenario"


def command_line_for_saved(name: str, replicates: int | None = None) -> str:
    reps = f" replicates={replicates}" if replicates else ""
    return f"pasim --config-dir {SCENARIO_DIR} scenario={name}{reps}"


def save_scenario(settings: Settings, title: str, root: Path | None = None) -> Path:
    """Write the settings as ``<root>/scenario/<name>.yaml`` (root: results/explore/scenarios)."""
    config = scenario_config(settings)
    name = title_to_name(title)
    path = (root or SCENARIO_DIR) / "scenario" / f"{name}.yaml"
    io.write_text(path, scenario_yaml(settings, config, title))
    return path


# ------------------------------------------------------------------------------------------
# running: replicates in worker processes, baselines cached


def _warm() -> int:
    """Run in each worker at start: the imports a replicate needs (a few seconds, paid once)."""
    import sim.runs.runner  # noqa: F401

    return os.getpid()


_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, int(os.environ.get("PASIM_EXPLORE_WORKERS", "2"))))


def pool() -> ProcessPoolExecutor:
    """The app's worker processes (started once, warmed with the model's imports)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(max_workers=workers())
            for f in [_POOL.submit(_warm) for _ in range(workers())]:
                f.result()
    return _POOL


def _replicate(config: dict[str, Any], replicate: int):
    from sim.runs.runner import simulate_replicate

    return simulate_replicate(config, replicate)


@dataclass
class Progress:
    """What a run has so far: finished replicates of each side, in replicate order."""

    replicates: int
    scenario: dict[int, Any] = field(default_factory=dict)
    baseline: dict[int, Any] = field(default_factory=dict)
    cancelled: bool = False
    out_dir: Path | None = None
    error: str | None = None

    @property
    def paired(self) -> list[int]:
        return sorted(set(self.scenario) & set(self.baseline))

    @property
    def done(self) -> bool:
        return len(self.paired) == self.replicates


#: baseline replicates by configuration: futures, so a baseline started while the page
#: loads (``prepare``) is not run twice when the first Run comes before it has finished
_BASELINES: dict[str, dict[int, Future]] = {}


def _fingerprint(config: Mapping[str, Any]) -> str:
    from sim.runs.runner import config_fingerprint

    return config_fingerprint({k: v for k, v in config.items() if k != "replicates"})


def baseline_futures(config: dict[str, Any]) -> dict[int, Future]:
    """Every baseline replicate of ``config``: cached, or submitted now."""
    executor = pool()
    with _POOL_LOCK:
        cached = _BASELINES.setdefault(_fingerprint(config), {})
        for r in range(int(config["replicates"])):
            if r not in cached or cached[r].cancelled() or (cached[r].done()
                                                            and cached[r].exception()):
                cached[r] = executor.submit(_replicate, config, r)
        return {r: cached[r] for r in range(int(config["replicates"]))}


def prepare(settings: Settings) -> None:
    """Start the workers and the first settings' baseline while the page is being read."""
    with contextlib.suppress(InputError):  # the page shows the error
        baseline_futures(baseline_config(settings))


def run(scenario_cfg: dict[str, Any], baseline_cfg: dict[str, Any],
        on_progress: Callable[[Progress], None], cancel: threading.Event,
        label: str = "scenario", write: bool = True) -> Progress:
    """Run every replicate of the scenario (the baseline's from the cache when known),
    calling ``on_progress`` after each; on ``cancel`` stop and drop what has not started."""
    n = int(scenario_cfg["replicates"])
    progress = Progress(replicates=n)
    executor = pool()
    futures: dict[Future, tuple[str, int]] = {
        f: ("baseline", r) for r, f in baseline_futures(baseline_cfg).items()}
    for r in range(n):
        futures[executor.submit(_replicate, scenario_cfg, r)] = ("scenario", r)
    on_progress(progress)
    for future in as_completed(futures):
        if cancel.is_set():
            for f, (side, _) in futures.items():
                if side == "scenario":  # baseline replicates stay cached for the next run
                    f.cancel()
            progress.cancelled = True
            on_progress(progress)
            break
        side, r = futures[future]
        getattr(progress, side)[r] = future.result()
        on_progress(progress)
    if progress.done and write:
        progress.out_dir = write_runs(scenario_cfg, baseline_cfg, progress, label)
        on_progress(progress)
    return progress


def write_runs(scenario_cfg: dict[str, Any], baseline_cfg: dict[str, Any], progress: Progress,
               label: str) -> Path:
    """Both sides as CLI run directories (config, tables, figure, summary) under
    ``results/explore/<time>/``."""
    from sim.runs.runner import combine, config_fingerprint, write_result

    out = OUTPUT_ROOT / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    for name, cfg, reps in (("baseline", baseline_cfg, progress.baseline),
                            (title_to_name(label), scenario_cfg, progress.scenario)):
        result = combine(cfg, [reps[r] for r in range(progress.replicates)],
                         sum(reps[r].summary["runtime_s"] for r in range(progress.replicates)))
        result.extra["fingerprint"] = config_fingerprint(cfg)
        write_result(result, out / name, figure=bool(cfg.get("figure", True)))
    return out


def summaries(progress: Progress, label: str = "scenario") -> pd.DataFrame:
    """Paired replicates' summaries, baseline first (what ``sim.analysis.compare`` tables take)."""
    rows = []
    for name, side in (("baseline", progress.baseline), (label, progress.scenario)):
        rows += [{**side[r].summary, "scenario": name} for r in progress.paired]
    return pd.DataFrame(rows)


def frames(progress: Progress, attr: str) -> dict[str, pd.DataFrame]:
    """``timeseries`` or ``groups`` of the paired replicates, per side."""
    out = {}
    for name, side in (("baseline", progress.baseline), ("scenario", progress.scenario)):
        parts = [getattr(side[r], attr) for r in progress.paired]
        out[name] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out
