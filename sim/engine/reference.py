"""The textbook per-agent linear-threshold model, as a plain Mesa model.

Kept deliberately naive and independent of the engine's code: every agent keeps its own
neighbour list (``{source: weight}``, like networkx's adjacency dicts), and every step it
walks that list in Python, works out its exposure E_i and weighted degree D_i from first
principles and decides; then all agents advance together (synchronous update, Mesa's
step/advance pattern). It is the oracle the vectorised ``AdoptionModel`` is tested against
step by step, and the "plain per-agent Mesa loop" the benchmark compares speed with.

The rule, for agent i and the agents j it listens to (tie weight w_ij):

    c_ij = min(coherence_i, coherence_j)  if i and j are in different sectors, else 1
         * min(alignment_i, alignment_j)  if one is national/regional and the other not
    E_i  = sum over adopted j of w_ij * influence_j * c_ij
    D_i  = sum over all j of w_ij * influence_j          (weighted degree, undiscounted)
    adopt when E_i >= T_i (count) or D_i > 0 and E_i >= phi_i * D_i (fraction).

The stochastic options, each decided by the agent's own uniform for (decision, step) from
``sim.engine.streams.AgentDraws`` (the shared per-agent draws make the comparison exact):
an agent above threshold adopts if its "adopt" draw is below ``adoption_rate``; an aware
agent below threshold if its "noise" draw is below ``noise``; any agent that did not adopt
otherwise if its "spontaneous" draw is below ``spontaneous_rate``; an uncommitted adopter
below threshold lapses if its "lapse" draw is below ``lapse_rate``. An agent is aware once
anyone it listens to has adopted, or a tie is built between it and an adopter. Ties built
during the run (``add_ties``) are mutual, count from the next step for ``lifetime`` steps,
and a tie given twice keeps its larger weight.
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np

from sim.engine.network import Network
from sim.engine.streams import AgentDraws

EPS = 1e-9  # the tolerance the vectorised model documents for "at threshold"

#: levels that make up "the centre"; a tie between the centre and a place is discounted
CENTRE = ("national", "regional")


class ThresholdAgent(mesa.Agent):
    """An agent that adopts once enough weighted neighbours have adopted."""

    def __init__(self, model: ReferenceModel, node: int, threshold: float, influence: float,
                 sector: object, level: object, coherence: float, alignment: float,
                 adopted: bool) -> None:
        super().__init__(model)
        self.node = node
        self.threshold = threshold
        self.influence = influence
        self.sector = sector
        self.in_centre = None if level is None else level in CENTRE
        self.coherence = coherence
        self.alignment = alignment
        self.adopted = adopted
        self.next_adopted = adopted
        self.aware = adopted
        self.committed = False
        self.sources: dict[int, float] = {}  # j -> w_ij: the agents whose adoption reaches me
        self.built: list[tuple[int, float, int, float]] = []  # (j, w, first step, expires)

    def discount(self, other: ThresholdAgent) -> float:
        c = 1.0
        if self.sector is not None and self.sector != other.sector:
            c *= min(self.coherence, other.coherence)
        if self.in_centre is not None and self.in_centre != other.in_centre:
            c *= min(self.alignment, other.alignment)
        return c

    def live_sources(self) -> dict[int, float]:
        """The network's ties plus built ones live this step (a repeated tie: its largest)."""
        if not self.built:
            return self.sources
        ties = dict(self.sources)
        step = self.model.steps
        for j, w, first, expires in self.built:
            if first <= step < expires:
                ties[j] = max(ties.get(j, 0.0), w)
        return ties

    def above_threshold(self) -> bool:
        exposure = 0.0
        degree = 0.0
        for j, w in self.live_sources().items():
            other = self.model.by_node[j]
            degree += w * other.influence
            if other.adopted:
                exposure += w * other.influence * self.discount(other)
        if self.model.threshold_kind == "fraction":
            return degree > 0 and exposure >= self.threshold * degree - EPS
        return exposure >= self.threshold - EPS

    def draw(self, decision: str) -> float:
        m = self.model
        return float(m.draws.uniforms(decision, m.steps, np.array([self.node]))[0])

    def step(self) -> None:
        m = self.model
        above = self.above_threshold()
        if self.adopted:
            lapses = (not self.committed and not above and m.lapse_rate > 0
                      and self.draw("lapse") < m.lapse_rate)
            self.next_adopted = not lapses
            return
        adopts = False
        if above:
            adopts = m.adoption_rate == 1.0 or self.draw("adopt") < m.adoption_rate
        elif self.aware and m.noise > 0:
            adopts = self.draw("noise") < m.noise
        if not adopts and m.spontaneous_rate > 0:
            adopts = self.draw("spontaneous") < m.spontaneous_rate
        self.next_adopted = adopts

    def advance(self) -> None:
        self.adopted = self.next_adopted

    def hear(self) -> None:
        """Aware once anyone I listen to has adopted (or I have)."""
        model = self.model
        self.aware = self.aware or self.adopted or any(
            model.by_node[j].adopted for j in self.live_sources())


