"""Adoption thresholds: how much reinforcement each agent needs before it adopts.

Two kinds, as in the literature:
- ``count``: adopt when exposure E_i >= T_i (Centola & Macy 2007, complex contagion);
- ``fraction``: adopt when E_i / D_i >= phi_i, D_i the agent's weighted degree
  (Granovetter 1978; Watts 2002).
A threshold may be one number, one number per node, or a named distribution drawn per node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.errors import InputError

THRESHOLD_KINDS = ("count", "fraction")

#: name -> (numpy Generator method, required parameters)
DISTRIBUTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "constant": ("", ("value",)),
    "uniform": ("uniform", ("low", "high")),
    "normal": ("normal", ("mean", "sd")),
    "lognormal": ("lognormal", ("mean", "sigma")),
    "beta": ("beta", ("a", "b")),
    "poisson": ("poisson", ("lam",)),
    "integers": ("integers", ("low", "high")),  # inclusive of both ends
}


def draw_thresholds(
    spec: float | int | np.ndarray | Mapping[str, Any] | list,
    n: int,
    kind: str,
    rng: np.random.Generator,
    field: str = "model.threshold",
) -> np.ndarray:
    """Return a float array of n thresholds from ``spec``.

    ``spec`` is a number, an array of length n, or a mapping ``{"dist": name, ...params}``
    with optional ``min``/``max`` clipping (a normal distribution of count thresholds would
    otherwise give agents that adopt with no exposure at all).
    """
    if kind not in THRESHOLD_KINDS:
        raise InputError(f"model.threshold_kind: must be one of {', '.join(THRESHOLD_KINDS)} "
                         f"(got {kind!r})")
    if isinstance(spec, bool | np.bool_ | str | bytes) or (
            not isinstance(spec, Mapping) and np.asarray(spec).dtype.kind not in "iuf"):
        raise InputError(f"{field}: must be a number, an array of numbers or a distribution "
                         f"(got {spec!r})")
    if isinstance(spec, Mapping):
        values = _draw_distribution(spec, n, rng, field)
    elif np.ndim(spec) == 0:
        try:
            values = np.full(n, float(spec))
        except (TypeError, ValueError):
            raise InputError(f"{field}: must be a number, an array or a distribution "
                             f"(got {spec!r})") from None
    else:
        values = np.asarray(spec, dtype=float)
        if values.shape != (n,):
            raise InputError(f"{field}: a per-node array must have one value per node "
                             f"({n}), got shape {values.shape}")
    check_thresholds(values, kind, field)
    return values


def check_thresholds(values: np.ndarray, kind: str, field: str = "model.threshold") -> None:
    """Count thresholds must be > 0 (else agents adopt unexposed); fractions in (0, 1]."""
    if not np.all(np.isfinite(values)):
        raise InputError(f"{field}: must be finite numbers")
    if kind == "count" and np.any(values <= 0):
        raise InputError(f"{field}: count thresholds must be > 0 (got min {values.min():g})")
    if kind == "fraction" and (np.any(values <= 0) or np.any(values > 1)):
        raise InputError(f"{field}: fraction thresholds must be in (0, 1] "
                         f"(got range {values.min():g}..{values.max():g})")


def _draw_distribution(
    spec: Mapping[str, Any], n: int, rng: np.random.Generator, field: str
) -> np.ndarray:
    params = dict(spec)
    name = params.pop("dist", None)
    if name not in DISTRIBUTIONS:
        raise InputError(f"{field}.dist: must be one of {', '.join(DISTRIBUTIONS)} "
                         f"(got {name!r})")
    lo_clip, hi_clip = params.pop("min", None), params.pop("max", None)
    method, required = DISTRIBUTIONS[name]
    missing = [p for p in required if p not in params]
    extra = [p for p in params if p not in required]
    if missing or extra:
        raise InputError(f"{field}: distribution {name!r} takes {', '.join(required)} "
                         f"(+ optional min, max); missing {missing}, unknown {extra}")
    for key, value in {**{p: params[p] for p in required}, "min": lo_clip, "max": hi_clip}.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InputError(f"{field}.{key}: must be a number (got {value!r})")
    args = [float(params[p]) for p in required]
    if name == "constant":
        values = np.full(n, args[0])
    elif name == "integers":
        values = rng.integers(int(args[0]), int(args[1]), size=n, endpoint=True).astype(float)
    else:
        values = getattr(rng, method)(*args, size=n).astype(float)
    if lo_clip is not None or hi_clip is not None:
        values = np.clip(values, lo_clip, hi_clip)
    return values
