"""The reach cap on the default England world: every agent it covers can reach its threshold,
and champions (a lever) leave everyone else's threshold where it was."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.sensitivity import compose_config
from sim.engine.model import EPS, AdoptionModel
from sim.runs.runner import replicate_network, replicate_seed
from sim.world.build import build_model


def england_model(*overrides: str) -> AdoptionModel:
    """Replicate 0 of the default config (full-size England), built as ``simulate`` builds it."""
    cfg = compose_config(list(overrides), check=False)
    seed = replicate_seed(cfg, 0)
    net_seed, model_seed = (int(s.generate_state(1)[0])
                            for s in np.random.SeedSequence(seed).spawn(2))
    return build_model(cfg, replicate_network(cfg, net_seed, {}), model_seed)


@pytest.fixture(scope="module")
def baseline() -> AdoptionModel:
    return england_model()


def unreachable(model: AdoptionModel) -> np.ndarray:
    """Covered agents whose threshold exceeds the discounted reinforcement of all contacts."""
    reach = model.reinforcement @ model.influence
    return model.plan.typed & (reach > 0) & (model.threshold > reach + EPS)


def test_every_covered_agent_can_reach_its_threshold(baseline: AdoptionModel) -> None:
    assert baseline.plan.cap_at_reach and baseline.plan.typed.all()
    assert unreachable(baseline).sum() == 0


def test_the_cap_does_bind(baseline: AdoptionModel) -> None:
    """The control: without the cap many agents are out of reach (so the test above can fail)."""
    uncapped = england_model("mechanisms.cap_at_reach=false")
    assert unreachable(uncapped).sum() > 100
    assert (baseline.threshold < uncapped.threshold).sum() > 100


def test_champions_leave_other_thresholds_unchanged(baseline: AdoptionModel) -> None:
    championed = england_model("levers/champions=pacc")
    others = ~championed.champion
    assert championed.champion.sum() > 0
    np.testing.assert_array_equal(championed.threshold[others], baseline.threshold[others])
    assert unreachable(championed).sum() == 0
