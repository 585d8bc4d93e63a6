"""Checking a run's configuration before anything runs or is written.

A mistake in a config should cost the user one line, not a traceback ten minutes into a sweep
or a half-written results directory. Checks come in three layers, cheapest first:

1. ``validate(cfg)``: the schema (``sim.runs.schema``, composed of the schema each layer
   declares for its keys) gives types, ranges, allowed names and unknown keys; then the
   cross-field rules (``CROSS_RULES``: bridge width <= cluster size, seeds <= nodes, and the
   levers' and mechanisms' own checks, events inside the horizon among them). Pure: no I/O,
   no network built. ``sim.runs.runner.simulate`` calls it first.
2. ``check_buildable(cfg)``: builds the first replicate's network and model without running a
   step, so the generators', loaders' and levers' own checks run before anything is written.
   A file network is always loaded (its content is what needs checking); a synthetic one only
   when small enough to be cheap.
3. ``check_command_line(args)``: what ``pasim`` does before Hydra starts: composes the config
   of every job of the command (every combination of a ``-m`` sweep) and runs 1 and 2 on each,
   turning Hydra's and OmegaConf's own errors (unknown group option, unknown key, missing
   ``???`` value, override syntax, interpolation) into the same one-line ``InputError``.

Every message starts with the dotted key, then what is allowed and the bad value:
``model.noise: must be a number in [0, 1] (a probability) (got 1.5)``.

Extending: a new config key is declared in the schema of the layer that reads it (a field of
its ``sim.engine.schema.Group``; ``docs/config_reference.md`` is generated from them); a rule
that relates several keys is a function ``f(cfg)`` decorated with ``@cross_rule``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.runs import schema
from sim.world import liveness

#: the package the build installs the repository's ``configs/`` folder as (setup.py)
CONFIG_PACKAGE = "sim.conf"


def _shipped_configs() -> tuple[str, Path]:
    """The shipped configs as Hydra's ``config_path`` (``pkg://...`` or a folder) and as a folder.

    Installed from a wheel or an sdist they are the package ``sim.conf`` (``pkg://sim.conf``).
    In a source checkout (editable install, or ``PYTHONPATH`` at the repository) the
    repository's own ``configs/`` beside ``sim/`` is the same folder, and it wins: code run
    from a checkout must read that checkout's configs, not those of another installed copy.
    """
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "configs" / "__init__.py").is_file():
        return str(checkout / "configs"), checkout / "configs"
    from importlib.resources import files

    return f"pkg://{CONFIG_PACKAGE}", Path(str(files(CONFIG_PACKAGE)))


#: where Hydra finds the primary config ``config.yaml`` and every config group
CONFIG_SOURCE, CONFIG_DIR = _shipped_configs()

REQUIRED_GROUPS = ("network", "model")

#: Hydra's marker for a value the user must give (``network.path: ???``)
MISSING = "???"

#: synthetic networks up to this many nodes are built by ``check_buildable`` (a file always is)
PREFLIGHT_MAX_NODES = 200_000


# ------------------------------------------------------------------------------------------
# single keys: the schema (sim.runs.schema)


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


CrossRule = Callable[[Mapping[str, Any]], None]

#: rules relating several keys, run in order after every single-key check has passed
CROSS_RULES: list[CrossRule] = []


def cross_rule(func: CrossRule) -> CrossRule:
    """Register ``func(cfg)`` (raising ``InputError``) as a cross-field rule."""
    CROSS_RULES.append(func)
    return func


_ABSENT = object()


def lookup(cfg: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted key, or ``_ABSENT``."""
    node: Any = cfg
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _missing_values(node: Any, path: str = "") -> Iterator[str]:
    """Dotted keys holding Hydra's ``???`` (a value the user was meant to give)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _missing_values(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from _missing_values(value, f"{path}[{i}]")
    elif isinstance(node, str) and node == MISSING:
        yield path


def validate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Return ``cfg`` unchanged if it is valid, else raise ``InputError`` (one line)."""
    if not isinstance(cfg, Mapping):
        raise InputError(f"config: must be a mapping of keys to values (got {cfg!r})")
    missing = next(_missing_values(cfg), None)
    if missing is not None:
        raise InputError(f"{missing}: required but not set ({MISSING}); give it, "
                         f"e.g. {missing}=<value>")
    for group in REQUIRED_GROUPS:
        if not isinstance(cfg.get(group), Mapping):
            raise InputError(f"{group}: missing config group; choose one, e.g. {group}=<name>")
    schema.check(cfg, groups_elsewhere=_group_folders())
    for rule in CROSS_RULES:
        rule(cfg)
    return cfg


# ------------------------------------------------------------------------------------------
# cross-field rules


def node_count(cfg: Mapping[str, Any]) -> int | None:
    """Nodes of a synthetic network from its parameters (None when only building tells)."""
    net = cfg["network"]
    if net["name"] in ("ring_lattice", "small_world", "random"):
        return net.get("n")
    if net["name"] == "clustered" and "clusters" in net and "size" in net:
        return net["clusters"] * net["size"]
    return None


def _integer_labels(cfg: Mapping[str, Any]) -> bool:
    """Synthetic networks label their nodes 0..n-1."""
    return node_count(cfg) is not None


def _group_folders() -> tuple[str, ...]:
    """Config group folders of the shipped configs (``experiment``, ``calibration`` ...):
    top-level keys that their own code checks, known without a second list."""
    folder = Path(CONFIG_DIR)
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "hydra"))


