"""Common random numbers: every random draw belongs to one purpose and one agent, so two
runs that differ in one place share every other draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel, Network
from sim.engine.streams import DECISIONS, AgentDraws
from sim.networks.lattice import ring_lattice
from tests.test_invariants import SMALL_ENGLAND, compose


def test_an_agents_draw_does_not_depend_on_who_else_is_asked() -> None:
    draws = AgentDraws(seed=11, n=500)
    everyone = draws.uniforms("lapse", 7)
    some = np.array([3, 250, 499, 4])
    assert np.array_equal(draws.uniforms("lapse", 7, some), everyone[some])
    # and it is a fresh number per decision and per step
    assert not np.array_equal(everyone, draws.uniforms("lapse", 8))
    assert not np.array_equal(everyone, draws.uniforms("noise", 7))
    assert 0.45 < everyone.mean() < 0.55 and everyone.min() >= 0.0 and everyone.max() < 1.0


def two_regions(coherence_in_a: float = 1.0) -> Network:
    """Two ring lattices side by side with no tie between them: region A (nodes 0..199) and
    region B (200..399), each half health, half community."""
    ring = ring_lattice(200, 6, p=0.1, seed=3)
    u, v, w = ring.edge_list()
    nodes = pd.DataFrame({"label": np.arange(400),
                          "sector": np.tile(["health", "community"], 200),
                          "region": np.repeat(["A", "B"], 200)})
    return Network.from_edges(400, np.r_[u, u + 200], np.r_[v, v + 200], np.r_[w, w],
                              nodes=nodes)


def noisy_run(champions: list[int], coherence: np.ndarray | float = 1.0) -> AdoptionModel:
    model = AdoptionModel(graph=two_regions(), threshold=2, seed=5,
                          initial_adopters=[0, 1, 2, 200, 201, 202], adoption_rate=0.5,
                          noise=0.02, spontaneous_rate=0.005, lapse_rate=0.1,
                          champions=champions, coherence=coherence)
    trajectory = [model.adopted.copy()]
    for _ in range(60):
        model.step()
        trajectory.append(model.adopted.copy())
    model.trajectory = np.array(trajectory)
    return model


@pytest.mark.parametrize("lever", ["champions", "coherence"])
def test_a_lever_in_one_region_leaves_the_other_region_exactly_as_it_was(lever: str) -> None:
    """Champions (or a shared goal's coherence) in region A change A's run, but B, whose
    agents' inputs are unchanged, follows the same trajectory agent by agent."""
    base = noisy_run([])
    if lever == "champions":
        changed = noisy_run([50, 51, 52, 120, 121])
    else:
        changed = noisy_run([], coherence=np.r_[np.full(200, 0.3), np.ones(200)])
    region_a, region_b = slice(0, 200), slice(200, 400)
    assert not np.array_equal(base.trajectory[:, region_a], changed.trajectory[:, region_a])
    np.testing.assert_array_equal(base.trajectory[:, region_b], changed.trajectory[:, region_b])
    for decision in DECISIONS:
        np.testing.assert_array_equal(base.draws.uniforms(decision, 9)[region_b],
                                      changed.draws.uniforms(decision, 9)[region_b])


def test_thresholds_and_seeds_do_not_depend_on_champion_placement() -> None:
    """complex_centrality reads the thresholds while placing champions, random does not: the
    thresholds and the seed set must be the same either way (and with no champions)."""
    from sim.runs.runner import replicate_network, replicate_seed
    from sim.world.build import build_model

    models = []
    for placement in ("random", "complex_centrality", None):
        extra = ([] if placement is None else
                 ["levers/champions=pacc", f"levers.champions.placement={placement}"])
        cfg = compose([*SMALL_ENGLAND, "seed=3", "network.seed=3", *extra])
        seed = replicate_seed(cfg, 0)
        models.append(build_model(cfg, replicate_network(cfg, seed, {}), seed))
    first = models[0]
    for other in models[1:]:
        np.testing.assert_array_equal(first.threshold, other.threshold)
        np.testing.assert_array_equal(first.initial_adopters, other.initial_adopters)


def test_model_thresholds_are_the_plans_thresholds() -> None:
    """On a network without agent types the model draws thresholds itself, from the same
    stream a lever would read them from, so reading them early changes nothing."""
    from sim.world.levers.plan import Plan
    from sim.world.mechanisms import draw_by_type

    net = ring_lattice(100, 4)
    spec = {"dist": "normal", "mean": 2.0, "sd": 0.5, "min": 1.0}
    model = AdoptionModel(graph=net, threshold=spec, seed=9,
                          initial_adopters={"strategy": "random", "k": 5})
    plan = Plan(network=net, seed=9, steps=None, threshold_kind="count", threshold_spec=spec,
                threshold_types={}, typed=np.zeros(100, bool), deprivation_penalty=0.0,
                coherence=np.ones(100), alignment=np.ones(100), influence=np.ones(100),
                penalty_offset=np.zeros(100), threshold_reduction=np.zeros(100))
    assert draw_by_type({}, spec, net.nodes, "count", plan.rng("thresholds")).tolist() \
        == model.threshold.tolist()


@pytest.mark.parametrize("seed", [0, 1, 2**40])
def test_the_levers_fast_picks_are_numpys_choice_draw_for_draw(seed: int) -> None:
    """``pick``/``pick_weighted`` stand in for ``rng.choice`` in the weekly levers: the same
    draws and the same generator state after, or every lever's stream would shift."""
    from sim.engine.streams import choice_cdf, pick, pick_weighted

    items = np.arange(10, 47)
    p = np.random.default_rng(seed + 1).random(items.size)
    p /= p.sum()
    numpy, ours = np.random.default_rng(seed), np.random.default_rng(seed)
    cdf = choice_cdf(p)
    for _ in range(500):
        assert numpy.choice(items) == pick(ours, items)
        assert numpy.choice(items, p=p) == pick_weighted(ours, items, cdf)
    assert numpy.bit_generator.state == ours.bit_generator.state
