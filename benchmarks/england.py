"""What the real England costs: building it and one 5-year baseline run, after import.

    python -m benchmarks.england [--repeats 5]

Reported separately, each the best of ``--repeats``, as wall-clock and as this process's CPU
time (on a shared, busy machine the wall clock measures the neighbours as much as the code;
CPU time is the cost of the code itself):

- import of ``sim`` (once, in this fresh interpreter);
- first build: the tables read and checked, the organisations assembled (cached after);
- build: a new seed's ties and leaders on the cached organisations (what each replicate pays);
- run: the baseline scenario's model built and run for 260 weekly steps;
- build + run: one replicate as ``pasim`` runs it, outputs excluded;
- recommended run: the same for the ``recommended`` scenario (every lever on: champions,
  shared goals, convening building ties each quarter, purposeful events), on the network
  already built;
- recommended, cold: ``simulate`` of one ``recommended`` replicate with its matched no-lever
  baseline not yet known (so computed too), tables included: what ``pasim
  scenario=recommended network.seed=0`` costs after import, figure and files excluded;
- the two runs again with the NumPy fallback (``PASIM_KERNEL=numpy``), and the ratio: what the
  compiled loops (``sim.engine.loops``, numba) buy. The first run in this process, which
  loads the compiled loops from numba's on-disk cache (or compiles them, the first time on a
  machine), is timed on its own and excluded from the best-of figures.

A benchmark, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import time


def _best(func, repeats: int) -> tuple[float, float]:
    """Minimum wall-clock and minimum CPU seconds over ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        func()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    t0, c0 = time.perf_counter(), time.process_time()
    from sim.analysis.compare import compose
    from sim.networks.england import england, structure
    from sim.runs.config import validate
    from sim.world.build import build_model
    t_import = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    network = england(seed=0)
    t_first = time.perf_counter() - t0, time.process_time() - c0
    from sim.engine import kernel
    t0, c0 = time.perf_counter(), time.process_time()
    build_model(validate(compose("baseline", [])), network, seed=1).run(1)
    t_loops = time.perf_counter() - t0, time.process_time() - c0
    from sim.networks import england_tables
    t_cold = _best(lambda: (england_tables.load.cache_clear(), structure.cache_clear(),
                            england(seed=0)), max(1, args.repeats // 2))
    seeds = iter(range(1, 10_000))
    t_build = _best(lambda: england(seed=next(seeds)), args.repeats)
    cfg = validate(compose("baseline", []))
    steps = int(cfg["steps"])
    t_run = _best(lambda: build_model(cfg, network, seed=1).run(steps), args.repeats)
    t_both = _best(lambda: build_model(cfg, england(seed=next(seeds)), seed=1).run(steps),
                   args.repeats)
    recommended = validate(compose("recommended", []))
    t_rec = _best(lambda: build_model(recommended, network, seed=1).run(steps), args.repeats)
    from sim.runs import runner

    one = validate(compose("recommended", ["network.seed=0"]))
    t_simulate = _best(lambda: (runner._BASELINES.clear(),
                                runner.simulate(one, baseline_dir=None)),
                   args.repeats)
    with kernel.use("numpy"):
        t_run_np = _best(lambda: build_model(cfg, network, seed=1).run(steps), args.repeats)
        t_rec_np = _best(lambda: build_model(recommended, network, seed=1).run(steps),
                         args.repeats)
    print(f"real England: {network.n:,} agents, {network.n_edges:,} ties, {steps} steps; "
          f"step backend {kernel.backend()}")
    print("| stage | wall s | CPU s |\n|---|---:|---:|")
    for label, value in (("import sim", t_import), ("first build (in this process)", t_first),
                         ("first build (tables + organisations, best)", t_cold),
                         ("build (new seed)", t_build), (f"run ({steps} steps)", t_run),
                         ("build + run", t_both), (f"recommended run ({steps} steps)", t_rec),
                         ("recommended, cold (simulate: + matched baseline, tables)",
                          t_simulate),
                         ("first step in this process (compiled loops loaded)", t_loops),
                         ("run, NumPy fallback", t_run_np),
                         ("recommended run, NumPy fallback", t_rec_np)):
        print(f"| {label} | {value[0]:.3f} | {value[1]:.3f} |")
    print(f"\ncompiled / NumPy fallback, CPU: baseline run {t_run_np[1] / t_run[1]:.1f}x, "
          f"recommended run {t_rec_np[1] / t_rec[1]:.1f}x faster compiled")


if __name__ == "__main__":
    main()
