"""Ties built during a run (events, convening), kept as a short list of entries.

The network's own tie matrices never change, so the model makes them once. Ties built during
a run are few (hundreds among tens of thousands) and change a few times a year, so they live
apart, as their *excess* over the network's weight of the same tie: a repeated tie keeps its
largest weight, max(a, s) = a + max(s - a, 0), and the discount of a tie does not depend on
its weight, so discounting the two parts adds up exactly.

They are kept as entries (row i, column j, excess weight, excess reinforcement) sorted by
(i, j), not as an n x n sparse matrix: when ties are built or fade, the model applies only
the difference between the old and the new entries to the exposures and degrees of the
agents at their ends (``BuiltTies.minus``), so a convening round costs O(built ties), not a
new matrix and a full product over the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: one call of ``add_ties``: (u, v, weight per tie, the step from which it has faded)
Ties = tuple[np.ndarray, np.ndarray, np.ndarray, float]


@dataclass(frozen=True)
class BuiltTies:
    """Entries (rows[k], cols[k]) by which built ties exceed the network, sorted by (row,
    col): ``weight`` the excess tie weight, ``reinforcement`` it discounted (w_ij * c_ij)."""

    n: int
    rows: np.ndarray
    cols: np.ndarray
    weight: np.ndarray
    reinforcement: np.ndarray

    @classmethod
    def empty(cls, n: int, dtype: np.dtype) -> BuiltTies:
        index = np.empty(0, dtype=np.int64)
        values = np.empty(0, dtype=dtype)
        return cls(n, index, index, values, values)

    @property
    def size(self) -> int:
        return int(self.rows.size)

    def keys(self) -> np.ndarray:
        return self.rows * self.n + self.cols

    def values(self, which: int) -> np.ndarray:
        """0 or 2: weights; 1 or 3: reinforcement (the model's numbering of its matrices)."""
        return self.weight if which % 2 == 0 else self.reinforcement

    def columns(self, which: int, agents: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column j of each agent j in ``agents``: the rows i with an entry (i, j), the
        entries' values and how many each agent has -- as the model gathers the network's
        columns (the rows of its transposes), in row order."""
        order = self._by_column
        ends = self.cols[order]
        starts = np.searchsorted(ends, agents, side="left")
        lengths = np.searchsorted(ends, agents, side="right") - starts
        total = int(lengths.sum())
        if total == 0:
            return self.rows[:0], self.values(which)[:0], lengths
        positions = order[np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                          + np.arange(total)]
        return self.rows[positions], self.values(which)[positions], lengths

    @property
    def _by_column(self) -> np.ndarray:
        cached = self.__dict__.get("_order")
        if cached is None:
            cached = np.lexsort((self.rows, self.cols))
            object.__setattr__(self, "_order", cached)
        return cached

    def add_product(self, which: int, x: np.ndarray, out: np.ndarray) -> None:
        """out += (these entries as a matrix) @ x."""
        if self.size:
            np.add.at(out, self.rows, self.values(which) * x[self.cols])

    def matrix(self, which: int) -> sp.csr_array:
        """The entries as an n x n matrix (for ``model.adjacency`` and ``reinforcement``)."""
        out = sp.csr_array((self.values(which), (self.rows, self.cols)), shape=(self.n, self.n))
        out.sum_duplicates()
        out.eliminate_zeros()
        return out

    def minus(self, old: BuiltTies) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The entries whose value changed from ``old`` to these: (rows, cols, weight change,
        reinforcement change), sorted by (row, col). Unchanged entries are left out."""
        if old.size == 0:
            return self.rows, self.cols, self.weight, self.reinforcement
        new_keys, old_keys = self.keys(), old.keys()
        keys = np.union1d(old_keys, new_keys)
        at_new, at_old = np.searchsorted(keys, new_keys), np.searchsorted(keys, old_keys)
        changes = []
        for mine, theirs in ((self.weight, old.weight), (self.reinforcement, old.reinforcement)):
            change = np.zeros(keys.size, dtype=mine.dtype)
            change[at_new] = mine
            change[at_old] -= theirs
            changes.append(change)
        keep = (changes[0] != 0) | (changes[1] != 0)
        keys = keys[keep]
        return keys // self.n, keys % self.n, changes[0][keep], changes[1][keep]


def excess_entries(built: Sequence[Ties], net: sp.csr_array, net_keys: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The live built ties as symmetric entries (a repeated tie keeps its largest weight),
    minus the network's weight of the same tie where that is smaller: (rows, cols, excess),
    sorted by (row, col), zero excesses dropped. ``net_keys``: row * n + col of the
    network's stored entries, in CSR order (sorted)."""
    n = net.shape[0]
    u, v, w = (np.concatenate([t[i] for t in built]) for i in range(3))
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    rows, cols, data = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    order = np.lexsort((-data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, data = rows[first], cols[first], data[first]
    if net.nnz:
        keys = rows * n + cols
        at = np.minimum(np.searchsorted(net_keys, keys), net.nnz - 1)
        current = np.where(net_keys[at] == keys, net.data[at], 0.0)
    else:
        current = np.zeros(rows.size)
    excess = np.maximum(data - current, 0.0).astype(net.data.dtype)
    keep = excess > 0
    return rows[keep], cols[keep], excess[keep]


def gather_rows(m: sp.csr_array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored entries of ``rows`` of ``m``: column indices, values, entries per row
    (straight from the CSR arrays: scipy's row slicing costs more than a step's arithmetic)."""
    starts = m.indptr[rows]
    lengths = m.indptr[rows + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return m.indices[:0], m.data[:0], lengths
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    positions = offsets + np.arange(total)
    return m.indices[positions], m.data[positions], lengths
