"""The engine against results derived by hand and against the per-agent textbook rule."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import AdoptionModel, InputError, Leader, Network, Organisation
from sim.engine.reference import ReferenceModel
from sim.networks.clustered import clustered
from sim.networks.lattice import ring_lattice


def block_seed(width: int) -> list[int]:
    return list(range(width))


# ---------------------------------------------------------------------------------------
# ring lattice: the exact speed of a threshold front
@pytest.mark.parametrize(("k", "threshold"), [(4, 1), (4, 2), (6, 2), (8, 2), (8, 3), (10, 4)])
def test_front_speed_on_ring_lattice(k: int, threshold: int) -> None:
    """A block of >= k/2 adopters grows by k/2 - T + 1 nodes per side per step.

    Derivation: the node at distance d beyond the block's edge has k/2 - d + 1 adopted
    neighbours inside the block (its k/2 neighbours on that side, minus the d - 1 gaps),
    so it adopts iff k/2 - d + 1 >= T, i.e. d <= k/2 - T + 1.
    """
    n = 400
    model = AdoptionModel(graph=ring_lattice(n, k), threshold=threshold,
                          initial_adopters=block_seed(k // 2), seed=0)
    speed = k // 2 - threshold + 1
    for step in range(1, 10):
        model.step()
        assert model.history["adopted"].iloc[-1] == k // 2 + 2 * speed * step
    model.run(None)
    assert model.adopted.all()
    # the fronts meet after (n - k/2) / (2 * speed) steps; the last gap closes at most one
    # step early, because its nodes are reinforced from both sides
    exact = (n - k // 2) / (2 * speed)
    assert int(np.floor(exact)) <= model.steps <= int(np.ceil(exact))


@pytest.mark.parametrize(("k", "threshold"), [(4, 3), (6, 4), (8, 5)])
def test_front_stops_when_threshold_exceeds_half_degree(k: int, threshold: int) -> None:
    """With T > k/2 no node outside the block ever sees T adopters: nothing spreads."""
    model = AdoptionModel(graph=ring_lattice(200, k), threshold=threshold,
                          initial_adopters=block_seed(3 * k), seed=0)
    model.run(None)
    assert model.adopted.sum() == 3 * k
    assert model.steps == 1  # the first step changes nothing: fixed point


def test_fraction_threshold_equals_count_on_regular_lattice() -> None:
    """On a k-regular graph phi = T/k is the same rule as count threshold T."""
    net = ring_lattice(300, 8, p=0.2, rewire="degree_preserving", seed=3)
    a = AdoptionModel(graph=net, threshold=2, initial_adopters=block_seed(4), seed=1).run(None)
    b = AdoptionModel(graph=net, threshold=0.25, threshold_kind="fraction",
                      initial_adopters=block_seed(4), seed=1).run(None)
    assert a.history["adopted"].tolist() == b.history["adopted"].tolist()


# ---------------------------------------------------------------------------------------
# bridges: wide bridges carry complex contagion, narrow ones block it
@pytest.mark.parametrize("threshold", [1, 2, 3])
@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_bridge_width_decides_whether_a_contagion_crosses(threshold: int, width: int) -> None:
    net = clustered(clusters=4, size=10, width=width, layout="ring")
    first_cluster = np.flatnonzero(net.nodes["cluster"].to_numpy() == 0)
    model = AdoptionModel(graph=net, threshold=threshold,
                          initial_adopters=first_cluster.tolist(), seed=0).run(None)
    crossed = model.adopted[net.nodes["cluster"].to_numpy() != 0].any()
    assert crossed == (width >= threshold)
    if width >= threshold:
        assert model.adopted.all()


# ---------------------------------------------------------------------------------------
# the vectorised step equals the per-agent rule, step by step
@st.composite
def random_case(draw):
    n = draw(st.integers(5, 60))
    p = draw(st.floats(0.05, 0.5))
    graph_seed = draw(st.integers(0, 10_000))
    g = nx.gnp_random_graph(n, p, seed=graph_seed)
    weighted = draw(st.booleans())
    rng = np.random.default_rng(graph_seed)
    if weighted:
        for u, v in g.edges:
            g.edges[u, v]["weight"] = float(rng.choice([0.5, 1.0, 1.5, 2.0]))
    kind = draw(st.sampled_from(["count", "fraction"]))
    if kind == "count":
        thresholds = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0], size=n)
    else:
        thresholds = rng.choice([0.1, 0.2, 0.25, 1 / 3, 0.5, 1.0], size=n)
    seeds = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=max(1, n // 3),
                          unique=True))
    influence = rng.choice([1.0, 2.0], size=n) if draw(st.booleans()) else 1.0
    sectors = rng.choice(["health", "community"], size=n)
    levels = rng.choice(["national", "regional", "system", "local"], size=n)
    for i in range(n):
        g.nodes[i]["sector"] = str(sectors[i])
        g.nodes[i]["level"] = str(levels[i])
    coherence = float(draw(st.sampled_from([1.0, 0.5, 0.75])))
    alignment = float(draw(st.sampled_from([1.0, 0.5])))
    return g, kind, thresholds, seeds, influence, coherence, alignment


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_case())
def test_vectorised_step_equals_per_agent_rule(case) -> None:
    g, kind, thresholds, seeds, influence, coherence, alignment = case
    net = Network.from_networkx(g)
    fast = AdoptionModel(graph=net, threshold=thresholds, threshold_kind=kind,
                         initial_adopters=seeds, influence=influence, coherence=coherence,
                         alignment=alignment, seed=0)
    slow = ReferenceModel(net, thresholds, kind, seeds, influence=influence,
                          coherence=coherence, alignment=alignment)
    assert np.array_equal(fast.adopted, slow.adopted)
    for _ in range(net.n + 1):
        fast.step()
        slow.step()
        assert np.array_equal(fast.adopted, slow.adopted)


# ---------------------------------------------------------------------------------------
# determinism and the stochastic options
def _noisy(seed: int) -> AdoptionModel:
    return AdoptionModel(graph=ring_lattice(500, 6, p=0.1, seed=4), threshold=2,
                         initial_adopters={"strategy": "random", "k": 10}, seed=seed,
                         adoption_rate=0.5, noise=0.01, spontaneous_rate=0.001,
                         lapse_rate=0.05).run(60)


def test_same_seed_same_history_different_seed_different() -> None:
    a, b, c = _noisy(7), _noisy(7), _noisy(8)
    assert a.history.equals(b.history)
    assert np.array_equal(a.adopted, b.adopted)
    assert not a.history["adopted"].equals(c.history["adopted"])


def test_all_options_off_draws_nothing_at_random() -> None:
    """The plain linear-threshold model is deterministic: the seed cannot matter."""
    net = ring_lattice(300, 6, p=0.1, seed=2)
    runs = [AdoptionModel(graph=net, threshold=2, initial_adopters=block_seed(3), seed=s)
            .run(None).history for s in (1, 2)]
    assert runs[0].equals(runs[1])


def test_adoption_rate_slows_the_front_in_expectation() -> None:
    """With rate r each above-threshold node adopts with probability r per step."""
    net = ring_lattice(2000, 4)
    full = AdoptionModel(graph=net, threshold=1, initial_adopters=[0], seed=0).run(20)
    half = [AdoptionModel(graph=net, threshold=1, initial_adopters=[0], seed=s,
                          adoption_rate=0.5).run(20).history["adopted"].iloc[-1]
            for s in range(20)]
    assert np.mean(half) < 0.8 * full.history["adopted"].iloc[-1]
    assert min(half) > 1


def test_spontaneous_adoption_rate_matches_its_probability() -> None:
    """With no ties, adoption only comes from outside: expected count n * s per step."""
    net = Network.from_edges(20_000, np.array([], int), np.array([], int))
    model = AdoptionModel(graph=net, threshold=1, seed=3, spontaneous_rate=0.01).run(1)
    got = model.history["adopted"].iloc[-1]
    sd = np.sqrt(20_000 * 0.01 * 0.99)
    assert abs(got - 200) < 4 * sd


def test_noise_needs_awareness() -> None:
    """Below-threshold adoption only happens to agents who have been exposed."""
    net = ring_lattice(1000, 4)  # T=3 > k/2: the front cannot move by itself
    model = AdoptionModel(graph=net, threshold=3, initial_adopters=block_seed(5), seed=1,
                          noise=0.2).run(3)
    far = np.r_[50:950]
    assert not model.adopted[far].any()
    assert model.adopted.sum() > 5


def test_lapse_never_touches_committed_agents() -> None:
    net = ring_lattice(200, 4)
    model = AdoptionModel(graph=net, threshold=3, initial_adopters=[0, 100], seed=2,
                          spontaneous_rate=0.05, lapse_rate=0.5, champions=[50]).run(40)
    assert model.adopted[[0, 100, 50]].all()
    assert model.history["lapsed"].sum() > 0


def test_lapse_of_unreinforced_adopters() -> None:
    """Uncommitted seeds with no adopted neighbours lapse at the given rate."""
    net = Network.from_edges(5000, np.array([], int), np.array([], int))
    model = AdoptionModel(graph=net, threshold=1, initial_adopters=list(range(5000)), seed=5,
                          seeds_committed=False, lapse_rate=0.3).run(1)
    got = model.history["lapsed"].iloc[-1]
    assert abs(got - 1500) < 4 * np.sqrt(5000 * 0.3 * 0.7)


def test_awareness_is_a_simple_contagion_of_exposure() -> None:
    """Aware = adopted or tied to an adopter: one adopter neighbour is enough."""
    net = ring_lattice(100, 4)
    model = AdoptionModel(graph=net, threshold=3, initial_adopters=[10], seed=0).run(2)
    assert model.aware.sum() == 5  # the seed and its 4 neighbours
    assert model.adopted.sum() == 1


def test_coherence_discounts_cross_sector_ties() -> None:
    """Two cross-sector adopter ties at coherence 0.5 give exposure 1 < T=2."""
    g = nx.star_graph(2)  # 0 tied to 1 and 2
    nx.set_node_attributes(g, {0: "health", 1: "community", 2: "community"}, "sector")
    full = AdoptionModel(graph=g, threshold=2, initial_adopters=[1, 2]).run(1)
    assert full.adopted[0]
    weak = AdoptionModel(graph=g, threshold=2, initial_adopters=[1, 2], coherence=0.5).run(1)
    assert not weak.adopted[0]
    assert weak.exposure[0] == pytest.approx(1.0)


def test_ties_built_during_a_run_carry_reinforcement_and_fade() -> None:
    net = clustered(clusters=2, size=8, width=1)
    seeds = np.flatnonzero(net.nodes["cluster"].to_numpy() == 0).tolist()
    model = AdoptionModel(graph=net, threshold=2, initial_adopters=seeds, seed=0).run(None)
    assert not model.adopted.all()  # a narrow bridge blocks T=2
    # two adopters each tied to the same two outsiders: an overlapping (wide) bridge
    model.add_ties(np.array([1, 1, 2, 2]), np.array([9, 10, 9, 10]), lifetime=1)
    model.step()
    assert model.adopted[[9, 10]].all()
    model.run(None)
    assert model.adopted.all()
    assert model.ties_built == 4
    assert model.adjacency.nnz == net.adjacency.nnz  # the built ties have faded


# ---------------------------------------------------------------------------------------
# Mesa: agents are real, attributes are views
def test_agents_are_mesa_agents_viewing_the_arrays() -> None:
    g = nx.path_graph(5)
    nx.set_node_attributes(g, {i: ("Leader" if i % 2 else "Organisation") for i in g},
                           "agent_type")
    nx.set_node_attributes(g, {i: ("health" if i < 3 else "community") for i in g}, "sector")
    model = AdoptionModel(graph=g, threshold=1, initial_adopters=[0])
    assert len(model.agents) == 5
    assert len(model.agents_by_type[Leader]) == 2
    assert len(model.agents_by_type[Organisation]) == 3
    model.run(2)
    adopted = model.agents.select(lambda a: a.adopted)
    assert sorted(a.node for a in adopted) == [0, 1, 2]
    by_sector = model.agents.groupby("sector").agg("adopted", sum)
    assert by_sector == {"health": 3, "community": 0}
    assert model.agent_list[3].aware and not model.agent_list[4].aware


def test_history_starts_with_the_initial_state() -> None:
    model = AdoptionModel(graph=ring_lattice(50, 4), threshold=1, initial_adopters=[0, 1])
    assert model.history["step"].tolist() == [0]
    assert model.history["adopted"].tolist() == [2]
    model.run(3)
    assert model.history["step"].tolist() == [0, 1, 2, 3]
    assert model.history["adopted_fraction"].iloc[-1] == pytest.approx(
        model.adopted.sum() / 50)


def test_tracking_by_group_adds_up_to_the_total() -> None:
    net = clustered(clusters=3, size=6, width=2)
    model = AdoptionModel(graph=net, threshold=2, initial_adopters=[0, 1, 2],
                          track=["cluster"]).run(None)
    groups = model.history_by_group()
    per_step = groups.groupby("step")["adopted"].sum()
    assert per_step.tolist() == model.history["adopted"].tolist()


# ---------------------------------------------------------------------------------------
# bad input
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"threshold": 0}, "model.threshold"),
    ({"threshold": -1}, "model.threshold"),
    ({"threshold": 1.5, "threshold_kind": "fraction"}, "model.threshold"),
    ({"threshold_kind": "percent"}, "model.threshold_kind"),
    ({"threshold": {"dist": "gamma"}}, "model.threshold.dist"),
    ({"threshold": {"dist": "normal", "mean": 2}}, "model.threshold"),
    ({"initial_adopters": list(range(11))}, "initial_adopters"),
    ({"initial_adopters": [42]}, "initial_adopters"),
    ({"initial_adopters": {"strategy": "random", "k": 11}}, "initial_adopters.k"),
    ({"initial_adopters": {"strategy": "best"}}, "initial_adopters.strategy"),
    ({"adoption_rate": 1.5}, "model.adoption_rate"),
    ({"lapse_rate": -0.1}, "model.lapse_rate"),
    ({"coherence": 2.0}, "model.coherence"),
])
def test_bad_input_names_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        AdoptionModel(graph=ring_lattice(10, 2), **kwargs)
    message = str(err.value)
    assert message.startswith(field)
    assert "\n" not in message


def test_empty_graph_is_rejected() -> None:
    with pytest.raises(InputError, match="network"):
        AdoptionModel(graph=nx.Graph())


def test_agents_created_on_first_use_match_eager_ones() -> None:
    """Lazily created agents see the same state as agents created up front."""
    net = ring_lattice(60, 4)
    lazy = AdoptionModel(graph=net, threshold=2, initial_adopters=[0, 1]).run(5)
    eager = AdoptionModel(graph=net, threshold=2, initial_adopters=[0, 1],
                          eager_agents=True).run(5)
    assert len(mesa_agents(eager)) == 60
    assert len(mesa_agents(lazy)) == 0  # nothing paid for until asked
    assert lazy.history.equals(eager.history)
    assert [a.adopted for a in lazy.agent_list] == [a.adopted for a in eager.agent_list]
    assert len(lazy.agents) == 60


def mesa_agents(model: AdoptionModel):
    """Mesa's own registry, bypassing the lazy ``agents`` property."""
    import mesa

    return mesa.Model.agents.fget(model)


