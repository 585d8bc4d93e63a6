"""Network generators: structure, determinism, the 10^6 scale and every bad-input message."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sim.engine.network import Network
from sim.errors import InputError
from sim.networks import NETWORKS, build_network
from sim.networks.clustered import clustered
from sim.networks.file import file
from sim.networks.lattice import lattice_edges, ring_lattice, small_world
from sim.networks.random_graph import random


def assert_simple(net: Network) -> None:
    """Symmetric, no self-loops, no explicit zeros, node table aligned."""
    a = net.adjacency
    assert isinstance(a, sp.csr_array)
    assert a.shape == (net.n, net.n)
    assert abs(a - a.T).nnz == 0
    assert not a.diagonal().any()
    assert (a.data > 0).all()
    assert len(net.nodes) == net.n
    assert "label" in net.nodes.columns


def ties(net: Network) -> set[tuple[int, int]]:
    u, v, _ = net.edge_list()
    return set(zip(u.tolist(), v.tolist(), strict=True))


def lattice_ties(n: int, k: int) -> set[tuple[int, int]]:
    u, v = lattice_edges(n, k)
    return set(zip(np.minimum(u, v).tolist(), np.maximum(u, v).tolist(), strict=True))


def same(a: Network, b: Network) -> bool:
    return a.adjacency.shape == b.adjacency.shape and (a.adjacency != b.adjacency).nnz == 0


# ---------------------------------------------------------------------------------------
# every generator


GENERATORS: dict[str, Callable[[], Network]] = {
    "ring_lattice": lambda: ring_lattice(60, 6),
    "ring_random": lambda: ring_lattice(200, 6, p=0.3, seed=1),
    "ring_degree_preserving": lambda: ring_lattice(200, 6, 0.3, "degree_preserving", seed=1),
    "small_world": lambda: small_world(200, 4, 0.2, seed=2),
    "clustered_ring": lambda: clustered(5, 8, width=3),
    "clustered_random": lambda: clustered(7, 8, width=2, layout="random", seed=3),
    "clustered_internal_ring": lambda: clustered(4, 10, 2, internal="ring", internal_degree=4),
    "random": lambda: random(500, 6.0, seed=4),
    "random_dense": lambda: random(40, 30.0, seed=4),
    "networkx": lambda: build_network(
        "networkx", generator="barabasi_albert_graph", n=80, m=2, seed=1
    ),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_every_generator_gives_a_symmetric_simple_network(name: str) -> None:
    net = GENERATORS[name]()
    assert_simple(net)
    assert net.n_edges > 0


# ---------------------------------------------------------------------------------------
# ring lattice


def test_ring_lattice_ties_each_node_to_its_k_nearest() -> None:
    net = ring_lattice(50, 6)
    assert (net.degree == 6).all()
    assert net.n_edges == 50 * 6 // 2
    assert set(net.neighbours(0).tolist()) == {1, 2, 3, 47, 48, 49}
    assert net.nodes["label"].tolist() == list(range(50))
    assert net.meta["k"] == 6 and net.meta["p"] == 0.0
    assert ties(net) == lattice_ties(50, 6)
    assert (net.adjacency.data == 1.0).all()


def test_ring_lattice_smallest_and_densest() -> None:
    assert ring_lattice(3, 2).n_edges == 3
    net = ring_lattice(9, 8)  # complete graph
    assert net.n_edges == 36


@pytest.mark.parametrize("p", [0.05, 0.3, 1.0])
def test_degree_preserving_rewiring_keeps_degrees_and_swaps_exact_fraction(p: float) -> None:
    n, k = 400, 6
    edges = n * k // 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the whole fraction is rewired, nothing to warn
        net = ring_lattice(n, k, p=p, rewire="degree_preserving", seed=7)
    assert_simple(net)
    assert (net.degree == k).all()
    assert net.n_edges == edges
    swaps = round(p * edges / 2)
    new, old = ties(net), lattice_ties(n, k)
    assert len(new - old) == 2 * swaps == len(old - new)
    assert net.meta["rewired"] == 2 * swaps
    assert abs(len(new - old) / edges - p) <= 1 / edges + 1e-12


@pytest.mark.parametrize("p", [0.1, 0.5, 1.0])
def test_random_rewiring_keeps_edge_count_and_first_ends(p: float) -> None:
    n, k = 500, 6
    net = ring_lattice(n, k, p=p, rewire="random", seed=11)
    assert_simple(net)
    assert net.n_edges == n * k // 2
    assert net.meta["rewired"] == round(p * n * k / 2)
    # every node keeps the k/2 ties it "owns" (only their far end moves)
    assert (net.degree >= k // 2).all()
    moved = len(lattice_ties(n, k) - ties(net))
    assert 0.8 * p * n * k / 2 <= moved <= p * n * k / 2
    if p == 1.0:
        assert net.degree.std() > 0  # degrees are no longer all k


def test_rewiring_a_complete_graph_is_impossible_and_warned() -> None:
    for rewire in ("random", "degree_preserving"):
        with pytest.warns(UserWarning, match="network.p: only 0 of"):
            net = ring_lattice(7, 6, p=0.5, rewire=rewire, seed=1)
        assert net.n_edges == 21 and net.meta["rewired"] == 0


def test_small_world_is_random_rewiring() -> None:
    a = small_world(300, 4, 0.2, seed=5)
    b = ring_lattice(300, 4, p=0.2, rewire="random", seed=5)
    assert same(a, b)
    assert a.name == "small_world"


def test_million_node_ring_lattice() -> None:
    net = ring_lattice(10**6, 8)
    assert net.adjacency.shape == (10**6, 10**6)
    assert net.adjacency.nnz == 8 * 10**6


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(n=2, k=2), "network.n"),
        (dict(n=10.5, k=2), "network.n"),
        (dict(n="10", k=2), "network.n"),
        (dict(n=10, k=3), "network.k"),
        (dict(n=10, k=0), "network.k"),
        (dict(n=10, k=10), "network.k"),
        (dict(n=10, k=2, p=-0.1), "network.p"),
        (dict(n=10, k=2, p=1.5), "network.p"),
        (dict(n=10, k=2, p=float("nan")), "network.p"),
        (dict(n=10, k=2, rewire="swap"), "network.rewire"),
        (dict(n=10, k=2, seed=-1), "network.seed"),
    ],
)
def test_ring_lattice_rejects_bad_input(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError, match=field) as info:
        ring_lattice(**kwargs)
    assert "\n" not in str(info.value)


def test_ring_lattice_error_says_what_is_allowed() -> None:
    with pytest.raises(InputError, match="even integer from 2 to n-1 = 9"):
        ring_lattice(10, 3)
    with pytest.raises(InputError, match="random, degree_preserving"):
        ring_lattice(10, 2, rewire="x")


# ---------------------------------------------------------------------------------------
# clustered


def bridges(net: Network) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]:
    """Cross-cluster ties grouped by cluster pair."""
    cluster = net.nodes["cluster"].to_numpy()
    u, v, _ = net.edge_list()
    cross = cluster[u] != cluster[v]
    out: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for a, b in zip(u[cross], v[cross], strict=True):
        key = tuple(sorted((int(cluster[a]), int(cluster[b]))))
        lo, hi = (a, b) if cluster[a] == key[0] else (b, a)
        us, vs = out.get(key, ([], []))
        out[key] = ([*us, lo], [*vs, hi])
    return {k: (np.array(x), np.array(y)) for k, (x, y) in out.items()}


@pytest.mark.parametrize(
    "c, s, w, layout, n_bridges",
    [
        (1, 5, 1, "ring", 0),
        (2, 6, 6, "ring", 1),
        (3, 6, 3, "ring", 3),
        (6, 10, 1, "ring", 6),
        (6, 10, 5, "ring", 6),
        (5, 10, 0, "ring", 0),
        (8, 12, 3, "random", 7),
        (4, 4, 4, "random", 3),
    ],
)
def test_clustered_tie_counts_and_bridges(
    c: int, s: int, w: int, layout: str, n_bridges: int
) -> None:
    net = clustered(c, s, width=w, layout=layout, seed=1)
    assert_simple(net)
    assert net.n == c * s
    assert net.n_edges == c * s * (s - 1) // 2 + n_bridges * w * w
    assert net.nodes["cluster"].tolist() == np.repeat(np.arange(c), s).tolist()
    assert net.meta["clusters"] == c and net.meta["size"] == s and net.meta["width"] == w
    found = bridges(net)
    assert len(found) == (n_bridges if w else 0)
    for lo, hi in found.values():
        assert lo.size == w * w  # w nodes on each side, every pair tied ...
        assert np.unique(lo).size == w and np.unique(hi).size == w  # ... overlapping
    if w:
        n_comp, _ = sp.csgraph.connected_components(net.adjacency, directed=False)
        assert n_comp == 1


def test_clustered_ring_bridges_use_different_nodes() -> None:
    c, s, w = 6, 10, 4
    net = clustered(c, s, width=w)
    cluster = net.nodes["cluster"].to_numpy()
    u, v, _ = net.edge_list()
    cross = cluster[u] != cluster[v]
    ends = np.concatenate([u[cross], v[cross]])
    counts = np.bincount(ends)
    assert set(counts[counts > 0].tolist()) == {w}  # no node is on two bridges
    local = ends % s
    assert set(local.tolist()) == set(range(w)) | set(range(s - w, s))
    # the bridge from cluster 0 to 1 goes from local nodes 0..w-1 to 1's nodes s-w..s-1
    lo, hi = bridges(net)[(0, 1)]
    assert sorted(set(lo.tolist())) == list(range(w))
    assert sorted(set(hi.tolist())) == list(range(s + s - w, 2 * s))


def test_clustered_random_layout_bridges_use_different_nodes_when_there_is_room() -> None:
    net = clustered(8, 30, width=3, layout="random", seed=5)
    cluster = net.nodes["cluster"].to_numpy()
    u, v, _ = net.edge_list()
    cross = cluster[u] != cluster[v]
    ends = np.concatenate([u[cross], v[cross]])
    counts = np.bincount(ends)
    assert set(counts[counts > 0].tolist()) == {3}  # each bridging node on one bridge only


def test_clustered_internal_ring() -> None:
    c, s, kd, w = 4, 10, 4, 2
    net = clustered(c, s, width=w, internal="ring", internal_degree=kd)
    assert net.n_edges == c * s * kd // 2 + c * w * w
    cluster = net.nodes["cluster"].to_numpy()
    u, v, _ = net.edge_list()
    inside = cluster[u] == cluster[v]
    internal_degree = np.bincount(np.concatenate([u[inside], v[inside]]), minlength=net.n)
    assert (internal_degree == kd).all()


def test_clustered_determinism() -> None:
    assert same(
        clustered(10, 6, 2, layout="random", seed=1), clustered(10, 6, 2, layout="random", seed=1)
    )
    assert not same(
        clustered(10, 6, 2, layout="random", seed=1), clustered(10, 6, 2, layout="random", seed=2)
    )


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(clusters=0, size=5), "network.clusters"),
        (dict(clusters="3", size=5), "network.clusters"),
        (dict(clusters=3, size=1), "network.size"),
        (dict(clusters=3, size=5, width=-1), "network.width"),
        (dict(clusters=3, size=5, width=6), "network.width"),
        (dict(clusters=3, size=6, width=4), "network.width"),  # 2w > s on a ring of 3
        (dict(clusters=3, size=5, layout="grid"), "network.layout"),
        (dict(clusters=3, size=5, internal="star"), "network.internal"),
        (dict(clusters=3, size=5, internal="ring"), "network.internal_degree"),
        (dict(clusters=3, size=6, internal="ring", internal_degree=3), "network.internal_degree"),
        (dict(clusters=3, size=6, internal="ring", internal_degree=6), "network.internal_degree"),
        (dict(clusters=3, size=6, internal_degree=2), "network.internal_degree"),
        (dict(clusters=3, size=6, layout="random", seed="x"), "network.seed"),
    ],
)
def test_clustered_rejects_bad_input(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError, match=field):
        clustered(**kwargs)


def test_clustered_wide_bridges_allowed_without_ring_constraint() -> None:
    assert clustered(2, 6, width=6).n_edges == 2 * 15 + 36
    assert clustered(3, 6, width=5, layout="random", seed=0).n_edges == 3 * 15 + 2 * 25


# ---------------------------------------------------------------------------------------
# Erdős–Rényi


def test_random_mean_degree_within_three_standard_errors() -> None:
    n, z = 20_000, 8.0
    net = random(n, z, seed=123)
    assert_simple(net)
    pairs, p = n * (n - 1) / 2, z / (n - 1)
    se = 2 * np.sqrt(pairs * p * (1 - p)) / n
    assert abs(net.degree.mean() - z) <= 3 * se
    # Poisson-like degrees: variance close to the mean
    assert abs(net.degree.var() / z - 1) < 0.1


def test_random_small_and_dense_cases() -> None:
    assert random(1, 0).n_edges == 0
    assert random(5, 0.0, seed=1).n_edges == 0
    assert random(6, 5.0, seed=1).n_edges == 15  # p = 1: complete
    dense = random(60, 45.0, seed=2)
    assert_simple(dense)
    assert abs(dense.degree.mean() - 45) < 3


def test_random_determinism() -> None:
    assert same(random(2000, 5, seed=9), random(2000, 5, seed=9))
    assert not same(random(2000, 5, seed=9), random(2000, 5, seed=10))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(n=0, mean_degree=1), "network.n"),
        (dict(n=10, mean_degree=-1), "network.mean_degree"),
        (dict(n=10, mean_degree=10), "network.mean_degree"),
        (dict(n=10, mean_degree=float("inf")), "network.mean_degree"),
        (dict(n=10, mean_degree=2, seed=1.5), "network.seed"),
    ],
)
def test_random_rejects_bad_input(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError, match=field):
        random(**kwargs)


def test_determinism_of_rewired_lattices() -> None:
    for rewire in ("random", "degree_preserving"):
        a = ring_lattice(1000, 6, p=0.2, rewire=rewire, seed=3)
        b = ring_lattice(1000, 6, p=0.2, rewire=rewire, seed=3)
        c = ring_lattice(1000, 6, p=0.2, rewire=rewire, seed=4)
        assert same(a, b) and not same(a, c)


# ---------------------------------------------------------------------------------------
# file


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_graphml_round_trip(tmp_path: Path) -> None:
    g = nx.Graph()
    g.add_node("icb:A", kind="icb", deprivation=0.2, influence=2.0)
    g.add_node("pcn:A:1", kind="pcn", deprivation=0.7, influence=1.0)
    g.add_node("la:A", kind="local_authority", deprivation=0.5, influence=1.0)
    g.add_edge("icb:A", "pcn:A:1", weight=2.5)
    g.add_edge("pcn:A:1", "la:A", weight=0.5)
    path = tmp_path / "net.graphml"
    nx.write_graphml(g, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = file(str(path))
    assert_simple(net)
    assert net.nodes["label"].tolist() == ["icb:A", "pcn:A:1", "la:A"]
    assert net.nodes["kind"].tolist() == ["icb", "pcn", "local_authority"]
    assert net.nodes["deprivation"].tolist() == [0.2, 0.7, 0.5]
    a = net.adjacency
    assert a[0, 1] == 2.5 and a[1, 2] == 0.5 and a[0, 2] == 0
    assert net.meta["format"] == "graphml" and net.name == "net"


def test_graphml_integer_ids_isolated_and_directed(tmp_path: Path) -> None:
    g = nx.DiGraph()
    g.add_nodes_from([3, 1, 2, 9])
    g.add_edge(3, 1, weight=1.0)
    g.add_edge(1, 3, weight=4.0)
    g.add_edge(1, 2, weight=1.0)
    path = tmp_path / "d.xml"
    nx.write_graphml(g, path)
    with pytest.warns(UserWarning, match="1 node\\(s\\) have no ties \\('9'\\)"):
        net = file(str(path))  # a directed file stays directed, like a DiGraph
    assert net.directed and net.nodes["label"].tolist() == [3, 1, 2, 9]
    assert net.adjacency.toarray().tolist() == [[0, 1, 0, 0], [4, 0, 1, 0], [0] * 4, [0] * 4]
    assert (net.adjacency != Network.from_networkx(g).adjacency).nnz == 0
    with pytest.warns(UserWarning, match="no ties"):
        mutual = file(str(path), directed=False)  # reciprocal ties: one, the larger weight
    assert not mutual.directed and mutual.n_edges == 2 and mutual.adjacency[0, 1] == 4.0
    assert mutual.degree.tolist() == [1, 2, 1, 0]


def test_csv_edge_list_with_node_table(tmp_path: Path) -> None:
    edges = write(
        tmp_path / "edges.csv",
        "source,target,weight\nb,a,1.5\na,c,2\nc,b,1\na,b,3\nc,c,1\n",
    )
    nodes = write(
        tmp_path / "nodes.csv",
        "id,kind,sector,deprivation,influence\n"
        "a,icb,health,0.1,2\nb,pcn,health,0.9,1\nc,la,local_government,0.5,1\n"
        "d,vcs,community,0.3,1\n",
    )
    with pytest.warns(UserWarning) as record:
        net = file(edges, nodes=nodes)
    messages = " | ".join(str(w.message) for w in record)
    assert "1 self-loop(s) dropped" in messages
    assert "1 repeated tie(s) merged" in messages
    assert "no ties ('d')" in messages
    assert_simple(net)
    assert net.nodes["label"].tolist() == ["a", "b", "c", "d"]  # node-table order
    assert list(net.nodes.columns) == ["label", "kind", "sector", "deprivation", "influence"]
    assert net.nodes["deprivation"].dtype == np.float64
    assert net.n_edges == 3
    assert net.adjacency[0, 1] == 3.0  # merged, largest weight kept
    assert net.adjacency[0, 2] == 2.0 and net.adjacency[1, 2] == 1.0
    assert net.degree[3] == 0


def test_csv_without_node_table_orders_by_first_appearance(tmp_path: Path) -> None:
    edges = write(tmp_path / "e.csv", "from,to\n10,7\n7,3\n3,10\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = file(edges, source="from", target="to")
    assert net.nodes["label"].tolist() == [10, 7, 3]
    assert (net.adjacency.data == 1.0).all()
    assert net.n_edges == 3


def test_csv_node_table_with_own_label_column(tmp_path: Path) -> None:
    edges = write(tmp_path / "e.csv", "source,target\nx1,x2\n")
    nodes = write(tmp_path / "n.csv", "key,label\nx2,Trust two\nx1,ICB one\n")
    net = file(edges, nodes=nodes, id_column="key", weight=None)
    assert net.nodes["label"].tolist() == ["Trust two", "ICB one"]
    assert net.nodes["key"].tolist() == ["x2", "x1"]


def test_file_format_can_be_forced(tmp_path: Path) -> None:
    edges = write(tmp_path / "edges.txt", "source,target\n1,2\n")
    assert file(edges, format="csv").n_edges == 1


BAD_FILES = [
    # (edge csv text, node csv text or None, kwargs, field, message fragment)
    ("source,target\n", None, {}, "network.path", "no ties"),
    ("", None, {}, "network.path", "empty"),
    ("src,target\na,b\n", None, {}, "network.source", "no column 'source' (columns: src, target)"),
    ("source,dst\na,b\n", None, {}, "network.target", "no column 'target'"),
    ("source,target\na,\n", None, {}, "network.target", "empty on line 2"),
    ("source,target\n,b\n", None, {}, "network.source", "empty on line 2"),
    ("source,target,weight\na,b,x\n", None, {}, "network.weight", "line 2 has 'x'"),
    ("source,target,weight\na,b,\n", None, {}, "network.weight", "finite number"),
    ("source,target,weight\na,b,-1\n", None, {}, "network.weight", "must not be negative"),
    ("source,target\na,b\n", None, {"weight": "w"}, "network.weight", "no column 'w'"),
    ("source,target\na,a\n", None, {}, "network.path", "no ties left"),
    ("source,target\na,b\n", "name\na\nb\n", {}, "network.id_column", "no column 'id'"),
    ("source,target\na,b\n", "id\na\nb\na\n", {}, "network.nodes", "duplicate id 'a'"),
    ("source,target\na,b\n", "id\n", {}, "network.nodes", "no nodes"),
    (
        "source,target\na,x\n",
        "id\na\nb\n",
        {},
        "network.nodes",
        "edge refers to unknown node 'x' (not in the node table)",
    ),
    (
        "source,target\na,b\n",
        "id,deprivation\na,0.5\nb,1.5\n",
        {},
        "network.nodes",
        "'deprivation' must be a number from 0 to 1",
    ),
    (
        "source,target\na,b\n",
        "id,deprivation\na,high\nb,0.2\n",
        {},
        "network.nodes",
        "node 'a' has 'high'",
    ),
    ("source,target\na,b\n", "id,deprivation\na,\nb,0.2\n", {}, "network.nodes", "deprivation"),
    (
        "source,target\na,b\n",
        "id,influence\na,0\nb,1\n",
        {},
        "network.nodes",
        "'influence' must be a positive number",
    ),
    ("source,target\na,b\n", "id,influence\na,1\nb,-2\n", {}, "network.nodes", "node 'b'"),
    ("source,target\na,b\n", None, {"format": "xlsx"}, "network.format", "graphml, csv"),
    # a row with more fields than the header: that row is named, no valid line is blamed
    ("source,target,weight\na,b,1,9\nb,c,2\n", None, {}, "network.path",
     "line 2 of the edge list has 4 fields but the header has 3"),
    ("source,target,weight\na,b,1\nb,c,2\nc,a,1,9,9\n", None, {}, "network.path",
     "line 4 of the edge list has 5 fields but the header has 3"),
    ("source,target\na,b\n", "id,sector\na,health,extra\nb,health\n", {}, "network.nodes",
     "line 2 of the node table has 3 fields but the header has 2"),
    ("source,target\na,b\n", "id,sector\na,health\nb,health,x\n", {}, "network.nodes",
     "line 3 of the node table has 3 fields"),
    # an integer id beyond 64 bits
    ("source,target\n1,2\n2,100000000000000000000000000\n", None, {}, "network.target",
     "node id 100000000000000000000000000 on line 3 of the edge list is an integer outside"),
    ("source,target\n-100000000000000000000000000,2\n", None, {}, "network.source",
     "outside the 64-bit range"),
    ("source,target\n1,2\n", "id\n1\n2\n100000000000000000000000000\n", {}, "network.nodes",
     "node id 100000000000000000000000000 in column 'id'"),
    ("source,target\na,b\n", None, {"directed": "yes"}, "network.directed",
     "must be true, false or null"),
]


@pytest.mark.filterwarnings("ignore:network.path:UserWarning")
@pytest.mark.parametrize("edges, nodes, kwargs, field, fragment", BAD_FILES)
def test_file_rejects_bad_input(
    tmp_path: Path, edges: str, nodes: str | None, kwargs: dict, field: str, fragment: str
) -> None:
    e = write(tmp_path / "edges.csv", edges)
    n = write(tmp_path / "nodes.csv", nodes) if nodes is not None else None
    with pytest.raises(InputError) as info:
        file(e, nodes=n, **kwargs)
    message = str(info.value)
    assert message.startswith(field + ":"), message
    assert fragment in message, message
    assert "\n" not in message


def test_file_rejects_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="network.path: file not found: .*nope.csv"):
        file(str(tmp_path / "nope.csv"))
    e = write(tmp_path / "e.csv", "source,target\na,b\n")
    with pytest.raises(InputError, match="network.nodes: file not found"):
        file(e, nodes=str(tmp_path / "nodes.csv"))
    with pytest.raises(InputError, match="network.format: cannot tell the format of 'e.txt'"):
        file(write(tmp_path / "e.txt", "source,target\na,b\n"))
    with pytest.raises(InputError, match=r"network.path: not valid GraphML \(.+\)"):
        file(write(tmp_path / "bad.graphml", "<graphml><node id='a'>"))
    with pytest.raises(InputError, match="network.path: not valid GraphML"):
        file(write(tmp_path / "bad2.graphml", "this is not xml"))
    with pytest.raises(InputError, match="network.path: must be a file path"):
        file(None)  # type: ignore[arg-type]


def test_graphml_specific_errors(tmp_path: Path) -> None:
    g = nx.Graph()
    g.add_edge("a", "b", weight=1.0)
    g.add_edge("b", "c")
    path = tmp_path / "g.graphml"
    nx.write_graphml(g, path)
    with pytest.raises(InputError, match="network.weight: edge 'b'-'c' has no 'weight'"):
        file(str(path))
    assert file(str(path), weight=None).n_edges == 2
    with pytest.raises(InputError, match="network.weight: no edge of the graph has attribute"):
        file(str(path), weight="strength")
    with pytest.raises(InputError, match="network.nodes: a node table is only read with a CSV"):
        file(str(path), nodes=str(path))
    empty = tmp_path / "empty.graphml"
    nx.write_graphml(nx.Graph(), empty)
    with pytest.raises(InputError, match="network.path: the graph has no nodes"):
        file(str(empty))
    h = nx.Graph()
    h.add_node("a", deprivation=2.0)
    h.add_edge("a", "b")
    nx.write_graphml(h, tmp_path / "h.graphml")
    with pytest.raises(InputError, match="network.path: node attribute 'deprivation'"):
        file(str(tmp_path / "h.graphml"))


# ---------------------------------------------------------------------------------------
# registry


def test_registry_names() -> None:
    assert {"clustered", "file", "random", "ring_lattice", "small_world"} <= set(NETWORKS)
    assert same(build_network("ring_lattice", n=30, k=4), ring_lattice(30, 4))
    assert same(build_network("random", n=100, mean_degree=3, seed=1), random(100, 3, seed=1))


def test_registry_unknown_name() -> None:
    with pytest.raises(InputError) as info:
        build_network("xyz")
    message = str(info.value)
    assert message.startswith("network.name: unknown network 'xyz'; choose one of: clustered, ")
    for name in ("file", "random", "ring_lattice", "small_world", "networkx"):
        assert name in message


def test_registry_unknown_and_missing_parameters() -> None:
    with pytest.raises(
        InputError,
        match="network.q: unknown parameter for network "
        "'ring_lattice'; allowed: n, k, p, rewire, seed",
    ):
        build_network("ring_lattice", n=10, k=2, q=1)
    with pytest.raises(InputError, match="network.k: missing; .*parameters: n, k, p, rewire"):
        build_network("ring_lattice", n=10)
    with pytest.raises(InputError, match="network.size: missing"):
        build_network("clustered", clusters=3)


def test_registry_networkx_generators() -> None:
    net = build_network("networkx", generator="barabasi_albert_graph", n=100, m=2, seed=1)
    assert net.n == 100 and net.n_edges == 196
    assert_simple(net)
    grid = build_network("networkx", generator="grid_2d_graph", m=3, n=4)
    assert grid.n == 12 and grid.n_edges == 17
    for generator in ("no_such_graph", "classic", "_private", 3):
        with pytest.raises(InputError, match="network.generator: .* is not a graph generator"):
            build_network("networkx", generator=generator)
    with pytest.raises(InputError, match="network.generator: missing"):
        build_network("networkx", n=10)
    with pytest.raises(InputError, match="network.zz: unknown parameter .* allowed: n, m, seed"):
        build_network("networkx", generator="barabasi_albert_graph", n=10, m=2, zz=1)
    with pytest.raises(InputError, match="network.m: missing"):
        build_network("networkx", generator="barabasi_albert_graph", n=10)
    with pytest.raises(InputError, match="network: networkx.barabasi_albert_graph rejected"):
        build_network("networkx", generator="barabasi_albert_graph", n=10, m=20)


def test_registry_england_hook_is_lazy() -> None:
    if "england" not in NETWORKS:
        pytest.skip("sim/networks/england.py not present")
    assert callable(NETWORKS["england"])


def test_registry_passes_file_parameters(tmp_path: Path) -> None:
    e = write(tmp_path / "e.csv", "a,b\n1,2\n2,3\n")
    net = build_network("file", path=e, source="a", target="b")
    assert net.nodes["label"].tolist() == [1, 2, 3]
    with pytest.raises(InputError, match="network.sep: unknown parameter for network 'file'"):
        build_network("file", path=e, sep=";")


def test_node_tables_are_plain_frames() -> None:
    net = clustered(3, 4)
    assert isinstance(net.nodes, pd.DataFrame)
    assert list(net.nodes.columns) == ["label", "cluster"]
    assert net.nodes["cluster"].dtype.kind == "i"


# ---------------------------------------------------------------------------------------
# from networkx: the adjacency read straight from the graph equals networkx's own


def _networkx_reference(graph: nx.Graph, weight: str | None = "weight") -> sp.csr_array:
    """networkx's adjacency (``to_scipy_sparse_array``) without self-loops or zeros."""
    a = sp.csr_array(nx.to_scipy_sparse_array(graph, nodelist=list(graph), weight=weight,
                                              format="csr"), dtype=np.float64)
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def _weighted_graph() -> nx.Graph:
    g = nx.watts_strogatz_graph(300, 6, 0.2, seed=3)
    for i, (a, b) in enumerate(g.edges()):
        g[a][b]["weight"] = [0.5, 2.0, 1.0 / 3.0, 7][i % 4]  # 1/3 needs float64
    return g


