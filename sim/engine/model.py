"""AdoptionModel: a Mesa model of complex contagion, one vectorised sparse step at a time.

The rule (one step = one week by default, synchronous update):

    E_i = sum over adopted neighbours j of  w_ij * influence_j * c_ij
    adopt  when E_i >= T_i                      (threshold_kind="count"; Centola & Macy 2007)
    adopt  when E_i >= phi_i * D_i              (threshold_kind="fraction"; Watts 2002),
           D_i = sum over all neighbours j of w_ij * influence_j   (weighted degree)

where c_ij discounts cross-sector ties by messaging coherence and ties between the centre
(national and regional bodies) and places (systems, local organisations) by alignment.
Options, all off by default so that the model is the plain deterministic linear-threshold
model: ``adoption_rate`` (probability per step of adopting
when above threshold), ``noise`` (probability per step of adopting while aware but below
threshold; Eckles et al. 2024), ``spontaneous_rate`` (adoption from external evidence),
``lapse_rate`` (adopters whose reinforcement has fallen below threshold drop the practice;
committed agents never do).

The discounts weaken the reinforcement E_i, never the weighted degree D_i, so lowering
coherence or alignment can only make adoption harder. ``adjacency[i, j]`` is the weight with
which j's adoption reinforces i: symmetric for an undirected network, as given for a directed
one (``Network.directed``; influence flows from the nominated to the nominator).

Every random decision of a step (adopt above threshold at ``adoption_rate``, noise,
spontaneous adoption, lapse) uses the agent's own uniform for (replicate seed, decision,
step) from ``sim.engine.streams.AgentDraws``, so it does not depend on which other agents face the
decision: a lever that changes one part of the network leaves every other agent's draws, and
the trajectory of every agent whose inputs it does not change, exactly as they were.

Awareness ("the conversation happened") is the simple contagion: an agent becomes aware
when it adopts, when anyone it listens to has adopted, when a tie is built between it and
an adopter, or when it attends an event.

Exposure is kept up to date incrementally from the agents that changed in a step, so a step
costs O(ties of the changed agents) plus a few O(n) array comparisons, never a Python loop
over agents or ties. ``sim.engine.reference`` holds the textbook per-agent rule that tests compare
against, step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.engine.agents import AGENT_TYPES, Organisation
from sim.engine.discount import CENTRE_LEVELS, discounted, tie_groups  # noqa: F401 (re-exported)
from sim.engine.network import Network, as_network, product, weight_dtype
from sim.engine.seeding import choose_seeds
from sim.engine.streams import AgentDraws, stream
from sim.engine.thresholds import draw_thresholds
from sim.errors import InputError

#: Exposure sums are floating point; an agent exactly at threshold must adopt whatever the
#: order of summation, so comparisons allow this much rounding.
EPS = 1e-9

#: Above this share of changed agents a full sparse product is cheaper than scatter-adds.
_FULL_RECOMPUTE_SHARE = 0.05

#: Node-table columns that are array-backed agent properties, not copied onto agents.
_VIEW_ATTRIBUTES = {"adopted", "aware", "committed", "threshold", "exposure", "influence",
                    "champion", "node", "model", "unique_id", "pos", "agent_type"}

Intervention = Callable[["AdoptionModel"], None]

def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def _probability(value: float, field: str) -> float:
    if not _is_number(value) or not 0.0 <= float(value) <= 1.0:
        raise InputError(f"{field}: must be a probability in [0, 1] (got {value!r})")
    return float(value)


def _seed(seed: object) -> int:
    """The replicate's seed: a non-negative integer, or None for a fresh random one."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed: must be a non-negative integer or None (got {seed!r})")
    return int(seed)


