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

import time
from pathlib import Path
from typing import Any

from sim.analysis.studies import STUDIES
from sim.analysis.studies.common import save_figure
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
