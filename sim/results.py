"""Writing and reading run outputs, crash-safely.

A run directory is complete exactly when its ``summary.json`` exists: every file is written
to a temporary name and renamed into place (atomic on POSIX), and the summary goes last.
A run killed mid-write therefore never leaves a directory that loads as complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SUMMARY = "summary.json"
TIMESERIES = "timeseries.parquet"
GROUPS = "groups.parquet"
CONFIG = "config.yaml"
FIGURE = "adoption.png"


def atomic_write(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
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
