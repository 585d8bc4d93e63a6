"""``pasim-optimise``: the best mix of levers for a budget (``sim.analysis.optimise``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.analysis.optimise import (
    DEFAULT_OUT,
    DEFAULT_OVERRIDES,
    MIX,
    OUTCOMES,
    SETTING_COLUMNS,
    optimise,
)
from sim.commands.arguments import CommandParser, add_run_options, exit_status, positive_int


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="pasim-optimise",
        description="The best split of a yearly budget between convening, shared goals, "
                    "champions and events (Optuna TPE), with its uncertainty.")
    parser.add_argument("overrides", nargs="*",
                        help="pasim config overrides (applied after "
                             f"{' '.join(DEFAULT_OVERRIDES)}), e.g. steps=156")
    parser.add_argument("--trials", type=positive_int, default=50,
                        help="mixes tried (default 50)")
    parser.add_argument("--budget", type=float, default=500.0,
                        help="total budget, £k per year (default 500)")
    parser.add_argument("--replicates", type=positive_int, default=3,
                        help="replicates per trial (default 3)")
    parser.add_argument("--objective", default="steps_to_50", choices=list(OUTCOMES),
                        help="what to optimise (default steps_to_50, minimised)")
    parser.add_argument("--top", type=positive_int, default=5,
                        help="best mixes confirmed (default 5)")
    parser.add_argument("--confirm", type=int, default=10,
                        help="fresh replicates per confirmed mix (default 10)")
    parser.add_argument("--batch", type=positive_int, default=2,
                        help="trials proposed at once (default 2)")
    add_run_options(parser, DEFAULT_OUT, seed_help="sampler and model base seed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; its exit status (2: bad input, reported in one line)."""
    return exit_status(lambda: _run(_parser().parse_args(argv)))


def _run(args: argparse.Namespace) -> int:
    _, best, folder = optimise(args.overrides, trials=args.trials, budget=args.budget,
                               replicates=args.replicates, objective=args.objective,
                               top=args.top, confirm=args.confirm, seed=args.seed,
                               jobs=args.jobs, batch=args.batch, out=args.out)
    columns = ["search_rank", *(f"spend_{k}" for k in MIX), *SETTING_COLUMNS, "mean", "ci95_low",
               "ci95_high", "mean_final_adoption", "mean_cost"]
    print(f"best mixes by {args.objective} (confirmed with {args.confirm} fresh replicates):")
    print(best[columns].round(3).to_string(index=False))
    print(f"-> {folder}")
    return 0



if __name__ == "__main__":
    sys.exit(main())
