"""``pasim-validate <study>``: reproduce a validation study (``sim.analysis.validation``).

    pasim-validate <study> [--small] [--jobs N] [--seed S] [--out DIR]
    pasim-validate all --small
    pasim-validate --list
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.analysis.studies import STUDIES
from sim.analysis.validation import DEFAULT_OUT, default_out, run_study
from sim.commands.arguments import CommandParser, exit_status, non_negative_int, positive_int


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="pasim-validate",
        description="Reproduce a validation study's figure (see experiments/<study>/README.md).")
    parser.add_argument("study", nargs="?", choices=[*STUDIES, "all"],
                        help="which study ('all' runs every one)")
    parser.add_argument("--small", action="store_true",
                        help="the small size (seconds) instead of the README's (minutes)")
    parser.add_argument("--size", default=None,
                        help="a named size of the study (e.g. centola_macy_2007 --size k8)")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="worker processes (default 1)")
    parser.add_argument("--seed", type=non_negative_int, default=1, help="base seed (default 1)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default {DEFAULT_OUT}, or {DEFAULT_OUT}/small "
                             "with --small)")
    parser.add_argument("--list", action="store_true", help="list the studies and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; its exit status (2: bad input, reported in one line)."""
    return exit_status(lambda: _run(_parser().parse_args(argv)))


def _run(args: argparse.Namespace) -> int:
    if args.list or args.study is None:
        for name, study in STUDIES.items():
            print(f"{name:26s} {study.question}")
        return 0
    names = list(STUDIES) if args.study == "all" else [args.study]
    size = "small" if args.small else (args.size or "default")
    for name in names:
        if size not in STUDIES[name].sizes:
            print(f"error: --size: {name} has sizes {', '.join(STUDIES[name].sizes)} "
                  f"(got {size!r})", file=sys.stderr)
            return 2
    out = args.out if args.out is not None else default_out(size)
    for name in names:
        found = run_study(name, out, size=size, seed=args.seed, jobs=args.jobs)
        shown = {k: v for k, v in found.items() if k not in ("parameters", "study")}
        print(f"{name}: {json.dumps(shown, default=str)}")
        print(f"  -> {Path(out) / name}")
    return 0



if __name__ == "__main__":
    sys.exit(main())