def _string_labels_isolated() -> nx.Graph:
    g = nx.relabel_nodes(nx.karate_club_graph(), {i: f"org-{i}" for i in range(34)})
    g.add_nodes_from(["lonely", "also lonely"])
    return g


def _mixed_labels() -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from([(1, "a"), 7, "x", 2.5])
    g.add_edge((1, "a"), "x", weight=3)
    g.add_edge(7, 2.5)  # no weight attribute: weighs 1, as in networkx
    g.add_edge(7, "x", weight=0.25, kind="formal")
    return g


def _shuffled_integer_labels() -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from([5, 3, 0, 9, 1, 2])  # integer labels, not 0..n-1 in order
    g.add_edges_from([(5, 0), (0, 9), (9, 1), (1, 5), (3, 2)])
    return g


def _digraph() -> nx.DiGraph:
    g = nx.gn_graph(200, seed=4)  # a tree of nominations, one direction each
    g.add_edge(0, 5, weight=2.0)
    g.add_edge(5, 0, weight=0.5)  # reciprocal, different weights: both kept
    return g


INGEST_CASES: dict[str, Callable[[], nx.Graph]] = {
    "unweighted": lambda: nx.watts_strogatz_graph(500, 8, 0.1, seed=1),
    "weighted": _weighted_graph,
    "weights_on_some_edges": _mixed_labels,
    "string_labels_and_isolated_nodes": _string_labels_isolated,
    "shuffled_integer_labels": _shuffled_integer_labels,
    "only_isolated_nodes": lambda: nx.empty_graph(5),
    "node_attributes": lambda: nx.les_miserables_graph(),
    "directed": _digraph,
}


