"""From a config to results: config -> network -> model -> results (and nothing else).

``simulate(cfg)`` runs every replicate of one parameter set in-process and returns tables;
``run_job(cfg, out_dir)`` also writes them (what the ``pasim`` command does per job).

Seeds: replicate r of a run uses a seed derived from (base seed, r) by NumPy's
``SeedSequence`` — common random numbers, so two lever settings are compared on the same
random draws and the numbers never depend on the launcher, worker count or job order.
Set ``seed_includes_params: true`` to also mix the run's parameters into the seed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from sim.engine.network import Network
from sim.runs import results as io
from sim.runs.build import replicate_network, shares_network, to_dict  # noqa: F401 (re-exported)
from sim.runs.metrics import effect, summarise
from sim.runs.posterior import build_replicate_model
from sim.world import outcomes

log = logging.getLogger("pasim")

#: config keys that do not change what a run computes (so are not part of its identity)
_NOT_IDENTITY = {"seed", "replicates", "record_agents", *io.PRESENTATION_KEYS}


@dataclass
class RunResult:
    """Everything one run produced: per-replicate summaries and long time-series tables."""

    config: dict[str, Any]
    summary: pd.DataFrame  # one row per replicate
    timeseries: pd.DataFrame  # one row per replicate x step
    groups: pd.DataFrame  # one row per replicate x step x attribute x group
    runtime_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    agents: pd.DataFrame | None = None  # one row per replicate x agent (record_agents)

    def summary_record(self) -> dict[str, Any]:
        """What ``summary.json`` holds: per-replicate rows, their means, seed, config."""
        numeric = self.summary.select_dtypes("number").drop(columns=["replicate", "seed"],
                                                            errors="ignore")
        return {
            "runtime_s": round(self.runtime_s, 4),
            "seed": self.config.get("seed"),
            "replicates": len(self.summary),
            "mean": {k: (None if pd.isna(v) else float(v)) for k, v in numeric.mean().items()},
            "runs": self.summary.to_dict(orient="records"),
            "config": self.config,
            **self.extra,
        }


def identity_hash(cfg: Mapping[str, Any]) -> int:
    """A stable 64-bit hash of what the run computes (parameters, not seed or replicates)."""
    ident = {k: v for k, v in cfg.items() if k not in _NOT_IDENTITY}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def config_fingerprint(cfg: Mapping[str, Any]) -> str:
    """What a run directory's results depend on (everything but presentation), so that a
    resumed sweep can tell a finished run of the same configuration from a stale one."""
    kept = {k: v for k, v in cfg.items() if k not in io.PRESENTATION_KEYS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def replicate_seed(cfg: Mapping[str, Any], replicate: int) -> int:
    """The seed of one replicate, derived from the base seed (and optionally the parameters)."""
    entropy = [int(cfg.get("seed", 0) or 0), int(replicate)]
    if cfg.get("seed_includes_params", False):
        entropy.append(identity_hash(cfg))
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)


#: where matched no-lever runs are cached on disk, under the results folder
#: (``sim.runs.paths.results_root()``, beside runs/ and sweeps/); ``simulate(...,
#: baseline_dir=None)`` keeps them in memory only. Keyed by a digest of the package's code
#: too, so a changed model never reuses them.
BASELINE_SUBDIR = "baselines"
#: matched no-lever summaries computed in this process: (baseline key, replicate seed) -> summary
_BASELINES: dict[tuple[str, int], dict[str, Any]] = {}


@dataclass
class ModelRun:
    """One replicate's model after its run, its summary row and (if recorded) its agents."""

    model: Any
    summary: dict[str, Any]
    agents: pd.DataFrame | None = None


#: the agent table's file in a run directory (``record_agents: true``)
AGENTS = "agents.parquet"
#: node attributes copied into the agent table when the network has them
AGENT_ATTRIBUTES = ("agent_type", "kind", "sector", "level", "region", "system",
                    "deprivation")


