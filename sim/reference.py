"""The textbook per-agent linear-threshold model, as a plain Mesa model.

Kept deliberately naive: every agent, every step, walks its neighbours in Python and decides,
then all agents advance together (synchronous update, Mesa's step/advance pattern). It is
the oracle the vectorised ``AdoptionModel`` is tested against step by step, and the
"plain per-agent Mesa loop" the benchmark compares speed with. It covers the deterministic
rule: count or fraction thresholds, tie weights, influence, coherence and alignment.
"""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np

from sim.network import Network

EPS = 1e-9  # same tolerance as the vectorised model


class ThresholdAgent(mesa.Agent):
    """An agent that adopts once enough weighted neighbours have adopted."""

    def __init__(self, model: ReferenceModel, node: int, threshold: float,
                 influence: float, adopted: bool) -> None:
        super().__init__(model)
        self.node = node
        self.threshold = threshold
        self.influence = influence
        self.adopted = adopted
        self.next_adopted = adopted
        self.ties: list[tuple[ThresholdAgent, float]] = []

    def step(self) -> None:
        if self.adopted:
            return
        exposure = sum(w * j.influence for j, w in self.ties if j.adopted)
        if self.model.threshold_kind == "fraction":
            reach = sum(w * j.influence for j, w in self.ties)
            self.next_adopted = reach > 0 and exposure >= self.threshold * reach - EPS
        else:
            self.next_adopted = exposure >= self.threshold - EPS

    def advance(self) -> None:
        self.adopted = self.next_adopted


class ReferenceModel(mesa.Model):
    """Per-agent synchronous linear-threshold model on a ``Network``."""

    def __init__(self, network: Network, threshold: float | np.ndarray, threshold_kind: str,
                 initial_adopters: Sequence[int], influence: float | np.ndarray = 1.0,
                 coherence: float | np.ndarray = 1.0, alignment: float | np.ndarray = 1.0,
                 ) -> None:
        super().__init__()
        n = network.n
        self.threshold_kind = threshold_kind
        thresholds = np.broadcast_to(np.asarray(threshold, dtype=float), (n,))
        influences = np.broadcast_to(np.asarray(influence, dtype=float), (n,))
        coh = np.broadcast_to(np.asarray(coherence, dtype=float), (n,))
        ali = np.broadcast_to(np.asarray(alignment, dtype=float), (n,))
        seeds = set(int(i) for i in initial_adopters)
        self.by_node = [ThresholdAgent(self, i, float(thresholds[i]), float(influences[i]),
                                       i in seeds) for i in range(n)]
        nodes = network.nodes
        sector = nodes["sector"].tolist() if "sector" in nodes else None
        centre = ("national", "regional")
        level = [x in centre for x in nodes["level"]] if "level" in nodes else None
        adj = network.adjacency
        for i, agent in enumerate(self.by_node):
            for k in range(adj.indptr[i], adj.indptr[i + 1]):
                j = int(adj.indices[k])
                c = 1.0
                if sector is not None and sector[i] != sector[j]:
                    c *= min(coh[i], coh[j])
                if level is not None and level[i] != level[j]:
                    c *= min(ali[i], ali[j])
                agent.ties.append((self.by_node[j], float(adj.data[k]) * c))

    def step(self) -> None:
        self.agents.do("step")
        self.agents.do("advance")

    @property
    def adopted(self) -> np.ndarray:
        return np.array([a.adopted for a in self.by_node], dtype=bool)