@pytest.mark.parametrize("name", sorted(INGEST_CASES))
def test_from_networkx_equals_networkx_adjacency(name: str) -> None:
    graph = INGEST_CASES[name]()
    net = Network.from_networkx(graph)
    expected = _networkx_reference(graph)
    a = net.adjacency
    assert a.shape == expected.shape
    assert (a != expected).nnz == 0
    assert a.has_sorted_indices and (a.data > 0).all()
    assert a.indices.dtype == np.int32
    assert net.directed == graph.is_directed()
    assert net.nodes["label"].tolist() == list(graph)
    for column in {k for _, d in graph.nodes(data=True) for k in d}:
        given = [graph.nodes[x].get(column) for x in graph]
        assert [None if pd.isna(x) else x for x in net.nodes[column]] == given


def test_from_networkx_unweighted_option_and_other_weight_key() -> None:
    g = _weighted_graph()
    assert (Network.from_networkx(g, weight=None).adjacency
            != _networkx_reference(g, weight=None)).nnz == 0
    for a, b in g.edges():
        g[a][b]["trust"] = g[a][b].pop("weight") * 2
    assert (Network.from_networkx(g, weight="trust").adjacency
            != _networkx_reference(g, weight="trust")).nnz == 0


def test_from_networkx_keeps_the_smallest_exact_weight_dtype() -> None:
    halves = nx.path_graph(4)
    nx.set_edge_attributes(halves, 0.5, "weight")
    assert Network.from_networkx(halves).adjacency.dtype == np.float32
    assert Network.from_networkx(nx.path_graph(4)).adjacency.dtype == np.float32
    assert Network.from_networkx(_weighted_graph()).adjacency.dtype == np.float64  # 1/3


