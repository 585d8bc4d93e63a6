"""Ring lattices and their rewired variants: the test bed of complex contagion.

Centola & Macy (2007) showed that on a ring lattice, rewiring ties into "long ties" speeds up
simple contagions but can stop complex ones, because a long tie is a bridge of width one.
Their rewiring keeps every node's degree (a double-edge swap), so that the effect of
randomness is not confounded with a change in degree; Watts & Strogatz (1998) instead move
one end of a tie to a random node. Both are offered here, built as arrays so that 10^6-node
lattices take about a second.

- Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of 'small-world' networks.
  Nature 393, 440-442.
- Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties.
  American Journal of Sociology 113(3), 702-734.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.engine.network import Network, index_dtype
from sim.errors import require
from sim.networks._checks import (
    choice,
    first_of_each,
    in_sorted,
    integer,
    number,
    pair_key,
    repeated_keys,
    rng,
)

REWIRE = ("random", "degree_preserving")
_MAX_ROUNDS = 100  # redraw rounds before a tie that finds no free place is left as it was
_SWITCH_ROUNDS = 10  # fruitless swap rounds before unswapped ties pair with rewired ones


def lattice_edges(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Ties of a ring of ``n`` nodes, each tied to the ``k/2`` next nodes on each side.

    Tie ``d * n + i`` joins ``i`` to ``i + d + 1`` (mod n); with ``k < n`` no tie repeats.
    """
    half = k // 2
    u = np.tile(np.arange(n, dtype=np.int64), half)
    v = (u + np.repeat(np.arange(1, half + 1, dtype=np.int64), n)) % n
    return u, v


def lattice_adjacency(n: int, k: int) -> sp.csr_array:
    """The ring lattice's CSR adjacency written directly, without an edge list.

    Row i holds i-k/2 .. i-1, i+1 .. i+k/2 (mod n), already sorted except in the k/2 rows
    at each end, where the ring wraps. One broadcast add fills the (n, k) int32 index array;
    fixing and sorting those few rows needs no COO copy and no sort of n*k entries: at
    n = 10^7, k = 8 the whole adjacency is 640 MB (int32 indices, float32 unit weights) and
    no temporary is larger than one int32 column.
    """
    half = k // 2
    index = index_dtype(n, n * k)
    offsets = np.array([*range(-half, 0), *range(1, half + 1)], dtype=index)
    indices = np.add(np.arange(n, dtype=index)[:, None], offsets[None, :])  # one (n, k) pass
    head, tail = indices[:half], indices[n - half:]  # the rows where the ring wraps
    head[head < 0] += n
    tail[tail >= n] -= n
    head.sort(axis=1)
    tail.sort(axis=1)
    indptr = np.arange(0, n * k + 1, k, dtype=index)
    adjacency = sp.csr_array((np.ones(n * k, dtype=np.float32), indices.reshape(-1), indptr),
                             shape=(n, n), copy=False)
    adjacency.has_sorted_indices = True
    adjacency.has_canonical_format = True
    return adjacency