def test_a_zero_discount_leaves_the_network_untouched() -> None:
    """A tie discounted to nothing drops out of the model's matrix, not out of the network
    (which every replicate of a run shares)."""
    g = nx.path_graph(4)
    nx.set_node_attributes(g, {0: "health", 1: "community", 2: "community", 3: "health"},
                           "sector")
    net = Network.from_networkx(g)
    before = net.adjacency.copy()
    AdoptionModel(graph=net, threshold=1, initial_adopters=[0], coherence=0.0).run(3)
    assert (net.adjacency != before).nnz == 0
    assert np.array_equal(net.adjacency.indices, before.indices)


def test_fraction_threshold_needs_a_share_of_the_undiscounted_degree() -> None:
    """Node 0 has two same-sector adopters and two cross-sector non-adopters, phi = 0.6:
    2 / 4 < 0.6, so it must not adopt, and lowering coherence must not change that (with D
    discounted, 2 / (2 + 2 * 0.1) >= 0.6 made it adopt)."""
    g = nx.star_graph(4)
    nx.set_node_attributes(g, {0: "health", 1: "health", 2: "health", 3: "community",
                               4: "community"}, "sector")
    for coherence in (1.0, 0.1):
        model = AdoptionModel(graph=g, threshold=0.6, threshold_kind="fraction",
                              initial_adopters=[1, 2], coherence=coherence).run(1)
        assert not model.adopted[0]