@cross_rule
def _ring_degree(cfg: Mapping[str, Any]) -> None:
    net = cfg["network"]
    if net["name"] in ("ring_lattice", "small_world") and "n" in net and "k" in net:
        n, k = net["n"], net["k"]
        if k % 2 or k >= n:
            raise InputError(f"network.k: must be an even integer from 2 to n-1 = {n - 1} "
                             f"(got {k!r})")


@cross_rule
def _random_degree(cfg: Mapping[str, Any]) -> None:
    net = cfg["network"]
    if net["name"] == "random" and "n" in net and net.get("mean_degree", 0) > net["n"] - 1:
        raise InputError(f"network.mean_degree: must be at most n-1 = {net['n'] - 1} "
                         f"(got {net['mean_degree']!r})")


@cross_rule
def _bridge_width(cfg: Mapping[str, Any]) -> None:
    """A bridge of width w uses w distinct nodes on each side; on a ring of more than two
    clusters a cluster's outgoing and incoming bridges must not share nodes."""
    net = cfg["network"]
    if net["name"] != "clustered" or "width" not in net or "size" not in net:
        return
    width, size = net["width"], net["size"]
    if width > size:
        raise InputError(f"network.width: must be at most network.size = {size} "
                         f"(got {width!r})")
    if net.get("layout", "ring") == "ring" and net.get("clusters", 1) > 2 and 2 * width > size:
        raise InputError(f"network.width: must be at most network.size/2 = {size // 2} on a "
                         f"ring of {net['clusters']} clusters (got {width!r})")


@cross_rule
def _threshold(cfg: Mapping[str, Any]) -> None:
    """The threshold's shape and range, by the rules the model itself applies."""
    import numpy as np

    from sim.engine.thresholds import draw_thresholds

    model = cfg["model"]
    spec = model["threshold"]
    kind = model.get("threshold_kind", "count")
    if isinstance(spec, bool | str):
        raise InputError("model.threshold: must be a number, a per-node list or a "
                         f"distribution {{dist: ..., ...}} (got {spec!r})")
    if isinstance(spec, list | tuple):
        n = node_count(cfg)
        if n is not None and len(spec) != n:
            raise InputError(f"model.threshold: a per-node list needs one value per node ({n}),"
                             f" got {len(spec)}")
        if not all(_is_number(x) for x in spec):
            raise InputError(f"model.threshold: every per-node value must be a number "
                             f"(got {spec!r})")
        size = len(spec)
    else:
        size = 0 if isinstance(spec, Mapping) else 1  # a distribution: check its parameters
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key != "dist" and not _is_number(value) and value is not None:
                raise InputError(f"model.threshold.{key}: must be a number (got {value!r})")
    try:
        draw_thresholds(spec, size, kind, np.random.default_rng(0))
    except InputError:
        raise
    except (TypeError, ValueError) as err:  # numpy rejecting a distribution's parameters
        detail = " ".join(str(err).split())
        raise InputError(f"model.threshold: distribution parameters rejected ({detail}); "
                         f"got {dict(spec) if isinstance(spec, Mapping) else spec!r}") from None


