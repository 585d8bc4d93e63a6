"""What a sweep job no longer repeats gives the same files and checks as before."""

from __future__ import annotations

import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.plugins.sweeper import Sweeper
from omegaconf import OmegaConf

from sim.analysis.compare import compose
from sim.commands import cli
from sim.runs import config as preflight
from sim.runs import results
from sim.runs.runner import to_dict


@pytest.mark.parametrize(("scenario", "overrides"), [("baseline", []),
                                                     ("recommended", ["network=ring_lattice"])])
def test_config_yaml_is_omegaconfs_text(scenario: str, overrides: list[str]) -> None:
    config = to_dict(compose(scenario, overrides))
    config["title"] = 'a: "quoted" title'
    config["odd"] = ["1", "null", "true", 1.0, None, {"a": [1, 2]}, "~", "été"]
    assert results.config_yaml(config) == OmegaConf.to_yaml(OmegaConf.create(config))


def test_the_sweeper_skips_composing_only_the_jobs_the_preflight_checked(monkeypatch) -> None:
    validated: list[list[list[str]]] = []
    monkeypatch.setattr(Sweeper, "validate_batch_is_legal",
                        lambda self, batch: validated.append(batch))
    checked = {preflight.job_key(["a=1", "b=2", "hydra.sweep.dir=x", "hydra/launcher=basic"])}
    monkeypatch.setattr(preflight, "CHECKED_JOBS", checked)
    monkeypatch.setattr(cli, "CHECKED_JOBS", preflight.CHECKED_JOBS)
    cli._trust_the_preflight()
    cli._trust_the_preflight()  # wraps once
    sweeper = object.__new__(BasicSweeper)
    sweeper.validate_batch_is_legal([["b=2", "a=1"]])
    assert validated == []
    sweeper.validate_batch_is_legal([["b=2", "a=1"], ["a=3", "b=2"]])
    assert validated == [[["b=2", "a=1"], ["a=3", "b=2"]]]
