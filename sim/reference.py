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
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np

from sim.network import Network

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
        self.sources: dict[int, float] = {}  # j -> w_ij: the agents whose adoption reaches me

    def discount(self, other: ThresholdAgent) -> float:
        c = 1.0
        if self.sector is not None and self.sector != other.sector:
            c *= min(self.coherence, other.coherence)
        if self.in_centre is not None and self.in_centre != other.in_centre:
            c *= min(self.alignment, other.alignment)
        return c

    def above_threshold(self) -> bool:
        exposure = 0.0
        degree = 0.0
        for j, w in self.sources.items():
            other = self.model.by_node[j]
            degree += w * other.influence
            if other.adopted:
                exposure += w * other.influence * self.discount(other)
        if self.model.threshold_kind == "fraction":
            return degree > 0 and exposure >= self.threshold * degree - EPS
        return exposure >= self.threshold - EPS

    def step(self) -> None:
        self.next_adopted = self.adopted or self.above_threshold()

    def advance(self) -> None:
        self.adopted = self.next_adopted


class ReferenceModel(mesa.Model):
    """Per-agent synchronous linear-threshold model on a ``Network``.

    ``network.adjacency[i, j]`` is the weight with which j's adoption reinforces i (symmetric
    for an undirected network); it is read once, tie by tie, into each agent's own list.
    """

    def __init__(self, network: Network, threshold: float | np.ndarray, threshold_kind: str,
                 initial_adopters: Sequence[int], influence: float | np.ndarray = 1.0,
                 coherence: float | np.ndarray = 1.0, alignment: float | np.ndarray = 1.0,
                 ) -> None:
        super().__init__()
        n = network.n
        self.threshold_kind = threshold_kind

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

    def step(self) -> None:
        self.agents.do("step")
        self.agents.do("advance")

    @property
    def adopted(self) -> np.ndarray:
        return np.array([a.adopted for a in self.by_node], dtype=bool)
