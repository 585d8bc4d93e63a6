"""One table per sweep: every run directory under a sweep, collated.

A sweep directory (``results/sweeps/<name>``) holds one directory per job (one parameter set;
all its replicates), named by the job's overrides. ``collate(sweep_dir)`` reads every job that
finished (``summary.json``) or failed (``failed.json``) and writes, atomically:

- ``runs.parquet``: one row per job x replicate. Columns: ``job`` (the job's directory,
  relative to the sweep), one column per swept parameter (dotted config keys), ``replicate``,
  ``seed``, ``status`` (``ok`` or ``failed``), ``error`` (the one-line error of a failed job),
  then every summary metric (``steps_run``: the steps the model ran) and ``runtime_s``.
- ``timeseries.parquet``: one row per job x replicate x step (``job``, the parameters,
  ``replicate``, ``step``, adopted and aware counts and fractions, ties built, cost).
- ``sweep.json``: the parameter and metric names and a signature of the run directories it
  was made from, so that ``load`` knows whether the Parquet files are still current.

Swept parameters are the keys of each job's overrides (``.hydra/overrides.yaml``) plus every
config value that differs between jobs (so two sweeps into one directory still give every row
its full parameter set). Job directories without either marker (still running, or killed)
are not read: a half-written run is never collated as complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.runs import results as io

RUNS = "runs.parquet"
SERIES = "timeseries.parquet"
MANIFEST = "sweep.json"

#: override keys that never become parameter columns: they do not change the numbers
IGNORED_KEYS = io.PRESENTATION_KEYS

#: prefix of a parameter column whose key is also a results column (``config.seed``)
CONFIG_PREFIX = "config."

#: runs-table columns that depend on the machine, not on the model (differ between re-runs)
RUNTIME_COLUMNS = ("runtime_s",)

_ID_COLUMNS = ("job",)
_ROW_COLUMNS = ("replicate", "seed", "status", "error")


@dataclass
class Job:
    """One job directory of a sweep and what it recorded."""

    path: Path
    name: str  # relative to the sweep directory, "." for a single run
    ok: bool
    record: dict[str, Any]  # summary.json or failed.json
    overrides: list[str] = field(default_factory=list)

    @property
    def config(self) -> dict[str, Any]:
        return self.record.get("config") or {}


# --------------------------------------------------------------------------------------
# finding jobs


def _markers(root: Path) -> dict[Path, Path]:
    """Job directory -> its marker file (summary.json wins over a stale failed.json)."""
    found: dict[Path, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "report"]
        if io.SUMMARY in filenames:
            found[Path(dirpath)] = Path(dirpath) / io.SUMMARY
        elif io.FAILED in filenames:
            found[Path(dirpath)] = Path(dirpath) / io.FAILED
    return found


def _signature(root: Path, markers: Mapping[Path, Path]) -> str:
    """Changes whenever a run is added, removed, finished, failed or re-run."""
    items = sorted((str(m.relative_to(root)), m.stat().st_mtime_ns) for m in markers.values())
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def _overrides(job_dir: Path) -> list[str]:
    """The job's Hydra overrides: a YAML list of strings, read with PyYAML's C loader (an
    ``OmegaConf.load`` per job cost a millisecond and a config object per job)."""
    import yaml

    path = job_dir / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [str(x) for x in yaml.load(path.read_text(), Loader=loader) or []]


def _parsed(key: str, text: str) -> Any:
    """An override's value as Hydra reads it (``10`` -> 10, ``null`` -> None)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_override(f"{key}={text}").value()
    except Exception:  # not a plain value (a sweep, a function): keep the text
        return text


def _read_job(root: Path, job_dir: Path, marker: Path) -> Job:
    record = json.loads(marker.read_text())
    name = job_dir.relative_to(root).as_posix()
    overrides = _overrides(job_dir) or list(record.get("overrides") or [])
    return Job(job_dir, name, marker.name == io.SUMMARY, record, overrides)


def find_jobs(root: Path | str) -> list[Job]:
    """Every finished or failed job under ``root`` (``root`` itself if it is a run)."""
    root = Path(root)
    return [_read_job(root, job_dir, marker) for job_dir, marker in sorted(_markers(root).items())]


