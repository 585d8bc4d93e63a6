"""Ties built during a run (events, convening), kept as a short list of entries.

The network's own tie matrices never change, so the model makes them once. Ties built during
a run are few (hundreds among tens of thousands) and change a few times a year, so they live
apart, as their *excess* over the network's weight of the same tie: a repeated tie keeps its
largest weight, max(a, s) = a + max(s - a, 0), and the discount of a tie does not depend on
its weight, so discounting the two parts adds up exactly.

They are kept as entries (row i, column j, excess weight, excess reinforcement) sorted by
(i, j), not as an n x n sparse matrix, and every live tie as a directed entry with its fading
step (``LiveTies``). When ties are built or fade, only the entries they touch are worked out
again, and only the differences move the exposures and degrees of the agents at their ends:
a convening round costs O(live built ties), not a new matrix and a full product over the
network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.engine import kernel

#: one call of ``add_ties``: (u, v, weight per tie, the step from which it has faded)
Ties = tuple[np.ndarray, np.ndarray, np.ndarray, float]


@dataclass
class BuiltTies:
    """Entries (rows[k], cols[k]) by which built ties exceed the network, sorted by (row,
    col): ``weight`` the excess tie weight, ``reinforcement`` it discounted (w_ij * c_ij).
    ``symmetric``: entry (i, j) exists, with the same values, exactly when (j, i) does -- on
    an undirected network, where built ties are mutual and discounts depend on both ends
    alike -- so that column j is row j and needs no index of its own."""

    n: int
    keys: np.ndarray  # rows * n + cols, sorted
    weight: np.ndarray
    reinforcement: np.ndarray
    symmetric: bool = False

    def __post_init__(self) -> None:
        self.rows, self.cols = np.divmod(self.keys, self.n)
        self._csc: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if self.symmetric:  # a column's run is the row's run, found by bisection
            self._by_column, self._sorted_cols, self._column_values = None, self.rows, self.cols
            return
        # the entries by column (then row: the keys are sorted by row, and the sort is
        # stable), and their columns in that order, to find each column's run by bisection:
        # a column is gathered as a CSR row is, at O(entries) per change, not O(agents)
        self._by_column = np.argsort(self.cols, kind="stable")
        self._sorted_cols = self.cols[self._by_column]
        self._column_values = self.rows

    @property
    def size(self) -> int:
        return int(self.keys.size)

    def values(self, which: int) -> np.ndarray:
        """0 or 2: weights; 1 or 3: reinforcement (the model's numbering of its matrices)."""
        return self.weight if which % 2 == 0 else self.reinforcement

    def columns(self, which: int, agents: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column j of each agent j in ``agents``: the rows i with an entry (i, j), the
        entries' values and how many each agent has -- as the model gathers the network's
        columns (the rows of its transposes), in row order."""
        starts = np.searchsorted(self._sorted_cols, agents, "left")
        lengths = np.searchsorted(self._sorted_cols, agents, "right") - starts
        total = int(lengths.sum())
        if total == 0:
            return self.rows[:0], self.values(which)[:0], lengths
        positions = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        if self._by_column is not None:
            positions = self._by_column[positions]
        return self._column_values[positions], self.values(which)[positions], lengths

    def by_column(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The entries as the transposed reinforcement in CSR form -- (indptr, the rows i of
        each column j in row order, reinforcement) -- for the compiled step
        (``sim.engine.loops.built_row``); made on first use, once per set of entries."""
        if self._csc is None:
            order = (slice(None) if self._by_column is None else self._by_column)
            indptr = np.zeros(self.n + 1, dtype=np.int64)
            np.cumsum(np.bincount(self._sorted_cols, minlength=self.n), out=indptr[1:])
            self._csc = (indptr, self._column_values[order], self.reinforcement[order])
        return self._csc

    def add_product(self, which: int, x: np.ndarray, out: np.ndarray) -> None:
        """out += (these entries as a matrix) @ x."""
        np.add.at(out, self.rows, self.values(which) * x[self.cols])

    def matrix(self, which: int) -> sp.csr_array:
        """The entries as an n x n matrix (for ``model.adjacency`` and ``reinforcement``)."""
        out = sp.csr_array((self.values(which), (self.rows, self.cols)), shape=(self.n, self.n))
        out.eliminate_zeros()
        return out

    def at(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weight and reinforcement of the entries ``keys`` (0 where there is none)."""
        weight = np.zeros(keys.size, dtype=self.weight.dtype)
        reinforcement = np.zeros(keys.size, dtype=self.reinforcement.dtype)
        if self.size:
            at = np.minimum(np.searchsorted(self.keys, keys), self.size - 1)
            found = self.keys[at] == keys
            weight[found] = self.weight[at[found]]
            reinforcement[found] = self.reinforcement[at[found]]
        return weight, reinforcement

    def merged(self, keys: np.ndarray, weight: np.ndarray, reinforcement: np.ndarray
               ) -> tuple[BuiltTies | None, np.ndarray, np.ndarray]:
        """``at(keys)``, then ``replaced``: with the compiled loops one merge of the sorted
        entries (``sim.engine.loops.merge_plan``), the same entries and values."""
        if not kernel.compiled():
            old_weight, old_reinforcement = self.at(keys)
            return self.replaced(keys, weight, reinforcement), old_weight, old_reinforcement
        source, old_at = kernel.call("merge_plan")(self.keys, keys, weight > 0)
        found = old_at >= 0
        old_weight = np.zeros(keys.size, dtype=self.weight.dtype)
        old_reinforcement = np.zeros(keys.size, dtype=self.reinforcement.dtype)
        old_weight[found] = self.weight[old_at[found]]
        old_reinforcement[found] = self.reinforcement[old_at[found]]
        if not source.size:
            return None, old_weight, old_reinforcement
        merged = BuiltTies(self.n, np.concatenate([self.keys, keys])[source],
                           np.concatenate([self.weight, weight])[source],
                           np.concatenate([self.reinforcement, reinforcement])[source],
                           self.symmetric)
        return merged, old_weight, old_reinforcement

    def replaced(self, keys: np.ndarray, weight: np.ndarray,
                 reinforcement: np.ndarray) -> BuiltTies | None:
        """These entries with those at ``keys`` (sorted, unique) set to the given values
        (a zero weight removes one); None when none is left."""
        stay = ~_members(self.keys, keys)
        put = weight > 0
        all_keys = np.concatenate([self.keys[stay], keys[put]])
        if not all_keys.size:
            return None
        order = np.argsort(all_keys, kind="stable")
        return BuiltTies(self.n, all_keys[order],
                         np.concatenate([self.weight[stay], weight[put]])[order],
                         np.concatenate([self.reinforcement[stay], reinforcement[put]])[order],
                         self.symmetric)


class LiveTies:
    """Every built tie still live, as directed entries (both ways of each tie, no loops):
    keys (row * n + col), weights and the step from which each has faded."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.keys = np.empty(0, dtype=np.int64)
        self.weight = np.empty(0)
        self.expires = np.empty(0)
        self.next_expiry = np.inf

    def changes(self, added: Sequence[Ties], step: int) -> tuple[np.ndarray, np.ndarray]:
        """``update``, then ``largest`` of the keys it returns: the keys whose largest live
        weight may have changed and that weight -- in one compiled pass
        (``sim.engine.loops.live_update``) when the compiled loops are in use."""
        if not kernel.compiled():
            keys = self.update(added, step)
            return keys, self.largest(keys)
        if added:
            u, v, w = (np.concatenate([tie[k] for tie in added]) for k in range(3))
            fading = np.repeat([float(tie[3]) for tie in added], [tie[0].size for tie in added])
        else:
            u = v = np.empty(0, np.int64)
            w = fading = np.empty(0)
        self.keys, self.weight, self.expires, keys, largest = kernel.call("live_update")(
            self.keys, self.weight, self.expires, float(step), self.n, u.astype(np.int64),
            v.astype(np.int64), w.astype(float), fading)
        self.next_expiry = float(self.expires.min(initial=np.inf))
        return keys, largest

    def _directed(self, u: np.ndarray, v: np.ndarray, w: np.ndarray, expires: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ties (u, v) as directed entries both ways, loops dropped: keys, weights, fading."""
        loop = u == v
        u, v, w = u[~loop], v[~loop], w[~loop]
        keys = np.concatenate([u * self.n + v, v * self.n + u])
        return keys, np.concatenate([w, w]).astype(float), np.full(keys.size, float(expires))

    def update(self, added: Sequence[Ties], step: int) -> np.ndarray:
        """Add the ties ``added``, drop those faded by ``step``; return the keys whose
        largest live weight may have changed (sorted, unique)."""
        faded = self.expires <= step
        parts = [(self.keys[faded],)]
        if faded.any():
            keep = ~faded
            self.keys, self.weight, self.expires = (self.keys[keep], self.weight[keep],
                                                    self.expires[keep])
        for u, v, w, expires in added:
            keys, weight, fading = self._directed(u, v, w, expires)
            parts.append((keys,))
            self.keys = np.concatenate([self.keys, keys])
            self.weight = np.concatenate([self.weight, weight])
            self.expires = np.concatenate([self.expires, fading])
        self.next_expiry = float(self.expires.min(initial=np.inf))
        return np.unique(np.concatenate([p[0] for p in parts]))

    def largest(self, keys: np.ndarray) -> np.ndarray:
        """The largest live weight of each of ``keys`` (sorted, unique; 0 where none)."""
        out = np.zeros(keys.size)
        hit = _members(self.keys, keys)
        np.maximum.at(out, np.searchsorted(keys, self.keys[hit]), self.weight[hit])
        return out


def _members(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_keys`` (sorted, unique)."""
    if not sorted_keys.size:
        return np.zeros(values.size, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), sorted_keys.size - 1)
    return sorted_keys[at] == values


def network_weight(net: sp.csr_array, net_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The network's weight of each entry ``keys`` (0 where it has no such tie).
    ``net_keys``: row * n + col of its stored entries, in CSR order (sorted)."""
    if not net.nnz:
        return np.zeros(keys.size)
    at = np.minimum(np.searchsorted(net_keys, keys), net.nnz - 1)
    return np.where(net_keys[at] == keys, net.data[at], 0.0)


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
