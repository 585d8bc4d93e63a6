"""The calibration run: check everything, ABC-SMC with pyABC, then write what it found.

Why ABC-SMC (pyABC) and not neural posterior estimation (sbi): pasim's likelihood is
intractable but a run is cheap (milliseconds on a few hundred nodes), the parameters are few
(2-5), and several mechanisms must be compared on the same data. pyABC's ABC-SMC handles
all of that natively (model selection over models with different parameters, a multicore
sampler, an SQLite history from which an interrupted run resumes) without a deep-learning
stack; sbi would add torch (~1 GB) for a problem this size and its model comparison is not
built in. The price of ABC is the tolerance: the posterior is that of "simulations within
epsilon of the data", which is why ``sim.analysis.calibration.recovery`` checks its coverage.

Outputs in ``out/`` (all written atomically once the run is over):
``history.db`` (pyABC's database: resume), ``posterior.parquet`` (final population: model,
weight, parameters), ``summary.json`` / ``summary.md`` (model probabilities, medians, 90 %
intervals, effective sample sizes, predictive scores), ``predictive.parquet`` (the bands),
``posterior_predictive.png`` and ``pairs_<model>.png``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.calibration import observed as obs_mod
from sim.analysis.calibration.simulator import Simulator, distance_weights
from sim.analysis.calibration.spec import EXTERNAL, CalibrationSpec, Mechanism, check_parameter_keys
from sim.engine.network import Network
from sim.errors import InputError
from sim.runs import results as io
from sim.world.external import FITTABLE, ExternalSchedule

log = logging.getLogger("pasim")

#: posterior draws simulated for the predictive bands, per model
PREDICTIVE_DRAWS = 100
INTERVAL = (0.05, 0.95)


@dataclass
class Problem:
    """A checked calibration: one simulator per mechanism, on one network and one data set."""

    spec: CalibrationSpec
    simulators: list[Simulator]
    network: Network

    @property
    def observed(self) -> obs_mod.Observed:
        return self.simulators[0].observed


def _network(cfg: dict[str, Any], seed: int) -> Network:
    from sim.runs.runner import replicate_network

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        network = replicate_network(cfg, seed, {})
    for w in {str(w.message) for w in caught}:
        log.warning("%s", w)
    return network


def _check_prior_ends(mechanism: Mechanism, cfg: dict[str, Any],
                      external: dict[str, Any] | None) -> None:
    """The config at both ends of every prior must be a valid pasim config."""
    from sim.runs.config import validate, with_values

    for prior in mechanism.priors:
        a = prior.args
        lo, hi = prior.bounds
        if prior.family == "normal":
            lo, hi = max(lo, a["mean"] - 3 * a["sd"]), min(hi, a["mean"] + 3 * a["sd"])
        for end in (lo, hi):
            value = prior.value(end)
            if prior.key.startswith(EXTERNAL):
                ExternalSchedule.from_config({**(external or {}),
                                              prior.key[len(EXTERNAL):]: value})
                continue
            try:
                validate(with_values(cfg, {prior.key: value}))
            except InputError as err:
                raise InputError(f"parameters.{prior.key}: the prior reaches {value:g}, "
                                 f"where {err}") from None


@functools.lru_cache(maxsize=64)
def _composed(overrides: tuple[str, ...], check: bool) -> str:
    """The pasim config of these overrides (as JSON: cached, and copied on every use).

    Composing costs Hydra seconds, and the full command-line check builds the network too,
    so it runs for the first model only; the others differ by model keys, which
    ``validate`` and the prior-end checks cover.
    """
    from sim.analysis.sensitivity import compose_config

    with warnings.catch_warnings():  # the loader's warnings are shown once, by _network
        warnings.simplefilter("ignore")
        return json.dumps(compose_config(list(overrides), check=check))


def prepare(spec: CalibrationSpec) -> Problem:
    """Compose and check every mechanism's config, build the network, load the data."""
    from sim.runs.config import validate

    simulators: list[Simulator] = []
    network, observed, first_net = None, None, None
    for mech in spec.mechanisms:
        ExternalSchedule.from_config(mech.external, f"models.{mech.name}.external")
        cfg = validate(json.loads(_composed((*spec.pasim, *mech.overrides),
                                            check=network is None)))
        if not isinstance(cfg.get("steps"), int):
            raise InputError("pasim: steps must be set to the data's horizon, e.g. steps=17")
        check_parameter_keys(mech, cfg, FITTABLE)
        fixed = [p.key for p in mech.priors if p.key.startswith("network.")]
        if fixed:
            raise InputError(f"parameters.{fixed[0]}: the network is the data's and stays "
                             "fixed; fit model, mechanism or lever keys")
        _check_prior_ends(mech, cfg, mech.external)
        if network is None:
            first_net, steps = cfg["network"], cfg["steps"]
            network = _network(cfg, int(spec.abc["seed"]))
            observed = obs_mod.load(spec.observed, network, steps)
            _check_holdout(spec.holdout, observed)
        elif cfg["network"] != first_net or cfg["steps"] != steps:
            raise InputError(f"models.{mech.name}.pasim: every model must use the same "
                             "network and steps (the data's)")
        simulators.append(Simulator(mech, cfg, network, observed, spec.statistics,
                                    mech.external, holdout=_held_out(spec.holdout, observed)))
    return Problem(spec, simulators, network)


