"""How coherence and alignment weaken ties: the reinforcement a tie carries is w_ij * c_ij.

The engine counts an adopter's reinforcement through a discounted copy of the adjacency. A
cross-sector tie counts ``min(coherence_i, coherence_j)`` of its weight (shared goals raise
coherence); a tie between the centre (national and regional bodies) and a place counts
``min(alignment_i, alignment_j)``. The per-node strengths are set by the world
(``sim.world.mechanisms``); this module is only the arithmetic, so that the model, the
reach cap and the levers discount a tie the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.engine.network import Network, product, weight_dtype

#: Alignment discounts ties between the centre (national, regional bodies) and places
#: (systems and local organisations), not ties between an ICB and its local partners.
CENTRE_LEVELS = ("national", "regional")

#: node-table column -> the mechanism that discounts ties whose two ends differ in it
DISCOUNTED_BY = (("sector", "coherence"), ("level", "alignment"))


def tie_groups(values: pd.Series, column: str) -> np.ndarray:
    """Group codes whose differences across a tie trigger a discount.

    Sector: any two different sectors. Level: centre (national/regional) versus place.
    """
    if column == "level":
        return values.isin(CENTRE_LEVELS).to_numpy().astype(np.int64)
    return pd.factorize(values)[0]


def discounted(adjacency: sp.csr_array, nodes: pd.DataFrame, coherence: np.ndarray,
               alignment: np.ndarray, codes: dict[str, np.ndarray] | None = None,
               ) -> sp.csr_array:
    """The tie weights as reinforcement, w_ij * c_ij: a cross-sector tie counts
    ``min(coherence_i, coherence_j)`` of its weight, a centre-place tie ``min(alignment)``.

    Keeps the adjacency's index dtype, and its float32 weights where every discounted
    weight is exactly a float32 (else float64). ``codes`` caches each column's group codes
    across calls (the model rebuilds the matrix whenever ties are built).
    """
    if not _active(nodes, coherence, alignment):  # no row array (8 bytes a tie at int64)
        return adjacency
    rows = np.repeat(np.arange(adjacency.shape[0], dtype=adjacency.indices.dtype),
                     np.diff(adjacency.indptr))
    factor = tie_factors(rows, adjacency.indices, nodes, coherence, alignment, codes)
    data = adjacency.data * factor  # float64: c_ij rounds in float32 (0.7 -> 0.69999999)
    data = data.astype(weight_dtype(data), copy=False)
    # copies of the index arrays: eliminate_zeros works in place and must never edit the
    # network's own adjacency (a network is shared by every replicate that uses it)
    m = sp.csr_array((data, adjacency.indices.copy(), adjacency.indptr.copy()),
                     shape=adjacency.shape)
    m.eliminate_zeros()
    return m


def tie_factors(rows: np.ndarray, cols: np.ndarray, nodes: pd.DataFrame,
                coherence: np.ndarray, alignment: np.ndarray,
                codes: dict[str, np.ndarray] | None = None) -> np.ndarray | None:
    """c_ij of the ties (rows[k], cols[k]); None when no tie is discounted. ``codes`` as in
    ``discounted`` (the model also discounts the few ties built during a run with it)."""
    codes = {} if codes is None else codes
    factor = None
    for column, strength in _active(nodes, coherence, alignment):
        if column not in codes:
            codes[column] = tie_groups(nodes[column], column)
        crossing = codes[column][rows] != codes[column][cols]
        f = np.where(crossing, np.minimum(strength[rows], strength[cols]), 1.0)
        factor = f if factor is None else factor * f
    return factor


def reach(network: Network, influence: np.ndarray, coherence: np.ndarray | float = 1.0,
          alignment: np.ndarray | float = 1.0) -> np.ndarray:
    """The most reinforcement a node could ever get: every contact adopted, discounted by
    coherence and alignment as the model discounts it."""
    n = network.n
    matrix = discounted(network.adjacency, network.nodes, np.broadcast_to(coherence, (n,)),
                        np.broadcast_to(alignment, (n,)))
    return product(matrix, influence)


def _active(nodes: pd.DataFrame, coherence: np.ndarray, alignment: np.ndarray
            ) -> list[tuple[str, np.ndarray]]:
    """(node-table column, strengths) of each mechanism that discounts some tie here."""
    strengths = {"coherence": coherence, "alignment": alignment}
    return [(column, strengths[mechanism]) for column, mechanism in DISCOUNTED_BY
            if column in nodes and not np.all(strengths[mechanism] == 1.0)]