def incomplete_jobs(root: Path | str) -> list[Path]:
    """Job directories that started but neither finished nor failed (running or killed)."""
    root = Path(root)
    done = set(_markers(root))
    return sorted(p.parent for p in root.glob("**/.hydra") if p.parent not in done)


# --------------------------------------------------------------------------------------
# parameters


def _override_pairs(overrides: Iterable[str]) -> list[tuple[str, str]]:
    pairs = []
    for line in overrides:
        if line.startswith("~") or "=" not in line:
            continue
        key, value = line.lstrip("+").split("=", 1)
        if key.startswith("hydra.") or key.split("@")[0] in IGNORED_KEYS:
            continue
        pairs.append((key.split("@")[0], value))
    return pairs


def _lookup(config: Mapping[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.replace("/", ".").split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def _is_group(config: Mapping[str, Any], key: str) -> bool:
    try:
        return isinstance(_lookup(config, key), Mapping)
    except KeyError:
        return False


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _scalar(value: Any) -> Any:
    """Lists and mappings become JSON text, so every parameter fits a Parquet column."""
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(value, sort_keys=True, default=str)
    return value


class _ParameterNames:
    """The swept parameters, learnt one job at a time in memory that does not grow with the
    jobs: override keys in first-seen order, plus every config value that differs between
    jobs (a value missing from a job's config counts as null there), except inside a config
    group an override chose (its option already names its values)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.groups: set[str] = set()
        self._first: dict[str, str] = {}  # key -> first value seen (JSON text)
        self._seen: dict[str, int] = {}  # key -> configs that have it
        self._differs: set[str] = set()
        self._configs = 0

    def add(self, job: Job, pairs: Mapping[str, str]) -> None:
        self.names += [k for k in pairs if k not in self.names]
        self.groups |= {k.replace("/", ".") + "." for k in pairs if _is_group(job.config, k)}
        if not job.config:
            return
        flat = _flatten({k: v for k, v in job.config.items() if k not in IGNORED_KEYS})
        for key, value in flat.items():
            text = json.dumps(_scalar(value), default=str)
            if key not in self._first:
                self._first[key] = text if self._configs == 0 else "null"
                self._seen[key] = 0
            self._seen[key] += 1
            if text != self._first[key]:
                self._differs.add(key)
        self._configs += 1

    def result(self) -> list[str]:
        differing = [k for k in sorted(self._first)
                     if (k in self._differs
                         or (self._seen[k] < self._configs and self._first[k] != "null"))
                     and not any(k.startswith(g) for g in self.groups)]
        return self.names + [k for k in differing if k not in self.names]


def _parameter_row(job: Job, pairs: Mapping[str, str], names: list[str]) -> dict[str, Any]:
    """One job's values of the swept parameters."""
    row = {}
    for key in names:
        try:
            value = _lookup(job.config, key)
            value = pairs.get(key, value) if isinstance(value, Mapping) else value
        except KeyError:  # not in this job's config (or it did not resolve)
            value = _parsed(key, pairs[key]) if key in pairs else None
        row[key] = _scalar(value)
    return row


def _parameter_values(jobs: list[Job]) -> tuple[list[str], list[dict[str, Any]]]:
    """The swept parameter names, in first-seen order, and each job's values of them."""
    per_job = [dict(_override_pairs(job.overrides)) for job in jobs]
    learnt = _ParameterNames()
    for job, pairs in zip(jobs, per_job, strict=True):
        learnt.add(job, pairs)
    names = learnt.result()
    return names, [_parameter_row(job, pairs, names)
                   for job, pairs in zip(jobs, per_job, strict=True)]


def _beyond_int64(value: Any) -> bool:
    """An integer no Parquet integer column holds (a seed of 10^29): kept as text instead."""
    return isinstance(value, int) and not -2**63 <= value < 2**63


def _typed(column: pd.Series) -> pd.Series:
    """One Parquet type per column: numbers, booleans, else text."""
    present = column.dropna()
    if present.map(lambda v: isinstance(v, bool | np.bool_)).all():
        return column.astype("boolean")
    if present.map(lambda v: isinstance(v, int | float | np.number)
                   and not isinstance(v, bool) and not _beyond_int64(v)).all():
        return pd.to_numeric(column)
    return column.map(lambda v: None if v is None or v is pd.NA else str(v)).astype("string")


# --------------------------------------------------------------------------------------
# tables


#: summary metrics renamed in the runs table, where the config key of the same name is a
#: parameter (``steps`` swept; ``steps_run``: how many steps the model actually ran)
METRIC_NAMES = {"steps": "steps_run"}


def _job_rows(job: Job) -> list[dict[str, Any]]:
    if job.ok:
        return [{"status": "ok", "error": None,
                 **{METRIC_NAMES.get(k, k): v for k, v in run.items()}}
                for run in job.record.get("runs", [])]
    replicates = job.config.get("replicates")
    count = replicates if isinstance(replicates, int) and replicates >= 1 else 1
    return [{"replicate": r if isinstance(replicates, int) else None, "seed": None,
             "status": "failed", "error": job.record.get("error")} for r in range(count)]


def _order(frame: pd.DataFrame, parameters: list[str], last: Iterable[str]) -> pd.DataFrame:
    """A deterministic row order whatever the order jobs finished in."""
    keys = [c for c in (*parameters, "job", *last) if c in frame]
    return frame.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def _parameter_table(jobs: list[Job], taken: set[str]) -> tuple[pd.DataFrame, list[str]]:
    """One row per job: ``job`` and its parameter values, one typed column each.

    A swept top-level key named like a results column (``seed``, ``steps``) is prefixed
    (``config.seed``), so that the run's own seed and step count keep their names.
    """
    keys, values = _parameter_values(jobs)
    return _typed_parameters([job.name for job in jobs], keys, values, taken)


def _typed_parameters(job_names: list[str], keys: list[str], values: list[dict[str, Any]],
                      taken: set[str]) -> tuple[pd.DataFrame, list[str]]:
    names = [f"{CONFIG_PREFIX}{k}" if k in taken else k for k in keys]
    params = pd.DataFrame([[row[k] for k in keys] for row in values], columns=names)
    params = params.apply(_typed) if names else params
    params.insert(0, "job", pd.array(job_names, dtype="string"))
    return params, names


def _series_frames(jobs: list[Job]) -> list[pd.DataFrame]:
    frames = []
    for job in jobs:
        path = job.path / io.TIMESERIES
        if job.ok and path.is_file():
            frame = pd.read_parquet(path)
            frame.insert(0, "job", job.name)
            frames.append(frame)
    return frames


def _taken(jobs: list[Job], rows: list[dict[str, Any]]) -> set[str]:
    """Column names of the results: a swept key with one of these names is prefixed."""
    first = next((job for job in jobs if job.ok and (job.path / io.TIMESERIES).is_file()), None)
    series = _series_frames([first]) if first is not None else []
    return {*_ROW_COLUMNS, *(k for row in rows for k in row),
            *(c for frame in series for c in frame.columns)}


def _runs_frame(rows: list[dict[str, Any]], params: pd.DataFrame, parameters: list[str],
                measured: list[str] | None = None) -> pd.DataFrame:
    """The runs table of ``rows`` (one per job x replicate), joined to the jobs' parameters.

    ``measured`` fixes the metric columns and their order (a chunk of a streamed collation
    must have every column the whole sweep has); by default, those of ``rows``."""
    runs = pd.DataFrame(rows)
    for column in ("replicate", "seed"):  # from the rows: seeds need all 64 bits, not floats
        runs[column] = pd.array([row.get(column) for row in rows], dtype="Int64")
    for column in ("job", "status", "error"):
        runs[column] = runs[column].astype("string")
    if measured is None:
        measured = [c for c in runs.columns if c not in (*_ID_COLUMNS, *_ROW_COLUMNS)]
    runs = params.merge(runs.reindex(columns=[*_ID_COLUMNS, *_ROW_COLUMNS, *measured]),
                        on="job", how="right")
    runs = runs[["job", *parameters, *_ROW_COLUMNS, *measured]]
    for column in measured:  # a metric missing in every run (e.g. no deprivation) stays float
        if runs[column].dtype == object:
            runs[column] = pd.to_numeric(runs[column], errors="coerce")
    return runs


def _tables(jobs: list[Job], series: bool = True
            ) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str], list[str]]:
    """The runs table and (``series``) the whole time-series table, in memory."""
    rows = [{"job": job.name, **row} for job in jobs for row in _job_rows(job)]
    frames = _series_frames(jobs) if series else []
    params, parameters = _parameter_table(jobs, _taken(jobs, rows))

    runs = _runs_frame(rows, params, parameters)
    measured = [c for c in runs.columns if c not in (*_ID_COLUMNS, *parameters, *_ROW_COLUMNS)]
    metrics = [c for c in measured if c not in RUNTIME_COLUMNS]
    runs = _order(runs, parameters, ["replicate"])

    if not series:
        return runs, None, parameters, metrics
    if frames:
        series = pd.concat(frames, ignore_index=True)
        series["job"] = series["job"].astype("string")
        series = _order(params.merge(series, on="job", how="right"), parameters,
                        ["replicate", "step"])
    else:
        series = params.iloc[:0].assign(replicate=pd.Series(dtype="Int64"),
                                        step=pd.Series(dtype="Int64"))
    return runs, series, parameters, metrics


