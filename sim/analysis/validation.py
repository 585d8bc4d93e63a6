"""Run a validation study and write its table, figure and findings.

    pasim-validate <study> [--small] [--jobs N] [--seed S] [--out DIR]
    pasim-validate all --small
    pasim-validate --list

Writes ``<out>/<study>/table.csv`` (tidy: one row per run), ``<study>.png`` and
``findings.json`` (the numbers the study's README quotes); ``--out`` defaults to
``results/validation`` (``results/validation/small`` with ``--small``). Studies live in
``sim.analysis.studies``; see ``experiments/<study>/``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.analysis.studies import STUDIES
from sim.analysis.studies.common import save_figure
from sim.commands.arguments import CommandParser, non_negative_int, positive_int
from sim.runs.results import atomic_write, write_json

DEFAULT_OUT = Path("results/validation")


def default_out(size: str) -> Path:
    """``<results>/validation``, and ``validation/<size>`` for any other size (``small``,
    ``k8`` ...), so a quick look never overwrites the README's full-size figures."""
    from sim.runs.paths import results_root

    folder = results_root() / "validation"
    return folder if size == "default" else folder / size


def run_study(name: str, out: Path | str = DEFAULT_OUT, size: str = "default", seed: int = 1,
              jobs: int = 1) -> dict[str, Any]:
    """Run study ``name`` at ``size`` and write its outputs; return its findings.

    The findings are written last, so a directory with ``findings.json`` is complete.
    """
    study = STUDIES[name]
    start = time.perf_counter()
    table = study.execute(size, seed=seed, jobs=jobs)
    folder = Path(out) / name
    atomic_write(folder / "table.csv", lambda p: table.to_csv(p, index=False))
    save_figure(study.figure(table), folder / f"{name}.png")
    found = {"study": name, "size": size, "seed": seed, "parameters": dict(study.sizes[size]),
             "runtime_s": round(time.perf_counter() - start, 1), **study.findings(table)}
    write_json(folder / "findings.json", found)
    return found


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
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a bad option already reported in one line
        return int(stop.code or 0)
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
