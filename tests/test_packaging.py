"""pasim as users get it: configs shipped in the package, their own config folders added to
the shipped groups, the command's help, and a wheel installed into a fresh venv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PASIM = [sys.executable, "-m", "sim.commands.cli"]
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
    assert one_error_line(proc).startswith(
        "error: --config-dir: must be a folder of configs; no such folder")


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
    from sim.runs.config import CONFIG_DIR

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

    from sim.analysis.compare import compose

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


# ------------------------------------------------------------------------------------------
# the distribution: built as a release is, installed into a fresh venv

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("pasim", "pasim-compare", "pasim-report", "pasim-validate", "pasim-sensitivity",
            "pasim-optimise")


def test_build_requires_a_setuptools_that_reads_the_spdx_license() -> None:
    """``license = "MIT"`` (PEP 639) is read from setuptools 77 on; an older one fails."""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    setuptools = next(Requirement(r) for r in project["build-system"]["requires"]
                      if Requirement(r).name == "setuptools")
    assert not setuptools.specifier.contains("76.1.0")
    assert setuptools.specifier.contains("77.0.0")


def shipped_files() -> list[str]:
    """What the wheel must hold: every config and every data file of the checkout."""
    configs = [f"sim/conf/{p.relative_to(ROOT / 'configs').as_posix()}"
               for p in (ROOT / "configs").rglob("*.yaml")]
    data = [p.relative_to(ROOT).as_posix() for p in (ROOT / "sim" / "data").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts]
    return configs + data


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """The sdist built from the checkout, the wheel built from the sdist (what ``python -m
    build`` does), the wheel installed with its dependencies into a fresh venv (pip's cache
    makes a second time quick); yields the venv's bin folder.

    In a folder of its own rather than pytest's: pytest keeps only its last three temporary
    folders, so another pytest session started meanwhile could delete this one mid-test."""
    root = Path(tempfile.mkdtemp(prefix="pasim-wheel-"))
    try:
        yield _build_and_install(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _build_and_install(root: Path) -> Path:
    dist = root / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (wheel,) = dist.glob("pasim-*.whl")
    (sdist,) = dist.glob("pasim-*.tar.gz")
    assert sdist.stat().st_size > 0
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in shipped_files() if f not in names]
    assert not missing, f"not in the wheel: {missing}"
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True,
                   env=_blind_env())
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          str(wheel)], capture_output=True, text=True, timeout=900,
                         env=_blind_env())
    assert pip.returncode == 0, pip.stderr[-3000:]
    assert (venv / "bin" / "pasim").is_file(), pip.stdout[-3000:]
    bin_dir = venv / "bin"
    (root / "work").mkdir()
    return bin_dir


def _blind_env() -> dict[str, str]:
    """The environment without PYTHONPATH: a checkout on it (with its pasim.egg-info) would
    make pip think pasim is installed already, and the venv import the checkout's code."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def run_installed(bin_dir: Path, command: str, *args: str,
                  cwd: Path) -> subprocess.CompletedProcess:
    """A command of the installed venv, blind to the checkout."""
    return subprocess.run([str(bin_dir / command), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=_blind_env())


@pytest.mark.wheel
def test_every_command_runs_from_the_installed_wheel(installed: Path) -> None:
    elsewhere = installed.parent.parent / "work" / "elsewhere"  # not the checkout
    elsewhere.mkdir()
    where = run_installed(installed, "python", "-c",
                          "import sim, sim.runs.config as c; print(sim.__file__, c.CONFIG_SOURCE)",
                          cwd=elsewhere)
    assert where.returncode == 0, where.stderr
    assert str(ROOT) not in where.stdout and "pkg://sim.conf" in where.stdout
    for command in COMMANDS:
        proc = run_installed(installed, command, "--help", cwd=elsewhere)
        assert proc.returncode == 0, f"{command} --help: {proc.stderr}"
        assert proc.stdout.strip()
    assert "levers/champions" in run_installed(installed, "pasim", "--help",
                                               cwd=elsewhere).stdout
    studies = run_installed(installed, "pasim-validate", "--list", cwd=elsewhere)
    assert studies.returncode == 0 and "centola_macy_2007" in studies.stdout, studies.stderr
    # the England default: shipped configs and the shipped ICB table
    run = run_installed(installed, "pasim", "steps=5", "figure=false", cwd=elsewhere)
    assert run.returncode == 0, run.stderr
    (summary,) = (elsewhere / "results" / "runs").glob("*/summary.json")
    assert json.loads(summary.read_text())["config"]["network"]["name"] == "england"


@pytest.mark.wheel
def test_sweep_compare_and_report_run_from_the_installed_wheel(installed: Path) -> None:
    tmp_path = installed.parent.parent / "work" / "sweep"
    tmp_path.mkdir()
    my_configs(tmp_path)
    sweep = run_installed(installed, "pasim", "-m", "--config-dir", "my_configs",
                          "scenario=baseline,my_plan", *SMALL, "hydra/launcher=basic",
                          "progress=false", "name=wheel", cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    report = run_installed(installed, "pasim-report", "results/sweeps/wheel",
                           "--out", "report", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert list((tmp_path / "report").glob("*.png"))
    compare = run_installed(installed, "pasim-compare", "scenario=baseline,recommended",
                            "replicates=2", "out=compare", cwd=tmp_path)
    assert compare.returncode == 0, compare.stderr
    assert (tmp_path / "compare" / "comparison.csv").is_file()
