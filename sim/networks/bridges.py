"""A bridge of width w: the one definition used by every part of pasim that builds bridges.

A bridge of width w joins w nodes on one side to w nodes on the other, every pair tied:
w x w overlapping ties, so each bridging node gets w reinforcing contacts across it and a
threshold-T contagion crosses exactly when w >= T (Centola & Macy 2007, *Complex contagions
and the weakness of long ties*, AJS 113(3)). w disjoint ties would never carry T >= 2: no
far-side node would see two adopters. The ``clustered`` network's bridges and convening's
wide bridges both come from ``bridge``.
"""

from __future__ import annotations

import numpy as np


def bridge(near: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ties (u, v) of bridges joining each row of ``near`` to the same row of ``far``.

    ``near`` and ``far`` are node indices, one bridge per row (shape (bridges, w)), or one
    bridge as two 1-D arrays of w nodes. Every near node of a row is tied to every far node
    of that row; ties are listed bridge by bridge, near node by near node.
    """
    near, far = np.atleast_2d(near), np.atleast_2d(far)
    u = np.repeat(near[:, :, None], far.shape[1], axis=2).ravel()
    v = np.repeat(far[:, None, :], near.shape[1], axis=1).ravel()
    return u, v


def bridge_ties(width: int) -> int:
    """How many ties a bridge of ``width`` has (what it costs to build one)."""
    return width * width
