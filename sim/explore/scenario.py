"""The scenario page's model: settings -> configs, planned costs, runs, saved scenarios.

A user's settings are a base scenario plus Hydra overrides (``levers.convening.budget=300``,
``levers/events=purposeful``), exactly what they would type after ``pasim``; so the page can
show the equivalent command line and the run is the one the command would make. The matched
baseline is the same overrides minus the levers, composed with ``scenario=baseline``: the
same network, model, seed and replicates, hence the same random draws (common random
numbers) up to where the levers change the world.

Runs go through ``sim.runner.simulate_replicate`` one replicate at a time in a small pool of
worker processes, so the first replicates can be shown while the rest run, and a run can be
cancelled between replicates. Baselines are cached by configuration: a lever change re-runs
only the scenario.
"""

from __future__ import annotations

import copy
import functools
import math
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

from sim import results as io
from sim.errors import InputError
from sim.levers import champions, convening, events, shared_goals
from sim.levers import data as data_lever
from sim.levers.plan import STEPS_PER_YEAR, year_starts

BUILT_IN = ("baseline", "anhss_2021_22", "recommended")
#: where the app's runs and saved scenarios go (relative to the current directory)
OUTPUT_ROOT = Path("results") / "explore"
#: saved scenarios: ``pasim --config-dir results/explore/scenarios scenario=<name>``
SCENARIO_DIR = OUTPUT_ROOT / "scenarios"
DEFAULT_REPLICATES = 10


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
    from sim import config

    return Path(config.CONFIG_DIR)


def event_programmes() -> tuple[str, ...]:
    """The event programmes shipped in ``configs/levers/events/``."""
    return tuple(sorted(p.stem for p in (_config_dir() / "levers" / "events").glob("*.yaml")))