# ---------------------------------------------------------------------------------------
# one graph rule for the Python API and the file loader


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repairs warn once per process; each test starts with none shown."""
    monkeypatch.setattr("sim.engine.network._SHOWN", set())


def _repair_warnings(build: Callable[[], Network]) -> tuple[Network, list[str]]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        net = build()
        build()  # built twice (pre-flight, then the run): warned once
    return net, [str(w.message) for w in record]


def test_digraph_becomes_a_directed_network_not_symmetrised() -> None:
    g = nx.DiGraph()
    g.add_edge("a", "b", weight=2.0)  # a names b: b's adoption reinforces a
    g.add_edge("b", "c")
    net = Network.from_networkx(g)
    assert net.directed and net.n_edges == 2
    assert net.adjacency.toarray().tolist() == [[0, 2, 0], [0, 0, 1], [0, 0, 0]]
    u, v, w = net.edge_list()
    assert list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True)) == [(0, 1, 2.0),
                                                                          (1, 2, 1.0)]
    back = net.to_networkx()
    assert back.is_directed() and set(back.edges) == {(0, 1), (1, 2)}


def test_multigraph_parallel_ties_keep_the_largest_weight_warned_once(fresh_warnings) -> None:
    g = nx.MultiGraph()
    g.add_edge(0, 1, weight=1.0)
    g.add_edge(0, 1, weight=3.0)
    g.add_edge(0, 1, weight=2.0)
    g.add_edge(1, 2)
    net, messages = _repair_warnings(lambda: Network.from_networkx(g))
    assert net.adjacency.toarray().tolist() == [[0, 3, 0], [3, 0, 1], [0, 1, 0]]  # not 6
    assert messages == ["graph: 2 repeated tie(s) merged, keeping the largest weight"]
    d = nx.MultiDiGraph([(0, 1), (0, 1), (1, 0)])
    assert Network.from_networkx(d, weight=None).adjacency.toarray().tolist() == [[0, 1],
                                                                                   [1, 0]]


def test_self_loops_dropped_with_one_warning_and_no_source_line(fresh_warnings) -> None:
    g = nx.Graph([(0, 1), (1, 1), (2, 2), (1, 2)])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        net = Network.from_networkx(g)
        Network.from_networkx(g)
    assert not net.adjacency.diagonal().any() and net.n_edges == 2
    (shown,) = record
    assert str(shown.message) == "graph: 2 self-loop(s) dropped (a node cannot reinforce itself)"
    printed = warnings.formatwarning(shown.message, shown.category, shown.filename,
                                     shown.lineno, shown.line)
    assert len(printed.strip().splitlines()) == 1  # no line of code echoed under it


def test_zero_weight_ties_dropped_like_the_file_loader(fresh_warnings) -> None:
    g = nx.Graph()
    g.add_edge("a", "b", weight=0)
    g.add_edge("b", "c", weight=1.5)
    net, messages = _repair_warnings(lambda: Network.from_networkx(g))
    assert net.n_edges == 1 and (net.adjacency.data > 0).all()
    assert messages == ["graph: 1 tie(s) with weight 0 dropped (no tie)"]


@pytest.mark.parametrize(
    ("weight", "shows"),
    [("high", "'high' (str)"), ("2.5", "'2.5' (str)"), (None, "None (NoneType)"),
     (True, "True (bool)"), (float("nan"), "nan"), (-1.0, "-1.0"), (float("inf"), "inf")],
)
def test_bad_edge_weight_is_an_input_error_naming_the_attribute(weight, shows) -> None:
    g = nx.Graph()
    g.add_edge("a", "b", weight=1.0)
    g.add_edge("b", "c", weight=weight)
    with pytest.raises(InputError, match="^weight: edge attribute 'weight' must be") as err:
        Network.from_networkx(g)
    assert "edge 'b'-'c'" in str(err.value) or "edge 'c'-'b'" in str(err.value)
    assert shows in str(err.value)
    multi = nx.MultiGraph([("a", "b", {"weight": 1.0}), ("a", "b", {"weight": weight})])
    with pytest.raises(InputError, match="edge attribute 'weight'"):
        Network.from_networkx(multi)


def test_directed_csv_row_means_source_named_target(tmp_path: Path) -> None:
    """Row (source=i, target=j): i named j, so j's adoption reinforces i."""
    edges = write(tmp_path / "e.csv", "source,target,weight\na,b,2\nb,c,1\nc,b,0.5\n")
    net = file(edges, directed=True)
    assert net.directed and net.n_edges == 3
    assert net.adjacency.toarray().tolist() == [[0, 2, 0], [0, 0, 1], [0, 0.5, 0]]
    undirected = file(edges)  # the default reads a CSV as mutual ties
    assert not undirected.directed and undirected.adjacency[1, 2] == 1.0


