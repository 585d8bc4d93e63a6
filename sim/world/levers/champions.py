"""Champions: physical activity clinical champions (PACCs), ``per_system`` in every ICS.

A champion is a leader who has adopted from the start, never lapses (committed) and whose
reinforcement weighs ``influence`` times their usual weight. Where they sit decides whether
they start anything: a complex contagion needs reinforcement from several adopters at once,
so champions in one neighbourhood can start a cascade that the same number scattered cannot
(Centola & Macy 2007). Placements, each among the leaders of one ICS and on that ICS's ties:

- ``random``: any of its leaders;
- ``degree``: most ties;
- ``betweenness``: highest betweenness centrality (networkx, estimated from a sample of
  ``BETWEENNESS_SAMPLES`` source nodes per ICS: exact ranking is not worth 10x the time);
- ``bridging``: most ties to other ICS x sector clusters and to the centre;
- ``neighbourhood``: clustered seeding -- a random leader and then the leaders nearest to
  them (breadth-first over the ICS's ties: colleagues first);
- ``complex_centrality``: Guilbeault & Centola's (2021) complex centrality, adapted to
  champions. G&C rank a node by how far a complex contagion spreads when its whole
  neighbourhood is seeded; a champion, though, is one committed person with extra influence,
  and the leaders whose neighbourhoods spread furthest are often ones who could not convert
  that neighbourhood alone. So champions are chosen greedily by the cascade they would start
  *as champions* (committed, influence multiplied) together with those already chosen in the
  ICS, under the agents' own thresholds; equal cascades are ranked by speed, then by G&C's
  neighbourhood measure. Computed exactly for every leader (deterministic threshold cascades, all
  candidates at once as columns of one sparse product), on the ICS's ties alone and
  undiscounted by coherence and alignment: the planner's view of the network.

On a network without ICSs (no ``system`` column) the groups are its clusters, else the whole
network; without agent types every node can be a champion.

Cost: ``cost_per_champion_year`` (£k) for each champion, every year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pydantic import Field

from sim.engine import schema
from sim.engine.memo import once
from sim.engine.model import EPS
from sim.engine.schema import Group, NonNegative, NonNegativeInt, key
from sim.world.levers.plan import Plan
from sim.world.liveness import track, unused

FIELD = "levers.champions"
PLACEMENTS = ("random", "degree", "betweenness", "bridging", "neighbourhood",
              "complex_centrality")
BETWEENNESS_SAMPLES = 64


class ChampionSettings(Group):
    """``levers.champions``: committed adopters with extra influence, per ICS."""

    per_system: NonNegativeInt = key(0, "champions (PACCs) per ICS")
    placement: Literal[PLACEMENTS] = key(  # type: ignore[valid-type]
        "random", "how each ICS's champions are chosen among its leaders")
    influence: Annotated[float, Field(ge=1.0, allow_inf_nan=False)] = key(
        1.0, "multiplier on a champion's weight")
    cost_per_champion_year: NonNegative = key(0.0, "cost per champion per year, £k")


#: the settings this lever reads, and their defaults
SCHEMA = ChampionSettings
DEFAULTS: dict[str, Any] = SCHEMA().model_dump()


def check(cfg: Mapping[str, Any] | None, steps: int | None = None) -> dict[str, Any]:
    return schema.check(ChampionSettings, cfg, FIELD).model_dump()


def systems(plan: Plan) -> list[np.ndarray]:
    """The node indices of each ICS (or cluster, or the whole network), in a fixed order
    (worked out once per node table: every replicate on a network has the same)."""
    return once(plan.network.nodes, "systems", lambda: _systems(plan))


def _systems(plan: Plan) -> list[np.ndarray]:
    nodes = plan.network.nodes
    if "system" in nodes:
        labels = nodes["system"].astype(str).to_numpy()
        valid = labels != ""
    elif "cluster" in nodes:
        labels = nodes["cluster"].to_numpy()
        valid = labels >= 0
    else:
        return [np.arange(plan.n)]
    # group codes in sorted label order, then the members of each code in node order
    codes = np.full(labels.size, -1, dtype=np.int64)
    codes[valid] = np.unique(labels[valid], return_inverse=True)[1]
    order = np.argsort(codes, kind="stable")
    order.flags.writeable = False  # shared by every replicate on the network
    bounds = np.searchsorted(codes[order], np.arange(codes.max(initial=-1) + 2))
    return [order[bounds[i]:bounds[i + 1]] for i in range(bounds.size - 1)]


def is_leader(plan: Plan) -> np.ndarray:
    nodes = plan.network.nodes
    if "agent_type" not in nodes:
        return np.ones(plan.n, dtype=bool)
    return once(nodes, "leaders", lambda: _read_only(nodes["agent_type"].to_numpy() == "Leader"))


def _read_only(mask: np.ndarray) -> np.ndarray:
    mask.flags.writeable = False  # shared by every replicate on the node table
    return mask


def choose(plan: Plan, members: np.ndarray, leaders: np.ndarray, k: int, placement: str,
           rng: np.random.Generator, thresholds: np.ndarray | None = None,
           multiplier: float = 1.0) -> np.ndarray:
    """``k`` champions among ``leaders`` (indices into the network) of one ICS ``members``.

    ``thresholds`` (the plan's, computed once for all ICSs) and the champions' influence
    ``multiplier`` are what complex_centrality simulates with.
    """
    k = min(k, leaders.size)
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if placement == "random":
        return rng.choice(leaders, size=k, replace=False)
    if placement == "neighbourhood":
        return _nearest_leaders(plan, members, leaders, k, rng)
    if placement == "complex_centrality":
        cascade = IcsCascade(plan, members, thresholds)
        return cascade.greedy_champions(leaders, k, multiplier, rng)
    score = _SCORES[placement](plan, members, leaders, rng)
    # highest score first; equal scores in random order (the stream keeps it reproducible)
    order = np.lexsort((rng.random(leaders.size), -score))
    return leaders[order[:k]]


def _subgraph(plan: Plan, members: np.ndarray) -> sp.csr_array:
    return plan.network.adjacency[members][:, members].tocsr()


def _degree(plan: Plan, members: np.ndarray, leaders: np.ndarray, rng) -> np.ndarray:
    return plan.network.degree[leaders].astype(float)


def _bridging(plan: Plan, members: np.ndarray, leaders: np.ndarray, rng) -> np.ndarray:
    nodes = plan.network.nodes
    group = (nodes["cluster"].to_numpy() if "cluster" in nodes
             else np.zeros(plan.n, dtype=np.int64))
    adj = plan.network.adjacency[leaders].tocsr()
    rows = np.repeat(np.arange(leaders.size), np.diff(adj.indptr))
    outside = group[adj.indices] != group[leaders][rows]
    return np.bincount(rows[outside], minlength=leaders.size).astype(float)


def _betweenness(plan: Plan, members: np.ndarray, leaders: np.ndarray, rng) -> np.ndarray:
    graph = nx.from_scipy_sparse_array(_subgraph(plan, members))
    k = min(BETWEENNESS_SAMPLES, members.size)
    seed = int(rng.integers(2**31))
    scores = nx.betweenness_centrality(graph, k=k, seed=seed, weight=None)
    local = np.searchsorted(members, leaders)
    return np.array([scores[i] for i in local.tolist()])


class IcsCascade:
    """Deterministic threshold cascades on one ICS's ties, many seed sets at once."""

    def __init__(self, plan: Plan, members: np.ndarray,
                 thresholds: np.ndarray | None = None) -> None:
        self.members = members
        self.sub = _subgraph(plan, members)
        self.influence = plan.influence[members]
        local = (plan.thresholds() if thresholds is None else thresholds)[members]
        if plan.threshold_kind == "fraction":
            local = local * (self.sub @ self.influence)
        self.need = local[:, None] - EPS

    def sizes(self, seeded: np.ndarray, boost: np.ndarray | None = None) -> np.ndarray:
        """Final adopters per column of ``seeded`` (n x c); ``boost`` multiplies influence
        (the champions' extra weight)."""
        return self.run(seeded, boost)[0]

    def run(self, seeded: np.ndarray,
            boost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Final adopters per column, and adopter-steps (adopters summed over the steps the
        slowest cascade takes: of two equal cascades the faster one has more). A column
        leaves the iteration once it stops growing."""
        adopted = seeded.copy()
        weight = np.broadcast_to(self.influence[:, None], adopted.shape)
        if boost is not None:
            weight = weight * boost
        active = np.arange(adopted.shape[1])
        growth: list[np.ndarray] = []  # adopters per column, per step
        while active.size:
            part = adopted[:, active]
            grown = part | (self.sub @ (part * weight[:, active]) >= self.need)
            changed = (grown != part).any(axis=0)
            adopted[:, active] = grown
            growth.append(adopted.sum(axis=0))
            active = active[changed]
        final = adopted.sum(axis=0)
        return final, np.sum(growth, axis=0) if growth else final

    def neighbourhood_sizes(self, leaders: np.ndarray) -> np.ndarray:
        """Guilbeault & Centola's complex centrality: the cascade from each leader's
        neighbourhood (the leader and every contact seeded)."""
        local = np.searchsorted(self.members, leaders)
        seeded = (self.sub[local] > 0).toarray().T
        seeded[local, np.arange(local.size)] = True
        return self.sizes(seeded)

    def champion_sizes(self, leaders: np.ndarray, chosen: np.ndarray,
                       multiplier: float) -> np.ndarray:
        """The cascade started by ``chosen`` plus each leader, all as champions."""
        return self.champion_cascades(leaders, chosen, multiplier)[0]

    def champion_cascades(self, leaders: np.ndarray, chosen: np.ndarray,
                          multiplier: float) -> tuple[np.ndarray, np.ndarray]:
        """Size and adopter-steps of the cascade from ``chosen`` plus each leader."""
        local = np.searchsorted(self.members, leaders)
        fixed = np.searchsorted(self.members, chosen)
        columns = np.arange(local.size)
        seeded = np.zeros((self.members.size, local.size), dtype=bool)
        seeded[fixed, :] = True
        seeded[local, columns] = True
        boost = np.where(seeded, multiplier, 1.0)
        return self.run(seeded, boost)

    def greedy_champions(self, leaders: np.ndarray, k: int, multiplier: float,
                         rng: np.random.Generator) -> np.ndarray:
        """``k`` champions, each the one that adds most to the cascade of those before."""
        tie_break = self.neighbourhood_sizes(leaders)
        chosen = np.empty(0, dtype=np.int64)
        for _ in range(k):
            left = ~np.isin(leaders, chosen)
            size, speed = self.champion_cascades(leaders[left], chosen, multiplier)
            best = np.lexsort((rng.random(size.size), -tie_break[left], -speed, -size))[0]
            chosen = np.append(chosen, leaders[left][best])
        return chosen


def _nearest_leaders(plan: Plan, members: np.ndarray, leaders: np.ndarray, k: int,
                     rng: np.random.Generator) -> np.ndarray:
    """A random leader, then leaders in breadth-first order over the ICS's ties."""
    sub = _subgraph(plan, members)
    local_leaders = np.searchsorted(members, leaders)
    start = int(rng.choice(local_leaders))
    order = sp.csgraph.breadth_first_order(sub, start, directed=False,
                                           return_predecessors=False)
    is_candidate = np.zeros(members.size, dtype=bool)
    is_candidate[local_leaders] = True
    reached = order[is_candidate[order]]
    if reached.size < k:  # the ICS's ties do not reach enough leaders: top up at random
        rest = np.setdiff1d(local_leaders, reached)
        reached = np.concatenate([reached, rng.permutation(rest)])
    return members[reached[:k]]


_SCORES = {
    "degree": _degree,
    "bridging": _bridging,
    "betweenness": _betweenness,
}


def is_off(s: Mapping[str, Any]) -> bool:
    """No champion: the lever changes nothing (``s`` from ``check``)."""
    return s["per_system"] == 0


def apply(cfg: Mapping[str, Any] | None, plan: Plan) -> None:
    s = track(check(cfg), FIELD)  # reports each setting read (sim.world.liveness)
    if is_off(s):
        unused(FIELD, f"{FIELD}.per_system is 0: there are no champions")
        return
    rng = plan.rng("champions")
    leader = is_leader(plan)
    thresholds = plan.thresholds() if s["placement"] == "complex_centrality" else None
    chosen = [choose(plan, members, members[leader[members]], s["per_system"], s["placement"],
                     rng, thresholds, s["influence"]) for members in systems(plan)]
    champions = np.unique(np.concatenate(chosen + [plan.champions]).astype(np.int64))
    new = np.setdiff1d(champions, plan.champions)
    plan.influence = plan.influence.copy()
    plan.influence[new] *= s["influence"]
    plan.champions = champions
    plan.charge_yearly("champions", new.size * s["cost_per_champion_year"])