def _check_holdout(holdout: list[Any], observed: obs_mod.Observed) -> None:
    for group in holdout:
        if str(group) not in observed.groups:
            raise InputError(f"holdout: {group!r} is not a group of the data; groups: "
                             f"{', '.join(observed.groups)}")
    if len({str(g) for g in holdout}) >= len(observed.groups):
        raise InputError("holdout: at least one group must be left to fit")


def _held_out(holdout: list[Any], observed: obs_mod.Observed) -> tuple[int, ...]:
    return tuple(observed.groups.index(str(g)) for g in holdout)


def fingerprint(spec: CalibrationSpec) -> str:
    """What a history depends on (not how long it runs, nor where it is written)."""
    data = asdict(spec)
    data["abc"] = {k: v for k, v in data["abc"].items()
                   if k in ("population_size", "seed")}
    data.pop("out", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _sampler(cores: int, progress: bool) -> Any:
    import pyabc

    sampler = (pyabc.sampler.SingleCoreSampler() if cores == 1 else
               pyabc.sampler.MulticoreEvalParallelSampler(n_procs=cores))
    sampler.show_progress = progress
    return sampler


def _open(abc: Any, db: Path, spec: CalibrationSpec, stats: dict[str, float],
          echo: Callable[[str], None]) -> int:
    """Start a new history or resume the stored one; the generations still to run."""
    import pyabc

    url = f"sqlite:///{db}"
    stamp = db.with_suffix(".fingerprint")
    if db.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint(spec):
        done = pyabc.History(url).n_populations
        if done > 0:
            abc.load(url, 1)
            echo(f"resuming {db}: {done} generation(s) done")
            return spec.abc["generations"] - done
    if db.exists():
        echo(f"{db}: calibration changed since it was written; starting again")
        db.unlink()
    db.parent.mkdir(parents=True, exist_ok=True)
    abc.new(url, stats)
    io.write_text(stamp, fingerprint(spec) + "\n")
    return spec.abc["generations"]


def run_abc(problem: Problem, out: Path, progress: bool = True,
            echo: Callable[[str], None] = print) -> Any:
    """ABC-SMC over every mechanism at once (pyABC's model selection); the history."""
    import pyabc

    spec = problem.spec
    # pyABC draws from NumPy's global state (and reseeds each worker process)
    np.random.seed(int(spec.abc["seed"]))  # noqa: NPY002
    stats = problem.simulators[0].observed_statistics()
    weights = distance_weights(stats, spec.statistics,
                               problem.simulators[0].holdout_keys(stats))
    priors = [pyabc.Distribution({p.key: p.rv() for p in s.mechanism.priors})
              for s in problem.simulators]
    models = [pyabc.FunctionModel(s, name=s.mechanism.name) for s in problem.simulators]
    cores = int(spec.abc["cores"] or os.cpu_count() or 1)
    abc = pyabc.ABCSMC(models, priors, pyabc.PNormDistance(p=2, fixed_weights=weights),
                       population_size=int(spec.abc["population_size"]),
                       sampler=_sampler(cores, progress))
    remaining = _open(abc, out / "history.db", spec, stats, echo)
    if remaining > 0:
        abc.run(minimum_epsilon=float(spec.abc["min_epsilon"]), max_nr_populations=remaining,
                min_acceptance_rate=float(spec.abc["min_acceptance"]),
                max_total_nr_simulations=int(spec.abc["max_simulations"]))
    return abc.history
