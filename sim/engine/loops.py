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


@numba.njit(cache=True)
def decide(adopted, aware, exposure, threshold, committed, counter, keys, limits,  # noqa: ANN001, PLR0913
           faced, eps, gained, lapsed):  # noqa: ANN001
    """Who adopts and who lapses this step (``batch._Decisions.take``'s rules), from the
    state at its start: flat indices into ``gained`` and ``lapsed``, ascending; returns how
    many of each. ``faced[r, d]``: 0 row r does not face decision d, 1 it draws, 2 it
    never passes (an adoption rate of 0). An agent takes a decision when its hash
    ``mix(counter + key)`` is at most the row's ``limits[r, d]``."""
    R, n = adopted.shape
    n_gained = 0
    n_lapsed = 0
    for r in range(R):
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
def scatter_columns(flat, n, rows, agents, delta, take, indptr, indices, data):  # noqa: ANN001
    """flat[rows[k] * n + i] += data * delta[k] over column agents[k] of a transposed CSR
    matrix, for each k with ``take[k]``, in order: ``np.add.at`` of the gathered columns."""
    for k in range(rows.size):
        if take[k]:
            base = rows[k] * n
            d = delta[k]
            a = agents[k]
            for j in range(indptr[a], indptr[a + 1]):
                flat[base + indices[j]] += data[j] * d


@numba.njit(cache=True)
def mark_columns(flat, n, rows, agents, take, indptr, indices):  # noqa: ANN001
    """flat[rows[k] * n + i] = True over column agents[k], for each k with ``take[k]``."""
    for k in range(rows.size):
        if take[k]:
            base = rows[k] * n
            a = agents[k]
            for j in range(indptr[a], indptr[a + 1]):
                flat[base + indices[j]] = True


@numba.njit(cache=True)
def count_changes(now, recorded, codes, counts, offset, bins):  # noqa: ANN001
    """Group counts (``counts[r, offset + code]``) moved by the agents whose ``now``
    differs from ``recorded`` (then recorded = now): ``batch._update_group_counts``.
    ``codes[g, i]``: agent i's bin in tracked attribute g, ``bins`` for no value."""
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