@cross_rule
def _seeding(cfg: Mapping[str, Any]) -> None:
    """No more initial adopters than nodes, each listed once (the schema checked the rest)."""
    seeding = cfg.get("seeding")
    if seeding is None:
        return
    strategy = seeding.get("strategy", "none")
    n = node_count(cfg)
    if strategy in ("random", "degree"):
        if n is not None and seeding["k"] > n:
            raise InputError(f"seeding.k: must be an integer from 0 to the network's {n} nodes "
                             f"(got {seeding['k']!r})")
    elif strategy == "nodes":
        nodes = seeding["nodes"]
        _no_repeats("seeding.nodes", nodes)
        if n is not None and len(nodes) > n:
            raise InputError(f"seeding.nodes: {len(nodes)} initial adopters but the network "
                             f"has only {n} nodes")
        if _integer_labels(cfg):
            for i, node in enumerate(nodes):
                _node_index(f"seeding.nodes[{i}]", node, n)
    elif strategy == "neighbourhood" and seeding.get("node") is not None and _integer_labels(cfg):
        _node_index("seeding.node", seeding["node"], n)


def _node_index(key: str, value: Any, n: int) -> None:
    """A node of a synthetic network, whose labels are 0..n-1."""
    if not (_is_int(value) and 0 <= value < n):
        raise InputError(f"{key}: must be an integer from 0 to {n - 1} (got {value!r})")