class AgentTimes:
    """The step each agent first became aware and first adopted (-1: not yet), kept by
    looking at the model's state after every step (0: from the start)."""

    def __init__(self, model: Any) -> None:
        self.aware = np.where(model.aware, model.steps, -1)
        self.adopted = np.where(model.adopted, model.steps, -1)
        step = model.step

        def step_and_record() -> None:
            step()
            self.update(model)

        model.step = step_and_record  # run() calls self.step(): every step is seen

    def update(self, model: Any) -> None:
        for first, now in ((self.aware, model.aware), (self.adopted, model.adopted)):
            first[(first < 0) & now] = model.steps

    def table(self, model: Any, replicate: int) -> pd.DataFrame:
        """One row per agent: label, attributes, threshold, champion, the two steps."""
        nodes = model.network.nodes
        table = pd.DataFrame({"replicate": replicate, "node": nodes["label"].to_numpy()
                              if "label" in nodes else np.arange(model.n)})
        for column in AGENT_ATTRIBUTES:
            if column in nodes:
                table[column] = nodes[column].to_numpy()
        table["threshold"] = np.asarray(model.threshold, dtype=float)
        table["champion"] = np.asarray(model.champion, dtype=bool)
        for column, first in (("aware_step", self.aware), ("adopted_step", self.adopted)):
            table[column] = pd.array(np.where(first >= 0, first, 0), dtype="Int64")
            table.loc[first < 0, column] = pd.NA
        return table


@dataclass
class Replicate:
    """One replicate's outputs: its summary row (with its effect against the matched no-lever
    run) and its time series, overall and by group (``by_group``: the rows as arrays, tabled
    with the other replicates of its run by ``combine``)."""

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    by_group: outcomes.GroupRecord
    agents: pd.DataFrame | None = None  # with record_agents: true

    @property
    def groups(self) -> pd.DataFrame:
        """This replicate's by-group table on its own."""
        return outcomes.groups_table([self.by_group])


def build_replicate(config: Mapping[str, Any], replicate: int, seed: int, cache: dict) -> Any:
    """The model of one replicate of ``config``, from its replicate ``seed``, before it runs."""
    net_seed, model_seed = (int(s.generate_state(1)[0])
                            for s in np.random.SeedSequence(seed).spawn(2))
    network = replicate_network(config, net_seed, cache)
    return build_replicate_model(config, network, model_seed, replicate)  # posterior draw


def _summary(model: Any, replicate: int, seed: int, started: float,
             runtime_s: float | None = None) -> dict[str, Any]:
    """A replicate's summary row (``runtime_s``: since ``started``, unless given)."""
    return {"replicate": replicate, "seed": seed, **summarise(model),
            **outcomes.summarise(model),
            "runtime_s": time.perf_counter() - started if runtime_s is None else runtime_s}


def run_replicate(config: Mapping[str, Any], replicate: int, seed: int,
                  cache: dict, record_agents: bool = False) -> ModelRun:
    """Build and run one replicate of ``config`` from its replicate ``seed``."""
    t0 = time.perf_counter()
    model = build_replicate(config, replicate, seed, cache)
    times = AgentTimes(model) if record_agents else None
    model.run(config.get("steps"))
    summary = _summary(model, replicate, seed, t0)
    return ModelRun(model, summary, None if times is None else times.table(model, replicate))


#: replicates stepped together at most. With the compiled step a replicate alone is nearly as
#: fast as in a batch; beyond ~8 the R x n arrays outgrow the cache and a batch is slower
#: (``python -m benchmarks.batch``: England, 1.05x at R = 8, 0.7-0.9x at R = 32)
BATCH_SIZE = 8


