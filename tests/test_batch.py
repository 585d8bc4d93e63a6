"""Replicates stepped together (``sim.engine.batch``) are each exactly the replicate run alone:
every step's counts, the group counts, the final adopted / aware / exposure arrays -- with
noise, spontaneous adoption, lapse, adoption rate, committed agents, ties built (and fading)
during the run, fraction and count thresholds, rates that differ between replicates and
change during the run; on a small network and on England. And ``simulate`` gives the same
tables batched as one replicate at a time."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel
from sim.analysis.compare import compose
from sim.engine.batch import Batch
from sim.networks import build_network
from sim.runs import runner
from sim.runs.config import validate
from sim.runs.runner import can_batch, simulate, write_result
from sim.world.build import build_model

STEPS = 40


def assert_same_run(alone: AdoptionModel, batched: AdoptionModel) -> None:
    pd.testing.assert_frame_equal(alone.history, batched.history, check_exact=True)
    pd.testing.assert_frame_equal(alone.history_by_group(), batched.history_by_group(),
                                  check_exact=True)
    for name in ("adopted", "aware", "exposure", "effective_threshold"):
        np.testing.assert_array_equal(getattr(alone, name), getattr(batched, name), name)


class BuildTies:
    """An intervention that builds random ties (some fading) and makes a few agents aware,
    from the replicate's own generator: different ties in every replicate."""

    def __init__(self, seed: int, n: int, every: int = 3) -> None:
        self.rng, self.n, self.every = np.random.default_rng(seed), n, every

    def __call__(self, model: AdoptionModel) -> None:
        if model.steps % self.every == 0:
            u, v = self.rng.integers(0, self.n, size=(2, 12))
            model.add_ties(u, v, weight=float(self.rng.choice([0.5, 1.0, 2.0])),
                           lifetime=None if model.steps % 2 else 4)
            model.make_aware(self.rng.integers(0, self.n, size=3))


def small_models(kind: str, seed: int, replicates: int = 5) -> list[AdoptionModel]:
    """Replicates of one stochastic world on a small network of two sectors and levels,
    their rates differing as posterior draws make them differ."""
    net = build_network("small_world", n=300, k=6, p=0.1, seed=3)
    rng = np.random.default_rng(0)
    net.nodes["sector"] = rng.choice(["health", "community"], size=net.n)
    net.nodes["level"] = rng.choice(["national", "system", "local"], size=net.n)
    threshold = {"count": {"dist": "normal", "mean": 2.0, "sd": 0.6, "min": 0.5},
                 "fraction": {"dist": "beta", "a": 2, "b": 6}}[kind]
    models = []
    for r in range(replicates):
        spontaneous = [0.0, 0.002, 0.01][r % 3]

        def external(m: AdoptionModel, base: float = spontaneous) -> None:
            m.spontaneous_rate = base * (1.0 + 0.1 * (m.steps % 5))

        models.append(AdoptionModel(
            graph=net, threshold=threshold, threshold_kind=kind,
            initial_adopters={"strategy": "random", "k": 8}, seed=seed + r,
            adoption_rate=[1.0, 0.5][r % 2], noise=0.02, spontaneous_rate=spontaneous,
            lapse_rate=[0.05, 0.0][r % 2], influence=rng.choice([1.0, 2.0], size=net.n),
            coherence=0.5, alignment=[1.0, 0.75][r % 2], committed=[1, 2, 3],
            track=["sector", "level"], interventions=[BuildTies(seed + r, net.n), external]))
    return models


@pytest.mark.parametrize("kind", ["count", "fraction"])
@pytest.mark.parametrize("seed", [1, 20240601])
def test_a_batch_of_replicates_runs_each_exactly_as_alone(kind: str, seed: int) -> None:
    alone = [m.run(STEPS) for m in small_models(kind, seed)]
    batched = small_models(kind, seed)
    Batch(batched).run(STEPS)
    for a, b in zip(alone, batched, strict=True):
        assert a.ties_built == b.ties_built > 0
        assert_same_run(a, b)
    assert len({a.history["adopted"].iloc[-1] for a in alone}) > 1, "replicates differ"


def test_a_batch_can_continue_models_that_already_ran_and_hands_them_back() -> None:
    """Steps taken alone before a batch, and alone after it, continue the same run."""
    alone = [m.run(2 * STEPS) for m in small_models("count", 7, replicates=3)]
    mixed = [m.run(10) for m in small_models("count", 7, replicates=3)]
    Batch(mixed).run(STEPS)
    for a, b in zip(alone, mixed, strict=True):
        b.run(STEPS - 10)
        assert_same_run(a, b)


