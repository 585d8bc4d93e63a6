"""Sweeps: one collated table, the same numbers whatever the launcher, safe to interrupt.

The sweeps here are small (ring lattices of 300 nodes, 40 steps) and run through the real
``pasim`` command in a subprocess, as a user would run them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.report import median_steps, pareto_front
from sim.commands.report import main as report_main
from sim.runs import results
from sim.runs.callbacks import PROGRESS_DIR
from sim.runs.sweep import RUNTIME_COLUMNS, collate, incomplete_jobs, swept

PASIM = str(Path(sys.executable).with_name("pasim"))
CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"

#: a 6-job sweep with 3 replicates each, stochastic in three ways so that different seeds
#: give different numbers (checked below): a share of ties rewired (a new network per
#: replicate), random seed nodes and below-threshold noise. An unrewired lattice seeded at one
#: node would give every seed the same trajectory, and the equality tests would compare nothing.
SWEEP = ["network=ring_lattice", "network.n=300", "network.k=4,6", "network.p=0.1",
         "seeding=random", "seeding.k=6", "model.noise=0.02", "model.threshold=1,2,3",
         "replicates=3", "steps=40", "figure=false"]
JOBS, REPLICATES, STEPS = 6, 3, 40


def pasim(sweep_dir: Path, *extra: str, check: bool = True,
          args: list[str] = SWEEP) -> subprocess.CompletedProcess:
    cmd = [PASIM, "-m", *args, f"hydra.sweep.dir={sweep_dir}", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without the columns that measure the machine rather than the model."""
    return frame.drop(columns=[c for c in RUNTIME_COLUMNS if c in frame])


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sweep run one job after another in one process (Hydra's basic launcher)."""
    sweep_dir = tmp_path_factory.mktemp("reference")
    pasim(sweep_dir, "hydra/launcher=basic", "progress=false")
    return sweep_dir


# -- the table ------------------------------------------------------------------------------


def test_the_workload_depends_on_the_seed(reference):
    """What makes the equality tests below worth running: in every job, the replicates
    (different seeds) follow different trajectories."""
    _, series = sim.load(reference)
    for job, frame in series.groupby("job"):
        curves = frame.pivot(index="step", columns="replicate", values="adopted")
        assert curves.T.drop_duplicates().shape[0] == REPLICATES, job


def test_one_row_per_run_and_replicate_with_parameters_and_metrics(reference):
    runs, series = sim.load(reference)
    assert len(runs) == JOBS * REPLICATES
    assert not runs.duplicated(["job", "replicate"]).any()
    assert swept(runs) == ["network.k", "model.threshold"]
    assert set(runs["network.k"]) == {4, 6} and set(runs["model.threshold"]) == {1, 2, 3}
    assert runs["steps"].eq(STEPS).all() and runs["steps_run"].eq(STEPS).all()
    assert "config.steps" not in runs
    assert {"final_adoption", "steps_to_50", "cost_per_new_adopter", "cost_per_extra_adopter",
            "extra_adopters", "seed"} <= set(runs.columns)
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    # common random numbers: replicate r has the same seed in every setting
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert len(series) == JOBS * REPLICATES * (STEPS + 1)
    assert {"network.k", "model.threshold", "replicate", "step",
            "adopted_fraction"} <= set(series.columns)
    final = series[series["step"] == STEPS].set_index(["job", "replicate"])["adopted_fraction"]
    assert np.allclose(final.loc[list(zip(runs["job"], runs["replicate"], strict=True))],
                       runs["final_adoption"])


def test_load_reads_the_collated_files_only_while_they_are_current(reference, tmp_path):
    collated = collate(reference)
    fresh, _ = sim.load(reference)
    pd.testing.assert_frame_equal(fresh, collated.runs)
    assert fresh.attrs["parameters"] == collated.runs.attrs["parameters"]
    # a job that finished after collation makes the files stale: load collates again
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(reference), str(copy)], check=True)
    job = next(p for p in copy.iterdir() if (p / results.SUMMARY).is_file())
    (job / results.SUMMARY).unlink()
    assert len(sim.load(copy).runs) == (JOBS - 1) * REPLICATES


def test_half_written_runs_are_never_collated(reference, tmp_path):
    job = tmp_path / "sweep" / "model.threshold=9"
    (job / ".hydra").mkdir(parents=True)
    (job / ".summary.json.abc.tmp").write_text("{")  # a write cut off by a kill
    done = tmp_path / "sweep" / "done"
    subprocess.run(["cp", "-r", str(next(reference.glob("*model.threshold=1,*"))), str(done)],
                   check=True)
    runs, _ = sim.load(tmp_path / "sweep")
    assert set(runs["job"]) == {"done"}
    assert incomplete_jobs(tmp_path / "sweep") == [job]