def can_batch(config: Mapping[str, Any], models: int) -> bool:
    """Whether ``models`` runs of ``config`` (its replicates, and the matched no-lever runs
    not yet known) can step as one batch (``sim.engine.batch``): more than one, on one shared
    network (``shares_network``), for a fixed number of steps (``steps: null`` stops each
    replicate at its own fixed point), and without ``record_agents`` (which watches a model
    step by step)."""
    steps = config.get("steps")
    return (models > 1 and isinstance(steps, int) and not isinstance(steps, bool)
            and not config.get("record_agents") and shares_network(config))


#: one run to make: (config, replicate, replicate seed)
Job = tuple[Mapping[str, Any], int, int]


def run_batched(jobs: Sequence[Job], cache: dict) -> Iterator[ModelRun]:
    """The runs ``jobs`` (configs on one network, with the same ``steps``), in order, built
    one by one and stepped together ``BATCH_SIZE`` at a time (so at most that many models
    are alive): each exactly as ``run_replicate`` runs it (``runtime_s``: its build plus an
    equal share of the batch's steps)."""
    from sim.engine.batch import Batch

    for first in range(0, len(jobs), BATCH_SIZE):
        chunk = jobs[first:first + BATCH_SIZE]
        models, built_s = [], []
        for config, replicate, seed in chunk:
            t0 = time.perf_counter()
            models.append(build_replicate(config, replicate, seed, cache))
            built_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Batch(models).run(int(chunk[0][0]["steps"]))
        share = (time.perf_counter() - t0) / len(models)
        for model, (_, replicate, seed), build_s in zip(models, chunk, built_s, strict=True):
            t0 = time.perf_counter()
            summary = _summary(model, replicate, seed, t0)
            summary["runtime_s"] += build_s + share
            yield ModelRun(model, summary)
        del models


def code_version() -> str:
    """A digest of the package's source: cached baselines from other code are not reused."""
    if not _CODE_VERSION:
        digest = hashlib.sha256()
        for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
            digest.update(path.read_bytes())
        _CODE_VERSION.append(digest.hexdigest()[:16])
    return _CODE_VERSION[0]


_CODE_VERSION: list[str] = []


def baseline_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The matched no-lever configuration: ``config`` with every lever off."""
    return {**config, "levers": {}}


def baseline_key(config: Mapping[str, Any]) -> str:
    """What the no-lever run of ``config`` depends on (levers, seeds and presentation not)."""
    kept = {k: v for k, v in config.items()
            if k not in _NOT_IDENTITY and k != "levers"}
    text = json.dumps([code_version(), kept], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def known_baseline(config: Mapping[str, Any], seed: int,
                   baseline_dir: Path | None) -> dict[str, Any] | None:
    """The matched no-lever summary of ``config`` at ``seed`` if this process or
    ``baseline_dir`` already has it, else None."""
    key = (baseline_key(config), int(seed))
    if key in _BASELINES:
        return _BASELINES[key]
    path = None if baseline_dir is None else Path(baseline_dir) / key[0] / f"{seed}.json"
    if path is not None and path.is_file():
        try:
            _BASELINES[key] = json.loads(path.read_text())
            return _BASELINES[key]
        except (OSError, ValueError):
            pass  # unreadable: compute it again
    return None


def matched_baseline(config: Mapping[str, Any], seed: int, cache: dict,
                     baseline_dir: Path | None, replicate: int = 0) -> dict[str, Any]:
    """The summary of ``config``'s no-lever run at replicate ``seed``, computed once: kept in
    this process and (unless ``baseline_dir`` is None) on disk, so every job of a sweep,
    every scenario of pasim-compare and every sample of the research commands shares it."""
    known = known_baseline(config, seed, baseline_dir)
    if known is not None:
        return known
    # the replicate index picks the posterior draw (when there is one): pair it too
    summary = run_replicate(baseline_config(config), replicate, seed, cache).summary
    remember_baseline(config, seed, summary, baseline_dir)
    return summary


def remember_baseline(config: Mapping[str, Any], seed: int, summary: Mapping[str, Any],
                      baseline_dir: Path | None) -> None:
    """Keep a no-lever summary for later runs of the same world and seed."""
    key = (baseline_key(config), int(seed))
    record = {k: (None if _is_nan(v) else v) for k, v in summary.items()
              if k not in ("replicate", "runtime_s")}
    _BASELINES[key] = record
    if baseline_dir is not None:
        io.write_json(Path(baseline_dir) / key[0] / f"{seed}.json", record)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _baseline_folder(value: Path | None | str) -> Path | None:
    """``"default"``: the project's results/baselines; None: keep baselines in memory only."""
    if isinstance(value, str) and value == "default":
        from sim.runs.paths import results_root

        return results_root() / BASELINE_SUBDIR
    return None if value is None else Path(value)


