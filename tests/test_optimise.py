"""Optimising the lever mix: budget arithmetic exactly, and the command end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.optimise import (
    MIX,
    event_schedule,
    mix_settings,
    optimise,
    planned_spend,
    shares,
)
from sim.analysis.sensitivity import compose_config
from sim.commands.optimise import main

GROUPS = 42  # ICSs in England
STEPS = 104


@pytest.fixture(scope="module")
def base() -> dict:
    return compose_config(["scenario=recommended", f"steps={STEPS}"], check=False)


def test_shares_are_normalised_weights() -> None:
    assert shares(dict.fromkeys(MIX, 0.5)) == dict.fromkeys(MIX, 0.25)
    assert shares(dict.fromkeys(MIX, 0.0)) == dict.fromkeys(MIX, 0.0)  # nothing spent


def test_a_mix_never_spends_more_than_its_budget(base) -> None:
    rng = np.random.default_rng(0)
    budget = 500.0
    for _ in range(50):
        split = shares(dict(zip(MIX, rng.random(4), strict=True)))
        settings = mix_settings(base, {k: split[k] * budget for k in MIX}, GROUPS)
        spend = planned_spend(settings, GROUPS, STEPS)
        assert sum(spend.values()) <= budget + 1e-9
        for lever in MIX:
            assert spend[f"spend_{lever}"] <= split[lever] * budget + 1e-9


def test_spend_becomes_lever_settings_at_the_base_unit_costs(base) -> None:
    # recommended: a goal of strength 0.5 costs 50/yr; a champion 10/yr in each of 42 ICSs;
    # purposeful events cost 15 each
    spend = {"convening": 120.0, "shared_goals": 60.0, "champions": 900.0, "events": 45.0}
    settings = mix_settings(base, spend, GROUPS)
    assert settings["convening"]["budget"] == 120.0
    assert settings["convening"]["strategy"] == "wide_bridges"  # design from the base
    assert settings["shared_goals"]["strength"] == pytest.approx(0.6)
    assert settings["shared_goals"]["cost_per_year"] == pytest.approx(60.0)
    assert settings["champions"]["per_system"] == 2  # 900 // 420
    events = settings["events"]["schedule"]
    assert len(events) == 6  # 3 a year for 2 years
    assert [e["step"] for e in events] == sorted(e["step"] for e in events)
    assert all(1 <= e["step"] <= STEPS for e in events)
    capped = mix_settings(base, {**spend, "shared_goals": 1000.0}, GROUPS)["shared_goals"]
    assert capped["strength"] == 1.0 and capped["cost_per_year"] == pytest.approx(100.0)


def test_event_schedule_cycles_through_the_templates() -> None:
    templates = [{"name": "a", "cost": 10.0}, {"name": "b", "cost": 30.0}]
    schedule = event_schedule(templates, per_year=40.0, steps=52)
    assert [e["name"] for e in schedule] == ["a", "b"]
    assert [e["step"] for e in schedule] == [1, 27]
    assert event_schedule(templates, per_year=19.0, steps=52) == []


def test_the_command_runs_end_to_end(tmp_path, capsys) -> None:
    out = tmp_path / "opt"
    code = main(["--trials", "3", "--budget", "300", "--replicates", "1", "--top", "2",
                 "--confirm", "3", "--objective", "final_adoption", "--jobs", "1",
                 "--out", str(out), "steps=26"])
    assert code == 0
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 3
    assert (trials["spend_per_year"] <= 300 + 1e-9).all()
    best = pd.read_csv(out / "best.csv")
    assert list(best["search_rank"]) == [1, 2]
    assert (best["replicates"] == 3).all()
    assert (best["ci95_low"] <= best["mean"]).all() and (best["mean"] <= best["ci95_high"]).all()
    # the first-ranked mix was the best in the search
    assert best["search_value"].iloc[0] == trials["objective"].max()
    assert (out / "optimisation.png").stat().st_size > 5000
    assert "best mixes" in capsys.readouterr().out


def test_same_seed_same_search(tmp_path) -> None:
    kwargs = {"trials": 2, "budget": 200.0, "replicates": 1, "top": 1, "confirm": 2,
              "objective": "final_adoption", "jobs": 1}
    first, _, _ = optimise(["steps=13"], out=tmp_path / "a", **kwargs)
    second, _, _ = optimise(["steps=13"], out=tmp_path / "b", **kwargs)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize(("args", "field"), [
    (["--trials", "0"], "--trials"),
    (["--budget", "-5"], "--budget"),
    (["--confirm", "1"], "--confirm"),
    (["scenario=nonsense"], "scenario"),
])
def test_bad_input_is_one_line_naming_the_field(args, field, tmp_path, capsys) -> None:
    assert main([*args, "--jobs", "1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {field}") and "\n" not in err
    assert not (tmp_path / "x").exists()