def _no_repeats(key: str, values: Sequence[Any]) -> None:
    """A list of distinct items (a repeat is a typo; silently dropping it hides one)."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        ident = json.dumps(value, sort_keys=True, default=str)
        if ident in seen:
            raise InputError(f"{key}[{i}]: {value!r} is listed twice; list each node once")
        seen.add(ident)


def check_events_fit(cfg: Mapping[str, Any], n: int) -> None:
    """No event seats more people than the network holds (``n`` agents)."""
    levers = cfg.get("levers") or {}
    events = levers.get("events") if isinstance(levers, Mapping) else None
    schedule = events.get("schedule") if isinstance(events, Mapping) else None
    for i, event in enumerate(schedule or []):
        size = event.get("size") if isinstance(event, Mapping) else None
        if _is_int(size) and size > n:
            raise InputError(f"levers.events.schedule[{i}].size: must be at most the {n} "
                             f"agents of the network (got {size})")


@cross_rule
def _events_inside_network(cfg: Mapping[str, Any]) -> None:
    n = node_count(cfg)
    if _is_int(n):
        check_events_fit(cfg, n)


@cross_rule
def _fits_in_memory(cfg: Mapping[str, Any]) -> None:
    """Refuse a network that cannot fit before trying to build it (a MemoryError minutes in,
    or the machine swapping, is worse than one line now)."""
    from sim.runs.resources import available_memory, estimate_network_memory, format_bytes

    estimate = estimate_network_memory(cfg["network"])
    if estimate is None:
        return
    need, keys = estimate
    available = available_memory()
    if available is not None and need > available:
        raise InputError(f"{', '.join(keys)}: this network needs about {format_bytes(need)} "
                         f"of memory, more than the {format_bytes(available)} available on "
                         f"this machine; choose a smaller {keys[0]}")


@cross_rule
def _levers(cfg: Mapping[str, Any]) -> None:
    """Each lever checks its own values (``sim.world.levers``), events against the horizon too;
    the checks that need the network (convening width <= cluster size ...) run when the
    levers are applied, i.e. in ``check_buildable``."""
    if cfg.get("levers") is None:
        return
    from sim.world.levers import check_levers

    check_levers(cfg["levers"], cfg.get("steps"))


@cross_rule
def _mechanisms(cfg: Mapping[str, Any]) -> None:
    """The mechanisms group checks its own values (``sim.world.mechanisms``)."""
    if cfg.get("mechanisms") is None:
        return
    from sim.world.mechanisms import Mechanisms

    Mechanisms.from_config(cfg["mechanisms"])


# ------------------------------------------------------------------------------------------
# layer 2: build what is cheap to build


def _estimated_nodes(cfg: Mapping[str, Any]) -> int | None:
    n = node_count(cfg)
    if n is None and cfg["network"]["name"] == "networkx":
        n = cfg["network"].get("n")
    return n if _is_int(n) else None


def check_buildable(cfg: Mapping[str, Any], cache: dict | None = None) -> None:
    """Validate, then build the first replicate's network and model without running a step.

    The generators, the file loader, the seeding and the levers check their own inputs as
    they build; doing it here means those errors too arrive before a directory is made. A
    synthetic network larger than ``PREFLIGHT_MAX_NODES`` is not built (the schema has
    checked its parameters; the run checks the rest). ``cache`` keeps networks between
    calls (one per distinct network config in a sweep).
    """
    import numpy as np

    from sim.engine.seeding import choose_seeds
    from sim.runs.build import replicate_network, to_dict
    from sim.world.build import build_model

    config = validate(to_dict(cfg))
    n = _estimated_nodes(config)
    if config["network"]["name"] != "file" and n is not None and n > PREFLIGHT_MAX_NODES:
        return
    cache = {} if cache is None else cache
    if config["network"].get("seed", 0) is None:  # any seed will do: build it once per sweep
        config = {**config, "network": {**config["network"], "seed": 0}}
    network = replicate_network(config, 0, cache)
    check_events_fit(config, network.n)
    seeding = config.get("seeding") or {}
    if seeding.get("strategy", "none") != "none":  # named as the config names it
        choose_seeds(network, seeding, np.random.default_rng(0), field="seeding")
    build_model(config, network, 0)


# ------------------------------------------------------------------------------------------
# layer 3: the command line, before Hydra runs anything

#: keys that do not change what a job checks (so sweeps over them need one check)
_UNCHECKED_KEYS = ("seed", "replicates", "title", "figure", "progress", "name")


@dataclass(frozen=True)
class CommandLine:
    """What Hydra reads from ``pasim``'s arguments: the overrides and the flags that matter
    to the pre-flight (read with Hydra's own argument parser, so every flag it knows is
    understood the way it will understand it)."""

    overrides: list[str]
    multirun: bool
    composes: bool  # False for --help, --hydra-help, --version, shell completion
    runs_jobs: bool  # False also for --cfg, --info ...: they compose but run nothing
    config_name: str | None
    config_path: Path | None  # --config-path: replaces pasim's config folder
    config_dir: Path | None  # --config-dir: searched besides it


class _ArgumentError(Exception):
    pass


def parse_command_line(args: Sequence[str]) -> CommandLine:
    """Hydra's reading of ``args``; an unknown flag is an ``InputError`` (one line)."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()

    def error(message: str) -> None:
        raise _ArgumentError(message)

    parser.error = error  # type: ignore[method-assign]
    if "--version" in args:
        return CommandLine([], False, False, False, None, None, None)
    try:
        parsed = parser.parse_args(list(args))
    except _ArgumentError as err:
        raise InputError(f"command line: {err}; see pasim --help") from None
    composes_nothing = [getattr(parsed, flag, None) for flag in (
        "help", "hydra_help", "shell_completion", "experimental_rerun")]
    shows_only = [getattr(parsed, flag, None) for flag in ("cfg", "info")]
    folders = []
    for flag, folder in (("--config-path", parsed.config_path),
                         ("--config-dir", parsed.config_dir)):
        path = Path(folder).expanduser().resolve() if folder else None
        if path is not None and not path.is_dir():
            raise InputError(f"{flag}: must be a folder of configs; no such folder: {folder}")
        folders.append(path)
    composes = not any(composes_nothing)
    return CommandLine(list(parsed.overrides), bool(parsed.multirun), composes,
                       composes and not any(shows_only), parsed.config_name, *folders)


def _check_config_name(folders: Sequence[Path], name: str) -> None:
    """``--config-name``: a config file of the chosen folders (Hydra would say 'not found')."""
    stem = name.removesuffix(".yaml")
    if not any((folder / f"{stem}.yaml").is_file() for folder in folders):
        options = sorted({p.stem for folder in folders for p in folder.glob("*.yaml")})
        raise InputError(f"--config-name: no config '{name}' in "
                         f"{', '.join(map(str, folders))}; choose one of: "
                         f"{', '.join(options) or 'none'}")


def _given_once(overrides: Sequence[str]) -> None:
    """``scenario=baseline scenario=recommended``: Hydra would keep one without a word."""
    seen: dict[str, str] = {}
    for override in overrides:
        key = _key_of(override).split("@")[0]
        if key in seen:
            raise InputError(f"{key}: given twice ('{seen[key]}' and '{override}'); give it "
                             f"once (a sweep over both: -m {key}=a,b)")
        seen[key] = override