def simulate_replicate(config: Mapping[str, Any], replicate: int, cache: dict | None = None,
                       baseline_dir: Path | None | str = "default") -> Replicate:
    """Replicate ``replicate`` of a validated config, exactly as ``simulate`` runs it (so a
    caller can run replicates one at a time, e.g. in parallel, and get the same numbers)."""
    from sim.world.levers import all_off

    cache = {} if cache is None else cache
    baseline_dir = _baseline_folder(baseline_dir)
    seed = replicate_seed(config, replicate)
    run = run_replicate(config, replicate, seed, cache, bool(config.get("record_agents")))
    if all_off(config.get("levers"), config.get("steps")):
        remember_baseline(config, seed, run.summary, baseline_dir)
        base = run.summary
    else:
        base = matched_baseline(config, seed, cache, baseline_dir, replicate)
    return _replicate(run, replicate, base)


def _replicate(run: ModelRun, replicate: int, base: Mapping[str, Any]) -> Replicate:
    """A replicate's outputs from its run and its matched no-lever summary."""
    history = run.model.history.copy()
    history.insert(0, "replicate", replicate)
    return Replicate({**run.summary, **effect(run.summary, base)}, history,
                     outcomes.record(run.model, replicate), run.agents)


def simulate_replicates(config: Mapping[str, Any], replicates: Sequence[int],
                        cache: dict | None = None, baseline_dir: Path | None | str = "default",
                        batch: bool = True) -> list[Replicate]:
    """``simulate_replicate`` for each of ``replicates``, with the same numbers, but stepped
    together as batches (``run_batched``) when ``can_batch`` allows it, with the matched
    no-lever runs not yet known in the same batch (so even one replicate with levers on is a
    batch of two). Falls back to one replicate at a time otherwise (a random network per
    replicate, ``steps: null``, ``record_agents: true``) or with ``batch=False``.
    A posterior draw per replicate (``sim.runs.posterior``) works either way: each model of a
    batch is built with its own draw."""
    from sim.world.levers import all_off

    cache = {} if cache is None else cache
    folder = _baseline_folder(baseline_dir)
    seeds = [replicate_seed(config, r) for r in replicates]
    levers_off = all_off(config.get("levers"), config.get("steps"))
    bases = [None if levers_off else known_baseline(config, seed, folder) for seed in seeds]
    missing = [] if levers_off else [i for i, base in enumerate(bases) if base is None]
    if not (batch and can_batch(config, len(replicates) + len(missing))):
        return [simulate_replicate(config, r, cache, baseline_dir) for r in replicates]
    # each replicate's run, then (if not known) its matched no-lever run
    unlevered, wanted = baseline_config(config), set(missing)
    jobs = [job for i, (r, seed) in enumerate(zip(replicates, seeds, strict=True))
            for job in [(config, r, seed)] + ([(unlevered, r, seed)] if i in wanted else [])]
    runs = run_batched(jobs, cache)
    out = []
    for i, (r, seed) in enumerate(zip(replicates, seeds, strict=True)):
        run = next(runs)
        if levers_off:
            remember_baseline(config, seed, run.summary, folder)
            bases[i] = run.summary
        elif i in wanted:
            bases[i] = next(runs).summary  # as matched_baseline returns a run it computed
            remember_baseline(config, seed, bases[i], folder)
        out.append(_replicate(run, r, bases[i]))
        del run  # its model is not kept past its batch
    return out


