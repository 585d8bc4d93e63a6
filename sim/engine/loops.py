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
def step_rows(adopted, aware, exposure, threshold, committed, influence, counter,  # noqa: ANN001, PLR0913
              base_keys, steps, limits, faced, eps, full_above, indptr, indices, data,  # noqa: ANN001
              aware_indptr, aware_indices, rows, gained, lapsed, n_gained, n_lapsed,  # noqa: ANN001
              per_row):  # noqa: ANN001
    """A whole step of the rows ``rows`` (a mask), which share one network: row by row,
    the decisions (``_decide_row``, with each row's keys at its step from ``base_keys``
    and ``steps``); adopted set and cleared; the exposure moved by the network's columns
    (``indptr``, ``indices``, ``data``: the transposed reinforcement) of those who changed
    -- gained, then lapsed, each ascending, ``np.add.at``'s order -- unless more than
    ``full_above`` changed (then ``per_row[r, 4] = 1`` and the caller recomputes the row
    with a full product); awareness along the network's ties from the new adopters. Row
    r's gained are ``gained[per_row[r, 0]:][:per_row[r, 1]]``, its lapsed
    ``lapsed[per_row[r, 2]:][:per_row[r, 3]]`` (flat indices, ascending), appended after
    the ``n_gained`` and ``n_lapsed`` already there; returns the new totals and how many
    rows need a full product."""
    R, n = adopted.shape
    keys = step_keys(base_keys, steps)
    n_full = 0
    for r in range(R):
        if not rows[r]:
            continue
        g0, l0 = n_gained, n_lapsed
        n_gained, n_lapsed = _decide_row(r, adopted, aware, exposure, threshold, committed,
                                         counter, keys, limits, faced, eps, gained,
                                         n_gained, lapsed, n_lapsed)
        full = (n_gained - g0) + (n_lapsed - l0) > full_above
        per_row[r, 0], per_row[r, 1] = g0, n_gained - g0
        per_row[r, 2], per_row[r, 3] = l0, n_lapsed - l0
        per_row[r, 4] = full
        n_full += full
        base = r * n
        adopted_r = adopted[r]
        for k in range(g0, n_gained):
            adopted_r[gained[k] - base] = True
        for k in range(l0, n_lapsed):
            adopted_r[lapsed[k] - base] = False
        _columns_of_changed(exposure[r], aware[r], influence[r], gained, g0, n_gained, lapsed,
                            l0, n_lapsed, base, full, indptr, indices, data, aware_indptr,
                            aware_indices)
    return n_gained, n_lapsed, n_full


@numba.njit(cache=True)
def built_row(exposure, aware, influence, gained, g0, g1, lapsed, l0, l1, base, full,  # noqa: ANN001, PLR0913
              indptr, indices, data):  # noqa: ANN001
    """One row's exposure and awareness moved by its built ties (``indptr``, ``indices``,
    ``data``: their columns, ``sim.engine.built.BuiltTies.by_column``), after the network's
    part (``step_rows``): the same order of additions as ``batch._built_exposure``."""
    _columns_of_changed(exposure, aware, influence, gained, g0, g1, lapsed, l0, l1, base,
                        full, indptr, indices, data, indptr, indices)


@numba.njit(cache=True, inline="always")
def _columns_of_changed(exposure, aware, influence, gained, g0, g1, lapsed, l0, l1, base,  # noqa: ANN001, ANN202, PLR0913
                        full, indptr, indices, data, aware_indptr, aware_indices):  # noqa: ANN001
    """Exposure += column * influence of each gained (then - of each lapsed), unless
    ``full``; every gained and whoever its columns reach is aware. One row's arrays."""
    if not full:
        for k in range(g0, g1):
            a = gained[k] - base
            d = influence[a]
            for j in range(indptr[a], indptr[a + 1]):
                exposure[indices[j]] += data[j] * d
        for k in range(l0, l1):
            a = lapsed[k] - base
            d = -influence[a]
            for j in range(indptr[a], indptr[a + 1]):
                exposure[indices[j]] += data[j] * d
    for k in range(g0, g1):
        a = gained[k] - base
        aware[a] = True
        for j in range(aware_indptr[a], aware_indptr[a + 1]):
            aware[aware_indices[j]] = True


@numba.njit(cache=True)
def count_both(adopted, aware, rec_adopted, rec_aware, codes, counts, bins):  # noqa: ANN001
    """Group counts (``counts[r, code]`` for adopted, ``counts[r, bins + code]`` for aware)
    moved by the agents whose state differs from the state recorded (then recorded = now):
    ``batch._update_group_counts``. ``codes[g, i]``: agent i's bin in tracked attribute g,
    ``bins`` for no value."""
    _count_changes(adopted, rec_adopted, codes, counts, 0, bins)
    _count_changes(aware, rec_aware, codes, counts, bins, bins)