def test_directed_csv_repairs_like_a_digraph(tmp_path: Path, fresh_warnings) -> None:
    edges = write(tmp_path / "e.csv", "source,target,weight\na,b,2\na,b,5\nb,a,1\nb,b,1\n")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        net = file(edges, directed=True)
        file(edges, directed=True)  # checked, then run: the warnings are not repeated
    assert net.adjacency.toarray().tolist() == [[0, 5], [1, 0]]  # the largest, per direction
    assert [str(w.message) for w in record] == [
        "network.path: 1 self-loop(s) dropped (a node cannot reinforce itself)",
        "network.path: 1 repeated tie(s) merged, keeping the largest weight",
    ]
    for shown in record:  # one line each: no line of code echoed under the warning
        text = warnings.formatwarning(shown.message, shown.category, shown.filename,
                                      shown.lineno, shown.line)
        assert len(text.strip().splitlines()) == 1 and str(edges) in text


def test_file_and_networkx_treat_the_same_graph_the_same_way(tmp_path: Path,
                                                              fresh_warnings) -> None:
    """One rule: repeated ties keep the largest weight, self-loops and zeros are dropped."""
    rows = [("a", "b", 1.0), ("a", "b", 3.0), ("b", "c", 2.0), ("c", "c", 1.0),
            ("c", "d", 0.0), ("d", "a", 0.5)]
    edges = write(tmp_path / "e.csv", "source,target,weight\n"
                  + "".join(f"{a},{b},{w}\n" for a, b, w in rows))
    for directed, graph in ((False, nx.MultiGraph()), (True, nx.MultiDiGraph())):
        graph.add_weighted_edges_from(rows)
        with warnings.catch_warnings(record=True) as from_api:
            warnings.simplefilter("always")
            api = Network.from_networkx(graph)
        with warnings.catch_warnings(record=True) as from_file:
            warnings.simplefilter("always")
            loaded = file(edges, directed=directed)
        assert api.directed == loaded.directed == directed
        assert api.nodes["label"].tolist() == loaded.nodes["label"].tolist()
        assert (api.adjacency != loaded.adjacency).nnz == 0
        assert api.adjacency[0, 1] == 3.0
        said = [sorted(str(w.message).split(": ", 1)[1] for w in ws)
                for ws in (from_api, from_file)]
        assert said[0] == said[1] and len(said[0]) == 3, said


