"""Summary metrics on runs whose outcome is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel, Network
from sim.metrics import equity_gap, equity_ratio, first_step_reaching, summarise


def isolated(quintiles: list[int]) -> Network:
    """Nodes with no ties: only the seeds ever adopt."""
    n = len(quintiles)
    nodes = pd.DataFrame({"label": np.arange(n), "deprivation_quintile": quintiles})
    return Network.from_edges(n, np.array([], int), np.array([], int), nodes=nodes)


def test_equity_gap_and_ratio_compare_the_extreme_quintiles() -> None:
    # quintile 1: 4 nodes, 2 adopted (50 %); quintile 5: 4 nodes, 1 adopted (25 %)
    net = isolated([1, 1, 1, 1, 3, 5, 5, 5, 5])
    model = AdoptionModel(graph=net, threshold=1, initial_adopters=[0, 1, 4, 5])
    assert equity_gap(model) == pytest.approx(0.25 - 0.5)
    assert equity_ratio(model) == pytest.approx(0.5)


def test_equity_ratio_is_undefined_when_the_least_deprived_have_no_adopters() -> None:
    model = AdoptionModel(graph=isolated([1, 1, 5, 5]), threshold=1, initial_adopters=[2])
    assert equity_ratio(model) is None
    assert equity_gap(model) == pytest.approx(0.5)


def test_milestones_are_the_first_steps_reaching_each_share() -> None:
    history = pd.DataFrame({"step": [0, 1, 2, 3], "adopted_fraction": [0.1, 0.3, 0.5, 0.7]})
    assert first_step_reaching(history, 0.25) == 1
    assert first_step_reaching(history, 0.5) == 2
    assert first_step_reaching(history, 0.8) is None


def test_summary_without_deprivation_leaves_equity_empty() -> None:
    path = Network.from_edges(3, np.array([0, 1]), np.array([1, 2]))
    model = AdoptionModel(graph=path, threshold=1, initial_adopters=[0]).run(None)
    summary = summarise(model)
    assert summary["final_adoption"] == 1.0
    assert summary["steps_to_80"] == 2
    assert summary["equity_gap"] is None and summary["equity_ratio"] is None