def _annotate(runs: pd.DataFrame, series: pd.DataFrame, manifest: Mapping[str, Any]) -> None:
    for frame in (runs, series):
        frame.attrs["parameters"] = list(manifest["parameters"])
        frame.attrs["metrics"] = list(manifest["metrics"])


def _collate(root: Path, series: bool = True
             ) -> tuple[io.SweepResults, dict[str, Any], list[Job]]:
    markers = _markers(root)
    if not markers:
        raise InputError(f"path: no finished or failed runs under {root} (a run is finished "
                         f"when its {io.SUMMARY} exists)")
    signature = _signature(root, markers)
    jobs = find_jobs(root)
    runs, timeseries, parameters, metrics = _tables(jobs, series)
    manifest = {
        "parameters": parameters,
        "metrics": metrics,
        "jobs": len(jobs),
        "ok": sum(job.ok for job in jobs),
        "failed": sum(not job.ok for job in jobs),
        "rows": len(runs),
        "errors": sorted({str(e) for e in runs.loc[runs["status"] == "failed", "error"]}),
        "signature": signature,
    }
    if timeseries is not None:
        _annotate(runs, timeseries, manifest)
    return io.SweepResults(runs, timeseries), manifest, jobs


# --------------------------------------------------------------------------------------
# streamed collation: memory that does not grow with the runs