def test_a_single_run_directory_loads_too(reference):
    run_dir = next(reference.glob("*model.threshold=2,*"))
    runs, series = sim.load(run_dir)
    assert len(runs) == REPLICATES and list(runs["job"].unique()) == ["."]
    assert (runs["model.threshold"] == 2).all()  # from the run's own overrides
    assert len(series) == REPLICATES * (STEPS + 1)


def test_load_says_what_is_missing(tmp_path):
    from sim.errors import InputError

    with pytest.raises(InputError, match="^path: no finished or failed runs"):
        sim.load(tmp_path)


# -- the same numbers whatever the launcher -------------------------------------------------


def test_joblib_on_two_workers_gives_the_same_table(reference, tmp_path):
    done = pasim(tmp_path, "hydra.launcher.n_jobs=2")  # the default launcher, progress on
    assert f"{JOBS}/{JOBS}" in done.stderr and "failed=0" in done.stderr
    assert f"pasim: {JOBS} jobs, {JOBS * REPLICATES} rows" in done.stderr
    assert not (tmp_path / PROGRESS_DIR).exists()
    pd.testing.assert_frame_equal(numbers(sim.load(tmp_path).runs),
                                  numbers(sim.load(reference).runs))
    pd.testing.assert_frame_equal(sim.load(tmp_path).timeseries,
                                  sim.load(reference).timeseries)


def test_submitit_local_launcher_gives_the_same_numbers(reference, tmp_path):
    """submitit's local executor: each job in its own process, as on a SLURM cluster."""
    args = [a if a != "network.k=4,6" else "network.k=6" for a in SWEEP]
    args = [a if a != "model.threshold=1,2,3" else "model.threshold=1,3" for a in args]
    pasim(tmp_path, "hydra/launcher=submitit_local", "progress=false", args=args)
    assert (tmp_path / ".submitit").is_dir()
    mine = numbers(sim.load(tmp_path).runs)
    theirs = numbers(sim.load(reference).runs)
    theirs = theirs[theirs["job"].isin(mine["job"])].reset_index(drop=True)
    assert len(mine) == 2 * REPLICATES
    pd.testing.assert_frame_equal(mine[theirs.columns], theirs, check_dtype=False)


@pytest.mark.skipif(os.environ.get("PASIM_TEST_RAY") != "1",
                    reason="opt-in: set PASIM_TEST_RAY=1 after `pip install hydra-ray-launcher` "
                           "(not a pasim dependency: it needs ray[default]<3, pins cloudpickle<3 "
                           "and brings ~60 packages)")
def test_local_ray_launcher_gives_the_same_numbers(reference, tmp_path):
    pytest.importorskip("hydra_plugins.hydra_ray_launcher")
    pasim(tmp_path, "hydra/launcher=ray", "progress=false")
    pd.testing.assert_frame_equal(numbers(sim.load(tmp_path).runs),
                                  numbers(sim.load(reference).runs))


# -- interrupted and failed sweeps ----------------------------------------------------------


