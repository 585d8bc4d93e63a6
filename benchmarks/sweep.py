"""Sweep benchmark: the ``lever_grid`` study (1,000 England runs) on the default launcher.

    python -m benchmarks.sweep [--jobs 2] [--out results/benchmarks/sweep.json]
                               [--keep DIR] [OVERRIDE ...]

Runs ``pasim -m experiment=lever_grid`` exactly as a user would (a subprocess, the joblib
launcher with ``--jobs`` workers, progress off) into a fresh directory, then reports:

- **wall time** of the whole command: pre-flight checks, every job, collation;
- **per run**: the model's own time for one replicate (building the network and the model,
  260 weekly steps, the summary), the mean of the ``runtime_s`` column of the sweep table;
- **per-job overhead**: everything else, spread over the jobs:
  ``(workers x wall - sum of per-run times) / jobs`` -- starting workers and importing,
  Hydra composing each job's config, the pre-flight checks, writing each job's files,
  collating, and idle workers at the end;
- the pre-flight check (``sim.runs.config.check_command_line``, serial, before any job starts)
  and the collation (``sim.runs.sweep.collate``), timed on their own in this process;
- where the per-job overhead goes, from each job directory's files: inside a job, besides its
  runs (``runtime_s``), the matched no-lever runs it had to make and the tables it keeps
  (from its ``.hydra`` files to the end of ``simulate``), and tabling and writing its results
  (to ``summary.json``); outside jobs, Hydra's work per job, the launcher, start-up and
  collation, and idle workers (``workers x wall`` less the time inside jobs).

Extra ``OVERRIDE``s go to ``pasim`` (e.g. ``replicates=2`` for a quick look). The machine is
shared: the report records the load average before and after, so a reader can tell whether
other work competed for the cores. A benchmark, not a test: it asserts no time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASIM = str(Path(sys.executable).with_name("pasim"))
TARGET_S = 30.0  #: the target: the 1,000-run lever_grid in 30 s on 2 cores, job overhead included


def _timed(func, *args, **kwargs) -> tuple[Any, float]:
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - start


def job_split(sweep_dir: Path, jobs: int, wall_s: float) -> dict[str, float]:
    """Per job (means): inside it, the time beside its runs in ``simulate`` and the time
    writing its files; outside jobs, ``(workers x wall - time inside jobs) / jobs``."""
    inside = beside_runs = writing = 0.0
    done = 0
    for summary in sweep_dir.glob("*/summary.json"):
        hydra_files = list((summary.parent / ".hydra").glob("*.yaml"))
        if not hydra_files:
            continue  # not written by a Hydra job: no start time to measure from
        record = json.loads(summary.read_text())
        started = min(path.stat().st_mtime for path in hydra_files)
        in_job = summary.stat().st_mtime - started
        inside += in_job
        beside_runs += record["runtime_s"] - sum(run["runtime_s"] for run in record["runs"])
        writing += in_job - record["runtime_s"]
        done += 1
    if not done:
        return {}
    return {"job_beside_runs_s": round(beside_runs / done, 2),
            "job_writing_s": round(writing / done, 2),
            "outside_jobs_s": round((jobs * wall_s - inside) / done, 2)}


def run(jobs: int, overrides: list[str], sweep_dir: Path) -> dict[str, Any]:
    """Run the sweep into ``sweep_dir`` and measure it."""
    warnings.filterwarnings("ignore", message=r"(?s).*is validated against ConfigStore")
    from sim.runs.config import check_command_line
    from sim.runs.sweep import collate

    args = ["-m", "experiment=lever_grid", *overrides]
    load_before = os.getloadavg()
    n_jobs, preflight_s = _timed(check_command_line, args)
    cmd = [PASIM, *args, f"hydra.sweep.dir={sweep_dir}", f"hydra.launcher.n_jobs={jobs}",
           "progress=false"]
    done, wall_s = _timed(subprocess.run, cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the sweep failed:\n{done.stderr[-3000:]}")
    tables, collate_s = _timed(collate, sweep_dir)
    runs = tables.runs
    model_s = float(runs["runtime_s"].sum())
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["pasim", *args, f"hydra.launcher.n_jobs={jobs}"]),
        "workers": jobs,
        "cpu_count": os.cpu_count(),
        "jobs": int(runs["job"].nunique()),
        "runs": len(runs),
        "failed": int((runs["status"] != "ok").sum()),
        "wall_s": round(wall_s, 1),
        "target_s": TARGET_S,
        "per_run_s": round(model_s / len(runs), 3),
        "per_run_s_p90": round(float(runs["runtime_s"].quantile(0.9)), 3),
        "model_total_s": round(model_s, 1),
        "per_job_overhead_s": round((jobs * wall_s - model_s) / n_jobs, 2),
        "preflight_s": round(preflight_s, 1),
        "collate_s": round(collate_s, 2),
        **job_split(sweep_dir, jobs, wall_s),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def describe(r: dict[str, Any]) -> str:
    verdict = "meets" if r["wall_s"] <= r["target_s"] else "misses"
    return "\n".join([
        f"lever_grid sweep: {r['runs']} runs in {r['jobs']} jobs on {r['workers']} workers "
        f"({r['cpu_count']} cores), {r['failed']} failed",
        f"  wall time          {r['wall_s']:8.1f} s   ({verdict} the {r['target_s']:.0f} s "
        f"target)",
        f"  per run (model)    {r['per_run_s']:8.3f} s   (90th percentile "
        f"{r['per_run_s_p90']:.3f} s; {r['model_total_s']:.0f} s in all)",
        f"  per-job overhead   {r['per_job_overhead_s']:8.2f} s",
        f"  of which pre-flight check {r['preflight_s']:.1f} s in all (serial, before the "
        f"first job), collation {r['collate_s']:.2f} s",
        *([f"  per job: beside its runs {r['job_beside_runs_s']:.2f} s, tabling and writing "
           f"its files {r['job_writing_s']:.2f} s, outside jobs {r['outside_jobs_s']:.2f} s"]
          if "job_writing_s" in r else []),
        f"  load average before {r['load_before']}, after {r['load_after']}",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="joblib workers (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "results/benchmarks/sweep.json")
    parser.add_argument("--keep", type=Path, help="sweep into this directory and keep it")
    parser.add_argument("overrides", nargs="*", help="extra pasim overrides")
    args = parser.parse_args(argv)
    if args.keep:
        result = run(args.jobs, args.overrides, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="pasim-bench-") as tmp:
            result = run(args.jobs, args.overrides, Path(tmp) / "lever_grid")
    print(describe(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