def test_a_tie_built_to_an_adopter_makes_the_far_end_aware() -> None:
    """An event ties 2 to the adopter 0: 2 has heard of the practice (and, with noise 1,
    adopts below threshold); 1, tied to nobody who adopted, has not."""
    net = Network.from_edges(3, np.array([], int), np.array([], int))
    model = AdoptionModel(graph=net, threshold=2, initial_adopters=[0], noise=1.0)
    model.add_ties(np.array([0, 1]), np.array([2, 2]))
    assert model.aware.tolist() == [True, False, True]
    model.step()
    assert model.adopted.tolist() == [True, False, True]
    # the other way round: the adopter at the second end makes the first end aware
    other = AdoptionModel(graph=net, threshold=2, initial_adopters=[2])
    other.add_ties(np.array([1]), np.array([2]))
    assert other.aware.tolist() == [False, True, True]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=random_case(), data=st.data())
def test_built_ties_kept_apart_equal_rebuilding_the_whole_matrix(case, data) -> None:
    """Built ties live in their own small matrix; the result must be the network's ties and
    the built ones merged, a repeated tie keeping its largest weight, then discounted."""
    from sim.world.mechanisms import discounted

    g, kind, thresholds, seeds, influence, coherence, alignment = case
    net = Network.from_networkx(g)
    model = AdoptionModel(graph=net, threshold=thresholds, threshold_kind=kind,
                          initial_adopters=seeds, influence=influence, coherence=coherence,
                          alignment=alignment, track=["sector"])
    n = net.n
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                               min_size=1, max_size=3 * n))
    u, v = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
    weight = data.draw(st.sampled_from([0.5, 1.0, 3.0]))
    model.add_ties(u, v, weight=weight)
    model.add_ties(u[::2], v[::2], weight=2.0)
    model.step()
    dense = np.zeros((n, n))
    for (a, b), w in zip(pairs + pairs[::2], [weight] * len(pairs) + [2.0] * len(pairs[::2]),
                         strict=True):
        if a != b:
            dense[a, b] = dense[b, a] = max(dense[a, b], w)
    expected = np.maximum(net.adjacency.toarray(), dense)
    np.testing.assert_allclose(model.adjacency.toarray(), expected)
    matrix = discounted(sp.csr_array(expected), net.nodes, model.coherence, model.alignment)
    np.testing.assert_allclose(model.exposure, matrix @ (model.adopted * model.influence))
    groups = model.history_by_group().groupby("step")["adopted"].sum()
    assert groups.tolist() == model.history["adopted"].tolist()
