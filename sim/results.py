"""Writing and reading run outputs, crash-safely.

A run directory is complete exactly when its ``summary.json`` exists: every file is written
to a temporary name and renamed into place (atomic on POSIX), and the summary goes last.
A run killed mid-write therefore never leaves a directory that loads as complete. A run that
raised in a sweep leaves ``failed.json`` (its error) instead, so the sweep table can say so.

In a notebook, one line loads a sweep (or a single run directory)::

    runs, series = sim.results.load("results/sweeps/lever_grid")
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.errors import InputError

SUMMARY = "summary.json"
TIMESERIES = "timeseries.parquet"
GROUPS = "groups.parquet"
CONFIG = "config.yaml"
FIGURE = "adoption.png"
FAILED = "failed.json"

#: config keys that change how results are presented or where they go, never the numbers
#: (configs/config.yaml lists the same keys in hydra.job.config.override_dirname.exclude_keys)
PRESENTATION_KEYS = frozenset({"hydra", "output", "progress", "name", "figure", "title",
                               "experiment"})


class SweepResults(NamedTuple):
    """A sweep's (or run's) collated tables; unpacks as ``runs, series = load(path)``."""

    runs: pd.DataFrame  # one row per run x replicate: parameters, metrics, status, error
    timeseries: pd.DataFrame  # one row per run x replicate x step


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        # mkstemp makes the file private (0600); results should read like any other file
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        with open(tmp_path, "rb") as handle:  # on disk before it takes the final name
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def write_json(path: Path | str, data: dict[str, Any]) -> Path:
    text = json.dumps(_jsonable(data), indent=2, sort_keys=False)
    return atomic_write(path, lambda p: p.write_text(text + "\n"))


def write_table(path: Path | str, frame: pd.DataFrame) -> Path:
    return atomic_write(path, lambda p: frame.to_parquet(p, index=False))


def write_text(path: Path | str, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text))


def is_complete(run_dir: Path | str) -> bool:
    return (Path(run_dir) / SUMMARY).is_file()


def read_summary(run_dir: Path | str) -> dict[str, Any]:
    return json.loads((Path(run_dir) / SUMMARY).read_text())


def is_failed(run_dir: Path | str) -> bool:
    """A run that raised (and has not completed since)."""
    return (Path(run_dir) / FAILED).is_file() and not is_complete(run_dir)


def write_failure(run_dir: Path | str, error: BaseException, overrides: list[str],
                  config: dict[str, Any] | None) -> Path:
    """Record why a sweep job failed: a one-line error (the table's ``error`` column), its
    type, the traceback for debugging, the job's overrides and (if it resolved) its config."""
    message = " ".join(str(error).split())
    if not isinstance(error, InputError):  # an InputError already names its field
        message = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return write_json(Path(run_dir) / FAILED, {
        "error": message,
        "type": type(error).__name__,
        "traceback": "".join(traceback.format_exception(error)),
        "overrides": list(overrides),
        "config": config,
    })


def clear_failure(run_dir: Path | str) -> None:
    """Forget an earlier failure before the job runs again (resume retries failed jobs)."""
    (Path(run_dir) / FAILED).unlink(missing_ok=True)


def read_failure(run_dir: Path | str) -> dict[str, Any]:
    return json.loads((Path(run_dir) / FAILED).read_text())


def load(path: Path | str) -> SweepResults:
    """The runs table and the long time-series table of a sweep directory or one run.

    A sweep is read from its collated Parquet files when they are newer than every run in
    it, and collated in memory otherwise (``sim.sweep.collate`` also writes them).
    """
    from sim.sweep import load_tables

    return load_tables(path)