def check_command_line(args: Sequence[str], config_dir: Path | str = CONFIG_DIR,
                       config_name: str = "config") -> int:
    """Check every job ``pasim <args>`` would run; return how many were checked.

    Reads Hydra's own flags the way Hydra does (``--config-dir`` adds a folder of the user's
    configs to the shipped ones, ``--config-name`` picks another primary config,
    ``hydra.searchpath=[...]`` adds folders too), composes each job's config with
    Hydra's compose API (a ``-m`` sweep is expanded the way Hydra's basic sweeper does,
    including ``hydra.sweeper.params`` from the config) and runs ``check_buildable`` on it,
    after the launcher and output folder (``check_hydra``); ``--cfg`` / ``--info``, which run
    nothing, get the schema checks (``validate``) only. Runs nothing and writes nothing.
    Returns 0 for ``--help``, ``--hydra-help``, ``--version`` and shell completion.
    """
    line = parse_command_line(args)
    if not line.composes:
        return 0
    _given_once(line.overrides)
    folder = line.config_path or Path(config_dir)
    _check_config_name([folder, *filter(None, [line.config_dir])],
                       line.config_name or config_name)
    overrides = list(line.overrides)

    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.runs.paths import register_resolvers

    register_resolvers()
    with _hydra_session(folder, line.config_dir):
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
        composer = _Composer(line.config_name or config_name, parser)
        jobs, base = composer.jobs(overrides, multirun=line.multirun)
        if line.runs_jobs:
            liveness.check_experiment_without_multirun(overrides, composer.multirun, folder)
            check_hydra(base, overrides, composer.multirun)
        _check_jobs(composer, jobs, build=line.runs_jobs)
    return len(jobs)


def _plain(cfg: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg.items() if k != "hydra"}


def _check_jobs(composer: _Composer, jobs: list[list[str]], build: bool = True) -> None:
    """``check_buildable`` (or, with ``build=False``, the schema only) on each distinct job
    (a sweep over seeds needs one check). Its warnings (a file network's repaired ties ...)
    are left to the run, which repeats them: the user reads each once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_each(composer, jobs, build)


#: the jobs the pre-flight has composed and built in this process, as ``job_key``s:
#: ``sim.commands.cli`` lets Hydra's sweeper skip composing them all once more
CHECKED_JOBS: set[frozenset[str]] = set()


def job_key(overrides: Sequence[str]) -> frozenset[str]:
    """A job's overrides without Hydra's own (``hydra.*``, ``hydra/...``), which every job of
    a command shares and a sweeper's batch leaves out, as a set."""
    return frozenset(o for o in overrides if not _key_of(o).startswith(("hydra.", "hydra/")))


def _check_each(composer: _Composer, jobs: list[list[str]], build: bool) -> None:
    cache: dict = {}
    checked: dict[str, liveness.Reads] = {}
    read_by_job: list[tuple[list[str], liveness.Reads]] = []
    for job in jobs:
        cfg = composer.config(job)
        ident = json.dumps({k: v for k, v in cfg.items() if k not in _UNCHECKED_KEYS},
                           sort_keys=True, default=str)
        try:
            if ident in checked or not build:  # built already: the schema is all that differs
                validate(_plain(cfg))
            else:
                with liveness.recording() as checked[ident]:
                    check_buildable(cfg, cache)
        except InputError as err:
            if len(jobs) > 1:
                raise InputError(f"{err} [in sweep job: {' '.join(job)}]") from None
            raise
        if build:
            read_by_job.append((job, checked[ident]))
    if build:  # --- values that cannot change the result (sim/world/liveness.py) ---
        liveness.check_jobs(read_by_job)
        CHECKED_JOBS.update(job_key(job) for job in jobs)


# ------------------------------------------------------------------------------------------
# the launcher and the output folder


