"""Convening: funded capacity that builds ties between ICS x sector clusters.

The evaluation's missing helper was a funded convening resource cutting across sectors and
levels. Its theory of change is Centola's wide bridges: a complex contagion crosses from one
cluster to the next only where a node on the far side gets several adopting contacts at
once, so the same number of ties does more grouped into a few wide bridges than scattered as
many narrow ones.

Each year the ``budget`` (£k) buys ``floor(budget / cost_per_tie)`` ties, built in
``rounds_per_year`` evenly spaced convening rounds (default 4, quarterly: each round rebuilds
the model's tie matrix, so weekly rounds cost run time for little difference; each tie costs
``cost_per_tie`` when it is built):

- ``random``: single ties between random node pairs of adjacent clusters (narrow bridges);
- ``wide_bridges``: bridges of width w joining a team of w people of each of two adjacent
  clusters, everyone tied to everyone across: w x w ties, so each far-side member gets w
  ties, enough for a threshold of w (``sim.networks.bridges.bridge``, the definition the
  ``clustered`` network uses too). A bridge of width w costs w x w ties;
- ``targeted``: wide bridges from a cluster with adopters (its adopters on the bridge;
  clusters with enough adopters to fill the near-side team first) to an adjacent cluster
  below 50 % (its non-adopters on the bridge; larger clusters more often); untargeted while
  no cluster has adopters.

Two clusters are adjacent when they are in the same ICS or are the same sector in the same
NHS region: the partners a system or regional convenor can bring together. On networks
without ``system`` every other cluster is adjacent. A random node picks the near cluster and
a random node of the adjacent clusters the far one, so all three strategies draw cluster
pairs from the same distribution and differ only in how the ties are grouped. ``fade`` (weeks)
makes built ties lapse; null keeps them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.engine import schema
from sim.engine.memo import once
from sim.engine.model import AdoptionModel
from sim.engine.schema import Group, NonNegative, Positive, PositiveInt, key
from sim.engine.streams import choice_cdf, pick, pick_weighted
from sim.errors import InputError
from sim.networks.bridges import bridge, bridge_ties
from sim.world.levers.plan import STEPS_PER_YEAR, Plan
from sim.world.liveness import track, unused

FIELD = "levers.convening"
STRATEGIES = ("none", "random", "wide_bridges", "targeted")
#: below this adopted share a cluster has not yet tipped (a target for targeted convening)
TIPPED = 0.5
_ATTEMPTS = 100


class ConveningSettings(Group):
    """``levers.convening``: a yearly budget that builds ties between clusters."""

    strategy: Literal[STRATEGIES] = key(  # type: ignore[valid-type]
        "none", "random: single ties; wide_bridges: w x w ties; targeted: wide bridges next to "
                "adopters; none: no budget allowed")
    budget: NonNegative = key(0.0, "convening resource per year, £k")
    cost_per_tie: Positive = key(1.0, "cost per new working tie brokered, £k")
    width: PositiveInt = key(2, "people on each side of a bridge, all tied (wide_bridges, "
                                "targeted)")
    fade: PositiveInt | None = key(None, "weeks a built tie lasts; null: permanent")
    rounds_per_year: PositiveInt = key(4, "convening rounds a year, evenly spaced",
                                       le=STEPS_PER_YEAR)


#: the settings this lever reads, and their defaults
SCHEMA = ConveningSettings
DEFAULTS: dict[str, Any] = SCHEMA().model_dump()


def check(cfg: Mapping[str, Any] | None, steps: int | None = None) -> dict[str, Any]:
    s = schema.check(ConveningSettings, cfg, FIELD).model_dump()
    if s["strategy"] == "none" and s["budget"] > 0:
        raise InputError(f"{FIELD}.budget: strategy 'none' builds no ties, so a budget of "
                         f"{s['budget']:g} would buy nothing; set {FIELD}.strategy to one of "
                         "random, wide_bridges, targeted")
    return s


@dataclass
class Clusters:
    """Cluster membership and which clusters a convenor can join."""

    of_node: np.ndarray  # cluster id per node, -1 outside clusters
    members: list[np.ndarray]  # node indices per cluster id
    adjacent: np.ndarray  # (c, c) bool

    @classmethod
    def of(cls, plan: Plan) -> Clusters:
        nodes = plan.network.nodes
        if "cluster" not in nodes:
            raise InputError(f"{FIELD}.strategy: convening needs a network with clusters "
                             "(a 'cluster' attribute, e.g. network=england or clustered)")
        of_node = nodes["cluster"].to_numpy().astype(np.int64)
        c = int(of_node.max()) + 1 if of_node.size else 0
        order = np.argsort(of_node, kind="stable")
        bounds = np.searchsorted(of_node[order], np.arange(c + 1))
        members = [np.sort(order[bounds[i]:bounds[i + 1]]) for i in range(c)]
        first = np.array([m[0] if m.size else -1 for m in members])
        adjacent = ~np.eye(c, dtype=bool)
        if "system" in nodes and c:
            system, sector, region = (nodes[col].to_numpy()[first]
                                      for col in ("system", "sector", "region"))
            same = lambda x: x[:, None] == x[None, :]  # noqa: E731
            adjacent &= same(system) | (same(sector) & same(region))
        return cls(of_node=of_node, members=members, adjacent=adjacent)

    def sizes(self) -> np.ndarray:
        if not hasattr(self, "_sizes"):
            self._sizes = np.array([m.size for m in self.members])
        return self._sizes


class Convenor:
    """The intervention: each round, builds the bridges the year's budget has paid for so far."""

    def __init__(self, s: dict[str, Any], plan: Plan) -> None:
        self.strategy = s["strategy"]
        self.width = bridge_width(s)
        self.cost_per_tie = s["cost_per_tie"]
        self.fade = s["fade"]
        self.rounds = s["rounds_per_year"]
        self.bridges_per_year = bridges_per_year(s)
        self.plan = plan
        self.rng = plan.rng("convening")
        nodes = plan.network.nodes  # the same clusters for every replicate on this network
        self.clusters = once(nodes, "clusters", lambda: Clusters.of(plan))
        self.near_size = self.far_size = self.width
        sizes = self.clusters.sizes()
        largest = int(sizes.max(initial=0))
        if self.width > largest:
            raise InputError(f"{FIELD}.width: must be <= the largest cluster "
                             f"({largest} nodes) (got {self.width})")
        big = sizes >= self.near_size
        self.far_ok = self.clusters.adjacent & big[None, :]
        self.near_ok = big & self.far_ok.any(axis=1)
        if self.bridges_per_year and not self.near_ok.any():
            raise InputError(f"{FIELD}.width: no two adjacent clusters can hold a bridge of "
                             f"width {self.width} (teams of {self.near_size})")
        self.near_pool = np.concatenate([np.empty(0, np.int64)] + [
            self.clusters.members[i] for i in np.flatnonzero(self.near_ok)])
        self.built_this_year = 0
        #: every bridge built: (week, near-side end of each tie, far-side end of each tie)
        self.bridges: list[tuple[int, np.ndarray, np.ndarray]] = []

    def __call__(self, model: AdoptionModel) -> None:
        week = (model.steps - 1) % STEPS_PER_YEAR + 1
        if week == 1:
            self.built_this_year = 0
        rounds_done = week * self.rounds // STEPS_PER_YEAR
        if rounds_done == (week - 1) * self.rounds // STEPS_PER_YEAR:
            return  # not a convening week
        due = self.bridges_per_year * rounds_done // self.rounds - self.built_this_year
        for _ in range(due):
            self.build(model)
            self.built_this_year += 1

    # ---- choosing where -----------------------------------------------------------------
    def random_pair(self) -> tuple[int, int]:
        """A near cluster from a random node, a far one from a random node of its adjacent."""
        near = int(self.clusters.of_node[pick(self.rng, self.near_pool)])
        far_clusters, cdf = self._far_choices(near)
        return near, int(pick_weighted(self.rng, far_clusters, cdf))

    def _far_choices(self, near: int) -> tuple[np.ndarray, np.ndarray]:
        """The clusters adjacent to ``near`` and the distribution of their chances (by size),
        worked out once."""
        cache = self.__dict__.setdefault("_far", {})
        if near not in cache:
            far_clusters = np.flatnonzero(self.far_ok[near])
            weights = self.clusters.sizes()[far_clusters].astype(float)
            cache[near] = (far_clusters, choice_cdf(weights / weights.sum()))
        return cache[near]

    def targeted_pair(self, adopted: np.ndarray) -> tuple[int, int] | None:
        """A cluster with adopters and an adjacent one that has not tipped (< 50 %)."""
        of_node = self.clusters.of_node
        inside = of_node >= 0
        sizes = self.clusters.sizes()
        count = np.bincount(of_node[inside & adopted], minlength=sizes.size)
        open_far = self.far_ok & (count < TIPPED * sizes)[None, :]
        can_reach = self.near_ok & open_far.any(axis=1)
        sources = np.flatnonzero(can_reach & (count >= self.near_size))  # a full team
        if sources.size == 0:
            sources = np.flatnonzero(can_reach & (count > 0))
        if sources.size == 0:
            return None
        near = int(pick(self.rng, sources))
        far_clusters = np.flatnonzero(open_far[near])
        weights = sizes[far_clusters].astype(float)
        return near, int(pick_weighted(self.rng, far_clusters,
                                       choice_cdf(weights / weights.sum())))

    def team(self, cluster: int, size: int, prefer: np.ndarray | None) -> np.ndarray:
        """``size`` random members, those in ``prefer`` first."""
        members = self.rng.permutation(self.clusters.members[cluster])
        if prefer is not None:
            members = members[np.argsort(~prefer[members], kind="stable")]
        return members[:size]

    def build(self, model: AdoptionModel) -> None:
        pair = self.targeted_pair(model.adopted) if self.strategy == "targeted" else None
        near, far = pair or self.random_pair()
        targeted = pair is not None
        near_team = self.team(near, self.near_size, model.adopted if targeted else None)
        far_team = self.team(far, self.far_size, ~model.adopted if targeted else None)
        u, v = bridge(near_team, far_team)
        built = model.add_ties(u, v, lifetime=self.fade)
        self.bridges.append((int(model.steps), u, v))
        self.plan.charge(model, "convening", built * self.cost_per_tie)


