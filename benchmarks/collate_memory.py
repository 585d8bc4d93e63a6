"""Peak memory of collating a sweep against its number of runs (synthetic run directories).

    python -m benchmarks.collate_memory [--runs 1000 10000 100000] [--steps 261]

Each size gets a fresh sweep directory of tiny finished jobs (``make_sweep``: a Hydra
``overrides.yaml``, a ``summary.json`` and a ``timeseries.parquet`` of ``steps`` rows, as
``pasim -m`` writes them), then ``sim.runs.sweep.collate(dir, tables=False)`` runs in a child
process whose ``ru_maxrss`` is reported, with the RSS after imports for reference, and the
growth of the peak per run between the smallest and the largest sweep. Both tables are
streamed to disk a chunk of jobs at a time; what is held for every job is its name, its
override pairs and its row of parameters (the tables' sort order needs them).

A benchmark, not a test: ``tests/test_results_streaming.py`` checks that the streamed table
equals the in-memory collation.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def make_sweep(root: Path, runs: int, steps: int = 261, failed_every: int = 0) -> Path:
    """``runs`` finished jobs (``model.threshold`` x ``seed``), every series hard-linked
    from one file (the collation reads each as its own); every ``failed_every``-th job failed.
    """
    import numpy as np
    import pandas as pd

    root.mkdir(parents=True, exist_ok=True)
    template = root / ".template.parquet"
    step = np.arange(steps)
    adopted = np.minimum(10 + 3 * step, 1000)
    pd.DataFrame({"replicate": 0, "step": step, "adopted": adopted,
                  "adopted_fraction": adopted / 1000, "aware": adopted + 5,
                  "aware_fraction": (adopted + 5) / 1000, "new_adopters": 3, "lapsed": 0,
                  "ties_built": 0, "cost": 0.0}).to_parquet(template, index=False)
    for i in range(runs):
        threshold, seed = 1 + i % 4, i // 4
        job = root / f"model.threshold={threshold},seed={seed}"
        (job / ".hydra").mkdir(parents=True, exist_ok=True)
        overrides = [f"model.threshold={threshold}", f"seed={seed}"]
        (job / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
        config = {"model": {"threshold": threshold}, "seed": seed, "steps": steps - 1}
        if failed_every and i % failed_every == failed_every - 1:
            (job / "failed.json").write_text(json.dumps({
                "error": "model.threshold: synthetic failure", "type": "InputError",
                "overrides": overrides, "config": config}))
            continue
        try:
            os.link(template, job / "timeseries.parquet")
        except OSError as err:  # a file system's limit on links to one file (ext4: 65,000)
            if err.errno != errno.EMLINK:
                raise
            template = template.with_name(f".template{i}.parquet")
            shutil.copyfile(job.parent / ".template.parquet", template)
            os.link(template, job / "timeseries.parquet")
        run = {"replicate": 0, "seed": 1000 + i, "final_adoption": 1.0 / threshold,
               "steps_to_50": 10 * threshold, "runtime_s": 0.01}
        (job / "summary.json").write_text(json.dumps({
            "runs": [run], "config": config, "overrides": overrides}))
    return root


def child(sweep: Path) -> dict[str, Any]:
    import resource

    from sim.runs.sweep import collate, manifest

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    collate(sweep, tables=False)
    seconds = time.perf_counter() - t0
    info = manifest(sweep)
    return {"seconds": seconds, "baseline_mib": base, "rows": info["rows"],
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "series_mb": (sweep / "timeseries.parquet").stat().st_size / 1e6}


def measure(runs: int, steps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="collate-") as tmp:
        sweep = make_sweep(Path(tmp) / "sweep", runs, steps)
        out = Path(tmp) / "out.json"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        subprocess.run([sys.executable, "-m", "benchmarks.collate_memory", "--child",
                        str(sweep), str(out)], cwd=ROOT, env=env, check=True)
        result = json.loads(out.read_text())
        shutil.rmtree(sweep, ignore_errors=True)
    return {"runs": runs, "steps": steps, **result}


def render(results: list[dict[str, Any]]) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = ["| runs | series rows | collate s | RSS after imports MiB | peak MiB | "
             "peak - imports MiB | timeseries.parquet MB |", "|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        rows = r["runs"] * r["steps"]
        lines.append(f"| {r['runs']:,} | {rows:,} | {r['seconds']:.1f} | "
                     f"{r['baseline_mib']:,.0f} | {r['peak_mib']:,.0f} | "
                     f"{r['peak_mib'] - r['baseline_mib']:,.0f} | {r['series_mb']:.1f} |")
    growth = ""
    if len(results) > 1:
        small, large = min(results, key=lambda r: r["runs"]), max(results, key=lambda r: r["runs"])
        per_run = ((large["peak_mib"] - large["baseline_mib"])
                   - (small["peak_mib"] - small["baseline_mib"])) / (large["runs"] - small["runs"])
        growth = (f"Peak above imports grows {per_run * 1024:.2f} KiB per run from "
                  f"{small['runs']:,} to {large['runs']:,} runs.")
    return "\n".join([*lines, "", growth, f"Load average at the end: {load} (2 cores)."]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.collate_memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--steps", type=int, default=261)
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sweep, out = args.child
        out.write_text(json.dumps(child(sweep)))
        return 0
    print(render([measure(n, args.steps) for n in args.runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
