"""What the levers change before and during a run, gathered in one place.

A ``Plan`` starts as the world without any lever (the mechanisms' coherence, alignment and
thresholds, the node table's influence) and each lever edits it: shared goals raise
coherence and alignment, data lowers thresholds, champions become committed adopters, and
convening and events add interventions that build ties, raise awareness and charge costs
while the model runs. ``sim.world.build`` then turns the plan into an ``AdoptionModel``.

Randomness: each lever draws from its own stream, derived from the replicate's seed and the
lever's name, never from the model's generator. A lever that is off draws nothing, so every
lever at zero reproduces the baseline exactly, and two lever settings share every other draw
(common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine import streams
from sim.engine.network import Network
from sim.world.mechanisms import adjust_thresholds, cap_at_reach, draw_by_type

if TYPE_CHECKING:
    from sim.engine.model import AdoptionModel

#: steps per year: running costs are charged 1/52 a week; convening budgets renew every 52
STEPS_PER_YEAR = 52

LEVERS = ("convening", "shared_goals", "champions", "events", "data")

Intervention = Callable[["AdoptionModel"], None]


@dataclass
class Plan:
    """The world one replicate runs in, as the levers leave it."""

    network: Network
    seed: int
    steps: int | None
    threshold_kind: str
    threshold_spec: Any  # model.threshold: for nodes the per-type thresholds do not cover
    threshold_types: dict[str, Any]  # mechanisms.thresholds: per agent type or kind
    typed: np.ndarray  # nodes the per-type thresholds (and the reach cap) cover
    deprivation_penalty: float
    coherence: np.ndarray
    alignment: np.ndarray
    influence: np.ndarray
    penalty_offset: np.ndarray  # share of the deprivation penalty removed (inequalities goal)
    threshold_reduction: np.ndarray  # share of the threshold removed (data capability)
    cap_at_reach: bool = False
    champions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    interventions: list[Intervention] = field(default_factory=list)
    annual_costs: dict[str, float] = field(default_factory=dict)
    costs: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEVERS, 0.0))
    _base: np.ndarray | None = field(default=None, init=False, repr=False)
    _unlevered: tuple[np.ndarray, ...] = field(default=(), init=False, repr=False)

    def __post_init__(self) -> None:
        # the world before any lever (influence, coherence, alignment): what the reach cap
        # reads, so that no lever moves anyone's threshold through it (kept only when the
        # cap applies: three per-node copies are 240 MB at 10^7 nodes)
        if self.cap_at_reach and self.threshold_kind == "count":
            self._unlevered = (self.influence.copy(), self.coherence.copy(),
                               self.alignment.copy())

    @property
    def n(self) -> int:
        return self.network.n

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator for one lever (or mechanism) in this replicate."""
        return streams.stream(self.seed, stream)

    @property
    def base_drawn(self) -> bool:
        return self._base is not None

    def base_threshold(self) -> np.ndarray:
        """Thresholds drawn per type, before deprivation, goals and data (drawn once, from
        the plan's own stream, so it does not matter which lever asks first)."""
        if self._base is None:
            self._base = draw_by_type(self.threshold_types, self.threshold_spec,
                                      self.network.nodes, self.threshold_kind,
                                      self.rng("thresholds"))
        return self._base

    def thresholds(self) -> np.ndarray:
        """The thresholds the model will use, after every lever so far."""
        nodes = self.network.nodes
        deprivation = nodes["deprivation"].to_numpy(float) if "deprivation" in nodes else None
        out = adjust_thresholds(self.base_threshold(), self.threshold_kind, deprivation,
                                self.deprivation_penalty, self.penalty_offset,
                                self.threshold_reduction)
        if self.cap_at_reach and self.threshold_kind == "count":
            influence, coherence, alignment = self._unlevered
            out = cap_at_reach(out, self.network, influence, self.typed, coherence, alignment)
        return out

    def charge(self, model: AdoptionModel, lever: str, amount: float) -> None:
        """Add a lever's spending to the model's cumulative cost and to its own ledger."""
        if amount:
            model.add_cost(amount)
            self.costs[lever] += float(amount)

    def charge_yearly(self, lever: str, amount: float) -> None:
        """A running cost per year, charged pro rata: 1/52 of it every week of the run (a
        53-week run pays 53/52 years, as convening pays per tie in the week it is built)."""
        if amount > 0:
            self.annual_costs[lever] = self.annual_costs.get(lever, 0.0) + float(amount)

    def yearly_charges(self) -> Intervention | None:
        """The intervention that charges every running cost, a week's share each step."""
        if not self.annual_costs:
            return None
        weekly = {lever: amount / STEPS_PER_YEAR for lever, amount in self.annual_costs.items()}

        def charge_week(model: AdoptionModel) -> None:
            for lever, amount in weekly.items():
                self.charge(model, lever, amount)

        return charge_week
