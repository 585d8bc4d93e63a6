"""Who adopts first: a list of nodes or a seeding strategy.

Complex contagions need clustered seeds: a node plus its neighbourhood gives every
neighbour reinforcement from several adopters at once (Centola & Macy 2007), while the
same number of scattered seeds may never start a cascade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from sim.engine.network import Network
from sim.errors import InputError

STRATEGIES = ("random", "neighbourhood", "degree", "nodes")


def choose_seeds(
    network: Network,
    spec: Iterable | Mapping[str, Any] | None,
    rng: np.random.Generator,
    field: str = "seeding",
) -> np.ndarray:
    """Return the sorted node indices of the initial adopters.

    ``spec`` is ``None`` (no seeds), an iterable of node labels (as in the source graph),
    a boolean mask of length n (the nodes where it is true), or a mapping
    ``{"strategy": ..., ...}``:
    - ``random``: ``k`` nodes uniformly at random;
    - ``neighbourhood``: ``node`` (a label; random if omitted) and all its neighbours;
    - ``degree``: the ``k`` nodes of highest degree (ties broken by node order);
    - ``nodes``: ``nodes`` = a list of labels.
    """
    n = network.n
    if spec is None:
        return np.empty(0, dtype=np.int64)
    if isinstance(spec, Mapping):
        params = dict(spec)
        strategy = params.pop("strategy", None)
        if strategy not in STRATEGIES:
            raise InputError(f"{field}.strategy: must be one of {', '.join(STRATEGIES)} "
                             f"(got {strategy!r})")
        if strategy == "random":
            k = _k(params, n, field)
            return np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)
        if strategy == "degree":
            k = _k(params, n, field)
            order = np.argsort(-network.degree, kind="stable")
            return np.sort(order[:k]).astype(np.int64)
        if strategy == "neighbourhood":
            node = params.get("node")
            i = int(rng.integers(n)) if node is None else _indices(network, [node], field)[0]
            return np.unique(np.concatenate([[i], network.neighbours(i)])).astype(np.int64)
        return _indices(network, params.get("nodes", []), f"{field}.nodes")
    if isinstance(spec, str | bytes) or not isinstance(spec, Iterable):
        raise InputError(f"{field}: give a list of nodes, a boolean mask of length {n} or a "
                         f"strategy mapping (got {spec!r})")
    labels = list(spec)
    if labels and all(isinstance(x, bool | np.bool_) for x in labels):
        return _mask(labels, n, field)
    return _indices(network, labels, field)


def _mask(values: list, n: int, field: str) -> np.ndarray:
    """A boolean mask selects the nodes where it is true (it is not a list of labels)."""
    if len(values) != n:
        raise InputError(f"{field}: a boolean mask needs one value per node ({n}), "
                         f"got {len(values)}")
    return np.flatnonzero(np.asarray(values, dtype=bool)).astype(np.int64)


def _k(params: Mapping[str, Any], n: int, field: str) -> int:
    k = params.get("k")
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or not 0 <= k <= n:
        raise InputError(f"{field}.k: must be an integer in 0..{n} (the network's size), "
                         f"got {k!r}")
    return int(k)


def _indices(network: Network, labels: list, field: str) -> np.ndarray:
    """Map node labels to node indices, rejecting unknown labels and oversized sets."""
    if len(labels) > network.n:
        raise InputError(f"{field}: {len(labels)} initial adopters but the network has only "
                         f"{network.n} nodes")
    label_col = network.nodes["label"]
    if label_col.dtype.kind in "iu" and np.array_equal(label_col.to_numpy(), np.arange(network.n)):
        idx = np.asarray(labels, dtype=object)
        ok = np.array([isinstance(x, int | np.integer) and 0 <= x < network.n for x in labels])
        if not ok.all():
            bad = idx[~ok][0]
            raise InputError(f"{field}: unknown node {bad!r}; nodes are 0..{network.n - 1}")
        return np.unique(np.asarray(labels, dtype=np.int64))
    lookup = {label: i for i, label in enumerate(label_col.tolist())}
    try:
        out = [lookup[x] for x in labels]
    except KeyError as err:
        raise InputError(f"{field}: unknown node {err.args[0]!r} (not in the network)") from None
    return np.unique(np.asarray(out, dtype=np.int64))
