"""Bad arguments to the Python API: sim.errors.InputError, one line, naming the argument and
what is allowed (never a TypeError or ValueError from deep inside)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import AdoptionModel, InputError
from sim.networks.lattice import ring_lattice

N = 10

CASES = [
    ({"initial_adopters": 3}, "initial_adopters", "list of nodes"),
    ({"initial_adopters": [True, False]}, "initial_adopters", "one value per node"),
    ({"seed": -1}, "seed", "non-negative integer"),
    ({"seed": "abc"}, "seed", "non-negative integer"),
    ({"seed": 1.5}, "seed", "non-negative integer"),
    ({"seed": True}, "seed", "non-negative integer"),
    ({"threshold": True}, "model.threshold", "number"),
    ({"threshold": "2"}, "model.threshold", "number"),
    ({"threshold": [True] * N}, "model.threshold", "number"),
    ({"threshold": {"dist": "normal", "mean": "two", "sd": 1}}, "model.threshold.mean",
     "number"),
    ({"threshold": {"dist": "normal", "mean": 2, "sd": 1, "min": "one"}},
     "model.threshold.min", "number"),
    ({"max_steps": True}, "model.max_steps", "positive integer"),
    ({"seeds_committed": "yes"}, "seeds_committed", "True or False"),
    ({"eager_agents": 1}, "eager_agents", "True or False"),
    *[({option: value}, f"model.{option}", "probability")
      for option in ("adoption_rate", "noise", "spontaneous_rate", "lapse_rate")
      for value in ("high", True, None, [0.5])],
    *[({option: value}, f"model.{option}", "number")
      for option in ("influence", "coherence", "alignment")
      for value in ("high", True, [True] * N, *([None] if option != "influence" else []))],
]


@pytest.mark.parametrize(("kwargs", "field", "allowed"), CASES,
                         ids=[f"{k}={v!r}"[:40] for k, v in (next(iter(c[0].items()))
                                                             for c in CASES)])
def test_bad_argument_is_a_one_line_input_error(kwargs: dict, field: str, allowed: str) -> None:
    with pytest.raises(InputError) as err:
        AdoptionModel(graph=ring_lattice(N, 2), **kwargs)
    message = str(err.value)
    assert message.startswith(f"{field}:"), message
    assert allowed in message and "\n" not in message


def test_a_boolean_mask_selects_the_initial_adopters() -> None:
    """A mask of length n is a selection (not the labels 0 and 1)."""
    mask = np.zeros(N, dtype=bool)
    mask[[2, 7]] = True
    for given in (mask, mask.tolist()):
        model = AdoptionModel(graph=ring_lattice(N, 2), initial_adopters=given)
        assert model.initial_adopters.tolist() == [2, 7]


def test_good_values_of_every_kind_are_accepted() -> None:
    """The control: numpy scalars, integer seeds and per-node arrays pass."""
    model = AdoptionModel(graph=ring_lattice(N, 2), threshold=np.float64(1.0),
                          seed=np.int64(4), adoption_rate=np.float32(0.5), noise=0,
                          influence=np.ones(N), coherence=1, initial_adopters=[0, 1])
    assert model.run(3).steps == 3
