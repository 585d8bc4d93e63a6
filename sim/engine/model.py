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
against, step by step. The step itself is ``sim.engine.batch.advance``: replicates on one
network can step together (``sim.engine.batch.Batch``), each exactly as it runs alone.
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
from sim.engine.batch import EPS, Group, State, advance, spread_awareness  # noqa: F401 (EPS)
from sim.engine.built import BuiltTies, LiveTies, gather_rows, network_weight
from sim.engine.discount import (  # noqa: F401 (CENTRE_LEVELS, tie_groups: re-exported)
    CENTRE_LEVELS,
    discounted,
    tie_factors,
    tie_groups,
)
from sim.engine.memo import digest, once, recent
from sim.engine.network import Network, as_network, product, weight_dtype
from sim.engine.parameters import check_parameters, check_seed
from sim.engine.seeding import choose_seeds
from sim.engine.streams import AgentDraws, stream
from sim.engine.thresholds import draw_thresholds
from sim.errors import InputError

#: products with at most this share of nonzero entries are scattered from columns
SPARSE_PRODUCT_SHARE = 0.05
#: Above this many stored ties a network's discounted matrices are not kept for other models.
_SHARED_TIES_MAX = 2_000_000

#: Node-table columns that are array-backed agent properties, not copied onto agents.
_VIEW_ATTRIBUTES = {"adopted", "aware", "committed", "threshold", "exposure", "influence",
                    "champion", "node", "model", "unique_id", "pos", "agent_type"}

Intervention = Callable[["AdoptionModel"], None]

def _seed(seed: object) -> int:
    """The replicate's seed: a non-negative integer, or None for a fresh random one."""
    seed = check_seed(seed)
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    return seed


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


