"""What common random numbers buy: the standard error of a paired lever effect against the
same effect estimated from independent replicates.

    python -m benchmarks.crn                     # 1 champion per ICS vs none, 20 replicates
    python -m benchmarks.crn --replicates 10 --steps 104 -- levers/champions=pacc

Paired: replicate r of the lever run and of the baseline share the replicate seed, hence the
same synthetic England, thresholds, seeds and per-agent draws (``sim.engine.streams``); the effect
is the mean of the per-replicate differences. Unpaired: the lever run uses another base seed,
so the two arms are independent samples. Both estimate the same effect; the ratio of their
standard errors is how many times fewer replicates a paired comparison needs, squared.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from sim.analysis.sensitivity import compose_config
from sim.runs.runner import simulate

METRIC = "final_adoption"


def final_adoption(overrides: Sequence[str], seed: int, replicates: int,
                   steps: int) -> np.ndarray:
    """The metric per replicate of one configuration."""
    cfg = compose_config([*overrides, f"seed={seed}", f"replicates={replicates}",
                          f"steps={steps}", "figure=false"])
    return simulate(cfg).summary[METRIC].to_numpy(float)


def paired_and_unpaired(lever: Sequence[str], replicates: int = 20, steps: int = 260,
                        seed: int = 1, other_seed: int = 1001) -> dict[str, float]:
    """Mean lever effect on ``METRIC`` and its standard error, paired and unpaired."""
    base = final_adoption([], seed, replicates, steps)
    paired = final_adoption(lever, seed, replicates, steps)
    unpaired = final_adoption(lever, other_seed, replicates, steps)
    diff = paired - base
    se_paired = diff.std(ddof=1) / np.sqrt(replicates)
    se_unpaired = np.sqrt((unpaired.var(ddof=1) + base.var(ddof=1)) / replicates)
    return {
        "replicates": replicates,
        "effect_paired": float(diff.mean()),
        "se_paired": float(se_paired),
        "effect_unpaired": float(unpaired.mean() - base.mean()),
        "se_unpaired": float(se_unpaired),
        "se_ratio": float(se_unpaired / se_paired) if se_paired > 0 else float("inf"),
        "same_sign_share": float(np.mean(diff > 0)),
        "baseline_mean": float(base.mean()), "baseline_sd": float(base.std(ddof=1)),
        "lever_mean": float(paired.mean()), "lever_sd": float(paired.std(ddof=1)),
        "correlation": float(np.corrcoef(base, paired)[0, 1]) if base.std() > 0
        and paired.std() > 0 else float("nan"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--steps", type=int, default=260)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("lever", nargs="*", default=["levers/champions=pacc"],
                        help="overrides of the lever arm (default: levers/champions=pacc)")
    ns = parser.parse_args(argv)
    if ns.replicates < 2 or ns.steps < 1:
        parser.error("--replicates must be >= 2 and --steps >= 1")
    start = time.perf_counter()
    out = paired_and_unpaired(ns.lever, ns.replicates, ns.steps, ns.seed)
    print(f"lever: {' '.join(ns.lever)} vs none; {METRIC} after {ns.steps} steps, "
          f"{out['replicates']} replicates")
    print(f"baseline {out['baseline_mean']:.4f} (sd {out['baseline_sd']:.4f}), lever "
          f"{out['lever_mean']:.4f} (sd {out['lever_sd']:.4f}), correlation across paired "
          f"replicates {out['correlation']:+.2f}")
    print(f"paired   (same replicate seeds): effect {out['effect_paired']:+.4f}, "
          f"standard error {out['se_paired']:.4f}")
    print(f"unpaired (independent seeds):    effect {out['effect_unpaired']:+.4f}, "
          f"standard error {out['se_unpaired']:.4f}")
    print(f"standard error ratio (unpaired / paired): {out['se_ratio']:.1f}; "
          f"the lever helped in {out['same_sign_share']:.0%} of paired replicates "
          f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
