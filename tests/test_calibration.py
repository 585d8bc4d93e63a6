"""pasim-calibrate: inputs checked before anything runs, the statistics, a small fit, resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

pytest.importorskip("pyabc")

from sim.analysis.calibration import fit, spec, workflow  # noqa: E402
from sim.analysis.calibration.simulator import distance_weights, exposure_at_adoption  # noqa: E402
from sim.commands import calibrate  # noqa: E402
from sim.errors import InputError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "sim" / "data" / "diffusion"

#: a fit that takes seconds: two models, few particles, one core
SMALL = ["use=external,simple", "predictive_draws=20", "abc.population_size=20",
         "abc.generations=2", "abc.cores=1"]


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> str:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        calibrate.main(["calibration=medical_innovation", f"out={out}", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert not out.exists(), "nothing is written before the inputs are checked"
    return err


def _series_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "series.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_prior_with_low_not_below_high_is_one_line(capsys, tmp_path) -> None:
    err = _fails(["use=simple", "models.simple.parameters.model.adoption_rate.low=0.9",
                  "models.simple.parameters.model.adoption_rate.high=0.2"], capsys, tmp_path)
    assert "models.simple.parameters.model.adoption_rate: low must be < high" in err


def test_parameter_that_is_no_config_key_is_one_line(capsys, tmp_path) -> None:
    err = _fails(["use=simple", "+models.simple.parameters.model.adoption_rte="
                  "{prior: uniform, low: 0, high: 1}"], capsys, tmp_path)
    assert "models.simple.parameters.model.adoption_rte: not a key of the pasim config" in err


def test_node_time_beyond_the_horizon_is_one_line(capsys, tmp_path) -> None:
    # without the never code, 18 ("never") is a month past the 17-month horizon
    err = _fails(["use=simple", "observed.never=null"], capsys, tmp_path)
    assert "observed.node_times: step 18 is beyond the horizon steps=17" in err


def test_series_step_beyond_the_horizon_is_one_line(capsys, tmp_path) -> None:
    path = _series_file(tmp_path, [{"step": 1, "adopters": 3}, {"step": 30, "adopters": 9}])
    err = _fails(["use=simple", "observed.node_times=null", "observed.group=null",
                  f"+observed.series={path}"],
                 capsys, tmp_path)
    assert "observed.step: step 30 is beyond the horizon steps=17" in err


def test_missing_series_column_is_one_line(capsys, tmp_path) -> None:
    path = _series_file(tmp_path, [{"month": 1, "adopters": 3}])
    err = _fails(["use=simple", "observed.node_times=null", "observed.group=null",
                  f"+observed.series={path}"],
                 capsys, tmp_path)
    assert "observed.step: column 'step' not in series.csv" in err


def test_missing_node_column_is_one_line(capsys, tmp_path) -> None:
    err = _fails(["use=simple", "observed.node_times=first_month"], capsys, tmp_path)
    assert "observed.node_times: 'first_month' is not a column of the node table" in err


def test_prior_reaching_an_invalid_value_is_one_line(capsys, tmp_path) -> None:
    err = _fails(["use=simple", "models.simple.parameters.model.adoption_rate.high=1.5"],
                 capsys, tmp_path)
    assert "parameters.model.adoption_rate: the prior reaches 1.5" in err
    assert "must be a number in [0, 1]" in err


def test_unknown_model_and_prior_family_are_one_line(capsys, tmp_path) -> None:
    assert "use: unknown model 'bass'" in _fails(["use=bass"], capsys, tmp_path)
    err = _fails(["use=simple", "models.simple.parameters.model.adoption_rate.prior=gamma"],
                 capsys, tmp_path)
    assert "prior: must be one of: uniform, log_uniform, normal" in err


def test_exposure_at_adoption_by_hand() -> None:
    # path 0-1-2: 0 adopts at 1, 1 at 2, 2 never. Node 1 had 1 of 2 contacts before it;
    # node 0 none of its 1. Mean over the later adopters (0 and 1) = (0 + 0.5) / 2.
    a = sp.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    assert exposure_at_adoption(a, np.array([1.0, 2.0, np.inf])) == pytest.approx(0.25)
    # a seed (time 0) is not averaged; node 1 then had its only earlier contact
    assert exposure_at_adoption(a, np.array([0.0, 2.0, np.inf])) == pytest.approx(0.5)


def test_distance_weights_give_each_statistic_its_weight() -> None:
    stats = {"curve_0_0": 0.1, "curve_0_1": 0.2, "curve_1_0": 0.3, "curve_1_1": 0.4,
             "exposure": 0.5}
    w = distance_weights(stats, {"curve": 1.0, "exposure": 2.0}, ignored={"curve_1_0"})
    assert w["curve_1_0"] == 0
    assert sum(v ** 2 for k, v in w.items() if k.startswith("curve")) == pytest.approx(1.0)
    assert w["exposure"] ** 2 == pytest.approx(2.0)


def test_observed_medical_innovation_matches_the_published_figures() -> None:
    problem = fit.prepare(spec.load("medical_innovation", ["use=simple"]))
    obs = problem.observed
    assert problem.network.directed, "nominations are directed: i named j, j reaches i"
    assert obs.groups == ("1", "2", "3", "4")
    assert list(obs.sizes) == [62, 24, 21, 18]
    assert int(np.isinf(obs.times).sum()) == 16  # coded 18: never adopted
    final = obs.curve[:, -1]
    assert final.min() == pytest.approx(0.81, abs=0.005)
    assert final.max() == pytest.approx(0.89, abs=0.005)


def test_small_fit_writes_every_output_and_resumes(tmp_path) -> None:
    out = tmp_path / "mi"
    workflow.run("medical_innovation", [*SMALL, "abc.generations=1"], out, progress=False,
            echo=lambda *_: None)
    lines: list[str] = []
    record = workflow.run("medical_innovation", SMALL, out, progress=False, echo=lines.append)
    assert any("resuming" in line and "1 generation(s) done" in line for line in lines)
    assert record["generations"] == 2
    for name in ("posterior.parquet", "summary.json", "summary.md", "predictive.parquet",
                 "posterior_predictive.png", "history.db"):
        assert (out / name).stat().st_size > 0, name
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert set(posterior["model"]) <= {"external", "simple"}
    for _, rows in posterior.groupby("model"):
        assert rows["weight"].sum() == pytest.approx(1.0)
    probabilities = posterior.groupby("model")["model_probability"].first()
    assert probabilities.sum() == pytest.approx(1.0)
    summary = json.loads((out / "summary.json").read_text())
    for model in summary["models"].values():
        for p in (model.get("parameters") or {}).values():
            assert p["p05"] <= p["median"] <= p["p95"]
        if model["particles"]:
            assert 1 <= model["ess"] <= model["particles"]
    rate = posterior["model.spontaneous_rate"]
    assert rate.between(0.005, 0.5).all(), "draws stay inside the prior"


def test_parse_rejects_both_parameters_and_models() -> None:
    with pytest.raises(InputError, match="either parameters"):
        spec.parse({"observed": {"node_times": "t"}, "parameters": {}, "models": {}})


def test_held_out_city_is_left_out_of_the_fit_and_scored() -> None:
    problem = fit.prepare(spec.load("medical_innovation", ["use=simple", "+holdout=[4]"]))
    sim = problem.simulators[0]
    assert sim.holdout == (3,)
    stats = sim.observed_statistics()
    ignored = sim.holdout_keys(stats)
    assert ignored == {k for k in stats if k.startswith("curve_3_")} and len(ignored) == 17
    weights = distance_weights(stats, problem.spec.statistics, ignored)
    assert all(weights[k] == 0 for k in ignored)
    # the exposure statistic no longer averages city 4's doctors
    assert not sim.counted[problem.observed.membership == 3].any()
    with pytest.raises(InputError, match=r"^holdout: 9 is not a group"):
        fit.prepare(spec.load("medical_innovation", ["use=simple", "+holdout=[9]"]))
