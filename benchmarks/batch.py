"""Replicates stepped together against one at a time, on the real England.

    python -m benchmarks.batch [--sizes 1 8 32] [--repeats 3] [--steps 260] [--out FILE]

For each scenario (``baseline``, ``recommended``) and each R in ``--sizes``, on one shared
England network (``network.seed=0``: what batching needs; the default ``network.seed: null``
builds a new network per replicate, which cannot be shared), R replicates are built from
their seeds (``sim.world.build.build_model``) and run for ``--steps`` weekly steps:

- one at a time: each model built, then ``model.run(steps)``;
- batched: the R models built, then ``sim.engine.batch.Batch(models).run(steps)``.

Reported per replicate (build + run, outputs excluded, as ``benchmarks.england``'s
"build + run"), the best of ``--repeats``, in wall-clock and CPU seconds, with the ratio
one-at-a-time / batched, and the peak memory each way (``tracemalloc``'s peak of the
measurement, numpy's arrays included, in a separate pass so that tracing never slows the
timed one). The two ways must give the same histories for every replicate, or the
benchmark stops with an error. The load average at start and end is printed: on a shared
machine the wall clock measures the neighbours as much as the code.

A benchmark, not a test: nothing about speed is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

SCENARIOS = ("baseline", "recommended")


def _best(func: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """Minimum wall-clock and CPU seconds over ``repeats`` calls, and the last result."""
    wall, cpu, result = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = func()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu), result


def _peak_mib(func: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 32], metavar="R")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=260)
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    start_load = _load()

    from sim.analysis.compare import compose
    from sim.engine.batch import Batch
    from sim.networks.england import england
    from sim.runs.config import validate
    from sim.world.build import build_model

    network = england(seed=0)
    rows = []
    for scenario in SCENARIOS:
        cfg = validate(compose(scenario, ["network.seed=0", f"steps={args.steps}"]))
        for size in args.sizes:
            seeds = range(1, size + 1)

            def alone(seeds: range = seeds, cfg: dict = cfg) -> list:
                return [build_model(cfg, network, seed).run(args.steps) for seed in seeds]

            def batched(seeds: range = seeds, cfg: dict = cfg) -> list:
                models = [build_model(cfg, network, seed) for seed in seeds]
                Batch(models).run(args.steps)
                return models

            a_wall, a_cpu, a_models = _best(alone, args.repeats)
            b_wall, b_cpu, b_models = _best(batched, args.repeats)
            for a, b in zip(a_models, b_models, strict=True):
                if not a.history.equals(b.history):
                    print(f"batch differs from one at a time: {scenario}, R={size}",
                          file=sys.stderr)
                    return 1
            del a_models, b_models
            rows.append((scenario, size, a_wall / size, b_wall / size, a_cpu / size,
                         b_cpu / size, _peak_mib(alone), _peak_mib(batched)))
            print(f"{scenario} R={size}: {a_wall / size * 1e3:.1f} -> "
                  f"{b_wall / size * 1e3:.1f} ms/replicate", file=sys.stderr)

    lines = [f"real England ({network.n:,} agents, {network.n_edges:,} ties, network.seed=0), "
             f"{args.steps} steps, best of {args.repeats}; load average {start_load} at start, "
             f"{_load()} at end",
             "",
             "| scenario | R | one at a time ms/replicate | batched ms/replicate | ratio "
             "| CPU one at a time | CPU batched | CPU ratio | peak MiB one at a time "
             "| peak MiB batched |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario, size, a_wall, b_wall, a_cpu, b_cpu, a_mib, b_mib in rows:
        lines.append(f"| {scenario} | {size} | {a_wall * 1e3:.1f} | {b_wall * 1e3:.1f} | "
                     f"{a_wall / b_wall:.1f}x | {a_cpu * 1e3:.1f} | {b_cpu * 1e3:.1f} | "
                     f"{a_cpu / b_cpu:.1f}x | {a_mib:.0f} | {b_mib:.0f} |")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
