"""The pre-flight composes each choice of config groups once and sets each job's values on a
copy: every job's config is exactly what Hydra's ``compose`` gives it."""

from __future__ import annotations

import pytest
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from sim.errors import InputError
from sim.runs import config as preflight
from sim.runs.paths import register_resolvers

JOBS = [
    ["experiment=lever_grid", "levers.convening.budget=50", "levers.champions.per_system=2",
     "levers.shared_goals.strength=0.5"],
    ["experiment=lever_grid", "levers.convening.budget=0", "levers.champions.per_system=0",
     "levers.shared_goals.strength=0"],
    ["network=ring_lattice", "network.n=60", "model.threshold=3", "seeding=random",
     "seeding.k=4"],
    ["network=ring_lattice", "network.n=80", "model.threshold=1"],  # same groups, cached
    ["levers/convening=wide_bridges", "levers.convening.budget=10", "steps=20"],
    ["+model.extra=1", "network=clustered", "hydra.job.chdir=false"],
    ["~levers.convening", "network=random"],
    ["scenario=recommended", "seed=4"],
]


@pytest.fixture
def composer():
    register_resolvers()
    with preflight._hydra_session(preflight.CONFIG_DIR, None):
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
        yield preflight._Composer("config", parser)


def _full(composer, job):
    return OmegaConf.to_container(composer._compose(job), resolve=True, throw_on_missing=True)


def test_each_job_is_composed_as_hydra_composes_it(composer) -> None:
    for job in JOBS:
        assert composer.config(job) == _full(composer, job), job
    assert len(composer._composed) < len(JOBS)  # some jobs shared a composition


def test_a_job_composed_from_a_cached_choice_does_not_change_it(composer) -> None:
    first = composer.config(JOBS[2])
    composer.config(JOBS[3])
    assert composer.config(JOBS[2]) == first


@pytest.mark.parametrize("job", [["model.nope=1"], ["network=ring_lattice", "network.q=2"],
                                 ["network=ring_lattice", "+network.n=3"]])
def test_a_bad_value_fails_with_composes_one_line(composer, job) -> None:
    with pytest.raises(InputError) as fast:
        composer.config(job)
    with pytest.raises(InputError) as full:
        _raise_full(composer, job)
    assert str(fast.value) == str(full.value)


def _raise_full(composer, job):
    try:
        composer._compose(job)
    except InputError:
        raise
    raise AssertionError(f"{job} composed")


def test_a_single_run_reuses_the_composition_of_its_command_line(composer) -> None:
    job = ["network=ring_lattice", "network.n=70", "+model.extra=2"]
    jobs, _ = composer.jobs(job, multirun=False)
    assert jobs == [job]
    assert composer.config(job) == _full(composer, job)
    assert composer._composed == {}  # not composed a second time
