"""Parameter recovery in CI: a few synthetic data sets on a small clustered network and on
the Medical Innovation file network; the full coverage study is
``python -m sim.analysis.calibration.recovery --setup clustered|file --repeats 20``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyabc")

from sim.analysis.calibration.recovery import PRIORS, STEPS, recover  # noqa: E402

TINY = {"population_size": 30, "generations": 3, "cores": 1}


@pytest.mark.slow
@pytest.mark.parametrize(("setup", "repeats"), [("clustered", 2), ("file", 1)])
def test_posterior_intervals_recover_the_truth(setup, repeats, tmp_path) -> None:
    table = recover(setup, repeats=repeats, out=tmp_path, seed=5, abc=TINY, size=8,
                    clusters=4, echo=lambda *_: None)
    assert len(table) == repeats * len(PRIORS)
    # the data simulated in each repeat were read back through the loader and fitted
    assert (tmp_path / f"{setup}_000" / "history.db").exists()
    if setup == "clustered":  # a time series of every step of every cluster
        series = pd.read_csv(tmp_path / "clustered_000" / "series.csv")
        assert len(series) == 4 * STEPS and series["adopters"].max() > 0
    # most intervals hold the truth (expected 90 %; a few repeats x 2 parameters here) ...
    assert table["covered"].mean() >= 0.5, table
    # ... and the data taught something: the spontaneous rate's interval is narrower than
    # its prior's central 90 % (log scale: the prior spans a factor of 20)
    rate = table[table["parameter"] == "model.spontaneous_rate"]
    prior = PRIORS["model.spontaneous_rate"]
    width = np.log(rate["p95"] / rate["p05"])
    assert (width < 0.9 * np.log(prior["high"] / prior["low"])).all(), rate
