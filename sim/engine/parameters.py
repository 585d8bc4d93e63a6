"""The contagion rule's parameters (the ``model`` config group), declared once.

``AdoptionModel`` checks its scalar arguments against ``ModelParameters`` and the config's
pre-flight checks the ``model`` group against the same class (``sim.runs.schema``), so the
Python API and the command line accept the same values and say the same thing about a bad one.
The defaults are ``AdoptionModel``'s own (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from sim.engine.schema import (
    MAX_STEPS,
    Allowed,
    Group,
    NonNegativeInt,
    Probability,
    Seed,
    check,
    key,
)
from sim.engine.seeding import STRATEGIES
from sim.engine.thresholds import THRESHOLD_KINDS

#: a step count: the API has always said "a positive integer"
MaxSteps = Annotated[int, Field(ge=1, le=MAX_STEPS),
                     Allowed(f"a positive integer up to {MAX_STEPS}")]

#: model.threshold: its shape and range are checked by ``sim.engine.thresholds``
ThresholdSpec = Annotated[Any, Allowed("a number, a list or a distribution")]


class ModelParameters(Group):
    """The ``model`` group: the adoption rule (all options off: the plain deterministic
    linear-threshold model)."""

    threshold: ThresholdSpec = key(2, "a number, one per node, or {dist: normal, mean: 2, "
                                      "sd: 0.5, min: 0.5} (drawn per node)")
    threshold_kind: Literal[THRESHOLD_KINDS] = key(  # type: ignore[valid-type]
        "count", "count: adopt when E >= T (Centola & Macy); fraction: when E/D >= phi (Watts)")
    adoption_rate: Probability = key(1.0, "probability per step of adopting when above "
                                          "threshold")
    noise: Probability = key(0.0, "probability per step of adopting when aware but below "
                                  "threshold")
    spontaneous_rate: Probability = key(0.0, "probability per step of adopting from external "
                                             "evidence, without any tie")
    lapse_rate: Probability = key(0.0, "probability per step that an adopter below threshold "
                                       "lapses (committed agents never do)")
    max_steps: MaxSteps = key(10_000, "cap on the steps of a run to a fixed point "
                                      "(steps=null)")


class ReplicateSeed(Group):
    """``AdoptionModel``'s ``seed`` argument."""

    seed: Seed | None = key(None, "seeds every random draw of the model; null: a fresh one")


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (the schema is strict about types)."""
    return value.item() if isinstance(value, np.generic) else value


def check_parameters(values: Mapping[str, Any]) -> ModelParameters:
    """``AdoptionModel``'s scalar arguments, checked as the ``model`` group is."""
    return check(ModelParameters, {k: plain(v) for k, v in values.items()}, "model")


def check_seed(seed: Any) -> int | None:
    """The model's seed: a non-negative integer, or None."""
    return check(ReplicateSeed, {"seed": plain(seed)}, "").seed


# ------------------------------------------------------------------------------------------
# the seeding group: one schema per strategy (sim.engine.seeding)

NodeLabel = Annotated[Any, Allowed("a node label")]


class NoSeeding(Group):
    """``seeding=none``: no initial adopters."""

    strategy: Literal["none"] = key("none", "the seeding strategy")


class RandomSeeding(Group):
    """``seeding=random``: k nodes drawn at random (from the replicate's seed)."""

    strategy: Literal["random"] = key("random", "the seeding strategy")
    k: NonNegativeInt = key(..., "initial adopters (at most the network's nodes)")


class DegreeSeeding(Group):
    """``seeding=degree``: the k best-connected nodes."""

    strategy: Literal["degree"] = key("degree", "the seeding strategy")
    k: NonNegativeInt = key(..., "initial adopters (at most the network's nodes)")


class NeighbourhoodSeeding(Group):
    """``seeding=neighbourhood``: one node and all its neighbours (clustered seeding)."""

    strategy: Literal["neighbourhood"] = key("neighbourhood", "the seeding strategy")
    node: NodeLabel | None = key(None, "the node whose neighbourhood adopts; null: drawn at "
                                       "random")


class NodeSeeding(Group):
    """``seeding=nodes``: the listed nodes adopt at step 0."""

    strategy: Literal["nodes"] = key("nodes", "the seeding strategy")
    nodes: Annotated[list[Any], Allowed("a list of node labels")] = key(
        ..., "labels of the initial adopters, each once")


#: seeding strategy -> its schema
SEEDINGS: dict[str, type[Group]] = {
    "none": NoSeeding, "random": RandomSeeding, "degree": DegreeSeeding,
    "neighbourhood": NeighbourhoodSeeding, "nodes": NodeSeeding,
}
assert set(SEEDINGS) == {"none", *STRATEGIES}
