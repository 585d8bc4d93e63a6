"""Parameter recovery in CI: a few synthetic data sets on a small clustered network and on
the Medical Innovation file network; the full coverage study is
``python -m sim.analysis.calibration.recovery --setup clustered|file --repeats 20``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.errors import InputError

pytest.importorskip("pyabc")

from sim.analysis.calibration import fit  # noqa: E402
from sim.analysis.calibration.recovery import PRIORS, STEPS, draws, recover  # noqa: E402

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


def test_an_interrupted_study_resumes_without_refitting(tmp_path, monkeypatch) -> None:
    fits = []
    run_abc = fit.run_abc

    def counted(problem, out, *args, **kwargs):
        fits.append(out.name)
        return run_abc(problem, out, *args, **kwargs)

    monkeypatch.setattr(fit, "run_abc", counted)
    tiny = {"population_size": 15, "generations": 2, "cores": 1}
    kwargs = {"out": tmp_path, "seed": 3, "abc": tiny, "size": 6, "clusters": 3,
              "echo": lambda *_: None}
    first = recover("clustered", repeats=2, **kwargs)
    assert fits == ["clustered_000", "clustered_001"]
    written = pd.read_csv(tmp_path / "recovery_clustered.csv")
    # the study stopped after 2 repeats; asking for 3 fits only the third
    table = recover("clustered", repeats=3, **kwargs)
    assert fits[2:] == ["clustered_002"]
    assert len(table) == 3 * len(PRIORS)
    pd.testing.assert_frame_equal(table[table["repeat"] < 2].reset_index(drop=True), first)
    again = pd.read_csv(tmp_path / "recovery_clustered.csv")
    pd.testing.assert_frame_equal(again[again["repeat"] < 2].reset_index(drop=True), written)
    # the third repeat's truth is the one an uninterrupted 3-repeat study draws
    third = table[table["repeat"] == 2].set_index("parameter")["truth"]
    assert third.to_dict() == pytest.approx(draws(3, seed=3)[2][0])
    assert first.set_index(["repeat", "parameter"])["truth"].to_dict() == pytest.approx(
        {(r, key): value for r, (truth, _, _) in enumerate(draws(2, seed=3))
         for key, value in truth.items()})
    # nothing left to do: no fit at all
    recover("clustered", repeats=3, **kwargs)
    assert len(fits) == 3
    # other settings in the same folder are refused rather than mixed in
    with pytest.raises(InputError, match="other settings"):
        recover("clustered", repeats=3, **{**kwargs, "seed": 4})
