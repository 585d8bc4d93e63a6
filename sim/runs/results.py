"""Writing and reading run outputs, crash-safely.

A run directory is complete exactly when its ``summary.json`` exists: every file is written
to a temporary name and renamed into place (atomic on POSIX), and the summary goes last.
A run killed mid-write therefore never leaves a directory that loads as complete. A run that
raised in a sweep leaves ``failed.json`` (its error) instead, so the sweep table can say so.

In a notebook, one line loads a sweep (or a single run directory)::

    runs, series = sim.load("results/sweeps/lever_grid")

A sweep too large for a DataFrame (10^5 runs x 261 steps is 2.6 x 10^7 rows) loads lazily::

    runs, series = sim.load("results/sweeps/big", lazy=True)  # pyarrow datasets
    series.to_table(filter=pc.field("step") == 260, columns=["job", "adopted"]).to_pandas()

Collation streams: the long time-series table is written job by job, in row groups, with
``pyarrow.parquet.ParquetWriter`` (``stream_timeseries``), so collating a sweep never holds
more than one row group of it, whatever the number of runs.
"""

from __future__ import annotations

import json
import os
import tempfile
import traceback
from collections.abc import Callable, Iterator
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

#: rows per Parquet row group when a sweep's time series is streamed (a group is held three
#: times while written: its jobs' frames, the batch and its Arrow table, ~25 MB in all)
ROWS_PER_GROUP = 65_536

#: config keys that change how results are presented or where they go, never the numbers
#: (configs/config.yaml lists the same keys in hydra.job.config.override_dirname.exclude_keys)
PRESENTATION_KEYS = frozenset({"hydra", "output", "progress", "name", "figure", "title",
                               "experiment"})


class SweepResults(NamedTuple):
    """A sweep's (or run's) collated tables; unpacks as ``runs, series = load(path)``.

    With ``load(path, lazy=True)`` both are ``pyarrow.dataset.Dataset`` objects instead.
    """

    runs: Any  # pd.DataFrame: one row per run x replicate: parameters, metrics, status, error
    timeseries: Any  # pd.DataFrame: one row per run x replicate x step


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


def config_yaml(config: dict[str, Any]) -> str:
    """``OmegaConf.to_yaml`` of a plain config, without making an OmegaConf object of it
    first (that costs more than the rest of writing a sweep job's files)."""
    import yaml
    from omegaconf._utils import get_omega_conf_dumper

    return yaml.dump(config, default_flow_style=False, allow_unicode=True, sort_keys=False,
                     Dumper=get_omega_conf_dumper())


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


def stream_timeseries(path: Path | str, params: pd.DataFrame,
                      read: Callable[[str], pd.DataFrame | None],
                      order: Callable[[pd.DataFrame], pd.DataFrame],
                      rows_per_group: int | None = None) -> int:
    """Write a sweep's long time-series table job by job; return its number of rows.

    ``params`` has one row per job (``job`` and the parameter columns) in the table's
    order; ``read(job)`` gives that job's own series (or None); ``order`` sorts a batch the
    way the eager collation sorts the whole table. Jobs are taken in ``params`` order and
    their rows appended in row groups of about ``rows_per_group``, so the memory used is one
    row group, not the sweep. Parameter columns take their types from the whole ``params``
    table (a parameter that is null in the first jobs keeps the type it has in the others),
    the series columns from the first batch; the file is written atomically like every
    other result.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    batches = _series_batches(params, read, order, rows_per_group or ROWS_PER_GROUP)
    first = next(batches, None)
    if first is None:
        return 0
    rows = 0

    def write(tmp: Path) -> None:
        nonlocal rows
        table = pa.Table.from_pandas(first, preserve_index=False)
        types = pa.Table.from_pandas(params, preserve_index=False).schema
        schema = pa.schema([types.field(f.name) if f.name in types.names else f
                            for f in table.schema], metadata=table.schema.metadata)
        writer = pq.ParquetWriter(tmp, schema)
        try:
            for frame in _chain_first(first, batches):
                chunk = pa.Table.from_pandas(frame, preserve_index=False)
                if not chunk.schema.equals(schema):
                    chunk = chunk.cast(schema)
                writer.write_table(chunk)
                rows += chunk.num_rows
        finally:
            writer.close()

    atomic_write(path, write)
    return rows


def _chain_first(first: pd.DataFrame, rest: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    yield first
    yield from rest


def _series_batches(params: pd.DataFrame, read: Callable[[str], pd.DataFrame | None],
                    order: Callable[[pd.DataFrame], pd.DataFrame],
                    rows_per_group: int) -> Iterator[pd.DataFrame]:
    """Consecutive jobs' series joined to their parameters, ~``rows_per_group`` rows each."""
    pending: list[pd.DataFrame] = []
    count = 0
    for i, job in enumerate(params["job"]):
        frame = read(job)
        if frame is None:
            continue
        # the job's parameter row repeated beside its series (what a merge on job gives,
        # without a merge's cost per job)
        constant = params.iloc[np.full(len(frame), i)].reset_index(drop=True)
        frame = frame.drop(columns="job", errors="ignore").reset_index(drop=True)
        pending.append(pd.concat([constant, frame], axis=1))
        count += len(frame)
        if count >= rows_per_group:
            batch = pd.concat(pending, ignore_index=True)
            pending, count = [], 0  # not held while the batch is written
            yield order(batch)
            del batch
    if pending:
        yield order(pd.concat(pending, ignore_index=True))
