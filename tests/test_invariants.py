"""Invariants of the model that must hold for every graph and every setting (hypothesis).

- without lapse or noise, adoption never decreases and reaches a fixed point;
- committed champions (and committed seeds) never lapse;
- fractions stay in [0, 1], and every adopter is aware;
- options and levers at zero strength change nothing;
- results do not depend on how the nodes are labelled or ordered.
"""

from __future__ import annotations

import warnings
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim import AdoptionModel
from sim.engine.model import EPS
from sim.runs.config import CONFIG_DIR

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SECTORS = ("health", "physical_activity", "community")
LEVELS = ("national", "regional", "system", "local")


@st.composite
def graphs(draw: st.DrawFn, max_n: int = 40, attributes: bool = False) -> nx.Graph:
    """A random graph, sometimes weighted, sometimes with sector and level attributes."""
    n = draw(st.integers(2, max_n))
    p = draw(st.floats(0.05, 0.6))
    seed = draw(st.integers(0, 2**16))
    graph = nx.gnp_random_graph(n, p, seed=seed)
    rng = np.random.default_rng(seed)
    if draw(st.booleans()):
        for u, v in graph.edges:
            graph.edges[u, v]["weight"] = float(rng.choice([0.5, 1.0, 2.0]))
    if attributes:
        for i in graph.nodes:
            graph.nodes[i]["sector"] = SECTORS[rng.integers(len(SECTORS))]
            graph.nodes[i]["level"] = LEVELS[rng.integers(len(LEVELS))]
    return graph


@st.composite
def thresholds(draw: st.DrawFn, n: int) -> tuple[str, Any]:
    """A threshold kind and a scalar or per-node threshold valid for it."""
    kind = draw(st.sampled_from(["count", "fraction"]))
    value = st.floats(0.5, 3.0) if kind == "count" else st.floats(0.05, 1.0)
    if draw(st.booleans()):
        return kind, np.array(draw(st.lists(value, min_size=n, max_size=n)))
    return kind, draw(value)


def seeds(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, n - 1), min_size=1, max_size=max(1, n // 3), unique=True)


@st.composite
def monotone_models(draw: st.DrawFn) -> AdoptionModel:
    """No lapse and no noise: adoption can only grow (stochastic adoption rate allowed)."""
    graph = draw(graphs())
    n = graph.number_of_nodes()
    kind, threshold = draw(thresholds(n))
    return AdoptionModel(graph=graph, threshold=threshold, threshold_kind=kind,
                         initial_adopters=draw(seeds(n)), seed=draw(st.integers(0, 2**16)),
                         adoption_rate=draw(st.sampled_from([1.0, 0.7, 0.3])),
                         spontaneous_rate=draw(st.sampled_from([0.0, 0.0, 0.05])))


@st.composite
def any_models(draw: st.DrawFn) -> AdoptionModel:
    """Every option at a random value, on a graph with sectors and levels."""
    graph = draw(graphs(attributes=True))
    n = graph.number_of_nodes()
    kind, threshold = draw(thresholds(n))
    unit = st.floats(0.0, 1.0)
    return AdoptionModel(
        graph=graph, threshold=threshold, threshold_kind=kind, initial_adopters=draw(seeds(n)),
        seed=draw(st.integers(0, 2**16)), adoption_rate=draw(unit), noise=draw(unit),
        spontaneous_rate=draw(st.floats(0.0, 0.2)), lapse_rate=draw(unit),
        coherence=draw(unit), alignment=draw(unit),
        champions=draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)),
        seeds_committed=draw(st.booleans()), track=["sector", "level"])


def exposure(model: AdoptionModel) -> np.ndarray:
    """Reinforcement from adopted neighbours, recomputed from the graph (plain weights)."""
    return model.network.adjacency @ model.adopted.astype(float)


def above_threshold(model: AdoptionModel) -> np.ndarray:
    """Who the textbook rule says should adopt now (no coherence or alignment discounts)."""
    e = exposure(model)
    if model.threshold_kind == "fraction":
        degree = np.asarray(model.network.adjacency.sum(axis=1)).ravel()
        return (degree > 0) & (e >= model.threshold * degree - EPS)
    return e >= model.threshold - EPS