def test_graphml_string_weight_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path / "g.graphml", """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="w" for="edge" attr.name="weight" attr.type="string"/>
  <graph edgedefault="undirected">
    <node id="a"/><node id="b"/><node id="c"/>
    <edge source="a" target="b"><data key="w">1.5</data></edge>
    <edge source="b" target="c"><data key="w">high</data></edge>
  </graph>
</graphml>
""")
    with pytest.raises(InputError, match="^network.weight: edge attribute 'weight' must be a "
                                         "number; edge 'a'-'b' has '1.5' \\(str\\)"):
        file(path)


def test_documented_example_network_loads_with_its_attributes() -> None:
    """docs/file_networks.md's example: the attributes it documents are read as documented."""
    root = Path(__file__).resolve().parents[1] / "docs" / "examples"
    with pytest.warns(UserWarning, match="1 node\\(s\\) have no ties \\('newcomer'\\)"):
        net = file(str(root / "partners.csv"), nodes=str(root / "partners_nodes.csv"))
    assert net.n == 14 and net.n_edges == 16 and not net.directed
    nodes = net.nodes.set_index("label")
    assert nodes.loc["lead_north", "agent_type"] == "Leader"
    assert nodes.loc["icb_north", "level"] == "system" and nodes.loc["ap_north", "sector"] == (
        "physical_activity")
    assert nodes["deprivation"].between(0, 1).all() and (nodes["influence"] > 0).all()
    at = {label: i for i, label in enumerate(net.nodes["label"])}
    assert net.adjacency[at["lead_north"], at["icb_north"]] == 2.0
    assert net.adjacency[at["icb_north"], at["ap_north"]] == 0.5
    directed = file(str(root / "partners.csv"), nodes=str(root / "partners_nodes.csv"),
                    directed=True)
    assert directed.adjacency[at["lead_north"], at["icb_north"]] == 2.0
    assert directed.adjacency[at["icb_north"], at["lead_north"]] == 0


