"""The agents: organisations and the leaders inside them.

Each node of the network is one Mesa agent, reachable through ``model.agents`` for
selecting, grouping and aggregating. The state the contagion reads and writes lives in the
model's arrays (one step is one sparse operation over the whole network); an agent's
``adopted``, ``aware``, ``threshold``, ``exposure``, ... are *views* of those arrays, so they
are always current and cost nothing to keep in sync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import mesa
import numpy as np


class ModelArrays(Protocol):
    """What an agent reads of its model (``sim.engine.model.AdoptionModel``): the arrays it
    is a view of. A protocol, so that agents need not import the model that creates them."""

    adopted: np.ndarray
    aware: np.ndarray
    committed: np.ndarray
    champion: np.ndarray
    exposure: np.ndarray
    influence: np.ndarray
    effective_threshold: np.ndarray
    agent_list: list
    neighbours: Callable[[int], np.ndarray]


class _Node(mesa.Agent):
    """A network node: static attributes from the node table, dynamic state by view."""

    model: ModelArrays

    def __init__(self, model: ModelArrays, node: int, **attributes) -> None:
        super().__init__(model)
        self.node = node  # index into the model's arrays and the network's node table
        for name, value in attributes.items():
            setattr(self, name, value)

    @property
    def adopted(self) -> bool:
        return bool(self.model.adopted[self.node])

    @property
    def aware(self) -> bool:
        return bool(self.model.aware[self.node])

    @property
    def committed(self) -> bool:
        return bool(self.model.committed[self.node])

    @property
    def threshold(self) -> float:
        """The exposure this agent needs (a fraction threshold is shown as its exposure)."""
        return float(self.model.effective_threshold[self.node])

    @property
    def exposure(self) -> float:
        return float(self.model.exposure[self.node])

    @property
    def influence(self) -> float:
        return float(self.model.influence[self.node])

    def neighbours(self) -> list[_Node]:
        """The agents this one is tied to (current ties, including any built in the run)."""
        return [self.model.agent_list[j] for j in self.model.neighbours(self.node)]

    def __repr__(self) -> str:
        state = "adopted" if self.adopted else "aware" if self.aware else "unaware"
        return f"<{type(self).__name__} {self.node} {state}>"


class Organisation(_Node):
    """An organisation: ICB, trust, PCN, council, Active Partnership, leisure or VCS body ..."""


class Leader(_Node):
    """A person in an organisation (board member, commissioner, clinician, manager ...).

    Key players weigh more (``influence``); a champion is a committed adopter with extra
    influence who never lapses.
    """

    @property
    def champion(self) -> bool:
        return bool(self.model.champion[self.node])


AGENT_TYPES: dict[str, type[_Node]] = {"Organisation": Organisation, "Leader": Leader}
