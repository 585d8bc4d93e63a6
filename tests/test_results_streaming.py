"""Streamed collation: the time-series table written job by job equals the in-memory one,
and ``sim.runs.sim.load(lazy=True)`` gives the same rows as pyarrow datasets."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

import sim
from sim.runs import results
from sim.runs.sweep import SERIES, _collate, collate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def make_sweep():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("benchmarks.collate_memory").make_sweep


@pytest.fixture
def sweep(make_sweep, tmp_path: Path) -> Path:
    root = make_sweep(tmp_path / "sweep", runs=37, steps=9, failed_every=5)
    # a parameter present in only some jobs: null in the first jobs (sorted), a number later
    late = sorted(p for p in root.iterdir() if (p / results.SUMMARY).is_file())[-3]
    summary = json.loads((late / results.SUMMARY).read_text())
    summary["config"]["model"]["noise"] = 0.25
    (late / results.SUMMARY).write_text(json.dumps(summary))
    return root


@pytest.mark.parametrize("rows_per_group", [7, 50, 1_000_000])
def test_streamed_series_equals_the_in_memory_collation(sweep: Path, rows_per_group: int,
                                                        monkeypatch) -> None:
    monkeypatch.setattr(results, "ROWS_PER_GROUP", rows_per_group)
    eager = _collate(sweep)[0]
    collated = collate(sweep)
    written = pd.read_parquet(sweep / SERIES)
    pd.testing.assert_frame_equal(written, eager.timeseries.reset_index(drop=True))
    pd.testing.assert_frame_equal(collated.timeseries, eager.timeseries)
    pd.testing.assert_frame_equal(collated.runs, eager.runs)
    assert len(written) == 30 * 9  # 37 jobs, every 5th failed: 30 with 9 steps each
    assert written["model.noise"].notna().sum() == 9


def test_row_groups_bound_what_is_held(sweep: Path, monkeypatch) -> None:
    import pyarrow.parquet as pq

    monkeypatch.setattr(results, "ROWS_PER_GROUP", 20)
    assert collate(sweep, tables=False) is None
    meta = pq.ParquetFile(sweep / SERIES).metadata
    assert meta.num_row_groups >= 30 * 9 // 27  # one group per few jobs, not one in all
    assert max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) <= 20 + 9


def test_lazy_load_returns_datasets_with_the_same_rows(sweep: Path) -> None:
    eager_runs, eager_series = sim.load(sweep)  # collates in memory, writes nothing
    assert not (sweep / SERIES).exists()
    runs, series = sim.load(sweep, lazy=True)  # collates to disk first
    assert isinstance(runs, ds.Dataset) and isinstance(series, ds.Dataset)
    assert series.count_rows() == len(eager_series) and runs.count_rows() == len(eager_runs)
    last = series.to_table(filter=ds.field("step") == 8, columns=["job", "adopted"])
    assert last.num_rows == 30 and set(last.column("adopted").to_pylist()) == {34}
    again_runs, _ = sim.load(sweep, lazy=True)  # current files: read, not rewritten
    assert again_runs.count_rows() == len(eager_runs)


def _vary_metrics(root: Path) -> None:
    """Metrics whose dtype only the whole sweep decides: an integer metric that is null in a
    late job, a float that is an integer in the early jobs, one present in a few jobs only."""
    jobs = sorted(p for p in root.iterdir() if (p / results.SUMMARY).is_file())
    for i, job in enumerate(jobs):
        summary = json.loads((job / results.SUMMARY).read_text())
        run = summary["runs"][0]
        run["ties"] = None if i == len(jobs) - 2 else i
        run["cost"] = i if i < 20 else i + 0.5
        if i % 11 == 3:
            run["rare"] = True
        (job / results.SUMMARY).write_text(json.dumps(summary))


@pytest.mark.parametrize("jobs_per_chunk", [1, 4, 10_000])
def test_runs_table_collated_in_chunks_equals_the_table_in_one_go(sweep: Path,
                                                                   jobs_per_chunk: int,
                                                                   monkeypatch) -> None:
    from sim.runs import sweep as sweep_module

    _vary_metrics(sweep)
    monkeypatch.setattr(sweep_module, "JOBS_PER_CHUNK", jobs_per_chunk)
    eager, eager_manifest, _ = _collate(sweep)
    collated = collate(sweep)
    pd.testing.assert_frame_equal(collated.runs, eager.runs)
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / sweep_module.RUNS), eager.runs)
    assert sweep_module.manifest(sweep) == eager_manifest
    assert str(eager.runs["ties"].dtype) == "float64" and eager.runs["rare"].isna().any()
    if jobs_per_chunk == 1:
        import pyarrow.parquet as pq

        assert pq.ParquetFile(sweep / sweep_module.RUNS).metadata.num_row_groups == 37
