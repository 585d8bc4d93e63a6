"""Replicates are resumable and extendable: asking a finished job for more replicates runs
only the new ones.

A job directory stores every replicate's results (the per-replicate rows of
``summary.json``, and ``timeseries.parquet`` and ``groups.parquet`` by ``replicate``), and
replicate r's seed depends only on the base seed and r. So a run of 20 replicates and the
first 20 replicates of a run of 40 are the same numbers. ``run_job(cfg, out_dir)`` therefore
looks at a finished job of the same configuration apart from ``replicates``:

- more replicates asked for: it runs only the missing ones and merges them with the stored
  ones (20 -> 40 runs 20);
- fewer: it keeps the first ones (nothing runs);
- the same: the job is complete and skipped, as before (``sim.runs.runner.run_job``).

Anything else (no finished run, or another configuration) goes to ``sim.runs.runner.run_job``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig

from sim.runs import results as io
from sim.runs.runner import RunResult, config_fingerprint, simulate, to_dict, write_result
from sim.runs.runner import run_job as run_whole_job
from sim.world import outcomes


def _without_replicates(config: Mapping[str, Any]) -> str:
    return config_fingerprint({k: v for k, v in config.items() if k != "replicates"})


def stored_replicates(out_dir: Path, config: Mapping[str, Any]) -> int | None:
    """How many replicates ``out_dir`` holds for ``config`` (up to ``replicates``); None if it
    holds no finished run of this configuration."""
    if not io.is_complete(out_dir):
        return None
    summary = io.read_summary(out_dir)
    old = summary.get("config")
    if not isinstance(old, Mapping) or _without_replicates(old) != _without_replicates(config):
        return None
    runs = summary.get("runs") or []
    if [row.get("replicate") for row in runs] != list(range(len(runs))):
        return None  # not a plain 0..n-1 run: run it whole
    return len(runs)


def _merged(config: dict[str, Any], out_dir: Path, keep: int,
            new: RunResult | None) -> RunResult:
    """The first ``keep`` stored replicates, followed by ``new`` ones (if any)."""
    summary = io.read_summary(out_dir)
    records = summary["runs"][:keep] + ([] if new is None else
                                        new.summary.to_dict(orient="records"))
    rows = pd.DataFrame(records)  # built as simulate builds it: None/NaN -> float columns
    series = pd.read_parquet(out_dir / io.TIMESERIES)
    groups = pd.read_parquet(out_dir / io.GROUPS)
    series, groups = (frame[frame["replicate"] < keep] for frame in (series, groups))
    if new is not None:
        series = pd.concat([series, new.timeseries], ignore_index=True)
        groups = pd.concat([groups, new.groups], ignore_index=True)
    runtime = float(summary.get("runtime_s") or 0.0) + (new.runtime_s if new else 0.0)
    groups = groups.reset_index(drop=True)
    return RunResult(config=config, summary=rows, timeseries=series.reset_index(drop=True),
                     groups=groups, runtime_s=runtime, extra=outcomes.extra(groups),
                     agents=_merged_agents(out_dir, keep, new))


def _merged_agents(out_dir: Path, keep: int, new: RunResult | None) -> pd.DataFrame | None:
    """The stored agent table's first ``keep`` replicates and the new ones (record_agents)."""
    from sim.runs.runner import AGENTS

    parts = []
    if (out_dir / AGENTS).is_file():
        stored = pd.read_parquet(out_dir / AGENTS)
        parts.append(stored[stored["replicate"] < keep])
    if new is not None and new.agents is not None:
        parts.append(new.agents)
    return pd.concat(parts, ignore_index=True) if parts else None


def run_job(cfg: DictConfig | Mapping[str, Any], out_dir: Path | str) -> RunResult | None:
    """``sim.runs.runner.run_job`` that extends (or trims) a finished job's replicates instead of
    running them all again. Returns None when the job was already complete."""
    out = Path(out_dir)
    config = to_dict(cfg)
    wanted = int(config.get("replicates", 1))
    stored = stored_replicates(out, config)
    if stored is None or stored == wanted:
        return run_whole_job(config, out)
    from sim.runs.config import validate

    validate(config)
    new = simulate(config, replicates=range(stored, wanted)) if wanted > stored else None
    result = _merged(config, out, min(stored, wanted), new)
    result.extra["fingerprint"] = config_fingerprint(config)
    (out / io.SUMMARY).unlink()  # never complete-looking while its tables change
    write_result(result, out, figure=bool(config.get("figure", True)))
    return result