@numba.njit(cache=True, inline="always")
def _count_changes(now, recorded, codes, counts, offset, bins):  # noqa: ANN001, ANN202
    R, n = now.shape
    words = n // 8
    for r in range(R):
        now_r, recorded_r = now[r], recorded[r]
        # eight agents compared at once: a step changes few, so nearly every word is equal
        now_words = now_r[:words * 8].view(np.uint64)
        recorded_words = recorded_r[:words * 8].view(np.uint64)
        for w in range(words + 1):
            if w < words and now_words[w] == recorded_words[w]:
                continue
            for i in range(w * 8, min(w * 8 + 8, n)):
                if now_r[i] != recorded_r[i]:
                    up = now_r[i]
                    for g in range(codes.shape[0]):
                        c = codes[g, i]
                        if c < bins:
                            counts[r, offset + c] += 1 if up else -1
                    recorded_r[i] = up


# ---- ties built during a run (sim.engine.built) ----------------------------------------
@numba.njit(cache=True)
def live_update(keys, weight, expires, step, n, u, v, w, fading):  # noqa: ANN001, ANN201, PLR0913
    """``built.LiveTies.update`` then ``largest``: drop the entries faded by ``step``,
    append the ties (u, v) added, weight w, fading at step ``fading`` (as directed entries
    u * n + v and v * n + u, loops dropped); returns the live entries (keys, weights,
    fading steps), the keys whose largest live weight may have changed (sorted, unique)
    and that largest weight (0 where none is left)."""
    size = keys.size + 2 * u.size
    live_keys = np.empty(size, dtype=np.int64)
    live_weight = np.empty(size, dtype=np.float64)
    live_expires = np.empty(size, dtype=np.float64)
    touched = np.empty(size, dtype=np.int64)
    m = 0
    t = 0
    for i in range(keys.size):
        if expires[i] <= step:
            touched[t] = keys[i]
            t += 1
        else:
            live_keys[m], live_weight[m], live_expires[m] = keys[i], weight[i], expires[i]
            m += 1
    for half in range(2):  # all u->v, then v->u: the order is immaterial (only maxima)
        for i in range(u.size):
            if u[i] == v[i]:
                continue
            key = u[i] * n + v[i] if half == 0 else v[i] * n + u[i]
            live_keys[m], live_weight[m], live_expires[m] = key, w[i], fading[i]
            touched[t] = key
            m += 1
            t += 1
    changed = _unique_sorted(touched[:t])
    largest = np.zeros(changed.size)
    # where each changed key sits, in an open-addressing table (a live entry is looked up
    # in O(1), where bisection mispredicts a branch at every halving)
    size = 1
    while size < 2 * changed.size:
        size *= 2
    mask = np.uint64(size - 1)
    slot_key = np.full(size, -1, dtype=np.int64)
    slot_at = np.empty(size, dtype=np.int64)
    for at in range(changed.size):
        h = _mix(np.uint64(changed[at])) & mask
        while slot_key[h] != -1:
            h = (h + np.uint64(1)) & mask
        slot_key[h], slot_at[h] = changed[at], at
    for i in range(m):
        h = _mix(np.uint64(live_keys[i])) & mask
        while slot_key[h] != -1:
            if slot_key[h] == live_keys[i]:
                at = slot_at[h]
                largest[at] = max(largest[at], live_weight[i])
                break
            h = (h + np.uint64(1)) & mask
    return live_keys[:m], live_weight[:m], live_expires[:m], changed, largest


@numba.njit(cache=True, inline="always")
def _unique_sorted(values):  # noqa: ANN001, ANN202
    """``np.unique`` of an int64 array (numba's own builds a list)."""
    out = np.sort(values)
    k = 0
    for i in range(out.size):
        if i == 0 or out[i] != out[k - 1]:
            out[k] = out[i]
            k += 1
    return out[:k]


@numba.njit(cache=True)
def merge_plan(old_keys, keys, put):  # noqa: ANN001, ANN201
    """How ``built.BuiltTies.merged`` interleaves: the entries ``old_keys`` (sorted) with
    those at ``keys`` (sorted, unique) replaced -- kept where ``put``, removed elsewhere.
    Returns ``source``, the merged entries in key order as positions in old + new (a
    position >= len(old_keys) is new entry ``position - len(old_keys)``), and ``old_at``,
    each key's position in ``old_keys`` or -1."""
    n_old = old_keys.size
    source = np.empty(n_old + keys.size, dtype=np.int64)
    old_at = np.full(keys.size, -1, dtype=np.int64)
    i = j = s = 0
    while i < n_old or j < keys.size:
        if j == keys.size or (i < n_old and old_keys[i] < keys[j]):
            source[s] = i
            s += 1
            i += 1
            continue
        if i < n_old and old_keys[i] == keys[j]:
            old_at[j] = i
            i += 1
        if put[j]:
            source[s] = n_old + j
            s += 1
        j += 1
    return source[:s], old_at