class ReferenceModel(mesa.Model):
    """Per-agent synchronous linear-threshold model on a ``Network``.

    ``network.adjacency[i, j]`` is the weight with which j's adoption reinforces i (symmetric
    for an undirected network); it is read once, tie by tie, into each agent's own list.
    """

    def __init__(self, network: Network, threshold: float | np.ndarray, threshold_kind: str,
                 initial_adopters: Sequence[int], influence: float | np.ndarray = 1.0,
                 coherence: float | np.ndarray = 1.0, alignment: float | np.ndarray = 1.0,
                 *, seed: int = 0, adoption_rate: float = 1.0, noise: float = 0.0,
                 spontaneous_rate: float = 0.0, lapse_rate: float = 0.0,
                 committed: Sequence[int] = ()) -> None:
        super().__init__()
        n = network.n
        self.threshold_kind = threshold_kind
        self.draws = AgentDraws(seed, n)
        self.adoption_rate, self.noise = adoption_rate, noise
        self.spontaneous_rate, self.lapse_rate = spontaneous_rate, lapse_rate

        def per_node(value: float | np.ndarray) -> list[float]:
            return [float(x) for x in np.broadcast_to(np.asarray(value, dtype=float), (n,))]

        thresholds, influences = per_node(threshold), per_node(influence)
        coh, ali = per_node(coherence), per_node(alignment)
        nodes = network.nodes
        sector = nodes["sector"].tolist() if "sector" in nodes else [None] * n
        level = nodes["level"].tolist() if "level" in nodes else [None] * n
        seeds = {int(i) for i in initial_adopters}
        self.by_node = [ThresholdAgent(self, i, thresholds[i], influences[i], sector[i],
                                       level[i], coh[i], ali[i], i in seeds)
                        for i in range(n)]
        adj = network.adjacency
        indptr, indices, data = adj.indptr.tolist(), adj.indices.tolist(), adj.data.tolist()
        for i, agent in enumerate(self.by_node):
            for k in range(indptr[i], indptr[i + 1]):
                agent.sources[indices[k]] = data[k]
        for i in committed:
            self.by_node[int(i)].committed = True
        self.agents.do("hear")

    def add_ties(self, u: Sequence[int], v: Sequence[int], weight: float = 1.0,
                 lifetime: int | None = None) -> None:
        """Mutual ties from the next step on; the far end of a tie to an adopter hears now."""
        first = self.steps + 1
        expires = float("inf") if lifetime is None else float(first + lifetime)
        for a, b in zip(u, v, strict=True):
            a, b = int(a), int(b)
            if a == b:
                continue
            one, other = self.by_node[a], self.by_node[b]
            one.built.append((b, float(weight), first, expires))
            other.built.append((a, float(weight), first, expires))
            one.aware = one.aware or other.adopted
            other.aware = other.aware or one.adopted

    def step(self) -> None:
        self.agents.do("step")
        self.agents.do("advance")
        self.agents.do("hear")

    @property
    def adopted(self) -> np.ndarray:
        return np.array([a.adopted for a in self.by_node], dtype=bool)

    @property
    def aware(self) -> np.ndarray:
        return np.array([a.aware for a in self.by_node], dtype=bool)
