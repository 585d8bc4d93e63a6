"""Work that depends only on a network (or its node table), done once per object.

Replicates of one parameter set on one shared network repeat the same preparation: group
codes of the tracked columns, the discounted tie matrix, the reach cap, an event's audience
pools. ``once(owner, key, compute)`` keeps ``compute()``'s result for as long as ``owner``
lives (a weak reference: nothing is kept alive by it), so every replicate after the first
reuses it. Owners are treated as unchanging once used: a network is frozen, and its node
table must not be edited in place after a model has been built on it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_RESULTS: dict[int, tuple[weakref.ref, dict[Hashable, Any]]] = {}


def once(owner: object, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` the first time ``(owner, key)`` is asked for, the same result after."""
    entry = _RESULTS.get(id(owner))
    if entry is None or entry[0]() is not owner:
        ident = id(owner)
        entry = (weakref.ref(owner, lambda _ref: _RESULTS.pop(ident, None)), {})
        _RESULTS[ident] = entry
    results = entry[1]
    if key not in results:
        results[key] = compute()
    return results[key]


def recent(owner: object, kind: str, key: Hashable, compute: Callable[[], T],
           size: int = 4) -> T:
    """``once`` for results that vary with continuous parameters (coherence, influence ...):
    only the ``size`` most recently made of this ``kind`` are kept, so a calibration or an
    optimiser trying thousands of values does not keep thousands of matrices."""
    kept: dict[Hashable, Any] = once(owner, kind, dict)
    if key not in kept:
        if len(kept) >= size:
            kept.pop(next(iter(kept)))
        kept[key] = compute()
    return kept[key]


def digest(*arrays: Any) -> bytes:
    """A key for per-node arrays (coherence, influence ...): their bytes, hashed."""
    import hashlib

    import numpy as np

    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    return h.digest()