@pytest.fixture(scope="module")
def england_config() -> dict:
    # the recommended levers on one shared England network: champions, shared goals with an
    # inequalities focus, convening (ties built in quarterly rounds), purposeful events
    # (ties made at a table fade after 52 weeks: step 58 onwards; the year-3 events from 110)
    return validate(compose("recommended", ["network.seed=0", "steps=130"]))


@pytest.mark.parametrize("scenario", ["recommended", "baseline"])
def test_england_replicates_batched_equal_alone(england_config: dict, scenario: str) -> None:
    cfg = england_config if scenario == "recommended" else {**england_config, "levers": {}}
    net = build_network("england", **{k: v for k, v in cfg["network"].items() if k != "name"})
    seeds = [11, 12, 13]
    alone = [build_model(cfg, net, seed).run(cfg["steps"]) for seed in seeds]
    batched = [build_model(cfg, net, seed) for seed in seeds]
    Batch(batched).run(cfg["steps"])
    for a, b in zip(alone, batched, strict=True):
        assert_same_run(a, b)
    if scenario == "recommended":
        assert min(m.ties_built for m in batched) > 0
        assert batched[0]._net is batched[1]._net, "one copy of the network's matrices"


@pytest.mark.parametrize("replicates", [1, 3])  # one: the run and its baseline, a batch of 2
def test_simulate_batched_writes_the_tables_one_at_a_time_writes(england_config: dict,
                                                                  tmp_path, replicates: int,
                                                                  monkeypatch) -> None:
    cfg = {**england_config, "replicates": replicates}
    assert can_batch(cfg, 2 * replicates)
    # 3 replicates and their baselines in batches of 3: a replicate's run and its baseline
    # fall in different batches
    monkeypatch.setattr(runner, "BATCH_SIZE", 3)
    runner._BASELINES.clear()
    alone = simulate(cfg, baseline_dir=None, batch=False)
    runner._BASELINES.clear()  # the batched run computes its matched baselines too
    batched = simulate(cfg, baseline_dir=None)
    for result, folder in ((alone, "alone"), (batched, "batched")):
        write_result(result, tmp_path / folder, figure=False)
    for table in ("timeseries.parquet", "groups.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "alone" / table),
                                      pd.read_parquet(tmp_path / "batched" / table),
                                      check_exact=True)
    runs = [json.loads((tmp_path / folder / "summary.json").read_text())["runs"]
            for folder in ("alone", "batched")]
    for row in (*runs[0], *runs[1]):
        row.pop("runtime_s")
    assert runs[0] == runs[1]
    assert batched.extra == alone.extra
    assert batched.summary["extra_adopters"].notna().all()


def test_batching_applies_only_where_replicates_share_a_network(england_config: dict) -> None:
    assert not can_batch(england_config, 1)
    assert not can_batch({**england_config, "network": {"name": "england", "seed": None}}, 4)
    assert not can_batch({**england_config, "steps": None}, 4)
    assert not can_batch({**england_config, "record_agents": True}, 4)


def test_record_agents_falls_back_to_one_at_a_time(england_config: dict) -> None:
    cfg = {**england_config, "replicates": 2, "record_agents": True, "levers": {}}
    result = simulate(cfg, baseline_dir=None)
    assert result.agents is not None and set(result.agents["replicate"]) == {0, 1}


def test_symmetric_built_ties_gather_columns_as_the_general_index_does() -> None:
    """On an undirected network column j of the built ties is row j: the shortcut must give
    what the column index gives, entry for entry and in the same order."""
    from sim.engine.built import BuiltTies

    rng = np.random.default_rng(4)
    n = 50
    u, v = rng.integers(0, n, size=(2, 120))
    keys = np.unique(np.concatenate([u * n + v, v * n + u]))
    rows, cols = np.divmod(keys, n)
    weight = 0.5 + (np.minimum(rows, cols) * 7 + np.maximum(rows, cols)) % 3  # (i,j) = (j,i)
    general = BuiltTies(n, keys, weight, weight * 0.5)
    shortcut = BuiltTies(n, keys, weight, weight * 0.5, symmetric=True)
    agents = rng.integers(0, n, size=30)
    for which in (2, 3):
        for a, b in zip(general.columns(which, agents), shortcut.columns(which, agents),
                        strict=True):
            np.testing.assert_array_equal(a, b)
