"""Small index and weight dtypes change no number: products, discounts and trajectories are
those of int64 / float64 arrays, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sim import AdoptionModel, Network
from sim.engine import network as network_module
from sim.engine.discount import discounted
from sim.engine.network import product
from sim.networks.lattice import ring_lattice


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few entries, so that small matrices take the blocked path."""
    monkeypatch.setattr(network_module, "PRODUCT_BLOCK", 5)


def _as_float64(net: Network) -> Network:
    a = net.adjacency
    wide = sp.csr_array((a.data.astype(np.float64), a.indices.astype(np.int64),
                         a.indptr.astype(np.int64)), shape=a.shape)
    return dataclasses.replace(net, adjacency=wide)


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("seed", range(20))
def test_blocked_product_is_scipys_float64_product_bit_for_bit(seed: int) -> None:
    """Empty leading rows, empty blocks and rows longer than a block included."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    m = sp.random_array((n, n), density=float(rng.uniform(0, 0.6)), rng=rng, format="csr")
    m = m.astype(np.float32)
    m.data[:] = rng.uniform(0, 3, m.nnz).astype(np.float32)
    if n > 3:
        m[[0, 1], :] = 0  # empty first rows
        m.eliminate_zeros()
    x = rng.uniform(0, 5, n)
    got = product(m, x)
    want = m.astype(np.float64) @ x
    assert got.dtype == want.dtype == np.float64
    assert np.array_equal(got, want)


def test_nothing_discounted_shares_the_adjacency() -> None:
    """Coherence and alignment at 1 leave the network's own matrix (no copy, no row array)."""
    net = ring_lattice(50, 4)
    nodes = net.nodes.assign(sector=["a", "b"] * 25)
    ones = np.ones(50)
    assert discounted(net.adjacency, nodes, ones, ones) is net.adjacency


def test_discount_that_float32_cannot_hold_is_kept_in_float64() -> None:
    """0.7 of a unit tie is not a float32: the reinforcement keeps it exactly."""
    net = ring_lattice(50, 4)
    nodes = net.nodes.assign(sector=["a", "b"] * 25)
    m = discounted(net.adjacency, nodes, np.full(50, 0.7), np.ones(50))
    assert m.dtype == np.float64 and m.indices.dtype == np.int32
    assert set(np.unique(m.data)) == {0.7, 1.0}
    halves = discounted(net.adjacency, nodes, np.full(50, 0.5), np.ones(50))
    assert halves.dtype == np.float32  # exact: the smaller dtype


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(("kind", "threshold"), [("count", 2), ("fraction", 0.3)])
def test_lattice_trajectory_in_int32_float32_equals_int64_float64(kind: str,
                                                                  threshold: float) -> None:
    """The same lattice, rewired and with a sector discount and built ties, in both dtypes."""
    net = ring_lattice(600, 8, p=0.05, seed=3)
    sectors = pd.Series(np.where(np.arange(600) % 3 == 0, "health", "community"))
    net = dataclasses.replace(net, nodes=net.nodes.assign(sector=sectors))
    assert net.adjacency.dtype == np.float32 and net.adjacency.indices.dtype == np.int32

    def trajectory(network: Network) -> tuple[pd.DataFrame, np.ndarray]:
        model = AdoptionModel(network, threshold=threshold, threshold_kind=kind,
                              initial_adopters=list(range(8)), seed=5, coherence=0.7,
                              noise=0.01, adoption_rate=0.9)
        model.add_ties(np.array([0, 1, 2]), np.array([300, 301, 302]), weight=0.3)
        model.run(40)
        return model.history, model.exposure

    small, small_exposure = trajectory(net)
    wide, wide_exposure = trajectory(_as_float64(net))
    pd.testing.assert_frame_equal(small, wide)
    assert np.array_equal(small_exposure, wide_exposure)
    assert small["adopted"].iloc[-1] > 8  # it spread: the comparison is not vacuous


@pytest.mark.parametrize("directed", [False, True])
def test_sparse_products_equal_the_full_product_bit_for_bit(directed: bool) -> None:
    """Few nonzeros are scattered from their columns: the same sums as SciPy's, built ties
    and a directed, weighted, discounted network included."""
    rng = np.random.default_rng(4)
    n = 400
    u, v = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    net = Network.from_edges(n, u, v, rng.uniform(0.1, 2.0, 3000), directed=directed)
    net = dataclasses.replace(net, nodes=net.nodes.assign(sector=np.arange(n) % 4))
    model = AdoptionModel(net, threshold=1.5, initial_adopters=[0, 1, 2], seed=1,
                          coherence=rng.uniform(0.2, 1.0, n), influence=rng.uniform(0, 3, n))
    model.add_ties(np.array([5, 6, 7]), np.array([300, 301, 302]), weight=2.5)
    model.step()  # the built ties join the products
    assert model._extra is not None
    for share in (0.001, 0.01, 0.04):
        x = np.where(rng.random(n) < share, rng.uniform(0, 3, n), 0.0)
        for which in (0, 1):
            full = model._net[which] @ x
            model._extra.add_product(which, x, full)
            assert np.array_equal(model._product(which, x), full)