def _per_node(value: float | np.ndarray, n: int, field: str, lo: float, hi: float) -> np.ndarray:
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":
        raise InputError(f"{field}: must be a number in [{lo:g}, {hi:g}] or one per node "
                         f"(got {value!r})")
    arr = np.broadcast_to(raw.astype(float), (n,)).copy() if raw.ndim == 0 \
        else raw.astype(float)
    if arr.shape != (n,):
        raise InputError(f"{field}: needs one value per node ({n}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min(initial=lo) < lo or arr.max(initial=hi) > hi:
        raise InputError(f"{field}: values must be in [{lo:g}, {hi:g}]")
    return arr


def _symmetric_max(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_array:
    """Ties (u, v, w) as a symmetric matrix; a repeated tie keeps its largest weight."""
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    rows, cols, data = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    order = np.lexsort((-data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sp.csr_array((data[first], (rows[first], cols[first])), shape=(n, n))


def _gather_rows(m: sp.csr_array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored entries of ``rows`` of ``m``: column indices, values, entries per row."""
    starts = m.indptr[rows]
    lengths = m.indptr[rows + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return m.indices[:0], m.data[:0], lengths
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    positions = offsets + np.arange(total)
    return m.indices[positions], m.data[positions], lengths


class AdoptionModel(mesa.Model):
    """Complex contagion of a practice over a network of organisations and leaders.

    Args:
        graph: a networkx graph or a ``sim.Network``; node order defines array order.
        threshold: a number, a per-node array, or a distribution ``{"dist": ..., ...}``.
        threshold_kind: ``"count"`` (E_i >= T_i) or ``"fraction"`` (E_i / D_i >= phi_i).
        initial_adopters: node labels, a boolean mask of length n, or a seeding strategy
            (see ``sim.engine.seeding``).
        seed: seeds every random draw (a non-negative integer; None: a fresh one); same seed
            and arguments give the same history.
        adoption_rate: probability per step that an agent above threshold adopts.
        noise: probability per step that an aware agent below threshold adopts anyway.
        spontaneous_rate: probability per step that any non-adopter adopts on its own.
        lapse_rate: probability per step that an adopter below threshold lapses.
        influence: per-node weight of an adopter's reinforcement (default: the node table's
            ``influence`` column, else 1).
        coherence, alignment: discounts in [0, 1] on cross-sector and cross-level ties
            (scalar or per node; a tie takes the smaller of its two ends).
        champions: node indices of champions: adopted from the start, committed.
        committed: extra node indices that never lapse.
        seeds_committed: initial adopters never lapse (they are the programme's pilots).
        track: node-table columns to record adoption by group at every step.
        interventions: callables run at the start of every step (events, convening ...).
        max_steps: cap for ``run(None)`` on models that may never reach a fixed point.
        eager_agents: create the Mesa agents now rather than on first use. The step never
            needs them (it works on arrays), so by default they are created the first time
            ``agents``, ``agents_by_type`` or ``agent_list`` is read: a sweep of thousands of
            runs, or a 10^6-node run, does not pay ~5 us per agent it never looks at.
    """

    def __init__(
        self,
        graph: Network | nx.Graph,
        threshold: float | np.ndarray | Mapping[str, Any] = 2,
        threshold_kind: str = "count",
        initial_adopters: Iterable | Mapping[str, Any] | None = None,
        seed: int | None = None,
        *,
        adoption_rate: float = 1.0,
        noise: float = 0.0,
        spontaneous_rate: float = 0.0,
        lapse_rate: float = 0.0,
        influence: float | np.ndarray | None = None,
        coherence: float | np.ndarray = 1.0,
        alignment: float | np.ndarray = 1.0,
        champions: Sequence[int] | np.ndarray | None = None,
        committed: Sequence[int] | np.ndarray | None = None,
        seeds_committed: bool = True,
        track: Sequence[str] = (),
        interventions: Sequence[Intervention] = (),
        max_steps: int = 10_000,
        weight: str = "weight",
        eager_agents: bool = False,
    ) -> None:
        self._stream_seed = _seed(seed)
        super().__init__(rng=seed)
        self.seed = seed
        self.network = as_network(graph, weight=weight)
        net = self.network
        n = self.n = net.n
        if net.adjacency.nnz and not np.all(net.adjacency.data > 0):
            raise InputError("network: tie weights must be > 0")

        for flag_name, flag_value in (("seeds_committed", seeds_committed),
                                      ("eager_agents", eager_agents)):
            if not isinstance(flag_value, bool | np.bool_):
                raise InputError(f"{flag_name}: must be True or False (got {flag_value!r})")
        self.threshold_kind = threshold_kind
        self.adoption_rate = _probability(adoption_rate, "model.adoption_rate")
        self.noise = _probability(noise, "model.noise")
        self.spontaneous_rate = _probability(spontaneous_rate, "model.spontaneous_rate")
        self.lapse_rate = _probability(lapse_rate, "model.lapse_rate")
        if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
            raise InputError(f"model.max_steps: must be a positive integer (got {max_steps!r})")
        self.max_steps = max_steps

        # every random number comes from a stream of its own (sim.engine.streams): the
        # thresholds and
        # seed set do not depend on what else was drawn, the per-agent decisions of a step do
        # not depend on which other agents face them
        root = self._stream_seed
        self.threshold = draw_thresholds(threshold, n, threshold_kind, stream(root, "thresholds"))
        self.draws = AgentDraws(root, n)
        if influence is None:
            influence = net.nodes["influence"].to_numpy(float) if "influence" in net.nodes else 1.0
        self.influence = _per_node(influence, n, "model.influence", 0.0, np.inf)
        self.coherence = _per_node(coherence, n, "model.coherence", 0.0, 1.0)
        self.alignment = _per_node(alignment, n, "model.alignment", 0.0, 1.0)

        seeds = choose_seeds(net, initial_adopters, stream(root, "seeding"),
                             field="initial_adopters")
        self.initial_adopters = seeds
        self.champion = np.zeros(n, dtype=bool)
        if champions is not None and len(champions):
            self.champion[self._node_indices(champions, "champions")] = True
        self.committed = self.champion.copy()
        if committed is not None and len(committed):
            self.committed[self._node_indices(committed, "committed")] = True
        if seeds_committed:
            self.committed[seeds] = True

        self.adopted = np.zeros(n, dtype=bool)
        self.adopted[seeds] = True
        self.adopted |= self.champion
        self.aware = self.adopted.copy()

        # ties: the network's plus any built during the run (events, convening)
        self._built: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
        self.ties_built = 0
        self.cost = 0.0
        self.interventions: list[Intervention] = list(interventions)
        self._tie_codes: dict[str, np.ndarray] = {}
        self._stepping = False
        self._rebuild()
        self._hear_from(np.flatnonzero(self.adopted))

        self._tracked = self._prepare_tracking(track)
        self._rows: list[dict[str, float]] = []
        self._group_rows: list[np.ndarray] = []
        self._history: pd.DataFrame | None = None
        self._last_changed = 0
        self._agent_list: list | None = None
        if "agent_type" in net.nodes:
            unknown = set(net.nodes["agent_type"].unique()) - set(AGENT_TYPES)
            if unknown:
                raise InputError(f"network.agent_type: unknown agent type "
                                 f"{sorted(map(str, unknown))[0]!r}; allowed: "
                                 f"{', '.join(AGENT_TYPES)}")
        if eager_agents:
            self._create_agents()
        self._record(new=int(self.adopted.sum()), lapsed=0)

    # ------------------------------------------------------------------------------------
    # agents
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All agents (Mesa's AgentSet), created on first use."""
        self._create_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        self._create_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._create_agents()
        return super().agent_types

    @property
    def agent_list(self) -> list:
        """The agents in node order: ``agent_list[i]`` is node i."""
        self._create_agents()
        return self._agent_list

    def _create_agents(self) -> None:
        """One Mesa agent per node, in node order (a plain loop: Mesa registers each)."""
        if self._agent_list is not None:
            return
        table = self.network.nodes
        cols = [c for c in table.columns if c not in _VIEW_ATTRIBUTES]
        columns = [table[c].tolist() for c in cols]
        kinds = table["agent_type"].tolist() if "agent_type" in table else None
        agents = []
        for i, values in enumerate(zip(*columns, strict=True) if cols else ((),) * self.n):
            cls = AGENT_TYPES[kinds[i]] if kinds else Organisation
            agents.append(cls(self, i, **dict(zip(cols, values, strict=True))))
        self._agent_list = agents
        # Mesa 3.3 keeps every model alive in a class-level id counter (Agent._ids,
        # mesa#3179), leaking each run's agents; every id is given now, so drop the counter.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)

    def _node_indices(self, nodes: Sequence[int] | np.ndarray, field: str) -> np.ndarray:
        idx = np.asarray(nodes, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n):
            raise InputError(f"{field}: node indices must be in 0..{self.n - 1}")
        return np.unique(idx)

    # ------------------------------------------------------------------------------------
    # ties and exposure
    def add_ties(self, u: np.ndarray, v: np.ndarray, weight: float = 1.0,
                 lifetime: int | None = None) -> int:
        """Build new ties (events, convening); they count from the next step on.

        ``lifetime`` in steps makes them fade; returns the number of ties given.
        """
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        if u.size == 0:
            return 0
        # ties given during a step count from that step, otherwise from the next one;
        # they are live while model.steps < expires
        first = self.steps if self._stepping else self.steps + 1
        expires = np.inf if lifetime is None else float(first + lifetime)
        self._built.append((u, v, np.full(u.size, float(weight)), expires))
        self.ties_built += int(u.size)
        self._dirty = True
        # a tie to someone who has adopted is a conversation with an adopter (both ways:
        # built ties are mutual)
        self.aware[u[self.adopted[v]]] = True
        self.aware[v[self.adopted[u]]] = True
        return int(u.size)

    def make_aware(self, nodes: np.ndarray) -> None:
        """Mark agents aware (attended an event, heard the conversation)."""
        self.aware[np.asarray(nodes, dtype=np.int64)] = True

    def add_cost(self, amount: float) -> None:
        self.cost += float(amount)

    def neighbours(self, i: int) -> np.ndarray:
        """Whom agent i listens to (ties that carry some reinforcement), built ones included."""
        m = self.reinforcement
        return m.indices[m.indptr[i] : m.indptr[i + 1]]

    @property
    def adjacency(self) -> sp.csr_array:
        """Current tie weights (the network's ties plus those built and not yet faded)."""
        return self._combined(0)

    @property
    def reinforcement(self) -> sp.csr_array:
        """Current w_ij * c_ij: what j's adoption adds to i's exposure."""
        return self._combined(1)

    def _combined(self, which: int) -> sp.csr_array:
        net, extra = self._net[which], self._extra[which] if self._extra else None
        if extra is None:
            return net
        out = (net + extra).tocsr()
        out.sort_indices()
        return out

    def _ties(self, adjacency: sp.csr_array) -> tuple[sp.csr_array, ...]:
        """Weights, reinforcement and their transposes (columns as rows: who hears from j,
        whose exposure j's change moves); an undirected network is its own transpose."""
        matrix = self._discounted(adjacency)
        if self.network.directed:
            return adjacency, matrix, adjacency.T.tocsr(), matrix.T.tocsr()
        return adjacency, matrix, adjacency, matrix

    def _rebuild(self) -> None:
        """Recompute the built ties' part of the reinforcement after ties were built or faded.

        The network's own matrices never change, so they are made once; built ties live in a
        small matrix of their excess over the network's weight (a repeated tie keeps its
        largest weight: max(a, s) = a + max(s - a, 0)), added to every product. The discount
        of a tie does not depend on its weight, so discounting the parts adds up exactly.
        """
        if not hasattr(self, "_net"):
            self._net = self._ties(self.network.adjacency)
        live = [t for t in self._built if t[3] > self.steps]
        self._built = live
        self._extra = None
        if live:
            u, v, w = (np.concatenate([t[i] for t in live]) for i in range(3))
            excess = self._excess(_symmetric_max(u, v, w, self.n).tocoo())
            if excess.nnz:
                self._extra = self._ties(excess)
        if self.threshold_kind == "fraction":
            # D_i, the weighted degree, is undiscounted: coherence and alignment weaken the
            # reinforcement E_i an agent gets, not the share of it that it needs
            degree = self._product(0, self.influence)
            self.effective_threshold = np.where(degree > 0, self.threshold * degree, np.inf)
        else:
            self.effective_threshold = self.threshold
        self.exposure = self._product(1, self.adopted * self.influence)
        self._dirty = False

    def _excess(self, built: sp.coo_array) -> sp.csr_array:
        """How much each built tie adds to the network's weight of the same tie (>= 0)."""
        net = self.network.adjacency
        if not hasattr(self, "_net_keys"):  # sorted (row, col) keys of the network's ties
            rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(net.indptr))
            self._net_keys = rows * self.n + net.indices
        keys = built.row.astype(np.int64) * self.n + built.col
        at = np.minimum(np.searchsorted(self._net_keys, keys), max(net.nnz - 1, 0))
        present = (self._net_keys[at] == keys) if net.nnz else np.zeros(keys.size, bool)
        current = np.where(present, net.data[at] if net.nnz else 0.0, 0.0)
        add = np.maximum(built.data - current, 0.0)
        add = add.astype(weight_dtype(add), copy=False)  # a 0.3 tie is no float32
        keep = add > 0
        index = net.indices.dtype
        out = sp.csr_array((add[keep], (built.row[keep].astype(index),
                                        built.col[keep].astype(index))), shape=net.shape)
        out.sort_indices()
        return out

    def _product(self, which: int, x: np.ndarray) -> np.ndarray:
        """The network's matrix ``which`` (0 weights, 1 reinforcement) plus built ties, @ x.

        A sparse ``x`` (the few seeds' influence at set-up) is scattered from the nonzeros'
        columns: each row still sums its terms from 0 in column order, without the zeros
        (which add nothing exactly), so the result is the full product bit for bit, at
        O(their ties) instead of O(all ties) -- 10^7 nodes' set-up has 10^3 seeds."""
        matrices = [self._net[which]] + ([] if self._extra is None else [self._extra[which]])
        nonzero = np.flatnonzero(x)
        if nonzero.size > _FULL_RECOMPUTE_SHARE * self.n:
            parts = [product(m, x) for m in matrices]
        else:
            parts = []
            for m, (indices, data, per_row) in zip(matrices, self._columns(which + 2, nonzero),
                                                   strict=True):
                part = np.zeros(self.n, dtype=np.result_type(m.dtype, x.dtype))
                np.add.at(part, indices, data * np.repeat(x[nonzero], per_row))
                parts.append(part)
        out = parts[0]
        for part in parts[1:]:
            out += part
        return out

    def _columns(self, which: int, agents: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """Rows of the transposes (2 weights, 3 reinforcement) for ``agents`` -- their
        columns -- as (indices, data, entries per agent), gathered straight from the CSR arrays
        (scipy's row slicing costs more than the step's arithmetic)."""
        parts = [_gather_rows(self._net[which], agents)]
        if self._extra is not None:
            parts.append(_gather_rows(self._extra[which], agents))
        return parts

    def _discounted(self, adjacency: sp.csr_array) -> sp.csr_array:
        """c_ij: cross-sector ties discounted by coherence, cross-level ties by alignment."""
        return discounted(adjacency, self.network.nodes, self.coherence, self.alignment,
                          self._tie_codes)

    def _update_exposure(self, changed: np.ndarray, delta: np.ndarray) -> None:
        if changed.size > _FULL_RECOMPUTE_SHARE * self.n:
            self.exposure = self._product(1, self.adopted * self.influence)
            return
        for indices, data, per_row in self._columns(3, changed):
            np.add.at(self.exposure, indices, data * np.repeat(delta, per_row))

    # ------------------------------------------------------------------------------------
    # dynamics
    @property
    def deterministic(self) -> bool:
        return (self.adoption_rate == 1.0 and self.noise == 0.0 and self.lapse_rate == 0.0
                and self.spontaneous_rate == 0.0 and not self.interventions)

    def step(self) -> None:
        """One synchronous step: every agent decides from the state at the start of it."""
        self._stepping = True
        for intervention in self.interventions:
            intervention(self)
        self._stepping = False
        if self._dirty or (self._built and min(t[3] for t in self._built) <= self.steps):
            self._rebuild()
        adopted = self.adopted
        above = self.exposure >= self.effective_threshold - EPS
        candidates = ~adopted
        new = candidates & above
        if self.adoption_rate < 1.0:
            idx = np.flatnonzero(new)
            new[idx[self._draw("adopt", idx) >= self.adoption_rate]] = False
        if self.noise > 0.0:
            idx = np.flatnonzero(candidates & ~above & self.aware)
            new[idx[self._draw("noise", idx) < self.noise]] = True
        if self.spontaneous_rate > 0.0:
            idx = np.flatnonzero(candidates & ~new)
            new[idx[self._draw("spontaneous", idx) < self.spontaneous_rate]] = True
        lapsed = np.zeros(0, dtype=np.int64)
        if self.lapse_rate > 0.0:
            idx = np.flatnonzero(adopted & ~above & ~self.committed)
            lapsed = idx[self._draw("lapse", idx) < self.lapse_rate]

        gained = np.flatnonzero(new)
        adopted[gained] = True
        adopted[lapsed] = False
        changed = np.concatenate([gained, lapsed])
        if changed.size:
            delta = np.concatenate([self.influence[gained], -self.influence[lapsed]])
            self._update_exposure(changed, delta)
        self._hear_from(gained)
        self._last_changed = int(changed.size)
        self._record(new=int(gained.size), lapsed=int(lapsed.size))

    def _draw(self, decision: str, agents: np.ndarray) -> np.ndarray:
        """This step's uniforms for ``decision`` of ``agents``: each agent's own number,
        whoever else faces the decision (common random numbers, ``sim.engine.streams``)."""
        return self.draws.uniforms(decision, self.steps, agents)

    def _hear_from(self, adopters: np.ndarray) -> None:
        """Awareness follows influence: whoever listens to a new adopter has heard of it."""
        if adopters.size:
            self.aware[adopters] = True
            for indices, _, _ in self._columns(2, adopters):
                self.aware[indices] = True

    def run(self, steps: int | None = None) -> AdoptionModel:
        """Run ``steps`` steps, or with ``None`` until a fixed point (or ``max_steps``).

        A deterministic model stops at the first step that changes nothing; a stochastic one
        stops when every agent has adopted and none can lapse, or at ``max_steps``.
        """
        if steps is not None:
            if not isinstance(steps, int | np.integer) or steps < 0:
                raise InputError(f"steps: must be a non-negative integer or None (got {steps!r})")
            for _ in range(int(steps)):
                self.step()
            return self
        while self.steps < self.max_steps:
            self.step()
            if self.deterministic and self._last_changed == 0:
                break
            if self.adopted.all() and self.lapse_rate == 0.0 and not self.interventions:
                break
        return self

    # ------------------------------------------------------------------------------------
    # records
    def _prepare_tracking(self, track: Sequence[str]) -> list[tuple]:
        """Group codes of every tracked column, offset into one range of bins, so that a
        step records the counts of all groups with one bincount (bin ``total``: no value)."""
        tracked, stacked, offset = [], [], 0
        for column in track:
            if column not in self.network.nodes:
                raise InputError(f"track: unknown node attribute {column!r}; available: "
                                 f"{', '.join(map(str, self.network.nodes.columns))}")
            codes, labels = pd.factorize(self.network.nodes[column], sort=True)
            size = np.bincount(codes[codes >= 0], minlength=len(labels))
            tracked.append((column, offset, list(labels), size))
            stacked.append(np.where(codes >= 0, codes + offset, -1))
            offset += len(labels)
        self._track_bins = offset
        self._last_state: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._track_codes = (np.where(np.vstack(stacked) >= 0, np.vstack(stacked), offset)
                             if stacked else None)
        return tracked

    def _group_counts(self, mask: np.ndarray) -> np.ndarray:
        chosen = self._track_codes[:, mask].ravel()
        return np.bincount(chosen, minlength=self._track_bins + 1)[:self._track_bins]

    def _counts_now(self, state: np.ndarray, key: str) -> np.ndarray:
        """Group counts of ``state`` (adopted or aware), updated from the agents whose state
        changed since the last record (a step changes few; a full count costs O(n x groups))."""
        last = self._last_state.get(key)
        if last is None:
            counts = self._group_counts(state)
        else:
            previous, counts = last
            changed = np.flatnonzero(state != previous)
            if changed.size:
                counts = counts + self._group_counts_of(changed[state[changed]]) \
                    - self._group_counts_of(changed[~state[changed]])
        self._last_state[key] = (state.copy(), counts)
        return counts

    def _group_counts_of(self, agents: np.ndarray) -> np.ndarray:
        chosen = self._track_codes[:, agents].ravel()
        return np.bincount(chosen, minlength=self._track_bins + 1)[:self._track_bins]

    def _record(self, new: int, lapsed: int) -> None:
        adopted = int(np.count_nonzero(self.adopted))
        aware = int(np.count_nonzero(self.aware))
        self._rows.append({
            "step": self.steps, "adopted": adopted, "adopted_fraction": adopted / self.n,
            "aware": aware, "aware_fraction": aware / self.n, "new_adopters": new,
            "lapsed": lapsed, "ties_built": self.ties_built, "cost": self.cost,
        })
        if self._tracked:
            self._group_rows.append(np.concatenate([self._counts_now(self.adopted, "adopted"),
                                                    self._counts_now(self.aware, "aware")]))
        self._history = None

    @property
    def history(self) -> pd.DataFrame:
        """One row per step from step 0 (the initial state)."""
        if self._history is None:
            self._history = pd.DataFrame(self._rows)
        return self._history

    def history_by_group(self) -> pd.DataFrame:
        """Long table: step, attribute, group, size, adopted, aware and their fractions."""
        if not self._tracked:
            return pd.DataFrame(columns=["step", "attribute", "group", "size", "adopted",
                                         "aware", "adopted_fraction", "aware_fraction"])
        data = np.vstack(self._group_rows)
        bins = self._track_bins
        steps = self.history["step"].to_numpy()
        frames = []
        for column, offset, labels, size in self._tracked:
            k = len(labels)
            adopted = data[:, offset:offset + k]
            aware = data[:, bins + offset:bins + offset + k]
            frame = pd.DataFrame({
                "step": np.repeat(steps, k), "attribute": column,
                "group": np.tile(np.asarray(labels, dtype=object).astype(str), len(steps)),
                "size": np.tile(size, len(steps)),
                "adopted": adopted.ravel(), "aware": aware.ravel(),
            })
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        denom = out["size"].where(out["size"] > 0)
        out["adopted_fraction"] = out["adopted"] / denom
        out["aware_fraction"] = out["aware"] / denom
        return out