@pytest.mark.parametrize(("n", "k"), [(3, 2), (5, 4), (9, 8), (10, 8), (101, 10), (1000, 8)])
def test_ring_lattice_written_directly_equals_the_edge_list_build(n: int, k: int) -> None:
    """The 10^7-node path (CSR written directly, int32/float32) builds the same lattice."""
    u, v = lattice_edges(n, k)
    expected = Network.from_edges(n, u, v, simple=True).adjacency
    a = ring_lattice(n, k).adjacency
    assert np.array_equal(a.indptr, expected.indptr)
    assert np.array_equal(a.indices, expected.indices) and np.array_equal(a.data, expected.data)
    assert a.indices.dtype == np.int32 and a.data.dtype == np.float32
    assert a.has_canonical_format


def test_repeated_ties_keep_their_largest_weight_whatever_their_order() -> None:
    """Many ties given two to four times, in shuffled order and both directions: each keeps
    its largest weight, as a per-tie maximum computed by hand does."""
    rng = np.random.default_rng(11)
    n = 60
    u, v = rng.integers(0, n, size=(2, 900))
    w = rng.choice([0.25, 0.5, 1.0, 2.0, 3.0], size=u.size)
    net = Network.from_edges(n, u, v, w)
    expected: dict[tuple[int, int], float] = {}
    for a, b, x in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        if a != b:
            key = (min(a, b), max(a, b))
            expected[key] = max(expected.get(key, 0.0), x)
    dense = net.adjacency.toarray()
    assert {(a, b): dense[a, b] for a, b in expected} == expected
    assert net.adjacency.nnz == 2 * len(expected)


def test_unique_ints_is_numpys_unique() -> None:
    from sim.engine.network import unique_ints

    rng = np.random.default_rng(2)
    for size in (0, 1, 2, 1000):
        x = rng.integers(-50, 50, size=size)
        np.testing.assert_array_equal(unique_ints(x), np.unique(x))
