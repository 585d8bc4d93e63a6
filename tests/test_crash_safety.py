"""A run that dies while writing never leaves a file that loads as complete.

Every output goes to a temporary name and is renamed into place (``sim.runs.results.atomic_write``);
``summary.json``, written last, is what marks a run complete. These tests crash a write from
inside (an exception mid-file) and from outside (SIGKILL of a process writing a table), then
check that the run is not complete, that nothing partial sits under a final name, and that a
re-run finishes the job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.runs import results
from sim.runs.runner import run_job

CONFIG = {
    "network": {"name": "ring_lattice", "n": 200, "k": 4, "p": 0.0, "rewire": "random",
                "seed": 1},
    "model": {"threshold": 2},
    "seeding": {"strategy": "nodes", "nodes": [0, 1, 2]},
    "seed": 1,
    "replicates": 2,
    "steps": 30,
    "figure": False,
}


class Crash(RuntimeError):
    """Stands in for the process dying half-way through a write."""


def half_written_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write the first row group of ``frame`` and die before the file's footer."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table.slice(0, max(1, table.num_rows // 2)))
    raise Crash("killed mid-write")  # the footer (and the rest) never gets written


def parquet_loads(path: Path) -> bool:
    try:
        pq.read_table(path)
    except (pa.ArrowInvalid, OSError):
        return False
    return True


def final_files(run_dir: Path) -> list[Path]:
    """Files under their final names (temporary files start with a dot)."""
    return [p for p in run_dir.iterdir() if not p.name.startswith(".")]


def test_a_crash_inside_atomic_write_keeps_the_old_file_and_no_partial_one(
        tmp_path: Path) -> None:
    path = tmp_path / "table.parquet"
    old = pd.DataFrame({"x": [1, 2, 3]})
    results.write_table(path, old)
    new = pd.DataFrame({"x": range(10_000)})
    with pytest.raises(Crash):
        results.atomic_write(path, lambda tmp: half_written_parquet(new, tmp))
    pd.testing.assert_frame_equal(pd.read_parquet(path), old)  # the previous version, whole
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]  # no temp file left


def test_a_run_that_crashes_while_writing_its_tables_is_not_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    real_to_parquet = pd.DataFrame.to_parquet

    def crash_on_groups(self: pd.DataFrame, path: Path, *args, **kwargs) -> None:
        if Path(path).name.startswith(f".{results.GROUPS}."):
            half_written_parquet(self, Path(path))
        real_to_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash_on_groups)
    with pytest.raises(Crash):
        run_job(CONFIG, out)
    assert not results.is_complete(out)
    assert not (out / results.GROUPS).exists()
    for path in final_files(out):  # whatever did land under a final name is whole
        if path.suffix == ".parquet":
            assert parquet_loads(path), path
    monkeypatch.undo()

    assert run_job(CONFIG, out) is not None  # the re-run does the job again ...
    assert results.is_complete(out)
    assert run_job(CONFIG, out) is None  # ... and a third run skips it
    assert all(parquet_loads(p) for p in final_files(out) if p.suffix == ".parquet")


#: a child process that runs a job whose Parquet writes crawl, announcing the temporary file
CHILD = textwrap.dedent("""
    import json, sys, time
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sim.runs.runner import run_job

    def crawling_parquet(self, path, *args, **kwargs):
        table = pa.Table.from_pandas(self, preserve_index=False)
        with pq.ParquetWriter(path, table.schema) as writer:
            for i, batch in enumerate(table.to_batches(max_chunksize=1)):
                writer.write_batch(batch)
                if i == 1:
                    print(path, flush=True)  # the parent kills us from here on
                time.sleep(0.05)

    pd.DataFrame.to_parquet = crawling_parquet
    run_job(json.loads(sys.argv[1]), sys.argv[2])
""")


def test_killing_a_process_mid_write_leaves_no_file_that_loads_as_complete(
        tmp_path: Path) -> None:
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(CONFIG), str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().strip()
        assert line, child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    partial = Path(line)
    assert partial.parent == out and partial.name.startswith(".")  # a temporary name
    assert partial.exists() and not parquet_loads(partial)  # half a table: unreadable
    assert not results.is_complete(out)
    assert not (out / results.TIMESERIES).exists()
    assert not (out / results.SUMMARY).exists()

    run_job(CONFIG, out)  # the re-run completes the job; the stray temporary file is harmless
    assert results.is_complete(out)
    series = pd.read_parquet(out / results.TIMESERIES)
    assert series.groupby("replicate")["step"].max().tolist() == [30, 30]


def test_atomic_files_are_readable_like_ordinary_files(tmp_path) -> None:
    """Temporary files are private; the final result must not stay that way."""
    import os
    import stat

    from sim.runs.results import atomic_write

    path = atomic_write(tmp_path / "x.txt", lambda p: p.write_text("ok"))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
