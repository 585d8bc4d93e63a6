"""The step of many replicates at once: state as R x n arrays, one replicate per row.

Replicates of one parameter set (and lever settings) that share a network differ only in
their arrays (thresholds, seeds, influence, who adopted) and in the ties they build, so they
can advance together: ``Batch(models).run(steps)`` steps R ``AdoptionModel`` s in lockstep,
each model's ``adopted``, ``aware``, ``exposure`` ... becoming a row of the batch's arrays (so
its interventions, summaries and history work as usual). What makes a replicate's trajectory
in a batch *identical* to running it alone is that a model alone steps through the very same
code, as a batch of one (``AdoptionModel.step`` calls ``advance``), and that every operation
here is either elementwise or done row by row in the same order:

- the decisions (adopt above threshold, noise, spontaneous adoption, lapse) compare each
  agent's own counter-based uniform (``sim.engine.streams``: a hash of (seed, decision, step,
  agent)) with its replicate's rate, so drawing for R x n agents at once gives each the number
  it gets alone;
- exposure is updated incrementally from the agents that changed, with ``np.add.at`` in the
  order the agents changed (per element the same additions in the same order as alone); a
  replicate in which more than ``FULL_RECOMPUTE_SHARE`` of the agents changed is recomputed
  with its own full product, as alone;
- the ties each replicate builds during the run stay its own (``sim.engine.built``), applied
  to its row by its own model before the step.

Replicates whose network matrices are the same objects share one gather per step (``Batch``
makes models with the same network, coherence and alignment share them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from sim.engine import kernel
from sim.engine.built import gather_rows
from sim.engine.streams import mix

#: Exposure sums are floating point; an agent exactly at threshold must adopt whatever the
#: order of summation, so comparisons allow this much rounding.
EPS = 1e-9

#: Above this share of changed agents a full sparse product is cheaper than scatter-adds.
FULL_RECOMPUTE_SHARE = 0.05

#: the per-step rates a model has, read after its interventions (which may change them)
RATES = ("adoption_rate", "noise", "spontaneous_rate", "lapse_rate")

#: model arrays that become rows of the batch's arrays
ROWS = ("adopted", "aware", "exposure", "effective_threshold", "committed", "influence")


@dataclass
class State:
    """The arrays of R models, one row each (``ROWS``), and the group-count bookkeeping."""

    adopted: np.ndarray
    aware: np.ndarray
    exposure: np.ndarray
    effective_threshold: np.ndarray
    committed: np.ndarray
    influence: np.ndarray
    recorded: tuple[np.ndarray, np.ndarray] | None  # adopted and aware at the last record
    counts: np.ndarray | None  # (R, 2 x bins): group counts of adopted, then aware

    @classmethod
    def of_one(cls, model: Any) -> State:
        """A model's own arrays as a batch of one (views: the step writes into the model),
        made again only when one of them has been rebound (the views keep the arrays they
        were made from alive, so an ``id`` cannot be reused while they are kept)."""
        kept = getattr(model, "_solo_state", None)
        if kept is not None and kept[0] == _identity(model):
            return kept[1]
        state = cls._views_of(model)  # may make an array contiguous: identity after it
        model._solo_state = (_identity(model), state)
        return state

    @classmethod
    def _views_of(cls, model: Any) -> State:
        for name in ROWS:
            if not getattr(model, name).flags.c_contiguous:
                setattr(model, name, np.ascontiguousarray(getattr(model, name)))
        track = model._track_state
        return cls(*(getattr(model, name)[None] for name in ROWS),
                   recorded=None if track is None else (track[0][None], track[1][None]),
                   counts=None if track is None else track[2][None])

    @classmethod
    def stacked(cls, models: Sequence[Any]) -> State:
        """The models' arrays copied into R x n arrays; each model's become rows of them."""
        arrays = [np.stack([getattr(m, name) for m in models]) for name in ROWS]
        tracked = models[0]._track_state is not None
        recorded = tuple(np.stack([m._track_state[i] for m in models]) for i in (0, 1)) \
            if tracked else None
        counts = np.stack([m._track_state[2] for m in models]) if tracked else None
        for r, m in enumerate(models):
            for name, array in zip(ROWS, arrays, strict=True):
                setattr(m, name, array[r])
            if tracked:
                m._track_state = (recorded[0][r], recorded[1][r], counts[r])
        return cls(*arrays, recorded=recorded, counts=counts)


def _identity(model: Any) -> tuple[int, ...]:
    """Which arrays a model's state is now (``State.of_one``'s key)."""
    return (*(id(getattr(model, name)) for name in ROWS), id(model._track_state))


@dataclass
class Group:
    """Replicates (rows) whose network matrices are the same objects: one gather for all."""

    rows: np.ndarray  # bool mask over the batch's rows
    model: Any  # one of them: whose ``_net`` they share


def groups_of(models: Sequence[Any]) -> list[Group]:
    """The rows of ``models`` grouped by the identity of their network matrices."""
    found: dict[tuple[int, int], list[int]] = {}
    for r, m in enumerate(models):
        found.setdefault((id(m._net[2]), id(m._net[3])), []).append(r)
    out = []
    for rows in found.values():
        mask = np.zeros(len(models), dtype=bool)
        mask[rows] = True
        out.append(Group(mask, models[rows[0]]))
    return out


class Batch:
    """R models on one network stepped together; each trajectory as if it ran alone.

    The models must have the same number of agents and the same tracked attributes (built
    from one config, e.g. ``sim.world.build.build_model`` per replicate seed), and have taken
    the same number of steps. After ``Batch(models)`` their arrays are rows of the batch's
    (do not rebind them); step them with ``batch.step()`` / ``batch.run(steps)``, not alone.
    """

    def __init__(self, models: Sequence[Any]) -> None:
        self.models = list(models)
        if not self.models:
            raise ValueError("Batch: needs at least one model")
        first = self.models[0]
        for m in self.models[1:]:
            if m.n != first.n or m.steps != first.steps:
                raise ValueError("Batch: models must have the same agents and steps taken")
            if m._track_bins != first._track_bins or (
                    m._track_codes is not first._track_codes
                    and not np.array_equal(m._track_codes, first._track_codes)):
                raise ValueError("Batch: models must track the same node attributes")
        _share_network_matrices(self.models)
        self.state = State.stacked(self.models)
        self.groups = groups_of(self.models)

    def step(self) -> None:
        for m in self.models:
            m.steps += 1  # what Mesa's step wrapper does for a model stepped alone
        advance(self.models, self.state, self.groups)

    def run(self, steps: int) -> Batch:
        for _ in range(int(steps)):
            self.step()
        return self


def _share_network_matrices(models: Sequence[Any]) -> None:
    """Models on the same network with equal coherence and alignment have equal network
    matrices: let them share one copy (one gather per step for all, less memory)."""
    leaders: list[Any] = []
    for m in models:
        for leader in leaders:
            if (m.network is leader.network and np.array_equal(m.coherence, leader.coherence)
                    and np.array_equal(m.alignment, leader.alignment)):
                m._net = leader._net
                break
        else:
            leaders.append(m)


def advance(models: Sequence[Any], state: State, groups: Sequence[Group]) -> None:
    """One synchronous step of every model (``steps`` already counted): every agent decides
    from the state at the start of it. The compiled loops (``sim.engine.loops``) or the
    NumPy code (``sim.engine.kernel``): the same numbers either way."""
    for m in models:
        m._start_step()  # interventions, then ties built or faded
    step = _step_compiled if kernel.compiled() else _step_numpy
    new, lapsed = step(models, state, groups)
    _record(models, state, new, lapsed)


def _step_numpy(models: Sequence[Any], state: State, groups: Sequence[Group]
                ) -> tuple[np.ndarray, np.ndarray]:
    """The decisions, then adoption, exposure and awareness updated, in whole-array NumPy;
    returns how many adopted and lapsed in each row."""
    gained, lapsed = _Decisions(models, state).take()
    R, n = state.adopted.shape
    adopted = state.adopted.reshape(-1)
    adopted[gained] = True
    adopted[lapsed] = False
    changed = np.concatenate([gained, lapsed])
    if changed.size:
        influence = state.influence.reshape(-1)
        delta = np.concatenate([influence[gained], -influence[lapsed]])
        _update_exposure(models, state, groups, changed, delta)
    spread_awareness(models, groups, state.aware, gained // n, gained % n)
    return np.bincount(gained // n, minlength=R), np.bincount(lapsed // n, minlength=R)


def _step_compiled(models: Sequence[Any], state: State, groups: Sequence[Group]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``_step_numpy`` as compiled loops: ``loops.step_rows`` once per group (the network's
    ties), then ``loops.built_row`` for each replicate with built ties, and a full product
    for a row in which many agents changed, as ``_step_numpy`` does."""
    R, n = state.adopted.shape
    base_keys, steps, limits, faced = _compiled_inputs(models)
    gained = np.empty(R * n, dtype=np.int64)
    lapsed = np.empty(R * n, dtype=np.int64)
    per_row = np.zeros((R, 5), dtype=np.int64)
    n_gained = n_lapsed = n_full = 0
    step_rows = kernel.call("step_rows")
    for group in groups:
        weights, reinforcement = group.model._net[2], group.model._net[3]
        n_gained, n_lapsed, full = step_rows(
            state.adopted, state.aware, state.exposure, state.effective_threshold,
            state.committed, state.influence, models[0].draws.counter, base_keys, steps,
            limits, faced, EPS, FULL_RECOMPUTE_SHARE * n, reinforcement.indptr,
            reinforcement.indices, reinforcement.data, weights.indptr, weights.indices,
            group.rows, gained, lapsed, n_gained, n_lapsed, per_row)
        n_full += full
    for r in np.flatnonzero(per_row[:, 4]) if n_full else ():
        state.exposure[r] = models[r]._product(1, state.adopted[r] * state.influence[r])
    for r, m in enumerate(models):
        if m._extra is not None and per_row[r, 1] + per_row[r, 3]:
            g0, g, l0, lost, full = per_row[r]
            kernel.call("built_row")(state.exposure[r], state.aware[r], state.influence[r],
                                     gained, g0, g0 + g, lapsed, l0, l0 + lost, r * n, full,
                                     *m._extra.by_column())
    return per_row[:, 1], per_row[:, 3]