def combine(config: dict[str, Any], replicates: list[Replicate], runtime_s: float) -> RunResult:
    """The run result of a config from its replicates (in replicate order)."""
    groups = outcomes.groups_table([r.by_group for r in replicates])
    agents = [r.agents for r in replicates if r.agents is not None]
    return RunResult(
        config=config,
        summary=pd.DataFrame([r.summary for r in replicates]),
        timeseries=pd.concat([r.timeseries for r in replicates], ignore_index=True),
        groups=groups,
        runtime_s=runtime_s,
        extra=outcomes.extra(groups),
        agents=pd.concat(agents, ignore_index=True) if agents else None,
    )


def simulate(cfg: DictConfig | Mapping[str, Any],
             baseline_dir: Path | None | str = "default",
             replicates: Sequence[int] | None = None, batch: bool = True) -> RunResult:
    """Run every replicate of the parameter set ``cfg`` (or only those numbered in
    ``replicates``: extending a finished run); return summaries and time series.

    Replicates on one shared network are stepped together (``simulate_replicates``; the same
    numbers as one at a time, which ``batch=False`` forces).

    Each replicate's summary also holds its effect against the matched no-lever run with the
    same replicate seed (``sim.runs.metrics.EFFECT_KEYS``; zero effect when every lever is off).
    From Python, get ``cfg`` with ``sim.analysis.compare.compose(scenario, overrides)`` (the config
    ``pasim scenario=<scenario> <overrides>`` runs), or pass a plain dict.
    """
    from sim.runs.config import validate

    config = validate(to_dict(cfg))
    baseline_dir = _baseline_folder(baseline_dir)
    start = time.perf_counter()
    cache: dict[str, Network] = {}
    numbers = range(int(config.get("replicates", 1))) if replicates is None else replicates
    runs = simulate_replicates(config, list(numbers), cache, baseline_dir, batch)
    return combine(config, runs, time.perf_counter() - start)


def write_result(result: RunResult, out_dir: Path | str, figure: bool = True) -> Path:
    """Write tables, config and figure, then the summary last (it marks completion)."""
    out = Path(out_dir)
    io.write_text(out / io.CONFIG, io.config_yaml(result.config))
    io.write_table(out / io.TIMESERIES, result.timeseries)
    io.write_table(out / io.GROUPS, result.groups)
    if result.agents is not None:
        io.write_table(out / AGENTS, result.agents)
    if "population_embedded_share" in result.groups:  # England: the ICS ranking
        from sim.runs.plots import write_ics_outputs

        write_ics_outputs(result.groups, out, figure=figure)
    if figure:
        from sim.runs.labels import run_title
        from sim.runs.plots import adoption_figure

        adoption_figure(result.timeseries, result.groups, out / io.FIGURE,
                        title=run_title(result.config))
    io.write_json(out / io.SUMMARY, result.summary_record())
    return out


def run_job(cfg: DictConfig | Mapping[str, Any], out_dir: Path | str) -> RunResult | None:
    """One Hydra job: skip if already complete, else simulate and write.

    A directory completed under a different configuration (a config file changed since) is
    not skipped: its summary is removed first, so it never looks complete while re-running.
    """
    out = Path(out_dir)
    config = to_dict(cfg)
    fingerprint = config_fingerprint(config)
    if io.is_complete(out):
        if io.read_summary(out).get("fingerprint", fingerprint) == fingerprint:
            return None
        log.warning("%s: configuration changed since this run was written; running it again",
                    out)
        (out / io.SUMMARY).unlink()
    result = simulate(config)
    result.extra["fingerprint"] = fingerprint
    write_result(result, out, figure=bool(config.get("figure", True)))
    return result