def test_a_killed_sweep_resumes_without_losing_or_duplicating_runs(reference, tmp_path):
    # one worker: jobs finish one at a time, so the kill lands mid-sweep even on a busy machine
    cmd = [PASIM, "-m", *SWEEP, f"hydra.sweep.dir={tmp_path}", "hydra.launcher.n_jobs=1",
           "progress=false"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while not list(tmp_path.glob(f"*/{results.SUMMARY}")):
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-sweep
    proc.wait()
    finished = len(list(tmp_path.glob(f"*/{results.SUMMARY}")))
    assert 1 <= finished < JOBS

    partial = sim.load(tmp_path).runs  # what was finished, and only that
    assert len(partial) == finished * REPLICATES

    done = pasim(tmp_path, "hydra.launcher.n_jobs=2")
    assert f"skipped={finished}" in done.stderr
    assert f"{JOBS}/{JOBS}" in done.stderr  # the bar counts every job, skipped ones too
    runs = sim.load(tmp_path).runs
    assert len(runs) == JOBS * REPLICATES
    assert not runs.duplicated(["job", "replicate"]).any()
    pd.testing.assert_frame_equal(numbers(runs), numbers(sim.load(reference).runs))


FAIL_ON_THRESHOLD_2 = """
import sys
import sim.runs.runner
real = sim.runs.runner.simulate
def simulate(config):
    if config["model"]["threshold"] == 2:
        raise RuntimeError("boom")
    return real(config)
sim.runs.runner.simulate = simulate
import sim.commands.cli
sys.argv = ["pasim"] + sys.argv[1:]
sim.commands.cli.main()
"""


def test_a_failed_job_is_recorded_and_the_others_carry_on(reference, tmp_path):
    cmd = [sys.executable, "-c", FAIL_ON_THRESHOLD_2, "-m", *SWEEP,
           f"hydra.sweep.dir={tmp_path}", "hydra/launcher=basic", "progress=false"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "error: RuntimeError: boom" in done.stderr
    assert "Traceback" not in done.stderr
    runs = sim.load(tmp_path).runs
    assert len(runs) == JOBS * REPLICATES
    failed = runs[runs["status"] == "failed"]
    assert set(failed["model.threshold"]) == {2} and len(failed) == 2 * REPLICATES
    assert (failed["error"] == "RuntimeError: boom").all() and failed["final_adoption"].isna().all()
    failure = results.read_failure(tmp_path / failed["job"].iloc[0])
    assert "in simulate" in failure["traceback"]  # where it was raised, for debugging
    assert failure["overrides"] and failure["config"]["model"]["threshold"] == 2
    ok = runs[runs["status"] == "ok"]
    expected = numbers(sim.load(reference).runs)
    expected = expected[expected["model.threshold"] != 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(numbers(ok).reset_index(drop=True), expected,
                                  check_dtype=False)  # failed rows' NaN make counts floats

    pasim(tmp_path, "hydra/launcher=basic", "progress=false")  # resume retries the failures
    pd.testing.assert_frame_equal(numbers(sim.load(tmp_path).runs),
                                  numbers(sim.load(reference).runs))
    assert not list(tmp_path.glob(f"*/{results.FAILED}"))


def test_a_run_of_a_changed_configuration_is_not_skipped(tmp_path):
    from hydra import compose, initialize_config_dir

    from sim.runs.runner import run_job

    overrides = ["network=ring_lattice", "network.n=100", "steps=5", "figure=false"]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
        changed = compose("config", overrides=[*overrides, "model.threshold=3"])
        renamed = compose("config", overrides=[*overrides, "name=other", "progress=false"])
    assert run_job(cfg, tmp_path) is not None
    assert run_job(cfg, tmp_path) is None  # finished: skipped
    assert run_job(renamed, tmp_path) is None  # presentation only: still the same run
    assert run_job(changed, tmp_path) is not None  # stale: run again
    assert json.loads((tmp_path / results.SUMMARY).read_text())["config"]["model"][
        "threshold"] == 3


#: ``pasim`` whose every job is slow and writes one line to a shared log when it runs
LOGGED_SLOW_JOBS = """
import os, sys, time
import sim.runs.runner
real = sim.runs.runner.simulate
def simulate(config):
    line = f"{config['model']['threshold']} {os.getpid()}\\n"
    with open(os.environ["PASIM_TEST_LOG"], "a") as log:
        log.write(line)
    time.sleep(2)
    return real(config)
sim.runs.runner.simulate = simulate
import sim.commands.cli
sys.argv = ["pasim"] + sys.argv[1:]
sim.commands.cli.main()
"""


def test_two_identical_sweeps_started_together_run_each_job_once(reference, tmp_path):
    sweep = tmp_path / "sweep"
    args = [a if a != "network.k=4,6" else "network.k=4" for a in SWEEP]
    log = tmp_path / "jobs.log"
    cmd = [sys.executable, "-c", LOGGED_SLOW_JOBS, "-m", *args, f"hydra.sweep.dir={sweep}",
           "hydra/launcher=basic"]
    env = {**os.environ, "PASIM_TEST_LOG": str(log)}
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=600)[1] for proc in procs]
    for proc, err in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    ran = log.read_text().splitlines()
    thresholds = sorted(line.split()[0] for line in ran)
    assert thresholds == ["1", "2", "3"], ran  # each job ran once, by one command or the other
    # each command's bar accounts for all 3 jobs: its own, and those the other one ran
    for err in outputs:
        assert "3/3" in err and "pasim: 3 jobs, 9 rows (3 ok, 0 failed)" in err
    expected = numbers(sim.load(reference).runs)
    expected = expected[expected["network.k"] == 4].reset_index(drop=True)
    mine = numbers(sim.load(sweep).runs)
    pd.testing.assert_frame_equal(mine[expected.columns], expected, check_dtype=False)


# -- the report -----------------------------------------------------------------------------


def test_report_draws_heatmaps_curves_and_frontier(reference, tmp_path, capsys):
    report_main([str(reference), "--x", "model.threshold", "--out", str(tmp_path)])
    written = capsys.readouterr().out.split()
    names = {Path(p).name for p in written}
    assert names == {"heatmap_steps_to_50.png", "heatmap_cost_per_extra_adopter.png",
                     "adoption_curves.png", "frontier.png", "settings.csv"}
    for path in written:
        assert Path(path).stat().st_size > (5000 if path.endswith(".png") else 100)
    table = pd.read_csv(tmp_path / "settings.csv")
    assert len(table) == JOBS and (table["runs"] == REPLICATES).all()


def test_report_names_a_bad_option_in_one_line(reference, capsys):
    with pytest.raises(SystemExit) as exit_:
        report_main([str(reference), "--x", "levers.nope"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --x: 'levers.nope' is not a parameter") and "\n" not in err


def test_median_steps_counts_never_as_infinitely_late():
    assert median_steps(pd.Series([10, 12, None])) == 12
    assert median_steps(pd.Series([10, None, None])) == np.inf


def test_pareto_front_keeps_settings_nothing_beats():
    cost = np.array([0.0, 10.0, 10.0, 20.0, 30.0])
    adoption = np.array([0.1, 0.5, 0.4, 0.5, 0.9])
    assert pareto_front(cost, adoption).tolist() == [True, True, False, False, True]


def test_more_replicates_run_only_the_new_ones(tmp_path, monkeypatch):
    """20 -> 40 runs 20: a finished job asked for more replicates runs the missing ones and
    merges them, giving the same numbers as running them all at once; fewer trims."""
    from hydra import compose, initialize_config_dir

    import sim.runs.runner
    from sim.runs.replicates import run_job

    built = []
    real = sim.runs.runner.build_replicate_model
    monkeypatch.setattr(sim.runs.runner, "build_replicate_model",
                        lambda cfg, net, seed, r: built.append(seed) or real(cfg, net, seed, r))
    overrides = [a for a in SWEEP if "," not in a and not a.startswith("replicates=")]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        configs = {n: compose("config", overrides=[*overrides, "network.k=4",
                                                   "model.threshold=2", f"replicates={n}"])
                   for n in (2, 5, 3)}
    job, fresh = tmp_path / "job", tmp_path / "fresh"
    run_job(configs[2], job)
    assert len(built) == 2
    run_job(configs[5], job)
    assert len(built) == 5  # only replicates 2, 3 and 4 ran
    run_job(configs[5], fresh)
    assert len(built) == 10
    mine, theirs = sim.load(job), sim.load(fresh)
    pd.testing.assert_frame_equal(numbers(mine.runs), numbers(theirs.runs))
    pd.testing.assert_frame_equal(mine.timeseries, theirs.timeseries)
    summary = json.loads((job / results.SUMMARY).read_text())
    assert summary["replicates"] == 5
    assert summary["mean"]["final_adoption"] == pytest.approx(
        theirs.runs["final_adoption"].mean())
    assert run_job(configs[5], job) is None and len(built) == 10  # complete: skipped
    run_job(configs[3], job)  # fewer: trimmed, nothing runs
    assert len(built) == 10 and len(sim.load(job).runs) == 3


def test_figures_name_keys_in_words_with_units():
    from sim.runs.labels import label, run_title, short_label

    assert label("levers.convening.budget") == "Convening budget (£k/yr)"
    assert short_label("levers.convening.budget") == "Convening budget"
    assert label("levers.events.table_size") == "Events table size"  # no entry: still words
    assert "." not in label("config.something_new")
    assert run_title({"title": 2024, "network": {"name": "england"}}) == "2024"
    assert run_title({"network": {"name": "england"}, "levers": {}}) == "No levers (england)"
    assert run_title({"network": {"name": "england"},
                      "levers": {"convening": {"budget": 50}}}).startswith("Levers set")


def test_the_driver_diagram_warns_when_n_is_too_small():
    from sim.analysis.sensitivity import small_sample_warning

    rows = [{"outcome": "final_adoption", "factor": "a", "S1": 0.2, "S1_conf": 0.05,
             "ST": 0.3, "ST_conf": 0.05}]
    assert small_sample_warning(pd.DataFrame(rows)) is None
    rows.append({**rows[0], "factor": "b", "ST": 1.4})
    assert "N is too small" in small_sample_warning(pd.DataFrame(rows))


def test_the_optimisation_figure_ranks_mixes_by_confirmed_mean():
    from sim.analysis.optimise import MIX, SETTING_COLUMNS, optimisation_figure

    trials = pd.DataFrame({"trial": [0, 1, 2], "objective": [30.0, 20.0, 25.0]})
    best = pd.DataFrame([{"search_rank": rank, "trial": trial, "mean": mean, "ci95_low": mean - 1,
                          "ci95_high": mean + 1, **{f"spend_{k}": 10.0 for k in MIX},
                          **dict.fromkeys(SETTING_COLUMNS, 0)}
                         for rank, trial, mean in [(1, 1, 24.0), (2, 2, 21.0)]])
    fig = optimisation_figure(trials, best, "steps_to_50", 100.0)
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels[0].startswith("1. trial 2")  # the better confirmed mean first (fewer weeks)
