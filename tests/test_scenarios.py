"""The scenarios and ``pasim-compare``: what happened in 2021-22, and what was recommended."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import compare
from sim.analysis.compare import compose
from sim.commands import compare as compare_command
from sim.errors import InputError
from sim.networks.england_synthetic import england_synthetic as england
from sim.runs.config import validate
from sim.runs.runner import simulate
from sim.world.build import build_model

SCENARIOS = ("baseline", "anhss_2021_22", "recommended")
SMALL_ENGLAND = ("network=england_synthetic", "network.pcns_per_system=10",
                 "network.community_groups_per_system=8",
                 "network.vcs_organisations_per_system=6", "network.leisure_providers_per_system=4")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_composes_and_validates(scenario: str) -> None:
    cfg = validate(compose(scenario, []))
    assert cfg["network"]["name"] == "england" and cfg["steps"] == 260
    assert cfg["title"]


def test_baseline_is_the_default_with_every_lever_off() -> None:
    baseline = compose("baseline", [])
    default = compose(None, [])
    assert baseline.pop("title") and default.pop("title") is None
    assert baseline == default
    levers = baseline["levers"]
    assert levers["convening"]["budget"] == 0 and levers["champions"]["per_system"] == 0
    assert levers["shared_goals"]["strength"] == 0 and levers["data"]["share"] == 0
    assert levers["events"]["schedule"] == []


def test_anhss_replays_the_four_2021_22_events_from_july_2021() -> None:
    events = compose("anhss_2021_22", [])["levers"]["events"]["schedule"]
    assert [e["step"] for e in events] == [9, 22, 28, 48]  # Sep, Dec 2021; Jan, Jun 2022
    assert [e["size"] for e in events] == [125, 60, 30, 60]
    assert [e["format"] for e in events] == ["virtual", "in_person", "virtual", "in_person"]
    assert events[1]["region"] == "East of England" and events[3]["region"] == "Midlands"
    assert {"national", "regional"} <= set(events[2]["audience"])


def test_anhss_events_raise_awareness_build_tables_and_cost_in_their_weeks() -> None:
    cfg = validate(compose("anhss_2021_22", [*SMALL_ENGLAND, "steps=60"]))
    net = england(seed=4, pcns_per_system=10, community_groups_per_system=8,
                  vcs_organisations_per_system=6, leisure_providers_per_system=4)
    model = build_model(cfg, net, seed=4).run(60)
    h = model.history.set_index("step")
    events = [(i.e, i.attendees) for i in model.interventions]
    assert [len(a) for _, a in events] == [e["size"] for e, _ in events]  # every seat taken
    for event, attendees in events:
        s = event["step"]
        assert h.loc[s, "cost"] - h.loc[s - 1, "cost"] == event["cost"]
        assert h.loc[s, "aware"] > h.loc[s - 1, "aware"]
        tables = np.array_split(attendees, math.ceil(attendees.size / event["table_size"]))
        seats = np.array([t.size for t in tables])
        expected = int((seats * (seats - 1) // 2).sum()) if event["format"] == "in_person" else 0
        assert h.loc[s, "ties_built"] - h.loc[s - 1, "ties_built"] == expected
    assert h["cost"].iloc[-1] == sum(e["cost"] for e, _ in events)


def test_recommended_pulls_every_lever_the_evaluation_named() -> None:
    levers = compose("recommended", [])["levers"]
    assert levers["convening"]["strategy"] in ("wide_bridges", "targeted")
    assert levers["convening"]["budget"] > 0 and levers["convening"]["width"] >= 2
    assert levers["champions"]["per_system"] >= 1
    assert levers["shared_goals"]["strength"] > 0 and levers["shared_goals"]["inequalities_focus"]
    assert levers["shared_goals"]["scope"] == "all"
    schedule = levers["events"]["schedule"]
    assert schedule and all(e["format"] == "in_person" and e["clarity"] >= 0.8 for e in schedule)


@pytest.mark.slow
def test_recommended_spreads_further_and_faster_than_the_baseline() -> None:
    common = [*SMALL_ENGLAND, "steps=130", "replicates=8"]
    rec = simulate(validate(compose("recommended", common))).summary
    base = simulate(validate(compose("baseline", common))).summary
    test = stats.wilcoxon(rec["final_adoption"], base["final_adoption"], alternative="greater")
    assert test.pvalue < 0.01, (rec["final_adoption"], base["final_adoption"])
    assert (rec["cost"] > 0).all() and (base["cost"] == 0).all()
    assert rec["steps_to_25"].notna().all()


def test_compare_writes_the_table_and_the_figure(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    lines: list[str] = []
    table, written = compare.run(["baseline", "recommended"],
                                 [*SMALL_ENGLAND, "replicates=3", "steps=130"], out=out,
                                 echo=lines.append)
    assert written == out
    for name in ("comparison.csv", "comparison.md", "comparison.png", "replicates.csv"):
        assert (out / name).is_file(), name
    assert table["scenario"].tolist() == ["baseline", "recommended"]
    assert (table["replicates"] == 3).all()
    csv = pd.read_csv(out / "comparison.csv")
    assert {"final_adoption_median", "final_adoption_p10", "final_adoption_p90",
            "steps_to_50_median", "equity_gap_median", "cost_median",
            "cost_per_new_adopter_median", "extra_adopters_median",
            "cost_per_extra_adopter"} <= set(csv.columns)
    assert csv.loc[0, "extra_adopters_median"] == 0  # the baseline is its own no-lever run
    assert pd.isna(csv.loc[0, "cost_per_extra_adopter"])  # no extra adopter: undefined
    # the table's figure is the pooled effect of the per-run effects in replicates.csv
    per_run = pd.read_csv(out / "replicates.csv")
    rec = per_run[per_run["scenario"] == "recommended"]
    assert csv.loc[1, "cost_per_extra_adopter"] == pytest.approx(
        rec["extra_cost"].mean() / rec["extra_adopters"].mean())
    text = (out / "comparison.md").read_text()
    assert "| baseline |" in text and "| recommended |" in text
    assert any("s per run" in line for line in lines)
    runs = pd.read_csv(out / "replicates.csv")
    assert len(runs) == 6 and {"cost_convening", "cost_champions"} <= set(runs.columns)


def test_compare_arguments() -> None:
    scenarios, overrides, out = compare_command.parse_args(["scenario=a,b", "steps=3", "out=x"])
    assert scenarios == ["a", "b"] and out == Path("x")
    assert overrides == ["steps=3", f"replicates={compare.DEFAULT_REPLICATES}"]
    assert compare_command.parse_args([])[0] == list(compare.DEFAULT_SCENARIOS)
    assert compare_command.parse_args(["replicates=2"])[1] == ["replicates=2"]


def test_compare_rejects_bad_input_in_one_line_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cmp"
    for argv in (["scenario=baseline,nowhere", f"out={out}"],
                 ["levers.convening.budget=-5", f"out={out}"],
                 ["replicates"]):
        with pytest.raises(SystemExit) as exit_:
            compare_command.main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "\n" not in err, err
    assert not out.exists()
    with pytest.raises(InputError, match="^levers.convening.budget"):
        compare.run(["baseline"], ["levers.convening.budget=-5"], out=out)


# ---- every random network takes the replicate's seed ------------------------------------

NETWORKX_BA = {"name": "networkx", "generator": "barabasi_albert_graph", "n": 300, "m": 2}


def _networkx_run(network: dict, replicates: int = 2) -> pd.DataFrame:
    cfg = {"network": network, "model": {"threshold": 2, "noise": 0.02},
           "seeding": {"strategy": "random", "k": 3}, "steps": 25, "replicates": replicates}
    return simulate(cfg).timeseries


def test_networkx_network_is_reproducible_from_the_replicate_seed() -> None:
    first, second = _networkx_run(NETWORKX_BA), _networkx_run(NETWORKX_BA)
    pd.testing.assert_frame_equal(first, second)
    by_rep = first.pivot(index="step", columns="replicate", values="adopted")
    assert not by_rep[0].equals(by_rep[1])  # replicates still differ: a fresh graph each


@pytest.mark.parametrize("network", [
    {"name": "ring_lattice", "n": 300, "k": 4, "p": 0.2},  # no seed key at all
    {"name": "random", "n": 300, "mean_degree": 6},
    {"name": "clustered", "clusters": 10, "size": 10, "width": 2, "layout": "random"},
])
def test_a_random_network_without_a_seed_key_is_reproducible(network: dict) -> None:
    pd.testing.assert_frame_equal(_networkx_run(network), _networkx_run(network))


def test_networkx_config_group_from_the_command_line(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    def run(out: Path) -> dict:
        proc = subprocess.run(
            [sys.executable, "-m", "sim.commands.cli", "network=networkx",
             "network.generator=barabasi_albert_graph", "network.n=300", "network.m=2",
             "mechanisms=none", "seeding=random", "model.threshold=2", "model.noise=0.02",
             "steps=25", "figure=false", f"hydra.run.dir={out}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads((out / "summary.json").read_text())

    a, b = run(tmp_path / "a"), run(tmp_path / "b")
    assert a["runs"] == [{**r, "runtime_s": a["runs"][0]["runtime_s"]} for r in b["runs"]]
    assert a["config"]["network"]["m"] == 2 and a["runs"][0]["n_agents"] == 300
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "timeseries.parquet"))


# ---- agents.parquet: who became aware and adopted when ----------------------------------


def test_agent_table_gives_each_agents_first_aware_and_adopted_steps(tmp_path: Path) -> None:
    from sim.runs.runner import run_job

    cfg = {"network": {"name": "ring_lattice", "n": 60, "k": 2}, "model": {"threshold": 1},
           "seeding": {"strategy": "nodes", "nodes": [0]}, "steps": 20, "replicates": 2,
           "record_agents": True, "figure": False}
    run_job(cfg, tmp_path / "on")
    agents = pd.read_parquet(tmp_path / "on" / "agents.parquet")
    assert len(agents) == 2 * 60 and sorted(agents["replicate"].unique()) == [0, 1]
    one = agents[agents["replicate"] == 0].set_index("node")
    distance = np.minimum(np.arange(60), 60 - np.arange(60))
    reached = distance <= 20
    # a front moving one node a step from node 0: adopted at its distance, aware a step before
    assert one["adopted_step"][reached].tolist() == distance[reached].tolist()
    assert one["aware_step"][reached].tolist() == np.maximum(distance - 1, 0)[reached].tolist()
    assert one["adopted_step"][~reached].isna().all()
    assert one["aware_step"][distance == 21].tolist() == [20, 20]  # aware, not yet adopted
    assert one["aware_step"][distance > 21].isna().all()
    assert (one["threshold"] == 1).all() and not one["champion"].any()
    run_job({**cfg, "record_agents": False}, tmp_path / "off")
    assert not (tmp_path / "off" / "agents.parquet").exists()  # off by default


def test_agent_table_on_england_has_every_attribute_and_the_champions() -> None:
    cfg = validate(compose(None, [*SMALL_ENGLAND, "steps=10", "record_agents=true",
                                  "levers.champions.per_system=1"]))
    result = simulate(cfg, baseline_dir=None)
    agents = result.agents
    assert {"node", "agent_type", "kind", "sector", "level", "region", "system",
            "deprivation", "threshold", "champion", "aware_step",
            "adopted_step"} <= set(agents.columns)
    assert agents["champion"].sum() == 42
    assert (agents.loc[agents["champion"], "adopted_step"] == 0).all()
    ever, final = agents["adopted_step"].notna().sum(), result.summary["final_adopted"].iloc[0]
    assert final <= ever <= final + result.timeseries["lapsed"].sum()  # lapsed adopters count
