"""Posterior draws per replicate in ordinary runs and comparisons; time-varying external
influence; the decision table (probability of beating the reference, cost per extra adopter)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.calibration import decision
from sim.analysis.sensitivity import compose_config
from sim.errors import InputError
from sim.runs import posterior
from sim.runs.config import validate
from sim.runs.runner import simulate
from sim.world.external import ExternalSchedule

SMALL = ["network=clustered", "network.clusters=4", "network.size=6", "network.seed=3",
         "seeding=none", "steps=5", "figure=false"]


@pytest.fixture(scope="module")
def base() -> dict:
    """The small run's config, composed once (Hydra composition costs seconds)."""
    return compose_config(SMALL)


def _with(cfg: dict, **keys) -> dict:
    return {**json.loads(json.dumps(cfg)), **keys}


def _posterior(tmp_path: Path, rates: list[float], weights: list[float],
               pasim: list[str] | None = None) -> Path:
    path = tmp_path / "posterior.parquet"
    pd.DataFrame({"model": "m", "model_probability": 1.0, "weight": weights,
                  "model.spontaneous_rate": rates,
                  "pasim": json.dumps(pasim or []), "external": None}).to_parquet(path)
    posterior.load.cache_clear()
    return path


def test_each_replicate_runs_its_own_posterior_draw(tmp_path, base) -> None:
    # spontaneous rate 1: everyone adopts in step 1; rate 0 (no seeds): nobody ever does
    path = _posterior(tmp_path, [0.0, 1.0], [0.5, 0.5])
    cfg = _with(base, replicates=12, posterior=str(path))
    final = simulate(cfg).summary["final_adoption"].to_numpy()
    assert set(np.round(final, 6)) == {0.0, 1.0}, "both draws are used, whole runs each"
    drawn = [posterior.draw(cfg, r)["model"]["spontaneous_rate"] for r in range(12)]
    assert list(final) == drawn, "replicate r ran draw r"


def test_draws_follow_the_weights_and_depend_on_seed_and_replicate_only(tmp_path, base
                                                                       ) -> None:
    path = _posterior(tmp_path, [0.01, 0.02], [0.9, 0.1])
    cfg = _with(base, posterior=str(path))
    draws = np.array([posterior.draw(cfg, r)["model"]["spontaneous_rate"] for r in range(400)])
    assert np.mean(draws == 0.01) == pytest.approx(0.9, abs=0.05)
    # a lever setting does not change which draw a replicate gets (paired comparisons)
    other = _with(cfg, model={**cfg["model"], "noise": 0.3})
    assert [posterior.draw(other, r)["model"]["spontaneous_rate"] for r in range(20)] == \
        list(draws[:20])


def test_a_draw_carries_its_models_structural_settings(tmp_path, base) -> None:
    path = _posterior(tmp_path, [0.01], [1.0], pasim=["model.threshold_kind=fraction",
                                                      "model.threshold=0.5"])
    cfg = posterior.draw(_with(base, posterior=str(path)), 0)
    assert cfg["model"]["threshold_kind"] == "fraction"
    assert cfg["model"]["threshold"] == 0.5


def test_bad_posterior_is_one_line_before_anything_runs(tmp_path, base) -> None:
    cfg = base
    with pytest.raises(InputError, match=r"^posterior: no such file"):
        validate({**cfg, "posterior": str(tmp_path / "nope.parquet")})
    path = _posterior(tmp_path, [0.1], [1.0])
    with pytest.raises(InputError, match=r"^posterior.model: 'simple' is not in"):
        validate({**cfg, "posterior": {"path": str(path), "model": "simple"}})


def test_external_schedule_times_spontaneous_adoption(base) -> None:
    # rate 1 times the series 0, 0, 1: nobody adopts in steps 1-2, everyone in step 3
    cfg = _with(base, model={**base["model"], "spontaneous_rate": 1.0},
                external={"shape": "series", "values": [0, 0, 1]})
    series = simulate(cfg).timeseries
    assert list(series["adopted_fraction"]) == [0, 0, 0, 1, 1, 1]


def test_exponential_schedule_and_its_errors(base) -> None:
    schedule = ExternalSchedule.from_config({"shape": "exponential", "trend": -0.5})
    assert schedule.multiplier(1) == 1.0
    assert schedule.multiplier(3) == pytest.approx(np.exp(-1.0))
    with pytest.raises(InputError, match=r"^external.shape: must be one of"):
        ExternalSchedule.from_config({"shape": "wavy"})
    with pytest.raises(InputError, match=r"^external.values: must be a non-empty list"):
        validate({**base, "external": {"shape": "series", "values": []}})


def test_decision_table_by_hand() -> None:
    runs = pd.DataFrame({
        "scenario": ["a"] * 4 + ["b"] * 4, "replicate": list(range(4)) * 2,
        "final_adopted": [10, 10, 10, 10, 12, 14, 10, 8],
        "cost": [0, 0, 0, 0, 8, 8, 8, 8],
    })
    row = decision.decision_table(runs).iloc[0]
    # differences +2, +4, 0, -2: two wins, one tie (half), one loss
    assert row["p_better"] == pytest.approx(2.5 / 4)
    assert row["extra_adopters_median"] == 1.0
    assert row["cost_per_extra_adopter"] == pytest.approx(8 / 1.0)  # mean cost / mean gain
    assert row["cost_per_extra_p05"] <= 8 <= row["cost_per_extra_p95"]


def test_compare_reports_the_decision_with_parameter_uncertainty(tmp_path, base,
                                                                  monkeypatch) -> None:
    from sim.analysis import compare

    # the shipped scenarios target England's regions; on the small network the option is a
    # stand-in (more uptake from awareness), the reference the plain model
    path = _posterior(tmp_path, [0.01, 0.05], [0.5, 0.5])
    configs = {"reference": _with(base, replicates=6, steps=4, posterior=str(path)),
               "option": _with(base, replicates=6, steps=4, posterior=str(path),
                               model={**base["model"], "noise": 0.5})}
    monkeypatch.setattr(compare, "compose", lambda scenario, overrides: configs[scenario])
    compare.run(["reference", "option"], [], tmp_path / "cmp", echo=lambda *_: None)
    text = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "parameter uncertainty (one posterior draw per replicate)" in text
    row = next(line for line in text.split("Against reference")[1].splitlines()
               if line.startswith("| option |"))
    assert float(row.split("|")[2]) > 0.5, "more uptake beats the reference more often"