#: (limits, faced) of each combination of rates seen (``_compiled_inputs``)
_INPUTS: dict[tuple[float, ...], tuple[np.ndarray, np.ndarray]] = {}


def _compiled_inputs(models: Sequence[Any]) -> tuple[np.ndarray, ...]:
    """Per row: the decisions' keys (``AgentDraws.base_keys``) and its step; per row and
    decision (``RATES`` order): the largest hash that takes the decision, and whether the
    row faces it (``loops._decide_row``'s ``faced``)."""
    rates = tuple(rate for m in models for rate in
                  (m.adoption_rate, m.noise, m.spontaneous_rate, m.lapse_rate))  # RATES
    if rates not in _INPUTS:
        if len(_INPUTS) > 4096:
            _INPUTS.clear()
        shape = (len(models), len(RATES))
        limit = [_limit(float(x)) for x in rates]
        rate = np.array(rates).reshape(shape)
        faced = (rate > 0.0).astype(np.uint8)
        some = np.array([c >= 0 for c in limit]).reshape(shape)
        faced[:, 0] = np.where(some[:, 0], 1, 2) * (rate[:, 0] < 1.0)
        limits = np.array([max(c, 0) for c in limit], dtype=np.uint64).reshape(shape)
        _INPUTS[rates] = (limits, faced)
    limits, faced = _INPUTS[rates]
    base = (models[0].draws.base_keys[None] if len(models) == 1
            else np.stack([m.draws.base_keys for m in models]))
    return base, np.array([m.steps for m in models], dtype=np.int64), limits, faced


