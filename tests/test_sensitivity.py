"""Sobol' sensitivity: the command end to end at tiny size, and indices that mean something."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis.sensitivity import (
    FACTORS,
    Factor,
    outcome_values,
    select_factors,
    sensitivity,
    with_defaults,
    with_values,
)
from sim.commands.sensitivity import main
from sim.errors import InputError

TINY_WORLD = ["network=clustered", "network.clusters=6", "network.size=8", "steps=30",
              "scenario=baseline", "levers/data=none"]


def test_the_command_runs_end_to_end(tmp_path, capsys) -> None:
    out = tmp_path / "sens"
    code = main([*TINY_WORLD, "levers/convening=wide_bridges", "levers/champions=pacc",
                 "levers.champions.placement=neighbourhood",
                 "--factors", "levers.convening.budget,per_system", "--n", "4",
                 "--replicates", "2", "--jobs", "1", "--out", str(out)])
    assert code == 0
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 4 * (2 + 2) * 2  # N (D + 2) samples x replicates
    assert set(runs["levers.champions.per_system"]) <= {0, 1, 2, 3}
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["factor"]) == {"levers.convening.budget", "levers.champions.per_system"}
    analysed = set(indices["outcome"])
    value = runs.groupby("sample")["cost_per_extra_adopter"].mean()
    assert ("cost_per_extra_adopter" in analysed) == (value.notna().all() and value.nunique() > 1)
    assert "equity_gap" not in analysed  # no deprivation on this network
    for outcome in ("final_adoption", "steps_to_50"):  # left out only when constant
        assert (outcome in analysed) == (runs.groupby("sample")[outcome].mean().nunique() > 1)
    assert (indices.groupby("outcome")["factor"].count() == 2).all()
    assert (out / "driver_diagram.png").stat().st_size > 5000
    assert "total-order" in capsys.readouterr().out


def test_sobol_ranks_the_factor_that_decides_the_outcome_first(tmp_path) -> None:
    """On clusters joined by bridges, a threshold-2 contagion crosses only bridges of width
    >= 2: the width decides final adoption; a minute spontaneous rate barely matters."""
    factors = [Factor("network.width", 1, 2, "lever", "bridge width", integer=True),
               Factor("model.spontaneous_rate", 0.0, 1e-6, "mechanism", "spontaneous")]
    _, indices, _ = sensitivity([*TINY_WORLD, "model.threshold=2"], n=16, replicates=1,
                                factors=factors, out=tmp_path)
    st = indices[indices["outcome"] == "final_adoption"].set_index("factor")["ST"]
    assert st["network.width"] > 0.8
    assert st["model.spontaneous_rate"] < 0.1


def test_outcomes_are_censored_into_numbers() -> None:
    never = outcome_values({"steps_to_50": None, "final_adoption": 0.1, "equity_gap": None,
                            "cost": 30.0, "cost_per_extra_adopter": None}, horizon=52)
    assert never["steps_to_50"] == 53  # slower than the horizon
    assert pd.isna(never["cost_per_extra_adopter"])  # no extra adopter: undefined, as everywhere
    assert pd.isna(never["equity_gap"])


def test_factor_values_and_config_keys() -> None:
    count = Factor("levers.champions.per_system", 0, 3, "lever", "champions", integer=True)
    assert count.bounds == [0, 4]
    assert [count.value(x) for x in (0.0, 0.99, 3.5, 4.0)] == [0, 0, 3, 3]
    cfg = with_values({"model": {"noise": 0.0}}, {"model.noise": 0.1, "levers.data.share": 1})
    assert cfg == {"model": {"noise": 0.1}, "levers": {"data": {"share": 1}}}
    assert with_defaults(["scenario=baseline", "steps=10"]) == [
        "levers/data=enabled", "scenario=baseline", "steps=10"]
    assert [f.key for f in select_factors(["share", "mechanisms.coherence"])] == [
        "levers.data.share", "mechanisms.coherence"]
    assert len(select_factors(None)) == len(FACTORS)


@pytest.mark.parametrize(("args", "field"), [
    (["--factors", "nonsense"], "--factors"),
    (["--n", "6"], "--n"),
    (["network.nonsense=1"], "network.nonsense"),
])
def test_bad_input_is_one_line_naming_the_field(args, field, tmp_path, capsys) -> None:
    assert main([*TINY_WORLD, *args, "--jobs", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {field}") and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_a_factor_key_the_config_rejects_fails_before_running() -> None:
    bad = [Factor("model.noise", 0.0, 2.0, "mechanism", "noise out of range")]
    with pytest.raises(InputError, match="model.noise"):
        sensitivity(TINY_WORLD, n=2, replicates=1, factors=bad, out=None)