def ring_lattice(
    n: int, k: int, p: float = 0.0, rewire: str = "random", seed: int | None = None
) -> Network:
    """Ring of ``n`` nodes each tied to its ``k`` nearest neighbours, a fraction ``p`` rewired.

    ``rewire="random"`` (Watts & Strogatz 1998): each chosen tie keeps its first end and
    moves its other end to a uniformly random node, never making a self-loop or a repeated
    tie. ``rewire="degree_preserving"`` (Centola & Macy 2007): pairs of ties (a,b),(c,d)
    become (a,d),(c,b), so every node keeps degree ``k``; round(p * ties / 2) swaps, each
    rewiring two lattice ties that no other swap touches.

    A fixed number of ties (round(p * ties)) is rewired rather than each tie with probability
    ``p``, so ``p`` is exactly the fraction of long ties and runs with one ``p`` are
    comparable. ``meta["rewired"]`` counts the lattice ties actually rewired, and
    ``meta["swaps"]`` the swaps made; the count falls short only in lattices too dense to
    rewire (e.g. k = n - 1), which is warned.
    """
    n = integer(n, "network.n", minimum=3)
    allowed_k = f"an even integer from 2 to n-1 = {n - 1}"
    k = integer(k, "network.k", allowed=allowed_k)
    require(k % 2 == 0 and 2 <= k < n, "network.k", allowed_k, k)
    p = number(p, "network.p", 0.0, 1.0)
    rewire = choice(rewire, "network.rewire", REWIRE)
    gen = rng(seed)

    meta = {"k": k, "p": p, "rewire": rewire, "rewired": 0, "swaps": 0}
    if p == 0:
        return Network(adjacency=lattice_adjacency(n, k),
                       nodes=pd.DataFrame({"label": np.arange(n)}), name="ring_lattice",
                       meta=meta)
    u, v = lattice_edges(n, k)
    rewired = swaps = 0
    if p > 0:
        if rewire == "random":
            target = round(p * u.size)
            v, rewired = _rewire_random(n, u, v, target, gen)
        else:
            target = 2 * min(round(p * u.size / 2), u.size // 2)
            u, v, rewired, swaps = _rewire_swaps(n, u, v, target // 2, gen)
        if rewired < target:
            warnings.warn(
                f"network.p: only {rewired} of {target} ties could be rewired; the lattice "
                f"(n={n}, k={k}) is too dense to place the rest without repeated ties",
                UserWarning,
                stacklevel=2,
            )
    return Network.from_edges(
        n,
        u,
        v,
        nodes=pd.DataFrame({"label": np.arange(n)}),
        name="ring_lattice",
        meta={**meta, "rewired": int(rewired), "swaps": int(swaps)},
        simple=True,
    )


def small_world(n: int, k: int, p: float, seed: int | None = None) -> Network:
    """Watts & Strogatz (1998, Nature 393) small world: a ring lattice, fraction p rewired.

    The same as ``ring_lattice(n, k, p, rewire="random")``; short paths appear with few
    long ties while clustering stays high.
    """
    net = ring_lattice(n, k, p=p, rewire="random", seed=seed)
    return Network(adjacency=net.adjacency, nodes=net.nodes, name="small_world", meta=net.meta)


def _rewire_random(
    n: int, u: np.ndarray, v: np.ndarray, target: int, gen: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Move the second end of ``target`` random ties to random nodes (Watts & Strogatz).

    All proposals of a round are drawn at once; a proposal is refused if it is a self-loop,
    hits a tie that stays, a tie already placed, a tie still waiting to move (it may yet
    stay), or another proposal of the same round. Refused ties redraw in the next round.
    """
    chosen = gen.choice(u.size, size=target, replace=False)
    stays = np.ones(u.size, dtype=bool)
    stays[chosen] = False
    fixed = np.sort(pair_key(n, u[stays], v[stays]))
    placed = np.empty(0, dtype=np.int64)
    v = v.copy()
    pending = chosen
    for _ in range(_MAX_ROUNDS):
        if pending.size == 0:
            break
        a = u[pending]
        w = gen.integers(0, n, size=pending.size)
        keys = pair_key(n, a, w)
        busy = np.sort(np.concatenate([placed, pair_key(n, a, v[pending])]))
        ok = np.flatnonzero((w != a) & ~in_sorted(keys, fixed) & ~in_sorted(keys, busy))
        accept = ok[first_of_each(keys[ok])]
        v[pending[accept]] = w[accept]
        placed = np.concatenate([placed, keys[accept]])
        left = np.ones(pending.size, dtype=bool)
        left[accept] = False
        pending = pending[left]
    return v, target - pending.size


def _rewire_swaps(
    n: int, u: np.ndarray, v: np.ndarray, swaps: int, gen: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Rewire ``2 * swaps`` lattice ties by double-edge swaps (a,b),(c,d) -> (a,d),(c,b).

    Proposals are made in batches of disjoint pairs of ties not yet swapped; a swap is
    refused if it makes a self-loop, a tie of the original lattice, a tie an earlier swap
    made, or a tie another proposal of the same batch makes. New ties are never lattice
    ties and each tie is swapped at most once, so every successful swap rewires exactly two
    lattice ties. Near p = 1 the last few unswapped ties may admit no valid pairing among
    themselves; each of those is then swapped with an already rewired tie (one more lattice
    tie rewired per swap), so the count of rewired ties still reaches ``2 * swaps``.
    Returns the new ties, the number of lattice ties rewired and the number of swaps made.
    """
    u, v = u.copy(), v.copy()
    original = np.sort(pair_key(n, u, v))
    made = np.empty(0, dtype=np.int64)  # keys of every tie a swap has made
    swapped = np.zeros(u.size, dtype=bool)
    goal, rewired, n_swaps = 2 * swaps, 0, 0
    stalled, top_up = 0, False
    while rewired < goal and stalled < _MAX_ROUNDS:
        pool = np.flatnonzero(~swapped)
        if not top_up and (stalled >= _SWITCH_ROUNDS or pool.size < 2):
            top_up, stalled = True, 0
        if top_up:  # an unswapped tie with an already rewired one
            if pool.size == 0 or not swapped.any():
                break
            size = min(pool.size, goal - rewired)
            i = gen.choice(pool, size=size, replace=False)
            j = gen.choice(np.flatnonzero(swapped), size=size)
        else:
            size = min(pool.size // 2, int((goal - rewired) // 2 * 1.25) + 8)
            pool = gen.permutation(pool)
            i, j = pool[:size], pool[size : 2 * size]
        a, b = u[i], v[i]
        flip = gen.random(size) < 0.5  # either orientation of the second tie
        c, d = np.where(flip, v[j], u[j]), np.where(flip, u[j], v[j])
        k1, k2 = pair_key(n, a, d), pair_key(n, c, b)
        ok = (a != d) & (c != b)
        for keys in (k1, k2):
            ok &= ~in_sorted(keys, original) & ~in_sorted(keys, made)
        clash = repeated_keys(np.concatenate([k1[ok], k2[ok]]))
        ok &= ~in_sorted(k1, clash) & ~in_sorted(k2, clash)
        if top_up:  # a rewired tie may be drawn twice; let only its first draw swap
            once = np.zeros(size, dtype=bool)
            once[first_of_each(j)] = True
            ok &= once
        per_swap = 1 if top_up else 2
        accept = np.flatnonzero(ok)[: (goal - rewired) // per_swap]
        if accept.size == 0:
            stalled += 1
            continue
        stalled = 0
        ia, ja = i[accept], j[accept]
        u[ia], v[ia] = a[accept], d[accept]
        u[ja], v[ja] = c[accept], b[accept]
        swapped[ia] = swapped[ja] = True
        made = np.sort(np.concatenate([made, k1[accept], k2[accept]]))
        rewired += per_swap * accept.size
        n_swaps += accept.size
    return u, v, rewired, n_swaps
