"""The observed diffusion a calibration is fitted to, checked against the network and horizon.

Two forms (the calibration config's ``observed:`` mapping):

- adoption times on a file network: ``node_times: <column>`` names a column of the node
  table (the step in which each node first adopted), ``never: <code>`` the data set's code for
  "never adopted" (Medical Innovation: 18, one past the last month; empty cells always mean
  never), ``group: <column>`` optionally a node column to compare per group (e.g. community);
- a time series: ``series: <path.csv>`` with columns ``step`` and ``adopters`` (cumulative
  adopters; names configurable with ``step:`` and ``adopters:``) and optionally ``group:``
  (a column present in both the CSV and the network's node table).

Either becomes the same thing: cumulative adopted fraction per group at the observed steps
(the ``curve`` statistic), plus, for node times, the times themselves (for the ``exposure``
statistic, which needs to know who adopted when).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.network import Network
from sim.errors import InputError

KEYS = ("node_times", "never", "group", "series", "step", "adopters")
ALL = "all"


@dataclass(frozen=True)
class Observed:
    """Cumulative adopted fractions per group and step; node times when known."""

    steps: np.ndarray            # observed steps, increasing, each in 1..horizon
    groups: tuple[str, ...]      # group labels (("all",) without groups)
    membership: np.ndarray       # node -> index into groups (-1: in no group)
    sizes: np.ndarray            # nodes per group
    curve: np.ndarray            # [group, step] cumulative adopted fraction
    times: np.ndarray | None     # per node: step of first adoption, inf = never

    @property
    def group_column(self) -> str | None:
        return None if self.groups == (ALL,) else "group"


def load(cfg: Mapping[str, Any], network: Network, horizon: int) -> Observed:
    """Check ``cfg`` (the ``observed:`` mapping) against the network and horizon; load it."""
    unknown = sorted(set(cfg) - set(KEYS))
    if unknown:
        raise InputError(f"observed.{unknown[0]}: unknown key; observed has: {', '.join(KEYS)}")
    has_times, has_series = cfg.get("node_times") is not None, cfg.get("series") is not None
    if has_times == has_series:
        raise InputError("observed: give exactly one of node_times: <node column> or "
                         "series: <path.csv>")
    groups, membership, sizes = _groups(network, cfg.get("group"))
    if has_times:
        times = node_times(network, cfg["node_times"], cfg.get("never"), horizon)
        steps = np.arange(1, horizon + 1)
        curve = curve_from_times(times, membership, sizes, steps)
        return Observed(steps, groups, membership, sizes, curve, times)
    steps, curve = _series(cfg, groups, sizes, horizon)
    return Observed(steps, groups, membership, sizes, curve, None)


def _groups(network: Network, column: Any) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    if column is None:
        return (ALL,), np.zeros(network.n, dtype=np.int64), np.array([network.n])
    if column not in network.nodes:
        raise InputError(f"observed.group: {column!r} is not a node attribute of the network; "
                         f"available: {', '.join(map(str, network.nodes.columns))}")
    values = network.nodes[column]
    labels = sorted(values.dropna().astype(str).unique(), key=_natural)
    index = {g: k for k, g in enumerate(labels)}
    membership = np.array([index.get(str(v), -1) if pd.notna(v) else -1 for v in values])
    sizes = np.bincount(membership[membership >= 0], minlength=len(labels))
    return tuple(labels), membership, sizes


def _natural(label: str) -> tuple:
    return (0, float(label), "") if _is_number(label) else (1, 0.0, label)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def node_times(network: Network, column: Any, never: Any, horizon: int) -> np.ndarray:
    """Each node's adoption step (inf: never), checked: whole numbers from 1 to the horizon."""
    if not isinstance(column, str) or column not in network.nodes:
        raise InputError(f"observed.node_times: {column!r} is not a column of the node table; "
                         f"available: {', '.join(map(str, network.nodes.columns))}")
    raw = network.nodes[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & values.isna()
    if bad.any():
        raise InputError(f"observed.node_times: column {column!r} must hold step numbers "
                         f"(row {int(np.flatnonzero(bad)[0])} is {raw[bad].iloc[0]!r})")
    times = values.to_numpy(float).copy()
    if never is not None:
        times[times == float(never)] = np.inf
    times[np.isnan(times)] = np.inf
    finite = np.isfinite(times)
    if np.any(times[finite] != np.round(times[finite])) or np.any(times[finite] < 0):
        raise InputError(f"observed.node_times: column {column!r} must hold whole steps >= 0 "
                         "(or the never code, or empty)")
    if finite.any() and times[finite].max() > horizon:
        never_hint = "" if never is not None else " (if it codes 'never adopted', set " \
            "observed.never)"
        raise InputError(f"observed.node_times: step {times[finite].max():g} is beyond the "
                         f"horizon steps={horizon}{never_hint}")
    return times


def curve_from_times(times: np.ndarray, membership: np.ndarray, sizes: np.ndarray,
                     steps: np.ndarray) -> np.ndarray:
    """[group, step] share of each group that adopted at or before each step."""
    inside = membership >= 0
    out = np.zeros((len(sizes), len(steps)))
    for k, step in enumerate(steps):
        adopted = inside & (times <= step)
        out[:, k] = np.bincount(membership[adopted], minlength=len(sizes))
    return out / np.maximum(sizes, 1)[:, None]


def _series(cfg: Mapping[str, Any], groups: tuple[str, ...], sizes: np.ndarray,
            horizon: int) -> tuple[np.ndarray, np.ndarray]:
    path = Path(str(cfg["series"]))
    if not path.is_file():
        raise InputError(f"observed.series: no such file: {path}")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"observed.series: cannot read {path.name} as CSV ({err})") from None
    step_col, count_col = cfg.get("step", "step"), cfg.get("adopters", "adopters")
    group_col = cfg.get("group")
    for key, col in (("step", step_col), ("adopters", count_col), ("group", group_col)):
        if col is not None and col not in table:
            raise InputError(f"observed.{key}: column {col!r} not in {path.name} (columns: "
                             f"{', '.join(map(str, table.columns))})")
    for key, col in (("step", step_col), ("adopters", count_col)):
        values = pd.to_numeric(table[col], errors="coerce")
        if values.isna().any() or (values < 0).any() or (values != values.round()).any():
            raise InputError(f"observed.{key}: column {col!r} must hold whole numbers >= 0")
    if table[step_col].max() > horizon:
        raise InputError(f"observed.step: step {int(table[step_col].max())} is beyond the "
                         f"horizon steps={horizon}")
    if (table[step_col] < 1).any():
        raise InputError("observed.step: steps count from 1 (step 0 is the initial state)")
    steps = np.array(sorted(table[step_col].astype(int).unique()))
    labels = table[group_col].astype(str) if group_col else pd.Series(ALL, index=table.index)
    curve = np.full((len(groups), len(steps)), np.nan)
    for (label, step), count in zip(zip(labels, table[step_col].astype(int), strict=True),
                                    table[count_col], strict=True):
        if label not in groups:
            raise InputError(f"observed.group: group {label!r} of {path.name} is not a value "
                             f"of the network's {group_col!r} column")
        g = groups.index(label)
        if count > sizes[g]:
            raise InputError(f"observed.adopters: {int(count)} adopters at step {step} in "
                             f"{label!r}, more than its {int(sizes[g])} nodes")
        curve[g, np.searchsorted(steps, step)] = count / sizes[g]
    if np.isnan(curve).any():
        raise InputError("observed.series: every group needs a row for every observed step")
    return steps, curve
