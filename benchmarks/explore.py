"""Explorer responsiveness: how long a lever change takes to show on the scenario page.

    python -m benchmarks.explore [--replicates 10] [--repeats 3] [--workers 2]

What is timed is what the page does when a strategist changes a lever and presses Run,
with the app already up (workers started, the matched baseline computed while the page
loaded, as ``pasim-explore`` does): compose the changed scenario, run its replicates in the
worker processes one at a time, and hand each finished replicate to the page. Reported:
seconds to the first paired replicate (the page draws it) and to the last (the full result),
for the England network at its defaults. Each repeat changes the convening budget to a new
value, so nothing is cached. Drawing the charts in the browser is not included.

This is a benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Sequence


def measure(replicates: int, repeats: int) -> list[tuple[float, float]]:
    from sim.explore import scenario as sc

    settings = sc.Settings(scenario="recommended", replicates=replicates)
    sc.pool()
    baseline = sc.baseline_config(settings)
    for future in sc.baseline_futures(baseline).values():
        future.result()
    timings = []
    for k in range(repeats):
        changed = sc.Settings(scenario="recommended", replicates=replicates,
                              levers={"levers.convening.budget": 210.0 + 10 * k})
        start = time.perf_counter()
        first: list[float] = []

        def on_progress(progress, first=first, start=start):
            if progress.paired and not first:
                first.append(time.perf_counter() - start)

        sc.run(sc.scenario_config(changed), baseline, on_progress, threading.Event(),
               write=False)
        timings.append((first[0], time.perf_counter() - start))
    return timings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    os.environ["PASIM_EXPLORE_WORKERS"] = str(args.workers)
    timings = measure(args.replicates, args.repeats)
    for k, (first, full) in enumerate(timings, 1):
        print(f"repeat {k}: first result {first:.2f} s, full result {full:.2f} s")
    print(f"median over {len(timings)} repeats ({args.replicates} England replicates, "
          f"{args.workers} workers, {os.cpu_count()} cores): first result "
          f"{statistics.median(t[0] for t in timings):.2f} s, full result "
          f"{statistics.median(t[1] for t in timings):.2f} s")


if __name__ == "__main__":
    main()
