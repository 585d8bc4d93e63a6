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


def help_groups(text: str) -> dict[str, dict[str, str]]:
    """group -> option -> description, read back from ``pasim --help``."""
    groups: dict[str, dict[str, str]] = {}
    section = text.split("Config groups", 1)[1].split("Keys of the main config", 1)[0]
    group = None
    for line in section.splitlines()[1:]:
        if line.startswith("    "):
            option, _, description = line.strip().lstrip("*").partition(" ")
            groups[group][option] = description.strip()
        elif line.strip():
            group = line.strip()
            groups[group] = {}
    return groups


def test_help_lists_every_group_and_option_with_one_line(tmp_path: Path) -> None:
    from sim.config import CONFIG_DIR

    my_configs(tmp_path)
    proc = run_pasim("--help", "--config-dir", "my_configs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    groups = help_groups(proc.stdout)
    shipped = [p for p in CONFIG_DIR.rglob("*.yaml") if p.parent != CONFIG_DIR]
    assert shipped
    for path in shipped:
        group = path.parent.relative_to(CONFIG_DIR).as_posix()
        assert groups[group][path.stem], f"{group}/{path.stem} has no description"
    assert groups["scenario"]["my_plan"] == "My plan: two champions in every ICS."
    assert groups["network"]["ring_lattice"].startswith("Ring of n nodes")
    assert "*england" in proc.stdout and "*neighbourhood" in proc.stdout  # the defaults
    assert "steps: 260" in proc.stdout


def test_cfg_job_prints_the_resolved_config(tmp_path: Path) -> None:
    from omegaconf import OmegaConf

    from sim.compare import compose

    proc = run_pasim("--cfg", "job", "scenario=recommended", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    shown = OmegaConf.to_container(OmegaConf.create(proc.stdout), resolve=True)
    assert shown == compose("recommended", [])
    assert shown["levers"]["champions"]["per_system"] >= 1
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("args", "start"), [
    (("--cfg", "job", "scenario=recomended"), "error: scenario: unknown option 'recomended'"),
    (("--cfg", "job", "model.threshold=-1"), "error: model.threshold"),
    (("--cfg", "jobs"), "error: command line: argument --cfg/-c: invalid choice"),
    (("--no-such-flag", "steps=5"), "error: command line: unrecognized arguments"),
])
def test_hydra_flags_are_checked_like_everything_else(tmp_path: Path, args: tuple,
                                                      start: str) -> None:
    proc = run_pasim(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert one_error_line(proc).startswith(start)