def check_hydra(base: Any, overrides: Sequence[str], multirun: bool) -> None:
    """What Hydra needs before the first job: a folder it can write (a single run's
    ``hydra.run.dir``, a sweep's ``hydra.sweep.dir``) and, for a sweep, a launcher that is
    installed, has somewhere to run, and a worker count that makes sense."""
    from omegaconf import OmegaConf

    given = {_key_of(o): o.split("=", 1)[1] for o in overrides if "=" in o}
    if multirun:
        key = "hydra.sweep.dir"
        folder = given.get(key) or OmegaConf.select(base, key, throw_on_resolution_failure=False)
        if folder is not None:
            from sim.runs.paths import check_writable

            check_writable(key, str(folder))
        _check_launcher(OmegaConf.to_container(base.hydra.launcher, resolve=False))
    else:
        from sim.runs.paths import check_writable, results_root

        folder = given.get("hydra.run.dir")  # the default makes its own folder on demand
        check_writable("hydra.run.dir", folder if folder is not None else results_root())
        if folder is not None:
            _not_in_use(Path(folder).expanduser())


def _not_in_use(run_dir: Path) -> None:
    """A run directory another live run is writing is not ours to write into."""
    from sim.runs.paths import JobClaim

    claim = JobClaim(run_dir)
    if run_dir.is_dir() and claim.is_held_elsewhere():
        owner = claim.owner()
        raise InputError(f"hydra.run.dir: {run_dir} is being written by another run (pid "
                         f"{owner.get('pid')} on {owner.get('host')}); choose another folder")


#: the Python package that provides each Hydra launcher plugin
LAUNCHER_PACKAGES = {"hydra_plugins.hydra_joblib_launcher": "hydra-joblib-launcher",
                     "hydra_plugins.hydra_submitit_launcher": "hydra-submitit-launcher",
                     "hydra_plugins.hydra_ray_launcher": "hydra-ray-launcher[ray]"}