#: jobs whose rows the streamed runs table holds at a time
JOBS_PER_CHUNK = 256


@dataclass(frozen=True, slots=True)
class _JobRef:
    """What the streamed collation keeps of a job between its passes: its name (relative to
    the sweep) and whether it finished; its record and overrides are read again when needed."""

    name: str
    ok: bool

    def path(self, root: Path) -> Path:
        return root / self.name

    def read(self, root: Path) -> tuple[Job, dict[str, str]]:
        """The job's record and its override pairs."""
        path = self.path(root)
        job = _read_job(root, path, path / (io.SUMMARY if self.ok else io.FAILED))
        return job, dict(_override_pairs(job.overrides))


class _RowColumns:
    """The runs table's row columns in first-seen order and, per column, one value of each
    Python type it holds (NaN where a row lacks it): enough to know each column's dtype in
    the whole table (pandas infers it from the kinds of values, not their number) before
    any row of it is written."""

    def __init__(self) -> None:
        self.order: dict[str, None] = {}
        self.samples: dict[str, dict[type, Any]] = {}
        self.present: dict[str, int] = {}
        self.rows = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            for key, value in row.items():
                self.order.setdefault(key)
                self.samples.setdefault(key, {}).setdefault(type(value), value)
                self.present[key] = self.present.get(key, 0) + 1
        self.rows += len(rows)

    def dtype(self, column: str) -> Any:
        values = list(self.samples[column].values())
        if self.present[column] < self.rows:
            values.append(np.nan)
        typed = pd.DataFrame([{column: v} for v in values])[column]
        return pd.to_numeric(typed, errors="coerce").dtype if typed.dtype == object \
            else typed.dtype


