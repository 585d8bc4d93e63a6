"""pasim as users get it: configs shipped in the package, their own config folders added to
the shipped groups, the command's help, and a wheel installed into a fresh venv."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PASIM = [sys.executable, "-m", "sim.cli"]
SMALL = ("network=ring_lattice", "network.n=200", "network.k=6", "steps=5", "figure=false")

MY_PLAN = """\
# @package _global_
# My plan: two champions in every ICS.
defaults:
  - override /levers/champions: pacc
levers:
  champions:
    per_system: {per_system}
"""


def run_pasim(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*PASIM, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def my_configs(root: Path, per_system: int = 2) -> Path:
    """A user's own config folder holding one new scenario and nothing else."""
    folder = root / "my_configs"
    (folder / "scenario").mkdir(parents=True)
    (folder / "scenario" / "my_plan.yaml").write_text(MY_PLAN.format(per_system=per_system))
    return folder


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize("how", ["--config-dir", "hydra.searchpath"])
def test_user_config_folder_adds_a_scenario_to_the_shipped_groups(tmp_path: Path,
                                                                  how: str) -> None:
    folder = my_configs(tmp_path)
    add = (["--config-dir", "my_configs"] if how == "--config-dir"
           else [f"hydra.searchpath=[file://{folder}]"])
    out = tmp_path / "run"
    proc = run_pasim(*add, "scenario=my_plan", *SMALL, f"hydra.run.dir={out}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    config = json.loads((out / "summary.json").read_text())["config"]
    assert config["levers"]["champions"]["per_system"] == 2  # the user's scenario
    assert config["levers"]["champions"]["placement"] == "degree"  # the shipped pacc lever
    assert config["network"]["name"] == "ring_lattice"  # a shipped network group


def test_user_config_folder_is_checked_before_a_sweep_starts(tmp_path: Path) -> None:
    """A mistake in the user's own scenario: one line naming the key, nothing written, even in
    a sweep (where a job's error would otherwise be recorded and the sweep carry on)."""
    my_configs(tmp_path, per_system=-1)
    out = tmp_path / "sweep"
    proc = run_pasim("--config-dir", "my_configs", "-m", "scenario=baseline,my_plan", *SMALL,
                     f"hydra.sweep.dir={out}", cwd=tmp_path)
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("error: levers.champions.per_system: must be")
    assert not out.exists()


def test_missing_config_folder_is_one_line(tmp_path: Path) -> None:
    proc = run_pasim("--config-dir", "not_there", *SMALL, cwd=tmp_path)
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("error: --config-dir: folder not found")