def _check_agent_types(net: Network) -> None:
    """Each node becomes the Mesa agent class its ``agent_type`` names."""
    if "agent_type" in net.nodes:
        unknown = set(net.nodes["agent_type"].unique()) - set(AGENT_TYPES)
        if unknown:
            raise InputError(f"network.agent_type: unknown agent type "
                             f"{sorted(map(str, unknown))[0]!r}; allowed: "
                             f"{', '.join(AGENT_TYPES)}")


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

    #: every built tie still live (``sim.engine.built``), from the first tie built on
    _live: LiveTies | None = None

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
        # a plain int: Mesa >= 3.4 seeds random.Random with it, which on Python >= 3.12
        # rejects numpy integers
        super().__init__(rng=self._stream_seed)
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
        params = check_parameters({
            "threshold_kind": threshold_kind, "adoption_rate": adoption_rate, "noise": noise,
            "spontaneous_rate": spontaneous_rate, "lapse_rate": lapse_rate,
            "max_steps": max_steps})
        self.threshold_kind = params.threshold_kind
        self.adoption_rate = params.adoption_rate
        self.noise = params.noise
        self.spontaneous_rate = params.spontaneous_rate
        self.lapse_rate = params.lapse_rate
        self.max_steps = params.max_steps

        # every random number comes from a stream of its own (sim.engine.streams): the
        # thresholds and seed set do not depend on what else was drawn, the per-agent
        # decisions of a step do not depend on which other agents face them
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
        self._initial_state(seeds, champions, committed, seeds_committed)

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
        _check_agent_types(net)
        if eager_agents:
            self._create_agents()
        self._record(new=int(self.adopted.sum()), lapsed=0)

    def _initial_state(self, seeds: np.ndarray, champions: Sequence[int] | np.ndarray | None,
                       committed: Sequence[int] | np.ndarray | None,
                       seeds_committed: bool) -> None:
        """Champions and seeds adopt at step 0; champions (and, by default, seeds) are
        committed: they never lapse."""
        n = self.n
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
        net = self._net[which]
        if self._extra is None:
            return net
        out = (net + self._extra.matrix(which)).tocsr()
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
        """The tie matrices, degrees, thresholds and exposures from scratch (at construction).

        The network's own matrices never change, so they are made once; ties built during
        the run live apart as their excess over the network (``sim.engine.built``) and are
        applied as they change (``_refresh_built``).
        """
        if not hasattr(self, "_net"):
            self._net = self._network_ties()
        self._extra: BuiltTies | None = None  # none built yet
        if self.threshold_kind == "fraction":
            # D_i, the weighted degree, is undiscounted: coherence and alignment weaken the
            # reinforcement E_i an agent gets, not the share of it that it needs
            self._degree = self._product(0, self.influence)
            self.effective_threshold = np.where(self._degree > 0,
                                                self.threshold * self._degree, np.inf)
        else:
            self.effective_threshold = self.threshold
        self.exposure = self._product(1, self.adopted * self.influence)
        self._dirty = False

    def _network_ties(self) -> tuple[sp.csr_array, ...]:
        """``_ties`` of the network's adjacency, shared by every model on the same network
        with the same coherence and alignment (``sim.engine.memo``) unless the network is
        too large to keep a discounted copy beyond its models' lives."""
        self._tie_codes = once(self.network.nodes, "tie codes", dict)  # filled as needed
        if self.network.adjacency.nnz > _SHARED_TIES_MAX:
            return self._ties(self.network.adjacency)
        return recent(self.network, "ties", digest(self.coherence, self.alignment),
                      lambda: self._ties(self.network.adjacency))

    def _refresh_built(self) -> None:
        """Apply the ties built (``_built``: since the last step) or faded: only the entries
        they touch are worked out again, and only their changes move the exposure (and, for
        fraction thresholds, the degree) of the agents at their ends, in place."""
        if self._live is None:
            self._live = LiveTies(self.n)
            net = self.network.adjacency
            rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(net.indptr))
            self._net_keys = rows * self.n + net.indices  # sorted: CSR order
        keys, largest = self._live.changes(self._built, self.steps)
        self._built = []
        self._dirty = False
        if not keys.size:
            return
        net = self.network.adjacency
        excess = np.maximum(largest - network_weight(net, self._net_keys, keys), 0.0)
        excess = excess.astype(weight_dtype(excess), copy=False)  # a 0.3 tie is no float32
        rows, cols = np.divmod(keys, self.n)
        factor = tie_factors(rows, cols, self.network.nodes, self.coherence, self.alignment,
                             self._tie_codes)
        reinforcement = excess if factor is None else excess * factor
        reinforcement = reinforcement.astype(weight_dtype(reinforcement), copy=False)
        old = self._extra or BuiltTies(self.n, keys[:0], excess[:0], reinforcement[:0],
                                       symmetric=not self.network.directed)
        self._extra, old_weight, old_reinforcement = old.merged(keys, excess, reinforcement)
        moved = (excess != old_weight) | (reinforcement != old_reinforcement)
        rows, cols = rows[moved], cols[moved]
        np.add.at(self.exposure, rows, (reinforcement - old_reinforcement)[moved]
                  * (self.adopted[cols] * self.influence[cols]))
        if self.threshold_kind == "fraction":
            np.add.at(self._degree, rows, (excess - old_weight)[moved] * self.influence[cols])
            degree = self._degree[rows]
            self.effective_threshold[rows] = np.where(degree > 0,
                                                      self.threshold[rows] * degree, np.inf)

    def _product(self, which: int, x: np.ndarray) -> np.ndarray:
        """The network's matrix ``which`` (0 weights, 1 reinforcement) plus built ties, @ x.

        A sparse ``x`` (the few seeds' influence at set-up) is scattered from the nonzeros'
        columns: each row still sums its terms from 0 in column order, without the zeros
        (which add nothing exactly), so the result is the full product bit for bit, at
        O(their ties) instead of O(all ties) -- 10^7 nodes' set-up has 10^3 seeds."""
        nonzero = np.flatnonzero(x)
        if nonzero.size <= SPARSE_PRODUCT_SHARE * self.n:
            out = np.zeros(self.n, dtype=np.result_type(self._net[which].dtype, x.dtype))
            for indices, data, per_row in self._columns(which + 2, nonzero):
                part = np.zeros_like(out)
                np.add.at(part, indices, data * np.repeat(x[nonzero], per_row))
                out += part
            return out
        out = product(self._net[which], x)  # float32 x float64 in blocks: no matrix copy
        if self._extra is not None:
            self._extra.add_product(which, x, out)
        return out

    def _columns(self, which: int, agents: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """Rows of the transposes (2 weights, 3 reinforcement) for ``agents`` -- their
        columns -- as (indices, data, entries per agent), the network's then the built ties'."""
        parts = [gather_rows(self._net[which], agents)]
        if self._extra is not None:
            parts.append(self._extra.columns(which, agents))
        return parts

    def _discounted(self, adjacency: sp.csr_array) -> sp.csr_array:
        """c_ij: cross-sector ties discounted by coherence, cross-level ties by alignment."""
        return discounted(adjacency, self.network.nodes, self.coherence, self.alignment,
                          self._tie_codes)

    # ------------------------------------------------------------------------------------
    # dynamics
    @property
    def deterministic(self) -> bool:
        return (self.adoption_rate == 1.0 and self.noise == 0.0 and self.lapse_rate == 0.0
                and self.spontaneous_rate == 0.0 and not self.interventions)

    def step(self) -> None:
        """One synchronous step: every agent decides from the state at the start of it.

        The step itself is ``sim.engine.batch.advance`` on this model alone: the same code a
        batch of replicates runs, which is what makes a replicate in a batch identical to it
        run alone."""
        advance([self], State.of_one(self), self._alone)

    @property
    def _alone(self) -> list[Group]:
        """This model as the one group of a batch of one (made once)."""
        if "_alone_group" not in self.__dict__:
            self._alone_group = [Group(np.ones(1, dtype=bool), self)]
        return self._alone_group

    def _start_step(self) -> None:
        """Before anyone decides: the interventions, then the ties built or faded."""
        self._stepping = True
        for intervention in self.interventions:
            intervention(self)
        self._stepping = False
        if self._dirty or (self._live is not None and self._live.next_expiry <= self.steps):
            self._refresh_built()

    def _hear_from(self, adopters: np.ndarray) -> None:
        """Awareness follows influence: whoever listens to a new adopter has heard of it."""
        spread_awareness([self], self._alone, self.aware[None],
                         np.zeros(adopters.size, dtype=np.int64), adopters)

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
        step records the counts of all groups with one bincount (bin ``total``: no value);
        worked out once per node table (``sim.engine.memo``)."""
        nodes = self.network.nodes
        tracked, self._track_bins, self._track_codes = once(
            nodes, ("track", tuple(track)), lambda: self._tracking_codes(track))
        #: (adopted, aware) at the last record and the group counts of both, kept up to date
        #: from the agents that changed (``sim.engine.batch``); None when nothing is tracked
        self._track_state: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        return tracked

    def _tracking_codes(self, track: Sequence[str]) -> tuple[list[tuple], int, np.ndarray | None]:
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
        codes = (np.where(np.vstack(stacked) >= 0, np.vstack(stacked), offset)
                 if stacked else None)
        if codes is not None:
            codes.flags.writeable = False  # shared by every model on this node table
        return tracked, offset, codes

    def _group_counts(self, mask: np.ndarray) -> np.ndarray:
        chosen = self._track_codes[:, mask].ravel()
        return np.bincount(chosen, minlength=self._track_bins + 1)[:self._track_bins]

    def _record(self, new: int, lapsed: int) -> None:
        """The first row of history (the initial state) and the group counts it starts."""
        self._append_row(int(np.count_nonzero(self.adopted)), int(np.count_nonzero(self.aware)),
                         new, lapsed)
        if self._tracked:
            counts = np.concatenate([self._group_counts(self.adopted),
                                     self._group_counts(self.aware)])
            self._track_state = (self.adopted.copy(), self.aware.copy(), counts)
            self._group_rows.append(counts.copy())

    def _append_row(self, adopted: int, aware: int, new: int, lapsed: int) -> None:
        self._rows.append({
            "step": self.steps, "adopted": adopted, "adopted_fraction": adopted / self.n,
            "aware": aware, "aware_fraction": aware / self.n, "new_adopters": new,
            "lapsed": lapsed, "ties_built": self.ties_built, "cost": self.cost,
        })
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