class _Decisions:
    """The step's random decisions for all rows at once.

    Agent i of row r faces a decision with its uniform u = k / 2^53, k = hash >> 11
    (``sim.engine.streams``), and takes it when u < rate. With c = ceil(rate * 2^53) that is
    exactly k < c, i.e. hash <= c * 2^11 - 1: compared on the integer hash, never rounded.
    When most agents of the rows face the decision (spontaneous adoption: every
    non-adopter), hashing every agent of those rows in blocks is cheaper than gathering the
    faced ones; either way each agent gets its own number, so the results are the same.
    """

    #: above this share of faced agents, hash everyone
    DENSE = 0.25
    #: agents hashed per block (temporaries that stay in cache)
    BLOCK = 1 << 15

    def __init__(self, models: Sequence[Any], state: State) -> None:
        self.models, self.state = models, state
        self.R, self.n = state.adopted.shape
        self.rates = {name: np.array([float(getattr(m, name)) for m in models]) for name in RATES}
        self.counter = models[0].draws.counter

    def _limits(self, rate_name: str) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the largest hash below the rate, and whether the rate is above 0."""
        limit = [_limit(float(x)) for x in self.rates[rate_name]]
        return (np.array([max(c, 0) for c in limit], dtype=np.uint64),
                np.array([c >= 0 for c in limit]))

    def _keys(self, decision: str) -> np.ndarray:
        return np.array([m.draws.step_key(decision, m.steps) for m in self.models],
                        dtype=np.uint64)

    def draw(self, decision: str, rate_name: str, idx: np.ndarray) -> np.ndarray:
        """Whether each agent at flat index ``idx`` draws below its row's rate."""
        limit, some = self._limits(rate_name)
        keys = self._keys(decision)
        if self.R == 1:
            hit = mix(self.counter[idx] + keys[0]) <= limit[0]
            return hit if some[0] else np.zeros_like(hit)
        rows, agents = np.divmod(idx, self.n)
        return (mix(self.counter[agents] + keys[rows]) <= limit[rows]) & some[rows]

    def dense(self, decision: str, rate_name: str) -> np.ndarray:
        """Whether every agent draws below its row's rate (R x n), hashed in blocks."""
        limit, some = self._limits(rate_name)
        keys = self._keys(decision)
        hits = np.empty((self.R, self.n), dtype=bool)
        per_block = max(1, self.BLOCK // self.n)
        for first in range(0, self.R, per_block):
            rows = slice(first, first + per_block)
            z = self.counter[None, :] + keys[rows, None]
            np.less_equal(mix(z), limit[rows, None], out=hits[rows])
        if not some.all():
            hits &= some[:, None]
        return hits

    def adopt_where(self, new: np.ndarray, decision: str, rate_name: str,
                    facing: np.ndarray) -> None:
        """new |= facing & (u < rate): hashing every agent when most face the decision."""
        count = np.count_nonzero(facing)
        if count > self.DENSE * facing.size:
            facing &= self.dense(decision, rate_name)
            new |= facing
        elif count:
            idx = np.flatnonzero(facing)
            new.reshape(-1)[idx[self.draw(decision, rate_name, idx)]] = True

    def rows(self, name: str, active: Any) -> np.ndarray | bool | None:
        """Rows whose rate ``name`` makes them face the decision, as a mask to combine with
        the agents' (True: all rows; None: no row)."""
        rows = active(self.rates[name])
        if rows.all():
            return True
        return rows[:, None] if rows.any() else None

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """Flat indices of the agents that adopt and of those that lapse this step."""
        s = self.state
        adopted = s.adopted
        above = s.exposure >= s.effective_threshold - EPS
        under = ~above
        candidates = ~adopted
        new = candidates & above
        rows = self.rows("adoption_rate", lambda rate: rate < 1.0)
        if rows is not None:  # above threshold, but not this week
            idx = np.flatnonzero(_within(new, rows))
            new.reshape(-1)[idx[~self.draw("adopt", "adoption_rate", idx)]] = False
        rows = self.rows("noise", lambda rate: rate > 0.0)
        if rows is not None:
            facing = candidates & under
            facing &= s.aware
            self.adopt_where(new, "noise", "noise", _within(facing, rows))
        rows = self.rows("spontaneous_rate", lambda rate: rate > 0.0)
        if rows is not None:
            facing = ~new
            facing &= candidates
            self.adopt_where(new, "spontaneous", "spontaneous_rate", _within(facing, rows))
        lapsed = np.empty(0, dtype=np.int64)
        rows = self.rows("lapse_rate", lambda rate: rate > 0.0)
        if rows is not None:
            facing = adopted & under
            facing &= ~s.committed
            idx = np.flatnonzero(_within(facing, rows))
            lapsed = idx[self.draw("lapse", "lapse_rate", idx)]
        return np.flatnonzero(new), lapsed


@lru_cache(maxsize=256)
def _limit(rate: float) -> int:
    """The largest hash that draws below ``rate`` (``_Decisions``), -1 for a rate of 0:
    with c = ceil(rate * 2^53), u = k / 2^53 < rate exactly when k < c."""
    c = math.ceil(rate * 2.0**53)
    return min(c, 1 << 53) * 2048 - 1 if c > 0 else -1


def _within(mask: np.ndarray, rows: np.ndarray | bool) -> np.ndarray:
    return mask if rows is True else mask & rows


def _update_exposure(models: Sequence[Any], state: State, groups: Sequence[Group],
                     changed: np.ndarray, delta: np.ndarray) -> None:
    """Exposure after the agents ``changed`` (flat indices) changed their adoption by
    ``delta`` (their influence, negative for a lapse): scatter-adds of their columns, or a
    replicate's full product when many of its agents changed."""
    R, n = state.adopted.shape
    rows, agents = changed // n, changed % n
    full = np.bincount(rows, minlength=R) > FULL_RECOMPUTE_SHARE * n
    for r in np.flatnonzero(full):
        state.exposure[r] = models[r]._product(1, state.adopted[r] * state.influence[r])
    incremental = ~full[rows]
    exposure = state.exposure.reshape(-1)
    for group in groups:
        sel = incremental & group.rows[rows]
        if sel.any():
            indices, data, per_agent = gather_rows(group.model._net[3], agents[sel])
            targets = np.repeat(rows[sel] * n, per_agent) + indices
            np.add.at(exposure, targets, data * np.repeat(delta[sel], per_agent))
    for r in _rows_with_built_ties(models, rows[incremental]):
        sel = incremental & (rows == r)
        _built_exposure(models[r], state.exposure[r], agents[sel], delta[sel])


def _built_exposure(model: Any, exposure: np.ndarray, agents: np.ndarray,
                    delta: np.ndarray) -> None:
    """One replicate's exposure moved by its built ties' columns of ``agents`` (in order)."""
    indices, data, per_agent = model._extra.columns(3, agents)
    np.add.at(exposure, indices, data * np.repeat(delta, per_agent))


def _built_awareness(model: Any, aware: np.ndarray, agents: np.ndarray) -> None:
    """Whoever one replicate's built ties make hear from its new adopters ``agents``."""
    indices, _, _ = model._extra.columns(2, agents)
    aware[indices] = True


def _rows_with_built_ties(models: Sequence[Any], rows: np.ndarray) -> list[int]:
    """The rows among ``rows`` whose replicate has built ties."""
    built = [r for r, m in enumerate(models) if m._extra is not None]
    if not built or not rows.size:
        return []
    present = np.bincount(rows, minlength=len(models)) > 0
    return [r for r in built if present[r]]


def spread_awareness(models: Sequence[Any], groups: Sequence[Group], aware: np.ndarray,
                     rows: np.ndarray, agents: np.ndarray) -> None:
    """Whoever listens to a new adopter (row ``rows[k]``, agent ``agents[k]``) has heard of
    it, along the network's ties and those built in that replicate."""
    if not agents.size:
        return
    R, n = aware.shape
    flat = aware.reshape(-1)
    flat[rows * n + agents] = True
    for group in groups:
        sel = group.rows[rows]
        if sel.any():
            indices, _, per_agent = gather_rows(group.model._net[2], agents[sel])
            flat[np.repeat(rows[sel] * n, per_agent) + indices] = True
    for r in _rows_with_built_ties(models, rows):
        _built_awareness(models[r], aware[r], agents[rows == r])


def _record(models: Sequence[Any], state: State, new: np.ndarray, lapsed: np.ndarray) -> None:
    """Each model's row of history for this step (and its group counts), given how many
    adopted (``new``) and lapsed in each row."""
    # per row: count_nonzero(axis=1) costs ~10 us even for one row
    if len(models) == 1:
        adopted, aware = [np.count_nonzero(state.adopted)], [np.count_nonzero(state.aware)]
    else:
        adopted = [np.count_nonzero(row) for row in state.adopted]
        aware = [np.count_nonzero(row) for row in state.aware]
    if state.counts is not None:
        _update_group_counts(models[0], state)
    for r, m in enumerate(models):
        m._append_row(int(adopted[r]), int(aware[r]), int(new[r]), int(lapsed[r]))
        m._last_changed = int(new[r] + lapsed[r])
        if state.counts is not None:
            m._group_rows.append(state.counts[r].copy())


def _update_group_counts(model: Any, state: State) -> None:
    """Group counts of adopted and aware, from the agents whose state changed since the last
    record (a step changes few; a full count costs O(n x groups) per replicate)."""
    R, n = state.adopted.shape
    bins = model._track_bins
    codes = model._track_codes
    if kernel.compiled():
        kernel.call("count_both")(state.adopted, state.aware, *state.recorded, codes,
                                  state.counts, bins)
        return
    for k, (now, recorded) in enumerate(zip((state.adopted, state.aware), state.recorded,
                                            strict=True)):
        now_flat, recorded_flat = now.reshape(-1), recorded.reshape(-1)
        changed = np.flatnonzero(now_flat != recorded_flat)
        if not changed.size:
            continue
        up = now_flat[changed]
        rows, agents = changed // n, changed % n
        size = bins + 1  # bin ``bins`` of each row: no value
        chosen = codes[:, agents] + rows * size
        step = np.bincount(chosen[:, up].ravel(), minlength=R * size) \
            - np.bincount(chosen[:, ~up].ravel(), minlength=R * size)
        state.counts[:, k * bins:(k + 1) * bins] += step.reshape(R, size)[:, :bins]
        recorded_flat[changed] = up
