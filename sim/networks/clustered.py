"""Clusters joined by bridges of a chosen width: the network where bridge width matters.

Centola & Macy (2007) argued that a complex contagion crosses from one cluster to the next
only over a "wide bridge", enough distinct ties to give a node on the far side the several
adopting contacts its threshold needs; Centola (2010) found behaviour spread further in
clustered networks than in random ones. Here a bridge of width w joins w nodes on one
side to w nodes on the other, every pair tied: w x w overlapping ties, so each bridging
node gets w reinforcing contacts across it. A threshold-T contagion therefore crosses
exactly when w >= T: width 1 is a narrow bridge (one long tie), width >= T a wide one.
(w disjoint ties would never cross for T >= 2: no far-side node would see two adopters.)

- Centola, D. & Macy, M. (2007). Complex contagions and the weakness of long ties.
  American Journal of Sociology 113(3), 702-734.
- Centola, D. (2010). The spread of behavior in an online social network experiment.
  Science 329(5996), 1194-1197.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.network import Network
from sim.errors import InputError, require
from sim.networks._checks import choice, integer, rng
from sim.networks.bridges import bridge

LAYOUTS = ("ring", "random")
INTERNAL = ("complete", "ring")


def clustered(
    clusters: int,
    size: int,
    width: int = 1,
    layout: str = "ring",
    internal: str = "complete",
    internal_degree: int | None = None,
    seed: int | None = None,
) -> Network:
    """``clusters`` clusters of ``size`` nodes, neighbouring clusters joined by bridges.

    Inside a cluster: a complete graph (``internal="complete"``) or a ring lattice of degree
    ``internal_degree`` (``internal="ring"``). Between clusters (``layout``): ``"ring"`` joins
    cluster i to i+1 (mod c; a single bridge when c == 2), ``"random"`` joins each cluster
    i > 0 to a random earlier cluster (a random tree, the only layout that uses ``seed``).

    A bridge of width w ties each of w nodes on one side to each of w nodes on the other. On
    the ring, the bridge to the next cluster leaves from local nodes 0..w-1 and the bridge
    from the previous cluster lands on nodes size-w..size-1, so the two never share a node
    (hence 2w <= size when c > 2). In a random tree a cluster's bridges to its children use
    successive blocks of w nodes, apart from the block its own parent bridge lands on, as
    long as there is room.
    """
    c = integer(clusters, "network.clusters", minimum=1)
    s = integer(size, "network.size", minimum=2)
    w = integer(width, "network.width", minimum=0, maximum=s)
    layout = choice(layout, "network.layout", LAYOUTS)
    internal = choice(internal, "network.internal", INTERNAL)
    if layout == "ring" and c > 2:
        require(
            2 * w <= s,
            "network.width",
            f"at most size/2 = {s // 2} on a ring of {c} clusters (each cluster's outgoing "
            "and incoming bridges use different nodes)",
            w,
        )
    iu, iv, kd = _cluster_ties(s, internal, internal_degree)
    gen = rng(seed)

    start = np.arange(c, dtype=np.int64) * s  # first node of each cluster
    u_in = (start[:, None] + iu[None, :]).ravel()
    v_in = (start[:, None] + iv[None, :]).ravel()

    a, b, a_pos, b_pos = _bridge_ends(layout, c, s, w, gen)
    # every bridging node of one side tied to every bridging node of the other (w x w)
    u_br, v_br = bridge(start[a][:, None] + a_pos, start[b][:, None] + b_pos)

    nodes = pd.DataFrame({"label": np.arange(c * s), "cluster": np.repeat(np.arange(c), s)})
    return Network.from_edges(
        c * s,
        np.concatenate([u_in, u_br]),
        np.concatenate([v_in, v_br]),
        nodes=nodes,
        name="clustered",
        meta={
            "clusters": c,
            "size": s,
            "width": w,
            "layout": layout,
            "internal": internal,
            "internal_degree": kd,
            "bridges": int(a.size),
        },
        simple=True,
    )


def _cluster_ties(s: int, internal: str, internal_degree: int | None
                  ) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The ties inside one cluster of ``s`` nodes (local indices) and the checked degree."""
    if internal == "ring":
        allowed = f"an even integer from 2 to size-1 = {s - 1} with network.internal=ring"
        if internal_degree is None:
            raise InputError(f"network.internal_degree: must be {allowed} (got None)")
        kd = integer(internal_degree, "network.internal_degree", allowed=allowed)
        require(kd % 2 == 0 and 2 <= kd < s, "network.internal_degree", allowed, kd)
        half = kd // 2
        iu = np.tile(np.arange(s, dtype=np.int64), half)
        iv = (iu + np.repeat(np.arange(1, half + 1, dtype=np.int64), s)) % s
    else:
        if internal_degree is not None:
            raise InputError(
                "network.internal_degree: only used with network.internal=ring; leave it "
                f"null for complete clusters (got {internal_degree!r})"
            )
        kd = None
        iu, iv = (x.astype(np.int64) for x in np.triu_indices(s, 1))
    return iu, iv, kd


def _bridge_ends(layout: str, c: int, s: int, w: int, gen: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which clusters a bridge joins (``a`` to ``b``) and the local nodes at each end: from
    ``a_pos`` in cluster a to the last ``w`` nodes of cluster b."""
    if layout == "ring":
        a = np.arange(c if c > 2 else c - 1, dtype=np.int64)
        b = (a + 1) % c
        rank = np.zeros(a.size, dtype=np.int64)
    else:
        b = np.arange(1, c, dtype=np.int64)
        a = gen.integers(0, b) if b.size else b.copy()  # parent: a random earlier cluster
        order = np.argsort(a, kind="stable")
        first = np.searchsorted(a[order], a[order])  # first child of the same parent
        rank = np.empty(a.size, dtype=np.int64)
        rank[order] = np.arange(a.size) - first
    t = np.arange(w, dtype=np.int64)
    period = s - w if s - w >= w else s  # keep clear of the block the parent bridge uses
    a_pos = (rank[:, None] * w + t[None, :]) % period
    b_pos = np.broadcast_to(s - w + t, a_pos.shape)
    return a, b, a_pos, b_pos
