"""The compiled loops of a step (numba): decisions, exposure, awareness and group counts.

Each is the loop form of a few NumPy lines in ``sim.engine.batch`` and must give exactly
their numbers (see ``sim.engine.kernel``). State arrays are R x n, one replicate per row,
C-contiguous; "flat" indices are row * n + agent, as ``np.flatnonzero`` numbers them.
Compiled on first call and cached on disk (``cache=True``), so a process pays the
compilation once per machine and then ~0.1 s to load it.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.engine.streams import _GOLDEN, _M1, _M2

_G, _K1, _K2 = np.uint64(_GOLDEN), np.uint64(_M1), np.uint64(_M2)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)

#: the decisions' columns in ``keys``, ``limits`` and ``faced`` (``streams.DECISIONS``)
ADOPT, NOISE, SPONTANEOUS, LAPSE = 0, 1, 2, 3


@numba.njit(cache=True, inline="always")
def _mix(z):  # noqa: ANN001, ANN202 (numba infers the types)
    """SplitMix64's output function (``sim.engine.streams.mix``) on one uint64."""
    z = (z ^ (z >> _S30)) * _K1
    z = (z ^ (z >> _S27)) * _K2
    return z ^ (z >> _S31)


@numba.njit(cache=True)
def step_keys(base: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Each row's key of each decision at its step: ``AgentDraws.step_key`` for R x 4."""
    out = np.empty_like(base)
    for r in range(base.shape[0]):
        offset = np.uint64(steps[r] + 1) * _G
        for d in range(base.shape[1]):
            out[r, d] = _mix(base[r, d] + offset)
    return out


@numba.njit(cache=True, inline="always")
def _decide_row(r, adopted, aware, exposure, threshold, committed, counter, keys, limits,  # noqa: ANN001, ANN202, PLR0913
                faced, eps, gained, n_gained, lapsed, n_lapsed):  # noqa: ANN001
    """Row r's decisions (``batch._Decisions.take``'s rules) from the state at the start of
    the step, as flat indices appended to ``gained`` and ``lapsed`` (ascending) after the
    counts given; returns the new counts. ``faced[r, d]``: 0 row r does not face decision
    d, 1 it draws, 2 it never passes (an adoption rate of 0). An agent takes a decision
    when its hash ``mix(counter + key)`` is at most the row's ``limits[r, d]``."""
    n = adopted.shape[1]
    f_adopt, f_noise = faced[r, ADOPT], faced[r, NOISE]
    f_spont, f_lapse = faced[r, SPONTANEOUS], faced[r, LAPSE]
    for i in range(n):
        above = exposure[r, i] >= threshold[r, i] - eps
        if not adopted[r, i]:
            new = above
            if new and f_adopt != 0:
                new = f_adopt == 1 and _mix(counter[i] + keys[r, ADOPT]) <= limits[r, ADOPT]
            if not new and not above and f_noise != 0 and aware[r, i]:
                new = _mix(counter[i] + keys[r, NOISE]) <= limits[r, NOISE]
            if not new and f_spont != 0:
                new = _mix(counter[i] + keys[r, SPONTANEOUS]) <= limits[r, SPONTANEOUS]
            if new:
                gained[n_gained] = r * n + i
                n_gained += 1
        elif (f_lapse != 0 and not above and not committed[r, i]
              and _mix(counter[i] + keys[r, LAPSE]) <= limits[r, LAPSE]):
            lapsed[n_lapsed] = r * n + i
            n_lapsed += 1
    return n_gained, n_lapsed


@numba.njit(cache=True)
def step_rows(adopted, aware, exposure, threshold, committed, influence, counter, keys,  # noqa: ANN001, PLR0913
              limits, faced, eps, full_above, indptr, indices, data, aware_indptr,  # noqa: ANN001
              aware_indices, rows, gained, lapsed, n_gained, n_lapsed, per_row):  # noqa: ANN001
    """A whole step of the rows ``rows`` (a mask), which share one network: row by row,
    the decisions (``_decide_row``); adopted set and cleared; the exposure moved by the
    network's columns (``indptr``, ``indices``, ``data``: the transposed reinforcement) of
    those who changed -- gained, then lapsed, each ascending, ``np.add.at``'s order --
    unless more than ``full_above`` changed (then ``per_row[r, 4] = 1`` and the caller
    recomputes the row with a full product); awareness along the network's ties from the
    new adopters. Row r's gained are ``gained[per_row[r, 0]:][:per_row[r, 1]]``, its lapsed
    ``lapsed[per_row[r, 2]:][:per_row[r, 3]]`` (flat indices, ascending), appended after
    the ``n_gained`` and ``n_lapsed`` already there; returns the new totals."""
    R, n = adopted.shape
    for r in range(R):
        if not rows[r]:
            continue
        g0, l0 = n_gained, n_lapsed
        n_gained, n_lapsed = _decide_row(r, adopted, aware, exposure, threshold, committed,
                                         counter, keys, limits, faced, eps, gained,
                                         n_gained, lapsed, n_lapsed)
        per_row[r, 0], per_row[r, 1] = g0, n_gained - g0
        per_row[r, 2], per_row[r, 3] = l0, n_lapsed - l0
        per_row[r, 4] = 1 if (n_gained - g0) + (n_lapsed - l0) > full_above else 0
        base = r * n
        for k in range(g0, n_gained):
            a = gained[k] - base
            adopted[r, a] = True
        for k in range(l0, n_lapsed):
            adopted[r, lapsed[k] - base] = False
        if per_row[r, 4] == 0:
            for k in range(g0, n_gained):
                a = gained[k] - base
                d = influence[r, a]
                for j in range(indptr[a], indptr[a + 1]):
                    exposure[r, indices[j]] += data[j] * d
            for k in range(l0, n_lapsed):
                a = lapsed[k] - base
                d = -influence[r, a]
                for j in range(indptr[a], indptr[a + 1]):
                    exposure[r, indices[j]] += data[j] * d
        for k in range(g0, n_gained):
            a = gained[k] - base
            aware[r, a] = True
            for j in range(aware_indptr[a], aware_indptr[a + 1]):
                aware[r, aware_indices[j]] = True
    return n_gained, n_lapsed


@numba.njit(cache=True)
def count_both(adopted, aware, rec_adopted, rec_aware, codes, counts, bins):  # noqa: ANN001
    """``count_changes`` of adopted (counts from 0) and of aware (from ``bins``) at once."""
    _count_changes(adopted, rec_adopted, codes, counts, 0, bins)
    _count_changes(aware, rec_aware, codes, counts, bins, bins)


@numba.njit(cache=True, inline="always")
def _count_changes(now, recorded, codes, counts, offset, bins):  # noqa: ANN001, ANN202
    R, n = now.shape
    for r in range(R):
        for i in range(n):
            if now[r, i] != recorded[r, i]:
                up = now[r, i]
                for g in range(codes.shape[0]):
                    c = codes[g, i]
                    if c < bins:
                        counts[r, offset + c] += 1 if up else -1
                recorded[r, i] = up
