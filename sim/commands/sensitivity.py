"""``pasim-sensitivity``: which levers and mechanisms drive adoption (Sobol indices;
``sim.analysis.sensitivity`` does the work)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.analysis.sensitivity import (
    DEFAULT_OUT,
    DEFAULT_OVERRIDES,
    select_factors,
    sensitivity,
    small_sample_warning,
)
from sim.commands.arguments import CommandParser, add_run_options, exit_status, positive_int


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="pasim-sensitivity",
        description="Sobol' sensitivity of steps to 50 %, final adoption, equity gap and cost "
                    "per adopter to the levers and uncertain mechanisms.")
    parser.add_argument("overrides", nargs="*",
                        help="pasim config overrides, e.g. steps=104 mechanisms.coherence=0.7 "
                             f"(applied after the defaults {' '.join(DEFAULT_OVERRIDES)})")
    parser.add_argument("--n", type=positive_int, default=64,
                        help="Sobol' base sample size, a power of two (runs: n x (factors+2))")
    parser.add_argument("--replicates", type=positive_int, default=2,
                        help="replicates per sample")
    parser.add_argument("--factors", default=None,
                        help="comma-separated factor keys to vary (default: all of FACTORS)")
    add_run_options(parser, DEFAULT_OUT, seed_help="sampling and model base seed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; its exit status (2: bad input, reported in one line)."""
    return exit_status(lambda: _run(_parser().parse_args(argv)))


def _run(args: argparse.Namespace) -> int:
    factors = select_factors(args.factors.split(",") if args.factors else None)
    runs, indices, folder = sensitivity(args.overrides, n=args.n,
                                        replicates=args.replicates, factors=factors,
                                        seed=args.seed, jobs=args.jobs,
                                        out=args.out)
    shown = indices.pivot(index="label", columns="outcome", values="ST")
    print(f"total-order Sobol' indices ({runs['sample'].nunique()} samples x "
          f"{runs['replicate'].nunique()} replicates):")
    print(shown.round(3).to_string())
    warning = small_sample_warning(indices)
    if warning:
        print(warning, file=sys.stderr)
    print(f"-> {folder}")
    return 0



if __name__ == "__main__":
    sys.exit(main())
