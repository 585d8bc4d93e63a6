"""The health-system world: mechanisms become model arguments, and England's outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel, InputError
from sim.analysis.compare import compose
from sim.networks import build_network
from sim.networks.england_synthetic import england_synthetic as england
from sim.runs.config import validate
from sim.world.build import build_model
from sim.world.mechanisms import QUINTILE, with_deprivation_quintile

SMALL_ENGLAND = ("network=england_synthetic", "network.pcns_per_system=10",
                 "network.community_groups_per_system=8",
                 "network.vcs_organisations_per_system=6", "network.leisure_providers_per_system=4")


def config(*overrides: str) -> dict:
    return validate(compose("baseline", list(overrides)))


@pytest.fixture(scope="module")
def small_england():
    return england(seed=11, pcns_per_system=10, community_groups_per_system=8,
                   vcs_organisations_per_system=6, leisure_providers_per_system=4)


def test_england_is_the_default_world_for_five_years_of_weeks() -> None:
    cfg = config()
    assert cfg["network"]["name"] == "england" and cfg["steps"] == 260
    assert cfg["model"]["threshold_kind"] == "count"
    assert set(cfg["levers"]) == {"convening", "shared_goals", "champions", "events", "data"}


def test_pasim_england_writes_every_group_time_series_and_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim.commands.cli", "network=england", "steps=4",
                           "levers.champions.per_system=1", f"hydra.run.dir={out}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    groups = pd.read_parquet(out / "groups.parquet")
    assert {"agent_type", "kind", "sector", "level", "region", "system",
            QUINTILE} <= set(groups["attribute"])
    quintiles = groups[groups["attribute"] == QUINTILE]
    assert sorted(quintiles["group"].unique()) == ["1", "2", "3", "4", "5"]
    assert sorted(groups["step"].unique()) == [0, 1, 2, 3, 4]
    series = pd.read_parquet(out / "timeseries.parquet")
    assert {"adopted_fraction", "aware_fraction", "ties_built", "cost"} <= set(series.columns)
    run = json.loads((out / "summary.json").read_text())["runs"][0]
    for key in ("steps_to_25", "steps_to_50", "steps_to_80", "equity_gap", "sectors_past_50",
                "systems_past_50", "cost", "cost_per_new_adopter", "cost_champions"):
        assert key in run, key
    # one champion in each of 42 ICSs at the default £10k a year, charged 1/52 a week
    assert run["cost"] == run["cost_champions"] == pytest.approx(42 * 10.0 * 4 / 52)
    assert run["initial_adopters"] >= 42  # at least the champions
    # outcomes in people, and results by real ICB code and name
    assert 0 <= run["population_embedded_share"] <= 1 and 0 <= run["inactive_embedded_share"] <= 1
    icb = groups[groups["attribute"] == "icb"]
    reference = pd.read_csv(Path(__file__).parents[1] / "sim/data/england/icb_reference.csv")
    assert sorted(icb["icb_code"]) == sorted(reference["icb_code"])
    assert set(icb["icb_name"]) == set(reference["icb_name"]) and (icb["step"] == 4).all()
    systems = groups[(groups["attribute"] == "system") & (groups["group"] != "")]
    assert set(systems["icb_code"]) == set(reference["icb_code"])
    people = groups[groups["attribute"] == "imd_quintile"]
    assert people["population"].sum() == pytest.approx(56_489_608, abs=1)
    summary = json.loads((out / "summary.json").read_text())
    assert [q["imd_quintile"] for q in summary["outcomes"]["by_imd_quintile"]] == list("12345")
    assert len(summary["outcomes"]["by_icb"]) == 42
    behind = pd.read_csv(out / "ics_behind.csv")
    assert len(behind) == 10 and set(behind["icb_code"]) <= set(reference["icb_code"])
    assert behind["adopted_fraction"].is_monotonic_increasing
    assert (out / "ics_ranking.png").stat().st_size > 10_000


def test_deprivation_quintiles_split_nodes_by_deprivation(small_england) -> None:
    nodes = with_deprivation_quintile(small_england).nodes
    by_q = nodes.groupby(QUINTILE)["deprivation"]
    assert list(by_q.groups) == [1, 2, 3, 4, 5]
    assert (by_q.max().to_numpy()[:-1] <= by_q.min().to_numpy()[1:]).all()
    share = by_q.size() / len(nodes)
    assert share.between(0.1, 0.3).all(), share


def test_textbook_networks_are_untouched_by_the_mechanisms() -> None:
    """The default mechanisms on a ring lattice: exactly the plain model."""
    cfg = config("network=ring_lattice", "network.n=300", "network.k=6", "seeding=nodes",
                 "seeding.nodes=[0,1,2,3]", "model.noise=0.02", "model.lapse_rate=0.05",
                 "model.threshold={dist: integers, low: 1, high: 3}")
    assert cfg["mechanisms"]["deprivation_penalty"] > 0  # the England defaults are on
    network = build_network("ring_lattice", n=300, k=6)
    ours = build_model(cfg, network, seed=5).run(40)
    plain = AdoptionModel(network, threshold={"dist": "integers", "low": 1, "high": 3},
                          initial_adopters=[0, 1, 2, 3], seed=5, noise=0.02,
                          lapse_rate=0.05).run(40)
    pd.testing.assert_frame_equal(ours.history, plain.history)


def test_thresholds_by_agent_type_and_kind(small_england) -> None:
    cfg = config(*SMALL_ENGLAND, "mechanisms=none",
                 "++mechanisms.thresholds={Organisation: 3, Leader: 2, board_member: 5}")
    model = build_model(cfg, small_england, seed=1)
    nodes = model.network.nodes
    expected = np.where(nodes["kind"] == "board_member", 5,
                        np.where(nodes["agent_type"] == "Organisation", 3, 2))
    assert np.array_equal(model.threshold, expected)


def test_threshold_distributions_differ_by_type_and_rise_with_deprivation(small_england) -> None:
    cfg = config(*SMALL_ENGLAND, "mechanisms.cap_at_reach=false")
    model = build_model(cfg, small_england, seed=2)
    nodes = model.network.nodes
    base = model.plan.base_threshold()
    orgs = (nodes["agent_type"] == "Organisation").to_numpy()
    spec = cfg["mechanisms"]["thresholds"]
    for mask, kind in ((orgs, "Organisation"), (~orgs, "Leader")):
        # the configured normal (clipped at 1, far in its tail), within 4 standard errors
        sd, mean = spec[kind]["sd"], spec[kind]["mean"]
        assert base[mask].mean() == pytest.approx(mean, abs=4 * sd / np.sqrt(mask.sum()))
        assert base[mask].std() == pytest.approx(sd, rel=0.1)
    dep = nodes["deprivation"].to_numpy()
    assert np.allclose(model.threshold, base * (1 + 0.5 * dep))


def test_leaders_with_a_single_tie_follow_their_organisation(small_england) -> None:
    """The reach cap: a leader tied only to their organisation adopts when it does."""
    net = small_england
    single = np.flatnonzero((net.degree == 1) & (net.nodes["agent_type"] == "Leader").to_numpy())
    assert single.size > 0
    org = int(net.nodes["organisation"].iloc[single[0]])
    seeds = f"seeding.nodes=[{net.nodes['label'].iloc[org]!r}]"
    adopted = {}
    for cap in (True, False):
        cfg = config(*SMALL_ENGLAND, "mechanisms=none", "++mechanisms.thresholds={Leader: 2}",
                     f"mechanisms.cap_at_reach={str(cap).lower()}", "seeding=nodes", seeds)
        adopted[cap] = build_model(cfg, net, seed=0).run(1).adopted[single[0]]
    assert adopted == {True: True, False: False}


def test_rates_combine_with_the_model_and_framing_cuts_lapse(small_england) -> None:
    m = build_model(config(*SMALL_ENGLAND), small_england, seed=0)
    mech = config()["mechanisms"]
    assert m.noise == mech["awareness_uptake"] and m.lapse_rate == mech["lapse_rate"]
    assert m.spontaneous_rate == mech["external_evidence"]
    assert m.adoption_rate == mech["adoption_pace"] < 1
    framed = build_model(config(*SMALL_ENGLAND, "mechanisms.additive_framing=true"),
                         small_england, seed=0)
    assert framed.lapse_rate == pytest.approx(mech["lapse_rate"] * mech["additive_lapse_factor"])
    both = build_model(config(*SMALL_ENGLAND, "model.lapse_rate=0.1"), small_england, seed=0)
    assert both.lapse_rate == pytest.approx(1 - 0.9 * (1 - mech["lapse_rate"]))


def test_coherence_and_alignment_reach_the_model_per_node(small_england) -> None:
    m = build_model(config(*SMALL_ENGLAND, "mechanisms.coherence=0.3",
                           "mechanisms.alignment=0.7"), small_england, seed=0)
    assert np.all(m.coherence == 0.3) and np.all(m.alignment == 0.7)


def test_awareness_is_tracked_apart_from_adoption(small_england) -> None:
    m = build_model(config(*SMALL_ENGLAND), small_england, seed=3).run(104)
    h = m.history
    assert (h["aware"] >= h["adopted"]).all()
    assert h["aware"].iloc[-1] > h["adopted"].iloc[-1]


@pytest.mark.parametrize(("override", "field"), [
    ("mechanisms.coherence=1.5", "mechanisms.coherence"),
    ("mechanisms.lapse_rate=-0.1", "mechanisms.lapse_rate"),
    ("mechanisms.additive_framing=3", "mechanisms.additive_framing"),
    ("mechanisms.thresholds=3", "mechanisms.thresholds"),
])
def test_bad_mechanisms_name_the_field(override: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        config(override)
    assert str(err.value).split(": ", 1)[0] == field


def test_bad_threshold_distribution_names_the_type(small_england) -> None:
    cfg = config(*SMALL_ENGLAND, "++mechanisms.thresholds.Leader={dist: gamma, k: 2}")
    with pytest.raises(InputError) as err:
        build_model(cfg, small_england, seed=0)
    assert str(err.value).startswith("mechanisms.thresholds.Leader.dist:")
