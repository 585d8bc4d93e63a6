"""The levers: each one's mechanics exactly, and its effect as the theory says over many seeds.

Statistical claims compare paired replicates (replicate r of both arms shares its seed:
common random numbers) with a one-sided Wilcoxon signed-rank test at p < 0.01. They run on
reduced networks so the whole file stays fast; the configs go through the same Hydra
composition and runner as ``pasim``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats

from sim import AdoptionModel, Network
from sim.analysis.compare import compose
from sim.errors import InputError
from sim.networks import build_network
from sim.networks.bridges import bridge
from sim.runs.config import check_inert_keys, validate
from sim.runs.runner import RunResult, simulate
from sim.world.build import build_model, plan_world
from sim.world.levers import champions as champions_lever
from sim.world.levers.events import apportion

#: a smaller England (about 4,700 agents): same structure, fewer organisations per ICS
SMALL_ENGLAND = ("network=england_synthetic", "network.pcns_per_system=10",
                 "network.community_groups_per_system=8",
                 "network.vcs_organisations_per_system=6", "network.leisure_providers_per_system=4")
#: complex contagion without the behavioural noise: thresholds of 2, cross-sector and
#: centre-place ties discounted, nothing else
COMPLEX = ("mechanisms=none", "mechanisms.coherence=0.5", "mechanisms.alignment=0.5",
           "model.threshold=2", "seeding=none")


def config(*overrides: str, scenario: str = "baseline") -> dict:
    return validate(compose(scenario, list(overrides)))


@functools.lru_cache(maxsize=8)
def simulated(*overrides: str) -> RunResult:
    """Runs shared between tests (the same arm of two comparisons is computed once)."""
    return simulate(config(*overrides))


@functools.lru_cache(maxsize=1)
def baseline_history(*overrides: str) -> pd.DataFrame:
    return model_for(config(*overrides)).run(80).history


def model_for(cfg: dict, seed: int = 0) -> AdoptionModel:
    """One replicate's model; a network without its own seed is built from ``seed``."""
    params = dict(cfg["network"])
    name = params.pop("name")
    if params.get("seed", 0) is None:
        params["seed"] = seed
    return build_model(cfg, build_network(name, **params), seed)


def final_share(result: RunResult, attribute: str, keep) -> np.ndarray:
    """Per replicate: adopted share at the last step among the groups ``keep`` selects."""
    g = result.groups
    last = g[(g["attribute"] == attribute) & (g["step"] == g["step"].max())]
    last = last[last["group"].map(keep)]
    per = last.groupby("replicate")[["adopted", "size"]].sum()
    return (per["adopted"] / per["size"]).to_numpy()


def assert_better(better: Sequence[float], worse: Sequence[float]) -> None:
    """Paired one-sided Wilcoxon signed-rank test, p < 0.01."""
    better, worse = np.asarray(better, float), np.asarray(worse, float)
    test = stats.wilcoxon(better, worse, alternative="greater", zero_method="zsplit")
    assert test.pvalue < 0.01, (test.pvalue, better.round(3), worse.round(3))


# ------------------------------------------------------------------------------------------
# every lever at zero is the baseline, exactly

OFF = {
    "convening-strategy-none": ("levers.convening.strategy=none",),
    "convening-budget-zero": ("levers.convening.strategy=wide_bridges",
                              "levers.convening.budget=0"),
    "convening-budget-below-one-bridge": ("levers.convening.strategy=wide_bridges",
                                          "levers.convening.budget=3"),
    "shared-goals-strength-zero": ("levers.shared_goals.strength=0",
                                   "levers.shared_goals.cost_per_year=50",
                                   "levers.shared_goals.inequalities_focus=true"),
    "champions-zero": ("levers.champions.per_system=0", "levers.champions.influence=3",
                       "levers.champions.placement=betweenness"),
    "events-empty": ("levers.events.schedule=[]",),
    "data-share-zero": ("levers.data.share=0", "levers.data.cost_per_org_year=5"),
}


@pytest.mark.parametrize("overrides", OFF.values(), ids=OFF.keys())
def test_lever_at_zero_reproduces_the_baseline_exactly(overrides: tuple[str, ...]) -> None:
    common = (*SMALL_ENGLAND, "steps=80")
    baseline = baseline_history(*common)
    assert baseline["adopted"].nunique() > 1, \
        "the baseline must change over the run, or identity would prove nothing"
    off = model_for(config(*common, *overrides)).run(80)
    pd.testing.assert_frame_equal(off.history, baseline)
    assert off.cost == 0.0