# ------------------------------------------------------------------------------------------
# monotone growth and fixed points


@SETTINGS
@given(model=monotone_models())
def test_without_lapse_or_noise_adoption_never_decreases(model: AdoptionModel) -> None:
    before = model.adopted.copy()
    for _ in range(30):
        model.step()
        assert np.all(model.adopted[before]), "an adopter lapsed with lapse_rate = 0"
        before = model.adopted.copy()
    assert model.history["adopted"].is_monotonic_increasing
    assert (model.history["lapsed"] == 0).all()


@SETTINGS
@given(model=monotone_models())
def test_without_lapse_or_noise_a_fixed_point_is_reached(model: AdoptionModel) -> None:
    """The run ends in a state the rule leaves unchanged: every non-adopter is below threshold.

    Deterministic models get there within n steps (each step before it adds an adopter);
    with an adoption rate below 1 an agent above threshold adopts eventually, so 400 steps
    leave a failure probability below 0.7^400 per agent.
    """
    assume(model.spontaneous_rate == 0.0)
    n = model.n
    if model.deterministic:
        start = int(model.adopted.sum())
        model.run(None)
        assert model.steps <= n - start + 1
    else:
        model.run(400)
    assert not np.any(above_threshold(model) & ~model.adopted)
    settled = model.adopted.copy()
    for _ in range(5):
        model.step()
    assert np.array_equal(model.adopted, settled)


# ------------------------------------------------------------------------------------------
# champions and seeds that are committed


@SETTINGS
@given(model=any_models())
def test_committed_champions_never_lapse(model: AdoptionModel) -> None:
    champions = np.flatnonzero(model.champion)
    seeds_fixed = model.initial_adopters if model.committed[model.initial_adopters].all() \
        else np.empty(0, dtype=np.int64)
    for _ in range(25):
        model.step()
        assert model.adopted[champions].all()
        assert model.adopted[seeds_fixed].all()
        assert model.adopted[model.committed].all()


def test_lapse_does_happen_to_uncommitted_adopters() -> None:
    """The control for the test above: with lapse certain, an unreinforced adopter lapses."""
    graph = nx.path_graph(6)
    model = AdoptionModel(graph=graph, threshold=2, initial_adopters=[0, 5], seed=1,
                          lapse_rate=1.0, champions=[5], seeds_committed=False)
    model.step()
    assert not model.adopted[0] and model.adopted[5]


# ------------------------------------------------------------------------------------------
# fractions and awareness


@SETTINGS
@given(model=any_models())
def test_fractions_stay_in_the_unit_interval(model: AdoptionModel) -> None:
    model.run(25)
    history = model.history
    for column in ("adopted_fraction", "aware_fraction"):
        assert history[column].between(0.0, 1.0).all()
    assert (history["adopted"] <= history["aware"]).all(), "an adopter who is not aware"
    assert np.all(model.aware[model.adopted])
    groups = model.history_by_group()
    for column in ("adopted_fraction", "aware_fraction"):
        assert groups[column].dropna().between(0.0, 1.0).all()
    per_step = groups.groupby(["step", "attribute"])["adopted"].sum().unstack()
    for attribute in per_step.columns:  # the groups add up to the whole
        assert per_step[attribute].to_numpy().tolist() == history["adopted"].tolist()


# ------------------------------------------------------------------------------------------
# zero strength changes nothing


