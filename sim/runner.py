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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim import results as io
from sim.metrics import summarise
from sim.network import Network
from sim.networks import build_network
from sim.world import build_model

log = logging.getLogger("pasim")

#: config keys that do not change what a run computes (so are not part of its identity)
_NOT_IDENTITY = {"seed", "replicates", *io.PRESENTATION_KEYS}


@dataclass
class RunResult:
    """Everything one run produced: per-replicate summaries and long time-series tables."""

    config: dict[str, Any]
    summary: pd.DataFrame  # one row per replicate
    timeseries: pd.DataFrame  # one row per replicate x step
    groups: pd.DataFrame  # one row per replicate x step x attribute x group
    runtime_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

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


def to_dict(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(cfg, DictConfig):
        cfg = OmegaConf.to_container(cfg, resolve=True)
    return {k: v for k, v in dict(cfg).items() if k != "hydra"}


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


def replicate_network(cfg: Mapping[str, Any], seed: int, cache: dict) -> Network:
    params = dict(cfg["network"])
    name = params.pop("name")
    fixed = params.get("seed") is not None or name == "file"
    if "seed" in params and params["seed"] is None:
        params["seed"] = seed
    key = json.dumps([name, params], sort_keys=True, default=str) if fixed else None
    if key is not None and key in cache:
        return cache[key]
    network = build_network(name, **params)
    if key is not None:
        cache[key] = network
    return network


def simulate(cfg: DictConfig | Mapping[str, Any],
             replicates: Sequence[int] | None = None) -> RunResult:
    """Run every replicate of the parameter set ``cfg`` (or only those numbered in
    ``replicates``: extending a finished run); return summaries and time series."""
    from sim.config import validate

    config = validate(to_dict(cfg))
    start = time.perf_counter()
    cache: dict[str, Network] = {}
    summaries, series, groups = [], [], []
    for r in range(int(config.get("replicates", 1))) if replicates is None else replicates:
        seed = replicate_seed(config, r)
        net_seed, model_seed = (int(s.generate_state(1)[0])
                                for s in np.random.SeedSequence(seed).spawn(2))
        t0 = time.perf_counter()
        network = replicate_network(config, net_seed, cache)
        model = build_model(config, network, model_seed)
        model.run(config.get("steps"))
        summary = {"replicate": r, "seed": seed, **summarise(model),
                   "runtime_s": time.perf_counter() - t0}
        summaries.append(summary)
        history = model.history.copy()
        history.insert(0, "replicate", r)
        series.append(history)
        by_group = model.history_by_group()
        by_group.insert(0, "replicate", r)
        groups.append(by_group)
    return RunResult(
        config=config,
        summary=pd.DataFrame(summaries),
        timeseries=pd.concat(series, ignore_index=True),
        groups=pd.concat(groups, ignore_index=True),
        runtime_s=time.perf_counter() - start,
    )


def write_result(result: RunResult, out_dir: Path | str, figure: bool = True) -> Path:
    """Write tables, config and figure, then the summary last (it marks completion)."""
    out = Path(out_dir)
    io.write_text(out / io.CONFIG, OmegaConf.to_yaml(OmegaConf.create(result.config)))
    io.write_table(out / io.TIMESERIES, result.timeseries)
    io.write_table(out / io.GROUPS, result.groups)
    if figure:
        from sim.labels import run_title
        from sim.plots import adoption_figure

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
