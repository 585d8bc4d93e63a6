"""The five validation studies reproduce their published qualitative results at small size.

Stochastic claims are tested over many replicates with a proper test (Mann-Whitney, Fisher's
exact, a sign test on paired replicates); deterministic ones exactly.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, fisher_exact, mannwhitneyu

from sim.analysis.studies import STUDIES
from sim.commands.validate import main

ALPHA = 0.01


@pytest.fixture(scope="module")
def small() -> dict[str, pd.DataFrame]:
    """Every study's table at its small size (a few seconds in all)."""
    return {name: study.execute("small") for name, study in STUDIES.items()}


def times(table: pd.DataFrame, **where: float) -> pd.Series:
    mask = np.logical_and.reduce([table[k] == v for k, v in where.items()])
    return table.loc[mask].sort_values("replicate")["steps_to_spread"]


# ---------------------------------------------------------------------------------------
# Centola & Macy (2007)
def test_long_ties_speed_up_a_simple_contagion(small) -> None:
    table = small["centola_macy_2007"]
    lattice = times(table, threshold=1, rewired=0.0)
    assert lattice.nunique() == 1  # no long ties: deterministic
    simple = table[table["threshold"] == 1]
    assert simple["spread"].all()
    # every rewired network at 10 % long ties is faster than the lattice
    assert (times(table, threshold=1, rewired=0.1) < lattice.iloc[0]).all()


def test_a_few_long_ties_help_a_simple_contagion_more_than_a_complex_one(small) -> None:
    """Paired by replicate (the same rewired network): time relative to the lattice."""
    table = small["centola_macy_2007"]
    ratio = {t: times(table, threshold=t, rewired=0.01).to_numpy()
             / times(table, threshold=t, rewired=0.0).to_numpy() for t in (1, 2)}
    simple_gains_more = int(np.sum(ratio[1] < ratio[2]))
    assert binomtest(simple_gains_more, len(ratio[1]), alternative="greater").pvalue < 0.05


def test_long_ties_stop_complex_contagions(small) -> None:
    table = small["centola_macy_2007"]
    spread = table.groupby(["threshold", "rewired"])["spread"].mean()
    for threshold in (2, 3):
        assert spread[(threshold, 0.0)] == 1.0
        assert spread[(threshold, 1.0)] == 0.0  # a random network: nothing spreads
    assert spread[(3, 0.01)] == 0.0  # T = k/2 = 3 stops at the first long ties
    assert spread[(1, 1.0)] == 1.0


# ---------------------------------------------------------------------------------------
# bridge width
def test_a_contagion_crosses_exactly_the_bridges_at_least_as_wide_as_its_threshold(small):
    table = small["bridge_width_validation"]
    assert (table["crossed"] == (table["width"] >= table["threshold"])).all()
    clusters = table["clusters"].iloc[0]
    wide = table[table["width"] >= table["threshold"]]
    narrow = table[table["width"] < table["threshold"]]
    assert (wide["final_adoption"] == 1.0).all()
    assert np.allclose(narrow["final_adoption"], 1 / clusters)  # stuck in the seed cluster
    assert STUDIES["bridge_width_validation"].findings(table)["crosses_iff_width_at_least_T"]


# ---------------------------------------------------------------------------------------
# Watts (2002)
def test_global_cascades_happen_only_inside_the_window(small) -> None:
    table = small["watts_2002"]
    hits = table.groupby("mean_degree")["global"].agg(["sum", "count"])
    inside = hits.loc[3.0]
    for outside in (0.5, 12.0):
        row = hits.loc[outside]
        odds = [[inside["sum"], inside["count"] - inside["sum"]],
                [row["sum"], row["count"] - row["sum"]]]
        assert fisher_exact(odds, alternative="greater").pvalue < ALPHA
    globals_ = table[table["global"]]
    assert (globals_["cascade_size"] > 0.5).all()  # global cascades are huge, not marginal


# ---------------------------------------------------------------------------------------
# Eckles, Mossel, Rahimian & Sen (2024)
def test_with_noise_long_ties_speed_a_complex_contagion_up(small) -> None:
    table = small["noisy_thresholds"]
    noisy = table[table["noise"] > 0]
    assert noisy["spread"].all()
    lattice = times(noisy, rewired=0.0)
    random = times(noisy, rewired=1.0)
    assert mannwhitneyu(random, lattice, alternative="less").pvalue < ALPHA


def test_without_noise_long_ties_stop_the_same_contagion(small) -> None:
    table = small["noisy_thresholds"]
    plain = table[table["noise"] == 0].groupby("rewired")["spread"].mean()
    assert plain[0.0] == 1.0
    assert plain[0.1] == 0.0 and plain[1.0] == 0.0


# ---------------------------------------------------------------------------------------
# Centola (2010)
def test_clustered_networks_spread_further_and_faster_than_random_ones(small) -> None:
    table = small["clustered_vs_random"]
    degrees = table.groupby("network")["k"].unique()
    assert all(len(d) == 1 and d[0] == degrees.iloc[0][0] for d in degrees)  # same degree
    found = STUDIES["clustered_vs_random"].findings(table)
    assert found["p_more"] < ALPHA
    assert found["p_faster"] < ALPHA
    assert found["clustered"]["mean_final_adoption"] > found["random"]["mean_final_adoption"]


# ---------------------------------------------------------------------------------------
# the command and the plumbing
def test_the_command_writes_table_figure_and_findings(tmp_path, capsys) -> None:
    assert main(["bridge_width_validation", "--small", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "bridge_width_validation"
    table = pd.read_csv(folder / "table.csv")
    assert len(table) == 9  # 3 widths x 3 thresholds
    assert (folder / "bridge_width_validation.png").stat().st_size > 1000
    found = json.loads((folder / "findings.json").read_text())
    assert found["crosses_iff_width_at_least_T"] is True
    assert "bridge_width_validation" in capsys.readouterr().out


def test_results_do_not_depend_on_the_number_of_workers(small) -> None:
    study = STUDIES["noisy_thresholds"]  # stochastic: noise draws from each run's seed
    parallel = study.execute("small", jobs=2)
    pd.testing.assert_frame_equal(parallel, small["noisy_thresholds"])


def test_every_study_draws_its_figure(small) -> None:
    import matplotlib.pyplot as plt

    for name, study in STUDIES.items():
        fig = study.figure(small[name])
        assert fig.axes, name
        plt.close(fig)


def test_a_named_size_is_checked_and_written_beside_the_default(tmp_path, capsys) -> None:
    """--size picks one of the study's own sizes (the README's k = 8 table); another name is
    one line with status 2, before anything is written."""
    assert main(["centola_macy_2007", "--size", "nope", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --size: centola_macy_2007 has sizes") and "\n" not in err
    assert not (tmp_path / "x").exists()
    assert STUDIES["centola_macy_2007"].sizes["k8"]["k"] == 8
    from sim.analysis.validation import default_out

    assert default_out("k8").name == "k8" and default_out("default").name == "validation"