@SETTINGS
@given(graph=graphs(attributes=True), data=st.data())
def test_model_options_at_zero_change_nothing(graph: nx.Graph, data: st.DataObject) -> None:
    """Options at their "off" value draw nothing and change nothing, even in a stochastic run.

    Off: no noise, lapse or spontaneous adoption; coherence and alignment 1 (no discount);
    no champions or extra committed agents; interventions that build no ties and raise no
    awareness.
    """
    n = graph.number_of_nodes()
    kind, threshold = data.draw(thresholds(n))
    common = dict(graph=graph, threshold=threshold, threshold_kind=kind,
                  initial_adopters=data.draw(seeds(n)), seed=data.draw(st.integers(0, 999)),
                  adoption_rate=data.draw(st.floats(0.1, 1.0)), track=["sector"])

    def idle(model: AdoptionModel) -> None:
        model.add_ties(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        model.make_aware(np.empty(0, dtype=np.int64))
        model.add_cost(0.0)

    plain = AdoptionModel(**common).run(20)
    zeroed = AdoptionModel(**common, noise=0.0, lapse_rate=0.0, spontaneous_rate=0.0,
                           coherence=np.ones(n), alignment=1.0, champions=[], committed=[],
                           interventions=[idle]).run(20)
    pd.testing.assert_frame_equal(plain.history, zeroed.history)
    pd.testing.assert_frame_equal(plain.history_by_group(), zeroed.history_by_group())


#: lever -> (config option, its zero-strength setting, other values that must not matter)
ZERO_LEVERS: dict[str, tuple[str, dict[str, Any], dict[str, list[Any]]]] = {
    "convening": ("wide_bridges", {"budget": 0.0},
                  {"strategy": ["random", "wide_bridges", "targeted"], "width": [1, 2, 4]}),
    "shared_goals": ("inequalities", {"strength": 0.0},
                     {"scope": ["ics", "national", "all"], "inequalities_focus": [True, False]}),
    "champions": ("pacc", {"per_system": 0},
                  {"placement": ["random", "degree", "bridging", "complex_centrality"],
                   "influence": [1.0, 3.0]}),
    "data": ("enabled", {"share": 0.0}, {"threshold_reduction": [0.1, 0.5]}),
}

#: a small England (a few thousand agents): the levers act on its ICSs and sectors
SMALL_ENGLAND = ("network=england_synthetic", "network.pcns_per_system=3",
                 "network.community_groups_per_system=3", "network.vcs_organisations_per_system=3",
                 "network.leisure_providers_per_system=2", "steps=30", "figure=false",
                 "replicates=1")


def compose(overrides: list[str]) -> dict[str, Any]:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    with warnings.catch_warnings(), initialize_config_dir(config_dir=str(CONFIG_DIR),
                                                          version_base="1.3"):
        warnings.simplefilter("ignore")
        cfg = hydra_compose("config", overrides=overrides)
    return OmegaConf.to_container(cfg, resolve=True)


def adoption_tables(cfg: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a lever could change (costs aside: a lever may charge while doing nothing)."""
    from sim.runs.runner import simulate

    result = simulate(cfg)
    series = result.timeseries.drop(columns=["cost"])
    return series, result.groups


@pytest.mark.skipif(not (CONFIG_DIR / "levers").is_dir(), reason="no lever configs yet")
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_levers_at_zero_strength_change_nothing(data: st.DataObject) -> None:
    seed = data.draw(st.integers(0, 50), label="seed")
    base = [*SMALL_ENGLAND, f"seed={seed}", f"network.seed={seed}"]
    levers = data.draw(st.lists(st.sampled_from(sorted(ZERO_LEVERS)), min_size=1, max_size=4,
                                unique=True), label="levers")
    overrides = list(base)
    for lever in levers:
        option, zero, free = ZERO_LEVERS[lever]
        overrides.append(f"levers/{lever}={option}")
        overrides += [f"levers.{lever}.{k}={v}" for k, v in zero.items()]
        for key, values in free.items():
            overrides.append(f"levers.{lever}.{key}={data.draw(st.sampled_from(values))}")
    plain_series, plain_groups = adoption_tables(compose(base))
    series, groups = adoption_tables(compose(overrides))
    pd.testing.assert_frame_equal(plain_series, series)
    pd.testing.assert_frame_equal(plain_groups, groups)


@pytest.mark.skipif(not (CONFIG_DIR / "levers").is_dir(), reason="no lever configs yet")
def test_a_lever_that_is_on_does_change_the_run() -> None:
    """The control for the test above: the comparison can fail."""
    base = [*SMALL_ENGLAND, "seed=1", "network.seed=1"]
    plain, _ = adoption_tables(compose(base))
    on, _ = adoption_tables(compose([*base, "levers/convening=wide_bridges"]))
    assert on["ties_built"].iloc[-1] > 0
    assert not plain.equals(on)


# ------------------------------------------------------------------------------------------
# labels and node order do not matter


@SETTINGS
@given(graph=graphs(), data=st.data())
def test_results_do_not_depend_on_node_labels_or_order(graph: nx.Graph,
                                                      data: st.DataObject) -> None:
    """Relabel the nodes (to strings) and list them in a random order: the same counts per
    step, and the same agents adopt."""
    n = graph.number_of_nodes()
    kind, threshold = data.draw(thresholds(n))
    initial = data.draw(seeds(n))
    order = data.draw(st.permutations(range(n)))
    name = {i: f"org-{(7 * i + 3) % 101}-{i}" for i in range(n)}

    relabelled = nx.Graph()
    relabelled.add_nodes_from(name[i] for i in order)  # node order = the permutation
    relabelled.add_edges_from((name[u], name[v], d) for u, v, d in graph.edges(data=True))
    position = np.empty(n, dtype=np.int64)
    position[np.asarray(order)] = np.arange(n)  # node i sits at position[i] in the new order
    moved = threshold
    if isinstance(threshold, np.ndarray):
        moved = np.empty(n)
        moved[position] = threshold

    a = AdoptionModel(graph=graph, threshold=threshold, threshold_kind=kind,
                      initial_adopters=initial, seed=1).run(None)
    b = AdoptionModel(graph=relabelled, threshold=moved, threshold_kind=kind,
                      initial_adopters=[name[i] for i in initial], seed=2).run(None)
    assert a.history["adopted"].tolist() == b.history["adopted"].tolist()
    assert a.history["aware"].tolist() == b.history["aware"].tolist()
    assert np.array_equal(a.adopted, b.adopted[position])


# ------------------------------------------------------------------------------------------
# the discounts can only make adoption harder


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(attributes=True), data=st.data())
def test_lowering_coherence_or_alignment_never_increases_adoption(graph: nx.Graph,
                                                                  data: st.DataObject) -> None:
    """Coherence and alignment discount reinforcement; lowering either, for any agents, can
    never make anyone adopt sooner (both threshold kinds: a fraction threshold's weighted
    degree is undiscounted, so the discount does not cancel out).

    Checked at every step on the same per-agent draws, with an adoption rate below 1 and
    spontaneous adoption allowed: under common random numbers agent i adopts at step t iff it
    is above threshold and its draw says yes, or its spontaneous draw says yes, which is
    monotone in who has adopted. Noise and lapse are left out because they are not monotone in
    that sense: a lower discount can move an agent below threshold where noise converts it,
    or keep a neighbour from lapsing.
    """
    n = graph.number_of_nodes()
    kind, threshold = data.draw(thresholds(n))
    unit = st.floats(0.0, 1.0)
    high_coherence = np.array(data.draw(st.lists(unit, min_size=n, max_size=n)))
    high_alignment = np.array(data.draw(st.lists(unit, min_size=n, max_size=n)))
    lower = st.lists(st.sampled_from([0.0, 0.3, 1.0, 1.0]), min_size=n, max_size=n)
    common = dict(graph=graph, threshold=threshold, threshold_kind=kind,
                  initial_adopters=data.draw(seeds(n)), seed=data.draw(st.integers(0, 999)),
                  adoption_rate=data.draw(st.sampled_from([1.0, 1.0, 0.5])),
                  spontaneous_rate=data.draw(st.sampled_from([0.0, 0.0, 0.05])))
    high = AdoptionModel(**common, coherence=high_coherence, alignment=high_alignment)
    low = AdoptionModel(**common, coherence=high_coherence * np.array(data.draw(lower)),
                        alignment=high_alignment * np.array(data.draw(lower)))
    for _ in range(n + 1):
        high.step()
        low.step()
        assert not np.any(low.adopted & ~high.adopted), "a lower discount made someone adopt"
