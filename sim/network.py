"""The network every model runs on: a symmetric sparse adjacency plus a node table.

Why not a networkx graph? Building and converting 10^6-node graphs through networkx costs
tens of seconds; a CSR array is what the vectorised step needs anyway. ``Network.from_networkx``
and ``Network.to_networkx`` convert at the edges of the library, for users who think in graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.errors import InputError

#: Node-table columns with a meaning in the model. Any other column is kept and can be grouped by.
KNOWN_COLUMNS = (
    "label",  # the node's name in the source graph or file
    "agent_type",  # "Organisation" or "Leader"
    "kind",  # e.g. icb, nhs_trust, pcn, local_authority, active_partnership, board_member ...
    "sector",  # health, physical_activity, local_government, community, academia
    "level",  # national, regional, system, local
    "region",  # NHS region
    "system",  # ICS name
    "organisation",  # for a leader: the node index of the organisation they belong to
    "deprivation",  # 0..1, higher is more deprived
    "influence",  # weight of this node's adoption in its neighbours' exposure
    "cluster",  # cluster id in synthetic clustered networks
)


@dataclass(frozen=True)
class Network:
    """An undirected, weighted network.

    ``adjacency`` is a symmetric ``scipy.sparse.csr_array`` of tie weights (no self-loops,
    no explicit zeros); ``nodes`` is a DataFrame with one row per node, in adjacency order.
    """

    adjacency: sp.csr_array
    nodes: pd.DataFrame
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    directed: bool = False  # adjacency[i, j]: how much j's adoption reinforces i

    @property
    def n(self) -> int:
        return self.adjacency.shape[0]

    @property
    def n_edges(self) -> int:
        return int(self.adjacency.nnz // 2)

    @property
    def degree(self) -> np.ndarray:
        """Number of neighbours of each node."""
        return np.diff(self.adjacency.indptr)

    def neighbours(self, i: int) -> np.ndarray:
        a = self.adjacency
        return a.indices[a.indptr[i] : a.indptr[i + 1]]

    def edge_list(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each undirected tie once, as (u, v, weight) with u < v."""
        coo = sp.triu(self.adjacency, k=1).tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data

    # ----------------------------------------------------------------------------------
    # construction
    @classmethod
    def from_edges(
        cls,
        n: int,
        u: np.ndarray,
        v: np.ndarray,
        weight: np.ndarray | float = 1.0,
        nodes: pd.DataFrame | None = None,
        name: str = "",
        meta: dict[str, Any] | None = None,
        simple: bool = False,
    ) -> Network:
        """Build from undirected tie arrays without a Python loop over edges.

        ``simple=True`` promises there are no self-loops or repeated ties (the generators
        that can guarantee it skip the de-duplication sort). Otherwise self-loops are dropped
        and a tie given more than once keeps its largest weight.
        """
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        w = np.broadcast_to(np.asarray(weight, dtype=np.float64), u.shape)
        if not simple:
            keep = u != v
            u, v, w = u[keep], v[keep], w[keep]
            lo, hi = np.minimum(u, v), np.maximum(u, v)
            key = lo * n + hi
            order = np.lexsort((-w, key))  # within a key, largest weight first
            key, lo, hi, w = key[order], lo[order], hi[order], w[order]
            first = np.ones(key.size, dtype=bool)
            first[1:] = key[1:] != key[:-1]
            u, v, w = lo[first], hi[first], w[first]
        index = np.int32 if n < 2**31 else np.int64  # int32 indices: 3x faster CSR build
        rows = np.concatenate([u, v]).astype(index, copy=False)
        cols = np.concatenate([v, u]).astype(index, copy=False)
        data = np.concatenate([w, w])
        adj = sp.csr_array((data, (rows, cols)), shape=(n, n))
        adj.sum_duplicates()
        adj.eliminate_zeros()
        adj.sort_indices()
        if nodes is None:
            nodes = pd.DataFrame({"label": np.arange(n)})
        return cls(adjacency=adj, nodes=nodes.reset_index(drop=True), name=name, meta=meta or {})

    @classmethod
    def from_networkx(cls, graph: nx.Graph, weight: str = "weight", name: str = "") -> Network:
        """Convert a networkx graph; node order is ``graph``'s node order.

        Node attributes become node-table columns; a directed graph is made undirected
        (reinforcement between stakeholders is treated as mutual).
        """
        if graph.number_of_nodes() == 0:
            raise InputError("network: the graph has no nodes; give at least one node")
        labels = list(graph.nodes)
        adj = nx.to_scipy_sparse_array(graph, nodelist=labels, weight=weight, format="csr")
        adj = sp.csr_array(adj, dtype=np.float64)
        if graph.is_directed():
            adj = adj.maximum(adj.T).tocsr()
        adj.setdiag(0)
        adj.eliminate_zeros()
        adj.sort_indices()
        table = pd.DataFrame.from_records([graph.nodes[x] for x in labels])
        table.insert(0, "label", labels)
        return cls(adjacency=adj, nodes=table, name=name or str(graph.name or ""))

    def to_networkx(self) -> nx.Graph:
        """A networkx copy with integer nodes 0..n-1 and the node table as attributes."""
        graph = nx.from_scipy_sparse_array(self.adjacency)
        nx.set_node_attributes(graph, self.nodes.to_dict(orient="index"))
        return graph

    def with_ties(self, u: np.ndarray, v: np.ndarray, weight: np.ndarray | float = 1.0) -> Network:
        """A copy with extra ties (an existing tie keeps the larger weight)."""
        eu, ev, ew = self.edge_list()
        w = np.broadcast_to(np.asarray(weight, dtype=np.float64), np.shape(u))
        return Network.from_edges(
            self.n,
            np.concatenate([eu, np.asarray(u, dtype=np.int64)]),
            np.concatenate([ev, np.asarray(v, dtype=np.int64)]),
            np.concatenate([ew, w]),
            nodes=self.nodes,
            name=self.name,
            meta=self.meta,
        )


def as_network(graph: Network | nx.Graph, weight: str = "weight") -> Network:
    """Accept either a ``Network`` or a networkx graph."""
    if isinstance(graph, Network):
        if graph.n == 0:
            raise InputError("network: the graph has no nodes; give at least one node")
        return graph
    if isinstance(graph, nx.Graph):
        return Network.from_networkx(graph, weight=weight)
    raise InputError(
        f"graph: expected a networkx graph or sim.Network, got {type(graph).__name__}"
    )
