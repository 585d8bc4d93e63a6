"""Argument checks shared by the generators, so every bad value fails the same way.

Each check raises ``InputError`` naming the config field (``network.k`` ...) and what is
allowed, which the command line prints as one line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

from sim.errors import InputError


def integer(
    value: object,
    field: str,
    minimum: int | None = None,
    maximum: int | None = None,
    allowed: str | None = None,
) -> int:
    """``value`` as an int within [minimum, maximum]; integral floats (1e3) are accepted."""
    if isinstance(value, bool) or not isinstance(value, Real):
        ok = False
    elif isinstance(value, Integral):
        ok = True
    else:
        ok = math.isfinite(float(value)) and float(value).is_integer()
    if ok:
        value = int(value)  # type: ignore[arg-type]
        ok = (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        if allowed is None:
            if minimum is not None and maximum is not None:
                allowed = f"an integer from {minimum} to {maximum}"
            elif minimum is not None:
                allowed = f"an integer >= {minimum}"
            elif maximum is not None:
                allowed = f"an integer <= {maximum}"
            else:
                allowed = "an integer"
        raise InputError(f"{field}: must be {allowed} (got {value!r})")
    return value  # type: ignore[return-value]


def number(value: object, field: str, minimum: float, maximum: float) -> float:
    """``value`` as a finite float within [minimum, maximum]."""
    ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(float(value))
    if ok:
        value = float(value)  # type: ignore[arg-type]
        ok = minimum <= value <= maximum
    if not ok:
        raise InputError(
            f"{field}: must be a number in [{minimum:g}, {maximum:g}] (got {value!r})"
        )
    return value  # type: ignore[return-value]


def choice(value: object, field: str, options: Iterable[str]) -> str:
    """``value`` if it is one of ``options``."""
    options = list(options)
    if not isinstance(value, str) or value not in options:
        raise InputError(f"{field}: must be one of: {', '.join(options)} (got {value!r})")
    return value


def rng(seed: object) -> np.random.Generator:
    """A generator from ``network.seed`` (None = fresh entropy, else a non-negative int)."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(
        integer(seed, "network.seed", minimum=0, allowed="a non-negative integer or null")
    )


def pair_key(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """One int64 per undirected tie, the same for (u, v) and (v, u)."""
    return np.minimum(u, v) * np.int64(n) + np.maximum(u, v)


def in_sorted(x: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Membership of each ``x`` in an already sorted array (cheaper than np.isin re-sorting)."""
    if sorted_keys.size == 0:
        return np.zeros(x.shape, dtype=bool)
    pos = np.searchsorted(sorted_keys, x)
    pos[pos == sorted_keys.size] = 0
    return sorted_keys[pos] == x


def first_of_each(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each distinct key.

    Sort based: ``np.unique`` in numpy 2.4 takes a hash path that is ~10x slower on millions
    of int64 keys.
    """
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    first = np.ones(ranked.size, dtype=bool)
    first[1:] = ranked[1:] != ranked[:-1]
    return order[first]


def unique_keys(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct keys (see ``first_of_each`` for why not ``np.unique``)."""
    ranked = np.sort(keys)
    first = np.ones(ranked.size, dtype=bool)
    first[1:] = ranked[1:] != ranked[:-1]
    return ranked[first]


def repeated_keys(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct keys that occur more than once."""
    ranked = np.sort(keys)
    return unique_keys(ranked[1:][ranked[1:] == ranked[:-1]])
