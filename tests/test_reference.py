"""The vectorised engine against the per-agent reference model, step by step, with every
option: lapse (the subtraction side of the incremental exposure update), noise, spontaneous
adoption, adoption rate, committed agents, ties built during the run, discounts, influence,
and directed networks. Both use the same per-agent draws, so they must agree exactly."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import AdoptionModel, Network
from sim.engine.reference import ReferenceModel

SECTORS = ("health", "community", "local_government")
LEVELS = ("national", "regional", "system", "local")


@st.composite
def networks(draw: st.DrawFn, directed: bool | None = None) -> Network:
    """A random (directed or undirected) weighted network with sectors and levels."""
    n = draw(st.integers(3, 40))
    p = draw(st.floats(0.05, 0.4))
    seed = draw(st.integers(0, 10_000))
    directed = draw(st.booleans()) if directed is None else directed
    rng = np.random.default_rng(seed)
    graph = nx.gnp_random_graph(n, p, seed=seed, directed=directed)
    u = np.array([e[0] for e in graph.edges], dtype=np.int64)
    v = np.array([e[1] for e in graph.edges], dtype=np.int64)
    w = rng.choice([0.5, 1.0, 1.5, 2.0], size=u.size) if draw(st.booleans()) \
        else np.ones(u.size)
    nodes = pd.DataFrame({"label": np.arange(n), "sector": rng.choice(SECTORS, size=n),
                          "level": rng.choice(LEVELS, size=n)})
    if not directed:
        return Network.from_edges(n, u, v, w, nodes=nodes)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    adjacency = sp.csr_array((w.astype(dtype), (u.astype(np.int32), v.astype(np.int32))),
                             shape=(n, n))
    adjacency.sort_indices()
    return Network(adjacency=adjacency, nodes=nodes, directed=True)


@st.composite
def cases(draw: st.DrawFn, directed: bool | None = None) -> dict:
    net = draw(networks(directed))
    n = net.n
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    kind = draw(st.sampled_from(["count", "fraction"]))
    threshold = (rng.choice([0.5, 1.0, 1.5, 2.0, 3.0], size=n) if kind == "count"
                 else rng.choice([0.1, 0.25, 1 / 3, 0.5, 1.0], size=n))
    seeds = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=max(1, n // 3),
                          unique=True))
    rate = st.sampled_from([0.0, 0.0, 0.05, 0.3, 1.0])
    return dict(
        network=net, threshold=threshold, threshold_kind=kind, initial_adopters=seeds,
        influence=rng.choice([1.0, 2.0], size=n) if draw(st.booleans()) else 1.0,
        coherence=draw(st.sampled_from([1.0, 0.5, 0.0])),
        alignment=draw(st.sampled_from([1.0, 0.75])),
        seed=draw(st.integers(0, 2**31)),
        adoption_rate=draw(st.sampled_from([1.0, 0.6])), noise=draw(rate),
        spontaneous_rate=draw(st.sampled_from([0.0, 0.02, 0.1])), lapse_rate=draw(rate),
        committed=draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True)),
        ties=[(draw(st.integers(1, 12)),  # before which step
               draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                             min_size=1, max_size=6)),
               draw(st.sampled_from([1.0, 2.0])), draw(st.sampled_from([None, 1, 3])))
              for _ in range(draw(st.integers(0, 3)))],
    )


def both(case: dict) -> tuple[AdoptionModel, ReferenceModel]:
    options = {k: case[k] for k in ("influence", "coherence", "alignment", "adoption_rate",
                                    "noise", "spontaneous_rate", "lapse_rate", "seed")}
    fast = AdoptionModel(graph=case["network"], threshold=case["threshold"],
                         threshold_kind=case["threshold_kind"],
                         initial_adopters=case["initial_adopters"], seeds_committed=False,
                         committed=case["committed"], **options)
    slow = ReferenceModel(case["network"], case["threshold"], case["threshold_kind"],
                          case["initial_adopters"], committed=case["committed"], **options)
    return fast, slow


def assert_same(fast: AdoptionModel, slow: ReferenceModel, step: int) -> None:
    assert np.array_equal(fast.adopted, slow.adopted), f"adopters differ at step {step}"
    assert np.array_equal(fast.aware, slow.aware), f"awareness differs at step {step}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_engine_equals_per_agent_reference_step_by_step(case: dict) -> None:
    fast, slow = both(case)
    assert_same(fast, slow, 0)
    for step in range(1, 16):
        for before, pairs, weight, lifetime in case["ties"]:
            if before == step:
                u, v = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
                fast.add_ties(u, v, weight=weight, lifetime=lifetime)
                slow.add_ties(u, v, weight=weight, lifetime=lifetime)
                assert_same(fast, slow, step - 1)
        fast.step()
        slow.step()
        assert_same(fast, slow, step)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(directed=True))
def test_engine_equals_reference_on_directed_networks(case: dict) -> None:
    """Influence flows against the nomination: row i of the adjacency lists whom i listens
    to, and a directed network is not made symmetric on the way."""
    case["ties"] = []
    fast, slow = both(case)
    assert fast.adjacency.dtype == case["network"].adjacency.dtype  # no needless upcast
    for step in range(1, 16):
        fast.step()
        slow.step()
        assert_same(fast, slow, step)


def test_influence_follows_the_direction_of_the_tie() -> None:
    """0 listens to 1 (adjacency[0, 1] = 1), 1 does not listen to 0: 1's adoption reaches 0,
    0's does not reach 1 -- neither as reinforcement nor as awareness."""
    adjacency = sp.csr_array((np.array([1.0]), (np.array([0]), np.array([1]))), shape=(3, 3))
    net = Network(adjacency=adjacency, nodes=pd.DataFrame({"label": range(3)}), directed=True)
    heard = AdoptionModel(graph=net, threshold=1, initial_adopters=[1]).run(2)
    assert heard.adopted.tolist() == [True, True, False]
    unheard = AdoptionModel(graph=net, threshold=1, initial_adopters=[0]).run(2)
    assert unheard.adopted.tolist() == [True, False, False]
    assert unheard.aware.tolist() == [True, False, False]
    # lapse on a directed network takes away only the reinforcement that was given
    lapsing = AdoptionModel(graph=net, threshold=1, initial_adopters=[1], lapse_rate=1.0,
                            seeds_committed=False).run(1)
    assert lapsing.adopted.tolist() == [True, False, False]
    assert lapsing.exposure.tolist() == [0.0, 0.0, 0.0]