def bridge_width(s: Mapping[str, Any]) -> int:
    """People on each side of a bridge: ``width``, except random convening's single ties."""
    if s["strategy"] == "random":
        unused(f"{FIELD}.width", "strategy random builds single ties (width 1)")
        return 1
    return s["width"]


def bridges_per_year(s: Mapping[str, Any]) -> int:
    """Whole bridges the yearly budget buys (``s`` from ``check``)."""
    if s["strategy"] == "none":
        return 0
    ties_per_year = int(math.floor(s["budget"] / s["cost_per_tie"] + 1e-9))
    return ties_per_year // bridge_ties(bridge_width(s))


def is_off(s: Mapping[str, Any]) -> bool:
    """The budget buys no bridge: the lever changes nothing (``s`` from ``check``)."""
    return bridges_per_year(s) == 0


def apply(cfg: Mapping[str, Any] | None, plan: Plan) -> None:
    s = track(check(cfg), FIELD)  # reports each setting read (sim.world.liveness)
    if s["strategy"] == "none" or s["budget"] == 0.0:
        unused(FIELD, f"{FIELD}.budget is 0 (or the strategy none): no tie is built")
        return
    convenor = Convenor(s, plan)  # checks the width against the network even if unaffordable
    if is_off(s):
        unused(FIELD, f"{FIELD}.budget buys less than one bridge a year: no tie is built")
    else:
        plan.interventions.append(convenor)
