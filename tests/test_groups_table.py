"""A job's by-group table, built for all its replicates at once, is the table the
replicate-by-replicate definition gives (``extend_groups(history_by_group(), model)``)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from sim.analysis.compare import compose
from sim.runs import runner
from sim.runs.config import validate
from sim.world import outcomes

LEVERS = ("levers.convening.budget=200", "levers.champions.per_system=1",
          "levers.shared_goals.strength=0.5")


def _models(scenario: str | None, *overrides: str, replicates: int = 3) -> list:
    config = validate(compose(scenario, ["steps=12", *overrides]))
    return [runner.run_replicate(config, r, runner.replicate_seed(config, r), {}).model
            for r in range(replicates)]


def _one_by_one(models: list) -> pd.DataFrame:
    """The straightforward table: each replicate's own frame, then all of them concatenated."""
    frames = []
    for r, model in enumerate(models):
        frame = outcomes.extend_groups(model.history_by_group(), model)
        frame.insert(0, "replicate", r)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _assert_same(models: list, records: list[outcomes.GroupRecord] | None = None) -> None:
    records = records or [outcomes.record(m, r) for r, m in enumerate(models)]
    expected, table = _one_by_one(models), outcomes.groups_table(records)
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    schema = pa.Table.from_pandas(table, preserve_index=False).schema
    assert schema.equals(pa.Table.from_pandas(expected, preserve_index=False).schema)


@pytest.fixture(scope="module")
def england_models() -> list:
    return _models(None, "experiment=lever_grid", *LEVERS)


def test_england_replicates_tabled_together_are_the_replicates_tables(england_models) -> None:
    records = [outcomes.record(m, r) for r, m in enumerate(england_models)]
    assert all(rec.frame is None for rec in records)  # read from the counts, not re-tabled
    _assert_same(england_models, records)
    table = outcomes.groups_table(records)
    assert {"icb", "imd_quintile", "system"} <= set(table["attribute"])
    assert table["population_embedded_share"].notna().any()


def test_england_without_the_system_rows_leaves_the_ics_counts_empty() -> None:
    models = _models(None, "experiment=lever_grid", *LEVERS, "track=[region,kind]",
                     replicates=2)
    _assert_same(models)
    icb = outcomes.groups_table([outcomes.record(m, r) for r, m in enumerate(models)])
    assert icb.loc[icb["attribute"] == "icb", "adopted"].isna().all()


def test_a_network_without_places_keeps_integer_counts() -> None:
    models = _models("recommended", "network=clustered", "levers/events=none", "track=[cluster]")
    _assert_same(models)
    table = outcomes.groups_table([outcomes.record(m, r) for r, m in enumerate(models)])
    assert table["adopted"].dtype == "int64" and "icb_code" not in table


def test_untracked_and_mixed_replicates_give_the_straightforward_table(england_models) -> None:
    untracked = _models(None, "experiment=lever_grid", "track=[]", replicates=2)
    records = [outcomes.record(m, r) for r, m in enumerate(untracked)]
    assert all(rec.frame is not None for rec in records)
    _assert_same(untracked, records)
    mixed = [untracked[0], *england_models[1:]]
    _assert_same(mixed)


def test_a_replicates_groups_are_its_rows_of_the_runs_table(england_models) -> None:
    config = validate(compose(None, ["steps=12", "experiment=lever_grid", *LEVERS,
                                     "replicates=2"]))
    reps = [runner.simulate_replicate(config, r, baseline_dir=None) for r in range(2)]
    result = runner.combine(config, reps, 0.0)
    pd.testing.assert_frame_equal(
        pd.concat([rep.groups for rep in reps], ignore_index=True), result.groups,
        check_exact=True)


def test_replicates_stepped_together_are_tabled_as_their_own_tables() -> None:
    config = validate(compose(None, ["steps=12", "experiment=lever_grid", *LEVERS,
                                     "network.seed=4"]))
    jobs = [(config, r, runner.replicate_seed(config, r)) for r in range(3)]
    assert runner.can_batch(config, len(jobs))
    models = [run.model for run in runner.run_batched(jobs, {})]
    _assert_same(models)