def _scan(root: Path, found: list[_JobRef]) -> tuple[_ParameterNames, _RowColumns, set[str]]:
    """First pass over the ``found`` jobs: the parameter names, the row columns and the
    errors (nothing per job is kept)."""
    names, columns, errors = _ParameterNames(), _RowColumns(), set()
    for ref in found:
        job, pairs = ref.read(root)
        names.add(job, pairs)
        rows = [{"job": job.name, **row} for row in _job_rows(job)]
        columns.add(rows)
        errors |= {str(row["error"]) for row in rows if row["status"] == "failed"}
    return names, columns, errors


def _streamed_parameters(root: Path, refs: list[_JobRef], keys: list[str],
                         columns: _RowColumns) -> tuple[pd.DataFrame, list[str]]:
    """Second pass: each job's parameter values (one small row per job), typed over all."""
    values = [_parameter_row(*ref.read(root), keys) for ref in refs]
    first = next((ref for ref in refs if ref.ok and (ref.path(root) / io.TIMESERIES).is_file()),
                 None)
    series = [] if first is None else list(
        pd.read_parquet(first.path(root) / io.TIMESERIES).columns)
    taken = {*_ROW_COLUMNS, *columns.order, *series, *(["job"] if series else [])}
    return _typed_parameters([ref.name for ref in refs], keys, values, taken)