def controls() -> list[Control]:
    """The levers' settings a strategist changes (the issue's list), cheapest first."""
    return [
        Control("levers.convening.strategy", "Convening strategy", "convening",
                choices=convening.STRATEGIES),
        Control("levers.convening.budget", "Convening budget (£k a year)", "convening",
                low=0, high=1000, step=10),
        Control("levers.convening.width", "Bridge width (ties per bridge)", "convening",
                low=1, high=9, step=1, integer=True),
        Control("levers.champions.per_system", "Champions per ICS", "champions",
                low=0, high=5, step=1, integer=True),
        Control("levers.champions.placement", "Champion placement", "champions",
                choices=champions.PLACEMENTS),
        Control("levers.shared_goals.strength", "Shared goal strength", "shared_goals",
                low=0, high=1, step=0.05),
        Control("levers.shared_goals.scope", "Shared goal scope", "shared_goals",
                choices=tuple(shared_goals.SCOPES)),
        Control("levers/events", "Events programme", "events", choices=event_programmes()),
        Control("levers.data.share", "Share of organisations with data", "data",
                low=0, high=1, step=0.05),
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


def _override_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


def _user_scenario(path: str) -> tuple[str, list[str]]:
    """A user's scenario file as (scenario name, search-path override): Hydra finds a
    scenario only inside a ``scenario/`` folder, so the file is copied into a fresh one."""
    source = Path(path).expanduser()
    if not source.is_file():
        raise InputError(f"scenario: no such scenario file {str(source)!r}")
    root = Path(tempfile.mkdtemp(prefix="pasim-explore-"))
    (root / "scenario").mkdir()
    shutil.copyfile(source, root / "scenario" / f"{source.stem}.yaml")
    return source.stem, [f"hydra.searchpath=[file://{root}]"]


def compose_scenario(scenario: str, overrides: Sequence[str]) -> dict[str, Any]:
    """The validated config of a built-in scenario or a user's file, with overrides."""
    from sim.compare import compose
    from sim.config import validate

    if scenario in BUILT_IN:
        return validate(compose(scenario, list(overrides)))
    name, search = _user_scenario(scenario)
    return validate(compose(name, [*search, *overrides]))


def _group_overrides(settings: Settings) -> list[str]:
    return [o for o in settings.lever_overrides() if "/" in o.split("=", 1)[0]]


@functools.lru_cache(maxsize=64)
def _composed(scenario: str, overrides: tuple[str, ...]) -> dict[str, Any]:
    return compose_scenario(scenario, overrides)


def scenario_config(settings: Settings) -> dict[str, Any]:
    """The run's config: what ``pasim`` composes from ``command_line(settings)``.

    Hydra composes the scenario with the group choices (events programme) once per
    combination; the scalar lever settings are then set on a copy and validated, which is
    what a ``key=value`` override does, without paying a compose (~0.4 s) per slider move.
    """
    from sim.config import validate

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


def years_charged(steps: int | None) -> int:
    """Years whose start falls inside the run (running costs are charged then)."""
    steps = STEPS_PER_YEAR if steps is None else int(steps)
    return sum(1 for step in range(1, steps + 1) if year_starts(step))


def bridges_built(per_year: int, rounds: int, steps: int | None) -> int:
    """Bridges a convenor has built by the end of the run: a year's bridges are spread over
    its ``rounds`` (as ``sim.levers.convening.Convenor`` does), so a part year builds part."""
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
    years = years_charged(config.get("steps"))
    conv = convening.check(levers.get("convening"))
    if conv["strategy"] == "none" or conv["budget"] == 0.0:
        convening_cost = 0.0
    else:
        width = 1 if conv["strategy"] == "random" else conv["width"]
        bridges = int(math.floor(conv["budget"] / conv["cost_per_tie"] + 1e-9)) // width
        built = bridges_built(bridges, conv["rounds_per_year"], config.get("steps"))
        convening_cost = built * width * conv["cost_per_tie"]
    champ = champions.check(levers.get("champions"))
    goal = shared_goals.check(levers.get("shared_goals"))
    data = data_lever.check(levers.get("data"))
    steps = config.get("steps")
    schedule = [events.check_event(e, "e", steps)
                for e in (levers.get("events") or {}).get("schedule", [])]
    return {
        "convening": convening_cost,
        "champions": champ["per_system"] * n_systems * champ["cost_per_champion_year"] * years,
        "shared_goals": goal["cost_per_year"] * years if goal["strength"] > 0 else 0.0,
        "events": float(sum(e["cost"] for e in schedule)),
        "data": round(data["share"] * n_organisations) * data["cost_per_org_year"] * years,
    }


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

    from sim.runner import replicate_network

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
    import sim.runner  # noqa: F401

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
    from sim.runner import simulate_replicate

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


_BASELINES: dict[str, dict[int, Any]] = {}


def _fingerprint(config: Mapping[str, Any]) -> str:
    from sim.runner import config_fingerprint

    return config_fingerprint({k: v for k, v in config.items() if k != "replicates"})


def run(scenario_cfg: dict[str, Any], baseline_cfg: dict[str, Any],
        on_progress: Callable[[Progress], None], cancel: threading.Event,
        label: str = "scenario", write: bool = True) -> Progress:
    """Run every replicate of both sides (baseline replicates from the cache when known),
    calling ``on_progress`` after each; stop submitting when ``cancel`` is set."""
    n = int(scenario_cfg["replicates"])
    progress = Progress(replicates=n)
    cached = _BASELINES.setdefault(_fingerprint(baseline_cfg), {})
    progress.baseline.update({r: cached[r] for r in range(n) if r in cached})
    executor = pool()
    futures: dict[Future, tuple[str, int]] = {}
    for r in range(n):  # interleaved so that replicate pairs finish in order
        futures[executor.submit(_replicate, scenario_cfg, r)] = ("scenario", r)
        if r not in progress.baseline:
            futures[executor.submit(_replicate, baseline_cfg, r)] = ("baseline", r)
    on_progress(progress)
    for future in as_completed(futures):
        if cancel.is_set():
            for f in futures:
                f.cancel()
            progress.cancelled = True
            on_progress(progress)
            break
        side, r = futures[future]
        result = future.result()
        getattr(progress, side)[r] = result
        if side == "baseline":
            cached[r] = result
        on_progress(progress)
    if progress.done and write:
        progress.out_dir = write_runs(scenario_cfg, baseline_cfg, progress, label)
        on_progress(progress)
    return progress


def write_runs(scenario_cfg: dict[str, Any], baseline_cfg: dict[str, Any], progress: Progress,
               label: str) -> Path:
    """Both sides as CLI run directories (config, tables, figure, summary) under
    ``results/explore/<time>/``."""
    from sim.runner import combine, config_fingerprint, write_result

    out = OUTPUT_ROOT / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    for name, cfg, reps in (("baseline", baseline_cfg, progress.baseline),
                            (title_to_name(label), scenario_cfg, progress.scenario)):
        result = combine(cfg, [reps[r] for r in range(progress.replicates)],
                         sum(reps[r].summary["runtime_s"] for r in range(progress.replicates)))
        result.extra["fingerprint"] = config_fingerprint(cfg)
        write_result(result, out / name, figure=bool(cfg.get("figure", True)))
    return out


def summaries(progress: Progress, label: str = "scenario") -> pd.DataFrame:
    """Paired replicates' summaries, baseline first (what ``sim.compare`` tables take)."""
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
