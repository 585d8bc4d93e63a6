"""The pasim command end to end: one run writes config, summary, time series and figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

PASIM = [sys.executable, "-m", "sim.commands.cli"]


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


#: ``pasim`` with the clock stopped at one second, whichever clock the run directory reads
FROZEN_CLOCK = """
import datetime, sys, time
FIXED = datetime.datetime(2030, 1, 2, 3, 4, 5)
class Frozen(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED
import hydra.core.utils
hydra.core.utils.datetime = Frozen
real_strftime = time.strftime
time.strftime = lambda fmt, t=None: real_strftime(fmt, FIXED.timetuple())
import sim.commands.cli
sys.argv = ["pasim"] + sys.argv[1:]
sim.commands.cli.main()
"""


def test_two_runs_started_in_the_same_second_get_their_own_directories(tmp_path: Path) -> None:
    """Started together with the clock stopped, two different runs must not share a folder:
    each folder's config, summary and time series come from one and the same run."""
    base = ["network=ring_lattice", "network.n=200", "network.k=4", "steps=12", "figure=false",
            "seeding=nodes", "seeding.nodes=[0,1]"]
    procs = [subprocess.Popen([sys.executable, "-c", FROZEN_CLOCK, *base,
                               f"model.threshold={t}"], cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for t in (1, 2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    runs = sorted((tmp_path / "results" / "runs").iterdir())
    assert len(runs) == 2, runs
    assert all(run.name.startswith("2030-01-02_03-04-05") for run in runs)
    thresholds = set()
    for run in runs:
        summary = json.loads((run / "summary.json").read_text())
        config = yaml.safe_load((run / "config.yaml").read_text())
        assert config["model"]["threshold"] == summary["config"]["model"]["threshold"]
        series = pd.read_parquet(run / "timeseries.parquet")
        assert summary["mean"]["final_adopted"] == series["adopted"].iloc[-1]
        thresholds.add(config["model"]["threshold"])
    assert thresholds == {1, 2}


def test_a_name_cannot_escape_the_results_folder(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    proc = run_pasim("-m", "name=../../../outside", "network=ring_lattice", "network.n=100",
                     "steps=2", "figure=false", "hydra/launcher=basic", cwd=work)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: name: must be one folder")
    assert {p.name for p in tmp_path.rglob("*")} == {"a", "b"}


def test_a_sweep_job_folder_stays_inside_the_sweep(tmp_path: Path) -> None:
    from sim.runs.paths import safe_subdir

    sweep = tmp_path / "sweep"
    for dirname in ("network.path=../../x", "a/../../b", "..", "network.path=/etc/../.."):
        job = (sweep / safe_subdir(dirname)).resolve()
        assert job.is_relative_to(sweep.resolve()) and job != sweep.resolve(), dirname
    assert safe_subdir("levers/convening=wide_bridges,seed=1") == \
        "levers/convening=wide_bridges,seed=1"  # nesting by config group is kept


def test_results_go_to_the_project_folder_from_anywhere_inside_it(monkeypatch) -> None:
    """A notebook run from notebooks/ writes into the project's results/, not notebooks/."""
    from sim.runs.paths import RESULTS_ENV, project_root, results_root

    root = project_root(Path(__file__).parent)
    assert root is not None and (root / "configs").is_dir()
    monkeypatch.delenv(RESULTS_ENV, raising=False)
    monkeypatch.chdir(root / "notebooks")
    assert results_root() == root / "results"
    monkeypatch.setenv(RESULTS_ENV, "/tmp/elsewhere")
    assert results_root() == Path("/tmp/elsewhere")


def test_a_file_network_warning_is_shown_once(tmp_path: Path) -> None:
    """The pre-flight builds the network too; its warnings are left to the run."""
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target,weight\na,b,1\nb,a,3\nb,c,1\nc,d,1\nd,a,1\n")
    proc = run_pasim("network=file", f"network.path={edges}", "seeding=none", "steps=3",
                     "figure=false", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("repeated tie(s) merged") == 1, proc.stderr


def test_a_single_run_refuses_a_folder_another_live_run_is_writing(tmp_path: Path) -> None:
    from sim.runs.paths import JobClaim

    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from sim.runs.paths import JobClaim\n"
        f"claim = JobClaim({str(out)!r})\n"
        "assert claim.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert JobClaim(out).is_held_elsewhere()
        proc = run_pasim("network=ring_lattice", "network.n=100", "steps=2", "figure=false",
                         f"hydra.run.dir={out}", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith(
            "error: hydra.run.dir: ") and "another run" in proc.stderr
        assert sorted(p.name for p in out.iterdir()) == [".claim"]  # nothing written into it
    finally:
        holder.kill()
        holder.wait()
    assert not JobClaim(out).is_held_elsewhere()  # the kernel let go with the process
