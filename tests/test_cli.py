"""The pasim command end to end: one run writes config, summary, time series and figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

PASIM = [sys.executable, "-m", "sim.cli"]


def run_pasim(*overrides: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*PASIM, *overrides], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_single_run_writes_everything(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run_pasim("network=ring_lattice", "network.n=400", "network.k=6", "steps=30",
                     "model.threshold=2", "replicates=2", f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("config.yaml", "summary.json", "timeseries.parquet", "groups.parquet",
                 "adoption.png"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replicates"] == 2
    assert summary["config"]["network"]["n"] == 400
    series = pd.read_parquet(out / "timeseries.parquet")
    assert sorted(series["replicate"].unique()) == [0, 1]
    assert series.groupby("replicate")["step"].max().tolist() == [30, 30]
    # a k=6, T=2 ring: each neighbourhood-seeded front moves 2 nodes per side per step
    first = series[series["replicate"] == 0]["adopted"].to_numpy()
    assert (first[1:11] - first[0:10] == 4).all()
    assert summary["mean"]["final_adopted"] == series.groupby("replicate")["adopted"].last().mean()


def test_rerun_into_a_complete_directory_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ("network=ring_lattice", "network.n=200", "steps=5", f"hydra.run.dir={out}")
    assert run_pasim(*args, cwd=tmp_path).returncode == 0
    before = (out / "summary.json").stat().st_mtime_ns
    assert run_pasim(*args, cwd=tmp_path).returncode == 0
    assert (out / "summary.json").stat().st_mtime_ns == before


def test_bad_value_gives_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run_pasim("network=ring_lattice", "network.k=3", f"hydra.run.dir={out}",
                     cwd=tmp_path)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: network.k")
    assert "Traceback" not in proc.stderr
    assert not out.exists()