def test_a_lever_that_is_on_changes_the_run() -> None:
    """The control for the identity tests: the same comparison does see a lever."""
    common = (*SMALL_ENGLAND, "steps=80")
    on = model_for(config(*common, "levers.champions.per_system=1")).run(80)
    assert not on.history.equals(baseline_history(*common))


# ------------------------------------------------------------------------------------------
# mechanics and cost


def test_convening_builds_what_the_budget_buys_and_charges_per_tie() -> None:
    cfg = config(*SMALL_ENGLAND, *COMPLEX, "steps=104", "levers/convening=wide_bridges",
                 "levers.convening.budget=90", "levers.convening.cost_per_tie=2",
                 "levers.convening.width=2")
    model = model_for(cfg).run(104)
    per_year = (90 // 2) // 4 * 4  # 45 ties paid for, 11 bridges of 2 x 2
    history = model.history.set_index("step")
    assert model.ties_built == 2 * per_year
    assert model.cost == pytest.approx(2 * per_year * 2)
    assert history.loc[52, "ties_built"] == per_year  # the first year's, by its last week
    assert model.lever_costs["convening"] == pytest.approx(model.cost)
    assert (np.diff(history["cost"].to_numpy()) >= 0).all()  # cumulative
    # quarterly rounds: ties appear in 4 weeks a year, nowhere else
    weeks_with_ties = np.flatnonzero(np.diff(history["ties_built"].to_numpy()) > 0) + 1
    assert len(weeks_with_ties) == 8


def test_a_bridge_of_width_w_ties_w_nodes_on_each_side_all_pairs() -> None:
    u, v = bridge(np.array([10, 11]), np.array([20, 21]))
    assert sorted(zip(u.tolist(), v.tolist(), strict=True)) == \
        [(10, 20), (10, 21), (11, 20), (11, 21)]
    u, v = bridge(np.array([[1, 2, 3], [4, 5, 6]]), np.array([[7, 8, 9], [10, 11, 12]]))
    assert u.size == 2 * 3 * 3 and set(zip(u[:9].tolist(), v[:9].tolist(), strict=True)) == \
        {(a, b) for a in (1, 2, 3) for b in (7, 8, 9)}


@pytest.mark.parametrize("width", [1, 2, 4])
def test_convening_width_w_gives_each_far_node_w_ties(width: int) -> None:
    cfg = {"network": {"name": "clustered", "clusters": 6, "size": 10, "width": 0},
           "model": {"threshold": 2}, "seeding": {"strategy": "none"}, "steps": 13,
           "levers": {"convening": {"strategy": "wide_bridges", "budget": 4 * width * width,
                                    "cost_per_tie": 1.0, "width": width,
                                    "rounds_per_year": 4}}}
    network = build_network("clustered", clusters=6, size=10, width=0)
    model = build_model(cfg, network, 3).run(13)
    (convenor,) = model.plan.interventions
    assert convenor.bridges  # the first quarter's bridges
    for _, u, v in convenor.bridges:
        assert np.unique(u).size == width and np.unique(v).size == width
        assert (np.unique(v, return_counts=True)[1] == width).all()  # w ties per far node
        assert (np.unique(u, return_counts=True)[1] == width).all()
    assert model.ties_built == sum(u.size for _, u, _ in convenor.bridges)


def test_clustered_bridges_come_from_the_same_definition() -> None:
    net = build_network("clustered", clusters=2, size=8, width=3)
    cluster = net.nodes["cluster"].to_numpy()
    adj = net.adjacency.tocoo()
    across = cluster[adj.row] != cluster[adj.col]
    u, v = bridge(np.arange(3), 8 + np.arange(5, 8))
    ties = sorted(zip(adj.row[across].tolist(), adj.col[across].tolist(), strict=True))
    one_way = list(zip(u.tolist(), v.tolist(), strict=True))
    assert ties == sorted(one_way + [(b, a) for a, b in one_way])


def test_targeted_convening_bridges_from_adopters_to_untipped_clusters() -> None:
    cfg = config(*SMALL_ENGLAND, *COMPLEX, "steps=13", "levers/convening=targeted",
                 "levers.convening.budget=40", "levers.champions.per_system=2",
                 "levers.champions.placement=neighbourhood")
    model = model_for(cfg).run(12)
    adopted, clusters = model.adopted.copy(), model.network.nodes["cluster"].to_numpy()
    share = pd.Series(adopted).groupby(clusters).mean()
    model.run(1)  # the first round is in week 13
    (convenor,) = [i for i in model.interventions if hasattr(i, "bridges")]
    assert len(convenor.bridges) == 2  # 40 ties a year = 10 bridges, a quarter of them now
    for _week, u, v in convenor.bridges:
        assert adopted[u].all(), "the near side of a targeted bridge is its adopters"
        assert (clusters[u] != clusters[v]).all()
        assert share[clusters[v[0]]] < 0.5


def test_shared_goals_raise_coherence_and_alignment_in_scope() -> None:
    base = config(*SMALL_ENGLAND)
    for scope, inside in (("ics", ("system", "local")), ("national", ("national", "regional")),
                          ("all", ("national", "regional", "system", "local"))):
        cfg = config(*SMALL_ENGLAND, "levers.shared_goals.strength=0.6",
                     f"levers.shared_goals.scope={scope}")
        plan = plan_world(cfg, model_for(base).network, seed=1)
        in_scope = plan.network.nodes["level"].isin(inside).to_numpy()
        c0 = base["mechanisms"]["coherence"]
        assert np.allclose(plan.coherence[in_scope], c0 + 0.6 * (1 - c0))
        assert np.allclose(plan.coherence[~in_scope], c0)
        assert np.allclose(plan.alignment[in_scope], base["mechanisms"]["alignment"] * 0.4 + 0.6)


def test_inequalities_focus_removes_part_of_the_deprivation_penalty() -> None:
    base = config(*SMALL_ENGLAND, "mechanisms.cap_at_reach=false")
    network = model_for(base).network
    without = plan_world(base, network, seed=3)
    focus = plan_world(config(*SMALL_ENGLAND, "mechanisms.cap_at_reach=false",
                              "levers/shared_goals=inequalities"), network, seed=3)
    dep = without.network.nodes["deprivation"].to_numpy()
    penalty = base["mechanisms"]["deprivation_penalty"]
    assert np.allclose(without.thresholds(), without.base_threshold() * (1 + penalty * dep))
    assert np.allclose(focus.thresholds(), focus.base_threshold() * (1 + penalty * dep * 0.5))


def test_data_capability_lowers_thresholds_of_a_share_of_organisations() -> None:
    cfg = config(*SMALL_ENGLAND, "levers.data.share=0.4", "levers.data.threshold_reduction=0.3",
                 "levers.data.cost_per_org_year=2", "mechanisms.cap_at_reach=false", "steps=60")
    model = model_for(cfg)
    plan = model.plan
    nodes = plan.network.nodes
    orgs = (nodes["agent_type"] == "Organisation").to_numpy()
    capable = plan.threshold_reduction > 0
    assert capable[orgs].sum() == round(0.4 * orgs.sum())
    # a capable organisation's leaders share its capability
    org_of = nodes["organisation"].to_numpy()
    assert np.array_equal(capable[~orgs], capable[org_of[~orgs]])
    assert np.allclose(plan.threshold_reduction[capable], 0.3)
    model.run(60)
    assert model.cost == pytest.approx(2 * round(0.4 * orgs.sum()) * 60 / 52)  # pro rata


def test_champions_are_committed_influential_leaders_in_every_ics() -> None:
    cfg = config(*SMALL_ENGLAND, "levers.champions.per_system=2", "levers.champions.influence=3",
                 "levers.champions.cost_per_champion_year=10", "steps=53")
    model = model_for(cfg)
    nodes = model.network.nodes
    chosen = np.flatnonzero(model.champion)
    assert len(chosen) == 2 * 42
    assert (nodes["agent_type"].to_numpy()[chosen] == "Leader").all()
    assert (nodes.iloc[chosen].groupby("system").size() == 2).all()
    assert model.committed[chosen].all() and model.adopted[chosen].all()
    assert np.allclose(model.influence[chosen], 3 * nodes["influence"].to_numpy()[chosen])
    model.run(53)
    assert model.cost == pytest.approx(2 * 42 * 10 * 53 / 52)  # 53 weeks pay 53/52 years


@pytest.mark.parametrize("placement", ["degree", "bridging"])
def test_ranked_placements_pick_the_top_leader_of_each_ics(placement: str) -> None:
    cfg = config(*SMALL_ENGLAND, "levers.champions.per_system=1",
                 f"levers.champions.placement={placement}")
    model = model_for(cfg)
    plan = model.plan
    leader = champions_lever.is_leader(plan)
    rng = np.random.default_rng(0)
    for members in champions_lever.systems(plan)[:5]:
        leaders = members[leader[members]]
        score = champions_lever._SCORES[placement](plan, members, leaders, rng)
        (chosen,) = np.flatnonzero(model.champion[leaders])
        assert score[chosen] == score.max() > 0


def reference_cascade(plan, members: np.ndarray, seeds: list[int], champions=(),
                      multiplier: float = 1.0) -> int:
    """The plain model on one ICS's ties, run to its fixed point: how many adopt."""
    sub = Network(plan.network.adjacency[members][:, members].tocsr(),
                  pd.DataFrame({"label": np.arange(members.size)}))
    influence = plan.influence[members].copy()
    influence[list(champions)] *= multiplier
    model = AdoptionModel(sub, threshold=plan.thresholds()[members], initial_adopters=seeds,
                          influence=influence, seed=0).run(None)
    return int(model.adopted.sum())


def test_complex_centrality_is_the_cascade_from_a_neighbourhood() -> None:
    """Guilbeault & Centola's measure, vectorised, equals running the model from each
    leader's neighbourhood."""
    plan = model_for(config(*SMALL_ENGLAND)).plan
    members = champions_lever.systems(plan)[0]
    leaders = members[champions_lever.is_leader(plan)[members]][::8]
    scores = champions_lever.IcsCascade(plan, members).neighbourhood_sizes(leaders)
    assert scores.max() > scores.min()
    for leader, score in zip(np.searchsorted(members, leaders).tolist(), scores.tolist(),
                             strict=True):
        sub_neighbours = plan.network.adjacency[members][:, members][[leader]].indices
        assert reference_cascade(plan, members, [leader, *sub_neighbours.tolist()]) == score


def test_complex_centrality_champion_starts_the_largest_cascade_of_its_ics() -> None:
    cfg = config(*SMALL_ENGLAND, "levers.champions.per_system=1", "levers.champions.influence=2",
                 "levers.champions.placement=complex_centrality")
    model = model_for(cfg)
    plan = model.plan
    members = champions_lever.systems(plan)[0]
    leaders = members[champions_lever.is_leader(plan)[members]]
    (chosen,) = leaders[model.champion[leaders]]
    plan.influence = model.network.nodes["influence"].to_numpy(float)  # before the lever
    sizes = champions_lever.IcsCascade(plan, members).champion_sizes(
        leaders, np.empty(0, dtype=np.int64), 2.0)
    assert sizes[leaders == chosen][0] == sizes.max() > 1
    for i in [int(np.argmax(sizes)), int(np.argmin(sizes))]:
        local = int(np.searchsorted(members, leaders[i]))
        assert reference_cascade(plan, members, [local], [local], 2.0) == sizes[i]


def test_neighbourhood_placement_picks_the_leaders_nearest_one_of_them() -> None:
    """Clustered seeding: some champion s has the others as its nearest leaders in the ICS."""
    cfg = config(*SMALL_ENGLAND, "levers.champions.per_system=4",
                 "levers.champions.placement=neighbourhood")
    model = model_for(cfg)
    plan = model.plan
    leader = champions_lever.is_leader(plan)
    for members in champions_lever.systems(plan):
        sub = plan.network.adjacency[members][:, members]
        chosen = model.champion[members]
        others = leader[members] & ~chosen
        dist = sp.csgraph.shortest_path(sub, unweighted=True, indices=np.flatnonzero(chosen))
        assert any(d[chosen].max() <= d[others].min() for d in dist)


def test_events_make_attendees_aware_tie_tables_and_charge_their_cost() -> None:
    schedule = ("levers.events.schedule=[{step: 5, size: 40, audience: {health: 0.5, "
                "physical_activity: 0.5}, format: in_person, clarity: 1.0, cost: 12, "
                "table_size: 8, region: London}, {step: 9, size: 30, audience: {national: 0.5, "
                "regional: 0.5}, format: virtual, clarity: 1.0, cost: 3}]")
    model = model_for(config(*SMALL_ENGLAND, *COMPLEX, "steps=10", schedule))
    first, second = model.interventions
    model.run(10)
    nodes = model.network.nodes.iloc[first.attendees]
    assert len(first.attendees) == 40 and len(set(first.attendees)) == 40
    assert (nodes["region"] == "London").all() and (nodes["agent_type"] == "Leader").all()
    assert nodes["sector"].value_counts().to_dict() == {"health": 20, "physical_activity": 20}
    assert model.aware[first.attendees].all() and model.aware[second.attendees].all()
    assert model.ties_built == 5 * (8 * 7 // 2)  # five tables of eight, everyone tied
    history = model.history.set_index("step")
    assert history.loc[4, "cost"] == 0 and history.loc[5, "cost"] == 12
    assert history.loc[9, "cost"] == 15 and history.loc[9, "ties_built"] == 140  # virtual
    # 30 seats, but only the centre's leaders (national 11, regional 14) can take them
    assert len(second.attendees) == 25


def test_clarity_scales_who_comes_away_aware() -> None:
    aware = []
    for clarity in (0.2, 0.9):
        schedule = (f"levers.events.schedule=[{{step: 1, size: 600, audience: {{local: 1.0}}, "
                    f"clarity: {clarity}}}]")
        model = model_for(config(*SMALL_ENGLAND, *COMPLEX, "steps=1", schedule)).run(1)
        (event,) = model.interventions
        aware.append(model.aware[event.attendees].mean())
    assert aware[0] == pytest.approx(0.2, abs=0.06) and aware[1] == pytest.approx(0.9, abs=0.04)


def test_seats_are_apportioned_to_sum_to_size() -> None:
    assert apportion(125, {"a": 0.4, "b": 0.3, "c": 0.15, "d": 0.1, "e": 0.05}) == \
        {"a": 50, "b": 38, "c": 19, "d": 12, "e": 6}
    assert sum(apportion(7, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}).values()) == 7


# ------------------------------------------------------------------------------------------
# the theory, over many seeds


@pytest.mark.slow
@pytest.mark.parametrize(("threshold", "width"), [(2, 2), (3, 3)])
def test_wide_bridges_beat_random_ties_at_equal_budget(threshold: int, width: int) -> None:
    """20 cliques of 20, no bridges, one cluster adopted: the same ties, grouped or not."""
    common = ("network=clustered", "network.clusters=20", "network.size=20", "network.width=0",
              "mechanisms=none", f"model.threshold={threshold}", "seeding=nodes",
              f"seeding.nodes={list(range(20))}", "steps=156", "replicates=20",
              "levers.convening.budget=72", f"levers.convening.width={width}")
    wide = simulate(config(*common, "levers.convening.strategy=wide_bridges")).summary
    narrow = simulate(config(*common, "levers.convening.strategy=random")).summary
    assert (wide["cost"] == narrow["cost"]).all() and wide["cost"].iloc[0] > 0
    assert_better(wide["final_adoption"], narrow["final_adoption"])


@pytest.mark.slow
def test_neighbourhood_champions_beat_scattered_ones_for_complex_contagion() -> None:
    # champions with no extra weight: the comparison is about clustering, not reach
    common = (*SMALL_ENGLAND, *COMPLEX, "network.key_player_influence=1",
              "levers.champions.per_system=2", "levers.champions.influence=1", "steps=100",
              "replicates=20")
    clustered_ = simulate(config(*common, "levers.champions.placement=neighbourhood")).summary
    scattered = simulate(config(*common, "levers.champions.placement=random")).summary
    assert_better(clustered_["final_adoption"], scattered["final_adoption"])


@pytest.mark.slow
def test_at_the_shipped_influence_one_champion_tips_contacts_alone_so_scattering_wins() -> None:
    """experiments/champion_placement/README.md: with the shipped influence (x2, pacc.yaml)
    a champion's reinforcement alone meets a threshold of 2, so for its contacts the
    contagion is simple, and champions spread apart reach more of them than champions
    grouped in one neighbourhood, whose reinforcement overlaps."""
    shipped = compose(None, ["levers/champions=pacc"])["levers"]["champions"]["influence"]
    assert shipped * 1.0 >= 2  # one champion, a tie of weight 1: exposure >= threshold 2
    common = (*SMALL_ENGLAND, *COMPLEX, "network.key_player_influence=1",
              "levers.champions.per_system=2", f"levers.champions.influence={shipped}",
              "steps=100", "replicates=20")
    clustered_ = simulate(config(*common, "levers.champions.placement=neighbourhood")).summary
    scattered = simulate(config(*common, "levers.champions.placement=random")).summary
    assert_better(scattered["final_adoption"], clustered_["final_adoption"])


#: England's default mechanisms, a stronger deprivation penalty, two clustered PACCs per ICS
SEEDED = (*SMALL_ENGLAND, "mechanisms.deprivation_penalty=1.0", "levers.champions.per_system=2",
          "levers.champions.placement=neighbourhood", "levers.champions.influence=2",
          "steps=156", "replicates=20")


@pytest.mark.slow
def test_shared_goals_raise_cross_sector_adoption() -> None:
    shared = simulated(*SEEDED, "levers.shared_goals.strength=0.8")
    alone = simulated(*SEEDED)
    outside_health = lambda group: group != "health"  # noqa: E731
    assert_better(final_share(shared, "sector", outside_health),
                  final_share(alone, "sector", outside_health))


@pytest.mark.slow
def test_inequalities_focus_shrinks_the_equity_gap() -> None:
    """Same goal strength in both arms; only the focus differs. Gap = Q5 - Q1 (negative)."""
    goal = ("levers.shared_goals.strength=0.8",)
    focus = simulated(*SEEDED, *goal, "levers.shared_goals.inequalities_focus=true")
    plain = simulated(*SEEDED, *goal)
    assert plain.summary["equity_gap"].median() < 0, "the deprived must start behind"
    assert_better(focus.summary["equity_gap"], plain.summary["equity_gap"])


# ------------------------------------------------------------------------------------------
# bad lever values: one line naming the field


BAD = {
    "negative-budget": (("levers.convening.budget=-1",), "levers.convening.budget", ">= 0"),
    "zero-cost-per-tie": (("levers.convening.cost_per_tie=0",), "levers.convening.cost_per_tie",
                          "> 0"),
    "unknown-strategy": (("levers.convening.strategy=bridges",), "levers.convening.strategy",
                         "wide_bridges"),
    "unknown-placement": (("levers.champions.placement=central",),
                          "levers.champions.placement", "complex_centrality"),
    "negative-champions": (("levers.champions.per_system=-1",), "levers.champions.per_system",
                           ">= 0"),
    "influence-below-one": (("levers.champions.influence=0.5",), "levers.champions.influence",
                            ">= 1"),
    "strength-above-one": (("levers.shared_goals.strength=1.5",), "levers.shared_goals.strength",
                           "1"),
    "unknown-scope": (("levers.shared_goals.scope=region",), "levers.shared_goals.scope", "ics"),
    "data-share": (("levers.data.share=2",), "levers.data.share", "1"),
    "event-beyond-horizon": (("steps=50", "levers.events.schedule=[{step: 51, size: 10, "
                              "audience: {health: 1}}]"), "levers.events.schedule[0].step",
                             "steps = 50"),
    "event-at-step-zero": (("levers.events.schedule=[{step: 0, size: 10, audience: "
                            "{health: 1}}]",), "levers.events.schedule[0].step", "step 0"),
    "audience-not-summing-to-one": (("levers.events.schedule=[{step: 3, size: 10, audience: "
                                     "{health: 0.5, national: 0.3}}]",),
                                    "levers.events.schedule[0].audience", "sum to 1"),
    "unknown-format": (("levers.events.schedule=[{step: 3, size: 10, audience: {health: 1}, "
                        "format: hybrid}]",), "levers.events.schedule[0].format", "in_person"),
    "unknown-lever-key": (("+levers.convening.speed=3",), "levers.convening.speed", "allowed"),
    "unknown-mechanism": (("+mechanisms.trust=3",), "mechanisms.trust", "allowed"),
}


@pytest.mark.parametrize(("overrides", "field", "shows"), BAD.values(), ids=BAD.keys())
def test_bad_lever_values_name_the_field(overrides: tuple[str, ...], field: str,
                                         shows: str) -> None:
    with pytest.raises(InputError) as err:
        config(*overrides)
    message = str(err.value)
    assert "\n" not in message and message.split(": ", 1)[0] == field, message
    assert shows in message, message


NEEDS_NETWORK = {
    "width-larger-than-any-cluster": (("levers/convening=wide_bridges",
                                       "levers.convening.width=200"),
                                      "levers.convening.width", "largest cluster"),
    "audience-unknown-group": (("levers.events.schedule=[{step: 3, size: 10, audience: "
                                "{hospitals: 1}}]",),
                               "levers.events.schedule[0].audience.hospitals", "known"),
    "unknown-region": (("levers.events.schedule=[{step: 3, size: 10, audience: {health: 1}, "
                        "region: Wales}]",), "levers.events.schedule[0].region", "London"),
}


@pytest.mark.parametrize(("overrides", "field", "shows"), NEEDS_NETWORK.values(),
                         ids=NEEDS_NETWORK.keys())
def test_bad_values_checked_against_the_network_name_the_field(
        overrides: tuple[str, ...], field: str, shows: str) -> None:
    cfg = config(*SMALL_ENGLAND, *overrides)  # valid on its own ...
    with pytest.raises(InputError) as err:  # ... but not for this network
        model_for(cfg)
    message = str(err.value)
    assert "\n" not in message and message.split(": ", 1)[0] == field, message
    assert shows in message, message


@pytest.mark.parametrize("placement", ["random", "degree", "betweenness", "bridging",
                                       "neighbourhood", "complex_centrality"])
def test_every_placement_works_on_a_network_without_agent_types(placement: str) -> None:
    """On a plain clustered network each cluster stands in for an ICS: 2 champions each."""
    from sim.runs.runner import simulate

    common = ["network=clustered", "network.clusters=6", "network.size=10", "mechanisms=none",
              "steps=3", "figure=false"]
    seeds = simulate(compose(None, common)).summary["initial_adopters"].iloc[0]
    result = simulate(compose(None, [*common, "levers/champions=pacc",
                                     f"levers.champions.placement={placement}",
                                     "levers.champions.per_system=2"]))
    placed = result.summary["initial_adopters"].iloc[0]
    assert 12 <= placed <= 12 + seeds  # 6 clusters x 2 champions, some may also be seeds


# ------------------------------------------------------------------------------------------
# running costs are charged pro rata, by the week

RUNNING_COSTS = {
    "champions": {"per_system": 1, "placement": "random", "cost_per_champion_year": 10.0},
    "shared_goals": {"strength": 0.5, "scope": "all", "cost_per_year": 50.0},
    "data": {"share": 0.5, "threshold_reduction": 0.25, "cost_per_org_year": 2.0},
}


@pytest.mark.parametrize("lever", RUNNING_COSTS)
def test_a_53_week_run_pays_53_52_of_a_52_week_run(lever: str) -> None:
    cfg = {"network": {"name": "clustered", "clusters": 4, "size": 10, "width": 2},
           "model": {"threshold": 2}, "seeding": {"strategy": "random", "k": 2},
           "levers": {lever: RUNNING_COSTS[lever]}}
    network = build_network("clustered", clusters=4, size=10, width=2)
    cost = {steps: build_model({**cfg, "steps": steps}, network, 1).run(steps).lever_costs[lever]
            for steps in (1, 52, 53)}
    assert cost[52] > 0
    assert cost[53] == pytest.approx(cost[52] * 53 / 52)
    assert cost[1] == pytest.approx(cost[52] / 52)


# ------------------------------------------------------------------------------------------
# config values that cannot change the result are rejected (sim/world/liveness.py)

from sim.runs.config import CONFIG_DIR, check_command_line  # noqa: E402
from sim.world.levers import MODULES  # noqa: E402
from sim.world.levers import champions as champions_module  # noqa: E402
from sim.world.levers import convening as convening_module  # noqa: E402
from sim.world.levers import shared_goals as shared_goals_module  # noqa: E402

#: for each lever, the config group that switches it on (its main keys are its DEFAULTS)
LEVER_ON = {"champions": "pacc", "convening": "wide_bridges", "shared_goals": "inequalities",
            "data": "enabled", "events": "purposeful"}
#: five years: long enough for every event of the purposeful schedule, and for a goal's scope
QUICK_ENGLAND = (*SMALL_ENGLAND, "steps=260", "replicates=1")


def _experiment_cases() -> list[tuple[str, str, object, object]]:
    """(experiment, key, its first and last swept values) for every key every experiment
    sweeps."""
    import yaml

    cases = []
    for path in sorted((CONFIG_DIR / "experiment").glob("*.yaml")):
        params = yaml.safe_load(path.read_text())["hydra"]["sweeper"]["params"]
        for key, values in params.items():
            swept = str(values).split(",")
            first, second = yaml.safe_load(swept[0]), yaml.safe_load(swept[-1])
            cases.append((path.stem, key, first, second))
    return cases


#: the value the lever's config group gives (no override)
ON_CONFIG = "<the lever config's own value>"


def _other_value(value: object, choices: Sequence[str] = ()) -> object:
    """A second value for a lever setting that differs from ``value``."""
    if isinstance(value, bool):
        return not value
    if value is None:
        return 4  # fade: ties lapse after 4 weeks instead of never
    if isinstance(value, str):
        return next(c for c in choices if c not in (value, "none"))
    if isinstance(value, int):
        return value + 1
    return value / 2 if value else 0.5


def _lever_cases() -> list[tuple[str, str, object, object]]:
    cases = []
    for lever, module in MODULES.items():
        on = compose(None, [f"levers/{lever}={LEVER_ON[lever]}"])["levers"][lever]
        choices = {"placement": champions_module.PLACEMENTS,
                   "strategy": convening_module.STRATEGIES,
                   "scope": list(shared_goals_module.SCOPES)}
        for key in module.DEFAULTS:
            first = on[key]
            second = [] if key == "schedule" else _other_value(first, choices.get(key, ()))
            cases.append((f"levers/{lever}={LEVER_ON[lever]}", f"levers.{lever}.{key}",
                          ON_CONFIG, second))
    return cases


def _overrides(base: str, key: str, value: object) -> list[str]:
    import json

    chosen = f"experiment={base}" if "=" not in base else base
    extra = list(QUICK_ENGLAND) if "bridge_width" not in base else ["steps=30", "replicates=2"]
    return [chosen, *extra, *([] if value == ON_CONFIG else [f"{key}={json.dumps(value)}"])]


@pytest.mark.parametrize(("base", "key", "first", "second"),
                         _experiment_cases() + _lever_cases(),
                         ids=lambda v: str(v)[:40])
def test_two_values_of_every_swept_and_main_key_differ_or_are_rejected(
        base, key, first, second, tmp_path) -> None:
    runs = []
    for value in (first, second):
        overrides = _overrides(base, key, value)
        cfg = validate(compose(None, overrides))
        try:
            check_inert_keys(cfg, overrides)
        except InputError as err:
            assert str(err).startswith(f"{key}:"), err
            return  # rejected: the command says the value does nothing
        runs.append(simulate(cfg, baseline_dir=tmp_path))
    a, b = runs
    same_series = a.timeseries.equals(b.timeseries)
    same_cost = a.summary["cost"].equals(b.summary["cost"])
    assert not (same_series and same_cost), f"{key}: {first!r} and {second!r} give one result"


INERT = {
    "threshold-on-england-default-mechanisms": (("network=england", "model.threshold=3"),
                                                "model.threshold", "per-type threshold"),
    "width-with-random-convening": (("network=england", "levers/convening=random",
                                     "levers.convening.width=3"),
                                    "levers.convening.width", "single ties"),
    "behavioural-rate-without-agent-types": (("network=ring_lattice", "network.n=200",
                                              "mechanisms.lapse_rate=0.2"),
                                             "mechanisms.lapse_rate", "agent_type"),
    "champion-influence-without-champions": (("network=england", "levers.champions.influence=3"),
                                             "levers.champions.influence", "per_system is 0"),
    "experiment-without-multirun": (("experiment=bridge_width",), "experiment", "add -m"),
}


@pytest.mark.parametrize(("args", "key", "why"), INERT.values(), ids=INERT.keys())
def test_a_value_that_does_nothing_is_a_one_line_error(args, key, why) -> None:
    with pytest.raises(InputError, match=rf"^{key}: .*{why}") as err:
        check_command_line([*args, "steps=2"])
    assert "\n" not in str(err.value)


def test_fade_on_a_virtual_event_is_rejected_and_on_an_in_person_one_accepted() -> None:
    cfg = config(*SMALL_ENGLAND, "steps=60", "levers/events=anhss_2021_22")
    assert cfg["levers"]["events"]["schedule"][0]["format"] == "virtual"
    assert cfg["levers"]["events"]["schedule"][1]["format"] == "in_person"
    with pytest.raises(InputError, match=r"levers.events.schedule\[0\].fade: .*virtual"):
        check_inert_keys(cfg, ["levers.events.schedule[0].fade=4"])
    assert check_inert_keys(cfg, ["levers.events.schedule[1].fade=4"]) == []
    with pytest.raises(InputError, match=r"levers.events.schedule\[2\].fade: .*virtual"):
        check_command_line([*SMALL_ENGLAND, "steps=60", "levers/events=anhss_2021_22",
                            "levers.events.schedule.2.fade=4"])  # the command-line spelling


def test_a_key_inert_in_some_jobs_of_a_grid_is_a_warning(capsys) -> None:
    jobs = check_command_line(["-m", *SMALL_ENGLAND, "steps=2",
                               "levers.champions.per_system=0,1",
                               "levers.champions.influence=3"])
    assert jobs == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "warning: levers.champions.influence: has no effect in 1 of 2 jobs")


def test_a_sweep_over_an_inert_key_is_an_error() -> None:
    with pytest.raises(InputError, match="^model.threshold: has no effect"):
        check_command_line(["-m", *SMALL_ENGLAND, "steps=2",
                            "model.threshold=1,2,3"])
