"""Summary metrics on runs whose outcome is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel, Network
from sim.runs.metrics import equity_gap, equity_ratio, first_step_reaching, summarise


def isolated(quintiles: list[int]) -> Network:
    """Nodes with no ties: only the seeds ever adopt."""
    n = len(quintiles)
    nodes = pd.DataFrame({"label": np.arange(n), "deprivation_quintile": quintiles})
    return Network.from_edges(n, np.array([], int), np.array([], int), nodes=nodes)


def test_equity_gap_and_ratio_compare_the_extreme_quintiles() -> None:
    # quintile 1: 4 nodes, 2 adopted (50 %); quintile 5: 4 nodes, 1 adopted (25 %)
    net = isolated([1, 1, 1, 1, 3, 5, 5, 5, 5])
    model = AdoptionModel(graph=net, threshold=1, initial_adopters=[0, 1, 4, 5])
    assert equity_gap(model) == pytest.approx(0.25 - 0.5)
    assert equity_ratio(model) == pytest.approx(0.5)


def test_equity_ratio_is_undefined_when_the_least_deprived_have_no_adopters() -> None:
    model = AdoptionModel(graph=isolated([1, 1, 5, 5]), threshold=1, initial_adopters=[2])
    assert equity_ratio(model) is None
    assert equity_gap(model) == pytest.approx(0.5)


def test_milestones_are_the_first_steps_reaching_each_share() -> None:
    history = pd.DataFrame({"step": [0, 1, 2, 3], "adopted_fraction": [0.1, 0.3, 0.5, 0.7]})
    assert first_step_reaching(history, 0.25) == 1
    assert first_step_reaching(history, 0.5) == 2
    assert first_step_reaching(history, 0.8) is None


def test_summary_without_deprivation_leaves_equity_empty() -> None:
    path = Network.from_edges(3, np.array([0, 1]), np.array([1, 2]))
    model = AdoptionModel(graph=path, threshold=1, initial_adopters=[0]).run(None)
    summary = summarise(model)
    assert summary["final_adoption"] == 1.0
    assert summary["steps_to_80"] == 2
    assert summary["equity_gap"] is None and summary["equity_ratio"] is None


# ---- two costs per adopter, and the effect against the matched no-lever run --------------

from sim.runs import runner  # noqa: E402
from sim.runs.metrics import effect, pooled_effect  # noqa: E402

WORLD = {"network": {"name": "clustered", "clusters": 10, "size": 10, "width": 2},
         "model": {"threshold": 3, "noise": 0.01}, "seeding": {"strategy": "random", "k": 2},
         "steps": 30, "replicates": 3, "seed": 5}
CHAMPIONS = {"champions": {"per_system": 1, "placement": "random", "influence": 2.0,
                           "cost_per_champion_year": 10.0}}


def test_every_run_reports_its_effect_against_the_matched_no_lever_run(tmp_path) -> None:
    with_levers = runner.simulate({**WORLD, "levers": CHAMPIONS}, baseline_dir=tmp_path).summary
    without = runner.simulate(WORLD, baseline_dir=None).summary
    assert (with_levers["seed"] == without["seed"]).all()
    extra = with_levers["final_adopted"] - without["final_adopted"]
    assert extra.nunique() > 1  # replicates differ, so pairing matters
    assert with_levers["extra_adopters"].tolist() == extra.tolist()
    assert with_levers["extra_cost"].tolist() == (with_levers["cost"] - without["cost"]).tolist()
    for _, row in with_levers.iterrows():
        expected = row["extra_cost"] / row["extra_adopters"] if row["extra_adopters"] > 0 else None
        assert row["cost_per_extra_adopter"] == (pytest.approx(expected) if expected else None)
    assert (without["extra_adopters"] == 0).all() and without["cost_per_extra_adopter"].isna().all()
    # the within-run figure keeps its own name
    assert "cost_per_adopter" not in with_levers
    new = with_levers["final_adopted"] - with_levers["initial_adopters"]
    assert with_levers["cost_per_new_adopter"].tolist() == pytest.approx(
        (with_levers["cost"] / new).tolist())


def test_the_matched_baseline_is_computed_once_per_replicate_and_cached(tmp_path,
                                                                       monkeypatch) -> None:
    calls: list[dict] = []
    real = runner.run_replicate

    def counting(config, *args, **kwargs):
        calls.append(config["levers"])
        return real(config, *args, **kwargs)

    monkeypatch.setattr(runner, "run_replicate", counting)
    monkeypatch.setattr(runner, "_BASELINES", {})  # nothing from earlier tests
    runner.simulate({**WORLD, "levers": CHAMPIONS}, baseline_dir=tmp_path)
    assert sum(lv == {} for lv in calls) == 3  # one no-lever run per replicate
    assert len(list(tmp_path.rglob("*.json"))) == 3
    calls.clear()
    more = {"champions": {**CHAMPIONS["champions"], "per_system": 2}}
    runner.simulate({**WORLD, "levers": more}, baseline_dir=tmp_path)
    assert calls == [more] * 3  # in-process cache: no baseline run
    runner._BASELINES.clear()
    runner.simulate({**WORLD, "levers": more}, baseline_dir=tmp_path)
    assert calls == [more] * 6  # on-disk cache: still none


def test_a_lever_that_gains_no_adopter_has_no_cost_per_extra_adopter(tmp_path) -> None:
    useless = {"data": {"share": 0.5, "threshold_reduction": 0.0, "cost_per_org_year": 2.0}}
    summary = runner.simulate({**WORLD, "levers": useless}, baseline_dir=tmp_path).summary
    assert (summary["cost"] > 0).all() and (summary["extra_adopters"] == 0).all()
    assert summary["cost_per_extra_adopter"].isna().all()
    assert pooled_effect(summary)["cost_per_extra_adopter"] is None


def test_effect_and_pooled_effect_by_hand() -> None:
    base = {"final_adopted": 10, "cost": 0.0, "steps_to_50": 20}
    run = {"final_adopted": 14, "cost": 8.0, "steps_to_50": 15}
    assert effect(run, base) == {"extra_adopters": 4, "extra_cost": 8.0,
                                 "weeks_gained_to_50": 5, "cost_per_extra_adopter": 2.0}
    assert effect({**run, "steps_to_50": None}, base)["weeks_gained_to_50"] is None
    assert effect({**run, "final_adopted": 9}, base)["cost_per_extra_adopter"] is None
    runs = pd.DataFrame({"extra_adopters": [4, 0], "extra_cost": [8.0, 4.0],
                         "weeks_gained_to_50": [5, None]})
    assert pooled_effect(runs) == {"extra_adopters": 2.0, "extra_cost": 6.0,
                                   "weeks_gained_to_50": 5.0, "cost_per_extra_adopter": 3.0}


def test_group_adoption_is_the_groupby_mean_of_the_adopted() -> None:
    from sim.runs.metrics import group_adoption

    rng = np.random.default_rng(5)
    n = 400
    nodes = pd.DataFrame({"label": np.arange(n),
                          "sector": rng.choice(["nhs", "council", "", "vcs"], n),
                          "system": pd.Series(rng.choice(["b", "a", None], n), dtype=object),
                          "deprivation_quintile": rng.choice([1.0, 2.0, 5.0, np.nan], n)})
    net = Network.from_edges(n, np.array([], int), np.array([], int), nodes=nodes)
    model = AdoptionModel(graph=net, threshold=1,
                          initial_adopters=rng.choice(n, 150, replace=False))
    for column in ("sector", "system", "deprivation_quintile"):
        values = nodes[column]
        expected = pd.Series(model.adopted, index=values.index).groupby(values.to_numpy()).mean()
        got = group_adoption(model, column)
        pd.testing.assert_series_equal(got, expected, check_exact=True)
        assert group_adoption(model, column).equals(got)  # the cached codes: the same again