def _stream_runs(root: Path, refs: list[_JobRef], params: pd.DataFrame,
                 parameters: list[str], columns: _RowColumns) -> list[str]:
    """Third pass: the runs table, ``JOBS_PER_CHUNK`` jobs at a time in the table's order,
    appended to ``runs.parquet`` in row groups; returns the measured columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    measured = [c for c in columns.order if c not in (*_ID_COLUMNS, *_ROW_COLUMNS)]
    dtypes = {c: columns.dtype(c) for c in measured}
    by_name = {ref.name: ref for ref in refs}
    ordered = _order(params, parameters, [])

    def write(tmp: Path) -> None:
        writer = schema = None
        try:
            for start in range(0, max(len(ordered), 1), JOBS_PER_CHUNK):
                chunk = ordered.iloc[start:start + JOBS_PER_CHUNK]
                rows = [{"job": name, **row} for name in chunk["job"]
                        for row in _job_rows(by_name[name].read(root)[0])]
                runs = _runs_frame(rows, chunk, parameters, measured).astype(dtypes)
                table = pa.Table.from_pandas(_order(runs, parameters, ["replicate"]),
                                             preserve_index=False)
                if writer is None:
                    schema = table.schema
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_table(table if table.schema.equals(schema)
                                   else table.cast(schema))
        finally:
            if writer is not None:
                writer.close()

    io.atomic_write(root / RUNS, write)
    return measured


def _streamed_collation(root: Path) -> dict[str, Any]:
    """Write ``runs.parquet`` and ``timeseries.parquet`` of ``root`` job by job; return the
    manifest. What is held at once is one chunk of jobs plus, for every job, its name and
    its row of parameters (the tables' sort order needs them all)."""
    markers = _markers(root)
    if not markers:
        raise InputError(f"path: no finished or failed runs under {root} (a run is finished "
                         f"when its {io.SUMMARY} exists)")
    signature = _signature(root, markers)
    refs = [_JobRef(job_dir.relative_to(root).as_posix(), marker.name == io.SUMMARY)
            for job_dir, marker in sorted(markers.items())]
    del markers  # two paths a job: only names are kept
    learnt, columns, errors = _scan(root, refs)
    params, parameters = _streamed_parameters(root, refs, learnt.result(), columns)
    measured = _stream_runs(root, refs, params, parameters, columns)
    finished = {ref.name for ref in refs if ref.ok}
    _stream_series(root, _order(params, parameters, []), parameters, finished)
    return {
        "parameters": parameters,
        "metrics": [c for c in measured if c not in RUNTIME_COLUMNS],
        "jobs": len(refs),
        "ok": sum(ref.ok for ref in refs),
        "failed": sum(not ref.ok for ref in refs),
        "rows": columns.rows,
        "errors": sorted(errors),
        "signature": signature,
    }


def _stream_series(root: Path, params: pd.DataFrame, parameters: list[str],
                   finished: set[str]) -> None:
    """The time-series table written job by job (``sim.runs.results.stream_timeseries``),
    in the order of ``params`` (one row per job), from the ``finished`` jobs' own tables."""

    def read(name: str) -> pd.DataFrame | None:
        path = root / name / io.TIMESERIES
        return pd.read_parquet(path) if name in finished and path.is_file() else None

    rows = io.stream_timeseries(root / SERIES, params, read,
                                lambda batch: _order(batch, parameters, ["replicate", "step"]))
    if rows == 0:  # no job wrote a series: the eager (empty) table, with its columns
        empty = params.iloc[:0].assign(replicate=pd.Series(dtype="Int64"),
                                       step=pd.Series(dtype="Int64"))
        io.write_table(root / SERIES, empty)


def collate(sweep_dir: Path | str, tables: bool = True) -> io.SweepResults | None:
    """Collate every run under ``sweep_dir`` and write the tables (atomically) beside them.

    Both tables are streamed to disk a chunk of jobs at a time (``_streamed_collation``), so
    memory does not grow with the sweep's runs or steps; ``tables=False`` returns nothing
    instead of reading them back.
    Idempotent: collating again after more runs finished rewrites the tables.
    """
    root = Path(sweep_dir)
    manifest = _streamed_collation(root)
    io.write_json(root / MANIFEST, manifest)  # last: marks the tables as current
    if not tables:
        return None
    runs, series = pd.read_parquet(root / RUNS), pd.read_parquet(root / SERIES)
    _annotate(runs, series, manifest)
    return io.SweepResults(runs, series)


def manifest(sweep_dir: Path | str) -> dict[str, Any]:
    """The ``sweep.json`` written by the last ``collate``."""
    return json.loads((Path(sweep_dir) / MANIFEST).read_text())


def load_tables(path: Path | str) -> io.SweepResults:
    """``sim.load``: current collated tables if there are some, else collate in
    memory (nothing is written)."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"path: no such directory: {root}")
    saved = root / MANIFEST
    if saved.is_file() and (root / RUNS).is_file() and (root / SERIES).is_file():
        info = json.loads(saved.read_text())
        markers = _markers(root)
        if markers and info.get("signature") == _signature(root, markers):
            tables = io.SweepResults(pd.read_parquet(root / RUNS), pd.read_parquet(root / SERIES))
            _annotate(*tables, info)
            return tables
    return _collate(root)[0]


def swept(runs: pd.DataFrame) -> list[str]:
    """The parameters that take more than one value in ``runs`` (in column order)."""
    names = runs.attrs.get("parameters") or []
    return [name for name in names if name in runs and runs[name].nunique(dropna=False) > 1]


def load(path: Path | str, lazy: bool = False) -> io.SweepResults:
    """The runs table and the long time-series table of a sweep directory or one run.

    A sweep is read from its collated Parquet files when they are newer than every run in
    it, and collated in memory otherwise (``collate`` also writes them).

    ``lazy=True``: the two tables as ``pyarrow.dataset.Dataset`` objects, for sweeps too
    large for a DataFrame: nothing is read until asked for (``.to_table(filter=...,
    columns=...)``, ``.to_batches()``, or DuckDB/Polars on the same files). Stale or missing
    collated files are written first (streamed, so memory stays bounded).
    """
    if not lazy:
        return load_tables(path)
    import pyarrow.dataset as ds

    root = Path(path)
    if not root.is_dir():
        raise InputError(f"path: no such directory: {root}")
    current = False
    if all((root / name).is_file() for name in (MANIFEST, RUNS, SERIES)):
        markers = _markers(root)
        saved = json.loads((root / MANIFEST).read_text()).get("signature")
        current = bool(markers) and saved == _signature(root, markers)
    if not current:
        collate(root, tables=False)
    return io.SweepResults(ds.dataset(root / RUNS, format="parquet"),
                        ds.dataset(root / SERIES, format="parquet"))
