"""The 10^7-node ring lattice from the command line: wall time and peak memory, by phase.

    python -m benchmarks.cli_scale [--n 10000000] [--steps 100] [--out FILE]

Target (issue "speed at the limit", target 4): ``pasim network=ring_lattice
network.n=10000000 network.k=8 model.threshold=2 mechanisms=none steps=100`` built, set up
and run in <= 10 s with a peak RSS <= 2.5 GB, outputs (Parquet tables, figure) included.

Two measurements, each in a fresh process:

1. the real command, exactly as a user types it, in a child whose wall time and
   ``ru_maxrss`` (from ``os.wait4``) are the figures that count;
2. the same run in phases (imports, config, network, model set-up, steps, tables, figure),
   with the RSS high-water mark after each, to show where the time and memory go.

This is a benchmark, not a test: nothing is asserted except that the run did its work.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0
TARGET_GB = 2.5


def command(n: int, steps: int, out_dir: Path) -> list[str]:
    """The user's command line (through the installed ``pasim`` entry point's module)."""
    return [sys.executable, "-m", "sim.commands.cli", "network=ring_lattice", f"network.n={n}",
            "network.k=8", "model.threshold=2", "mechanisms=none", f"steps={steps}",
            f"hydra.run.dir={out_dir}"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def run_cli(n: int, steps: int) -> dict[str, Any]:
    """Wall time and peak RSS of the real command in its own process."""
    with tempfile.TemporaryDirectory(prefix="cli-scale-") as tmp:
        out = Path(tmp) / "run"
        t0 = time.perf_counter()
        proc = subprocess.Popen(command(n, steps, out), cwd=ROOT, env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err = proc.stderr.read() if proc.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0 or not (out / "summary.json").exists():
            raise RuntimeError(f"the command failed:\n{err}")
        summary = json.loads((out / "summary.json").read_text())
        files = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_gb": usage.ru_maxrss * 1024 / 1e9, "files": files,
            "summary_keys": sorted(summary)}


def phases(n: int, steps: int) -> dict[str, Any]:
    """Child side: the command's work split into phases, timed, with RSS after each."""
    import resource

    def peak_gb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9

    marks: list[tuple[str, float, float, float]] = []
    t, c = time.perf_counter(), time.process_time()

    def mark(name: str) -> None:
        nonlocal t, c
        now, cpu = time.perf_counter(), time.process_time()
        marks.append((name, now - t, cpu - c, peak_gb()))
        t, c = now, cpu

    import numpy as np  # noqa: F401 - part of the import cost being measured

    from sim.runs import runner
    from sim.world.build import build_model

    mark("imports (sim, numpy, scipy, pandas, mesa, hydra)")
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(ROOT / "configs"), version_base=None):
        cfg = compose("config", overrides=["network=ring_lattice", f"network.n={n}",
                                           "network.k=8", "model.threshold=2",
                                           "mechanisms=none", f"steps={steps}"])
    from sim.runs.config import validate

    config = validate(runner.to_dict(cfg))
    mark("compose and validate the config")
    network = runner.replicate_network(config, 0, {})
    mark("build the ring lattice")
    model = build_model(config, network, 0)
    mark("set up the model")
    model.run(config["steps"])
    mark(f"run {steps} steps")
    from sim.runs import results as io

    with tempfile.TemporaryDirectory(prefix="cli-phases-") as tmp:
        out = Path(tmp)
        io.write_table(out / io.TIMESERIES, model.history)
        io.write_table(out / io.GROUPS, model.history_by_group())
        mark("write the Parquet tables")
        from sim.runs.plots import adoption_figure

        mark("import matplotlib (sim.runs.plots)")
        adoption_figure(model.history, model.history_by_group(), out / io.FIGURE,
                        title="ring_lattice")
        mark("draw and save the figure")
    return {"marks": marks, "adopted": int(model.history["adopted"].iloc[-1]),
            "dtypes": [str(network.adjacency.indices.dtype), str(network.adjacency.dtype)]}


def run_phases(n: int, steps: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cli-phases-") as tmp:
        out = Path(tmp) / "phases.json"
        cmd = [sys.executable, "-m", "benchmarks.cli_scale", "--phases-child", str(out),
               "--n", str(n), "--steps", str(steps)]
        subprocess.run(cmd, cwd=ROOT, env=_env(), check=True)
        return json.loads(out.read_text())


def render(n: int, steps: int, cli: dict[str, Any], parts: dict[str, Any]) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    ok_t = "ok" if cli["wall_s"] <= TARGET_SECONDS else "MISSED"
    ok_m = "ok" if cli["peak_gb"] <= TARGET_GB else "MISSED"
    lines = [
        f"## {n:,}-node ring lattice from the command line (target <= {TARGET_SECONDS:g} s, "
        f"<= {TARGET_GB:g} GB)",
        "",
        f"Command: `pasim {' '.join(command(n, steps, Path('<dir>'))[3:-1])}`; "
        f"rerun with `python -m benchmarks.cli_scale --n {n} --steps {steps}`. "
        f"Load average at the end: {load} (2 cores).",
        "",
        "| measure | value | target |",
        "|:--|--:|:--|",
        f"| wall time, whole command | {cli['wall_s']:.2f} s | {ok_t} |",
        f"| CPU time (user + sys) | {cli['cpu_s']:.2f} s | (wall on a loaded machine) |",
        f"| peak RSS (ru_maxrss) | {cli['peak_gb']:.2f} GB | {ok_m} |",
        "",
        f"Phases of the same run in one process (index and weight dtypes "
        f"{' / '.join(parts['dtypes'])}; {parts['adopted']:,} adopted after {steps} steps):",
        "",
        "| phase | wall s | CPU s | peak RSS after, GB |",
        "|:--|--:|--:|--:|",
        *(f"| {name} | {sec:.2f} | {cpu:.2f} | {gb:.2f} |"
          for name, sec, cpu, gb in parts["marks"]),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_scale",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--phases-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phases_child:
        args.phases_child.write_text(json.dumps(phases(args.n, args.steps)))
        return 0
    cli = run_cli(args.n, args.steps)
    parts = run_phases(args.n, args.steps)
    text = render(args.n, args.steps, cli, parts)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
