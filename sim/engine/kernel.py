"""The step's per-agent loops compiled with numba, the NumPy code as the fallback.

A week of the real England is ~10^4 agents, nearly all of whom face a random decision
(spontaneous adoption, noise, lapse). In NumPy each decision is ten or so whole-array passes
(masks, the counter-based hash of ``sim.engine.streams``, comparisons, gathers), each a few
microseconds plus Python's overhead, so a step cost ~0.7 ms where the arithmetic is tens of
microseconds. Here the same rules are loops over the agents, compiled once (and cached on
disk), that touch each agent once: what ``sim.engine.batch`` calls when numba is installed.

Nothing here may change a number. Every loop does the same integer arithmetic (SplitMix64
wraps mod 2^64 in both) and the same floating-point operations in the same order as the
NumPy code it replaces: a float32 weight times a float64 delta is the float64 product in
both, and the scatter-adds go in the order ``np.add.at`` takes them. ``tests/test_kernel.py``
runs both on the same workloads and asks for identical trajectories, step by step.

The backend is ``numba`` when it imports and ``numpy`` otherwise; ``PASIM_KERNEL=numpy``
chooses the fallback (to compare, or where numba has no wheel), ``use("numpy")`` too.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from sim.errors import InputError

BACKENDS = ("numba", "numpy")

_chosen: list[str] = []  # the backend in use, once decided (a list: set in place)


def backend() -> str:
    """``"numba"`` or ``"numpy"``: which code steps the models (decided on first use)."""
    if not _chosen:
        wanted = os.environ.get("PASIM_KERNEL", "").strip() or None
        if wanted is not None and wanted not in BACKENDS:
            raise InputError(f"PASIM_KERNEL: must be one of {', '.join(BACKENDS)} "
                             f"(got {wanted!r})")
        _chosen.append(wanted or ("numba" if _numba_importable() else "numpy"))
    return _chosen[0]


@contextlib.contextmanager
def use(name: str) -> Iterator[None]:
    """Step with backend ``name`` inside the block (tests and benchmarks compare them)."""
    if name not in BACKENDS:
        raise InputError(f"kernel: must be one of {', '.join(BACKENDS)} (got {name!r})")
    before = backend()
    _chosen[0] = name
    try:
        yield
    finally:
        _chosen[0] = before


def compiled() -> bool:
    """Whether the compiled loops are in use this step."""
    return backend() == "numba"


def _numba_importable() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def kernels() -> Any:
    """The compiled functions (numba is imported on first use: ~0.4 s a process saved
    for the commands that never step a model)."""
    from sim.engine import loops

    return loops


def call(name: str) -> Callable[..., Any]:
    """The compiled loop ``name`` of ``sim.engine.loops``."""
    return getattr(kernels(), name)