def _slurm_problem() -> str | None:
    """Why SLURM cannot take jobs from here (no client, or no controller answering)."""
    import shutil
    import subprocess

    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return "no sbatch or sinfo on PATH"
    try:
        done = subprocess.run(["sinfo", "--noheader", "--format=%P"], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"sinfo did not answer: {type(err).__name__}"
    if done.returncode != 0:
        lines = [x.strip() for x in done.stderr.splitlines() if x.strip()]
        return lines[-1] if lines else f"sinfo: exit status {done.returncode}"
    return None


def _check_launcher(launcher: Mapping[str, Any]) -> None:
    import importlib.util

    target = str(launcher.get("_target_", ""))
    package = target.rsplit(".", 2)[0] if target.count(".") >= 2 else target
    plugin = ".".join(target.split(".")[:2])
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        found = False
    if target and not found:
        wheel = LAUNCHER_PACKAGES.get(plugin, plugin.split(".")[-1].replace("_", "-"))
        raise InputError(f"hydra/launcher: this launcher needs the {wheel} package, which is "
                         f"not installed; pip install {wheel}, or use hydra/launcher=local")
    if target.endswith("SlurmLauncher"):
        problem = _slurm_problem()
        if problem:
            raise InputError(f"hydra/launcher: submitit_slurm submits to SLURM, but no SLURM "
                             f"scheduler was found ({problem}); run it on the cluster's login "
                             f"node, or use hydra/launcher=submitit_local or local here")
    if target.endswith("JoblibLauncher"):
        cores = os.cpu_count() or 1
        n_jobs = launcher.get("n_jobs")
        if not (_is_int(n_jobs) and n_jobs != 0 and n_jobs >= -cores):
            raise InputError(f"hydra.launcher.n_jobs: must be an integer >= 1 (jobs at once) "
                             f"or from -{cores} to -1 (-1: all {cores} cores, -2: all but "
                             f"one ...) (got {n_jobs!r})")


@contextmanager
def _hydra_session(config_dir: Path | str, extra_dir: str | None) -> Iterator[None]:
    """Hydra initialised as ``pasim`` initialises it: the shipped configs, then the folder of
    ``--config-dir`` (Hydra's own order: a shipped option hides a user's of the same name)."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.global_hydra import GlobalHydra

    search_path = create_config_search_path(str(config_dir))
    if extra_dir is not None:
        folder = os.path.abspath(extra_dir)
        if not os.path.isdir(folder):
            raise InputError(f"--config-dir: folder not found: {folder}")
        search_path.prepend(provider="command-line", path=f"file://{folder}",
                            anchor=SearchPathQuery(provider="schema"))
    GlobalHydra.instance().clear()
    Hydra.create_main_hydra2(task_name="pasim", config_search_path=search_path)
    try:
        yield
    finally:
        GlobalHydra.instance().clear()


def _key_of(override: str) -> str:
    """The key an override sets, as the user wrote it (``+model.x=1`` -> ``model.x``)."""
    return override.split("=", 1)[0].lstrip("+~")


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


class _Composer:
    """Hydra's compose API with its errors turned into one-line ``InputError``s."""

    def __init__(self, config_name: str, parser: Any) -> None:
        self.config_name = config_name
        self.parser = parser
        self.multirun = False  # set by jobs(): -m, or hydra.mode in the config
        self._composed: dict[tuple[str, ...], Any] = {}  # group choices -> composed config
        self._base: tuple[list[str], Any] | None = None  # jobs()'s overrides and config

    def jobs(self, overrides: list[str], multirun: bool) -> tuple[list[list[str]], Any]:
        """The override list of every job the command runs (one unless it sweeps), and the
        composed config with Hydra's own part (``hydra.*``)."""
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
        from hydra.errors import HydraException

        parsed = [self._parse(o) for o in overrides]
        fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
        base = self._compose(fixed, hydra=True)
        self._base = (fixed, base)
        multirun = multirun or str(base.hydra.mode).endswith("MULTIRUN")
        self.multirun = multirun
        sweeps = [o for o in parsed if o.is_sweep_override()]
        if not multirun:
            if sweeps:
                key = _key_of(sweeps[0].input_line)
                raise InputError(f"{key}: '{sweeps[0].input_line}' is a sweep; add -m "
                                 f"(--multirun) to run one job per value, or write a list as "
                                 f"{key}=[a,b]")
            return [fixed], base
        sweeper = str(base.hydra.sweeper.get("_target_", ""))
        if not sweeper.endswith("BasicSweeper"):
            return [fixed], base  # another sweeper chooses its own jobs; check the fixed part
        params = base.hydra.sweeper.get("params") or {}
        lines = [f"{k}={v}" for k, v in params.items()] + overrides
        try:
            batches = BasicSweeper.split_arguments([self._parse(x) for x in lines], None)
        except HydraException as err:
            raise InputError(f"hydra.sweeper: {_first_line(err)}") from None
        return [list(job) for batch in batches for job in batch], base

    def config(self, overrides: list[str]) -> dict[str, Any]:
        """One job's resolved config as plain containers."""
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        cfg = self._compose_job(overrides)
        try:
            return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        except OmegaConfBaseException as err:
            raise self._omegaconf_error(err) from None

    def _compose_job(self, overrides: list[str]) -> Any:
        """``compose(overrides)``, composing only once per choice of config groups.

        Hydra composes in two steps: the overrides that choose configs (config groups, with
        their packages and deletions, and Hydra's own keys) make the defaults list that is
        composed; the plain ``key=value`` overrides are then set on the result. The jobs of a
        sweep over values (``lever_grid``: 40 jobs, one choice of groups) therefore share the
        first step, which costs ~0.3 s a job; here it is made once and copied, and each job's
        values are set by Hydra's own code, so every job's config is what ``compose`` gives.
        """
        import copy

        from hydra._internal.config_loader_impl import ConfigLoaderImpl
        from hydra._internal.defaults_list import Overrides
        from hydra.core.global_hydra import GlobalHydra
        from omegaconf import open_dict

        if self._base is not None and list(overrides) == self._base[0]:
            cfg = copy.deepcopy(self._base[1])  # a single run: composed already, by jobs()
            with open_dict(cfg):
                del cfg["hydra"]
            return cfg
        parsed = [self._parse(o) for o in overrides]
        repository = GlobalHydra.instance().config_loader().repository
        try:
            values = [o for o in Overrides(repository, parsed).config_overrides
                      if not o.is_hydra_override()]
        except Exception:  # noqa: BLE001 - let compose report it in its own words
            return self._compose(overrides)
        chosen = tuple(o.input_line for o in parsed if all(o is not v for v in values))
        if chosen not in self._composed:
            self._composed[chosen] = self._compose(list(chosen))
        cfg = copy.deepcopy(self._composed[chosen])
        try:
            ConfigLoaderImpl._apply_overrides_to_config(values, cfg)  # noqa: SLF001
        except Exception as err:  # noqa: BLE001 - as compose's own failures
            raise self._composition_error(err, overrides) from None
        return cfg

    def _parse(self, override: str) -> Any:
        from hydra.errors import HydraException

        try:
            return self.parser.parse_override(override)
        except HydraException as err:
            raise InputError(f"{_key_of(override)}: cannot read '{override}' "
                             f"({_first_line(err)}); see "
                             "https://hydra.cc/docs/advanced/override_grammar/basic/") from None

    def _compose(self, overrides: list[str], hydra: bool = False) -> Any:
        """Compose quietly: Hydra warns about its own plugins' schemas on every compose, and
        it repeats those warnings itself when it runs the job."""
        from hydra import compose

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return compose(self.config_name, overrides=overrides, return_hydra_config=hydra)
        except Exception as err:  # noqa: BLE001 - every composition failure is a user error
            raise self._composition_error(err, overrides) from None

    def _composition_error(self, err: Exception, overrides: list[str]) -> InputError:
        from hydra.errors import MissingConfigException
        from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

        if isinstance(err, MissingConfigException) and err.missing_cfg_file:
            group, _, option = str(err.missing_cfg_file).rpartition("/")
            if err.options is None or not group:
                return InputError(f"{err.missing_cfg_file}: config not found")
            if not err.options:
                return InputError(f"{group}: unknown option '{option}'; the group has no "
                                  "options yet")
            return InputError(f"{group}: unknown option '{option}'; choose one of: "
                              f"{', '.join(err.options)}")
        cause = err.__cause__ if err.__cause__ is not None else err
        unknown = (ConfigKeyError, ConfigAttributeError)
        if isinstance(cause, unknown) and getattr(cause, "full_key", None):
            return self._unknown_key(str(cause.full_key), overrides)
        if isinstance(cause, OmegaConfBaseException) and getattr(cause, "full_key", None):
            return self._omegaconf_error(cause)
        culprit = self._culprit(overrides)
        key = _key_of(culprit) if culprit else "overrides"
        return InputError(f"{key}: {_first_line(err)}")

    def _culprit(self, overrides: list[str]) -> str | None:
        """The first override that fails on its own (errors do not always name it)."""
        from hydra import compose

        for override in overrides:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    compose(self.config_name, overrides=[override])
            except Exception:  # noqa: BLE001
                return override
        return None

    def _unknown_key(self, key: str, overrides: list[str]) -> InputError:
        """``a.b.c=1`` where ``a.b`` has no ``c``: list the keys ``a.b`` has."""
        from omegaconf import DictConfig, OmegaConf

        parent = key.rpartition(".")[0]
        others = [o for o in overrides if _key_of(o) != key]
        absent = object()
        try:
            cfg = self._compose(others)
            node = OmegaConf.select(cfg, parent, default=absent) if parent else cfg
        except InputError:
            node = absent
        if isinstance(node, DictConfig):
            return InputError(f"{key}: unknown key; {parent or 'the config'} has: "
                              f"{', '.join(map(str, node.keys()))}")
        if node is not absent:
            return InputError(f"{key}: unknown key; {parent} is a value ({node!r}), not a "
                              "group of keys")
        return InputError(f"{key}: unknown key")

    @staticmethod
    def _omegaconf_error(err: Exception) -> InputError:
        from omegaconf.errors import InterpolationResolutionError, MissingMandatoryValue

        key = str(getattr(err, "full_key", "") or "config")
        if isinstance(err, MissingMandatoryValue):
            return InputError(f"{key}: required but not set ({MISSING}); give it, "
                              f"e.g. {key}=<value>")
        if isinstance(err, InterpolationResolutionError):
            return InputError(f"{key}: cannot resolve its interpolation ({_first_line(err)})")
        return InputError(f"{key}: {_first_line(err)}")


def check_inert_keys(cfg: Mapping[str, Any], overrides: Sequence[str], warn=None) -> list[str]:
    """``check_jobs`` for one composed config and the overrides that made it (builds its
    first replicate's model, as the command line's pre-flight does)."""
    with liveness.recording() as reads:
        check_buildable(cfg)
    return liveness.check_jobs([(overrides, reads)], warn)


def with_values(cfg: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``cfg`` with dotted keys set (missing groups are created)."""
    import copy

    out = copy.deepcopy(dict(cfg))
    for key, value in values.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InputError(f"{key}: {part} is a value, not a group of keys")
        node[leaf] = value
    return out
