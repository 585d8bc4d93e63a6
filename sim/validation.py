"""Run a validation study and write its table, figure and findings.

    python -m sim.validation <study> [--small] [--jobs N] [--seed S] [--out DIR]
    python -m sim.validation all --small
    python -m sim.validation --list

Writes ``<out>/<study>/table.csv`` (tidy: one row per run), ``<study>.png`` and
``findings.json`` (the numbers the study's README quotes); ``--out`` defaults to
``results/validation``. Studies live in ``sim.studies``; see ``experiments/<study>/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.results import atomic_write, write_json
from sim.studies import STUDIES
from sim.studies.common import save_figure

DEFAULT_OUT = Path("results/validation")


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim.validation",
        description="Reproduce a validation study's figure (see experiments/<study>/README.md).")
    parser.add_argument("study", nargs="?", choices=[*STUDIES, "all"],
                        help="which study ('all' runs every one)")
    parser.add_argument("--small", action="store_true",
                        help="the small size (seconds) instead of the README's (minutes)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--list", action="store_true", help="list the studies and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list or args.study is None:
        for name, study in STUDIES.items():
            print(f"{name:26s} {study.question}")
        return 0
    if args.jobs < 1:
        parser.error(f"--jobs: must be >= 1 (got {args.jobs})")
    names = list(STUDIES) if args.study == "all" else [args.study]
    size = "small" if args.small else "default"
    for name in names:
        found = run_study(name, args.out, size=size, seed=args.seed, jobs=args.jobs)
        shown = {k: v for k, v in found.items() if k not in ("parameters", "study")}
        print(f"{name}: {json.dumps(shown, default=str)}")
        print(f"  -> {Path(args.out) / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
