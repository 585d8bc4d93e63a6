"""A sweep job composed from its choice of config groups, cached, is the config Hydra's own
``load_sweep_config`` composes for it, Hydra's node included."""

from __future__ import annotations

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from omegaconf import OmegaConf

from sim.runs import compose_cache
from sim.runs import config as preflight
from sim.runs.paths import register_resolvers

JOBS = [
    ["experiment=lever_grid", "levers.convening.budget=50", "levers.champions.per_system=2",
     "levers.shared_goals.strength=0.5", "replicates=1"],
    ["experiment=lever_grid", "levers.convening.budget=0", "levers.champions.per_system=0",
     "levers.shared_goals.strength=0", "replicates=1"],
    ["network=ring_lattice", "network.n=60", "model.threshold=3", "seeding=random",
     "seeding.k=4", "seed=3"],
    ["network=ring_lattice", "network.n=80", "model.threshold=1", "seed=3"],
    ["levers/convening=wide_bridges", "levers.convening.budget=10", "+model.extra=1"],
    ["scenario=recommended", "title=a_b", "name=x"],
]


@pytest.fixture
def loader():
    register_resolvers()
    compose_cache._COMPOSED.clear()
    with preflight._hydra_session(preflight.CONFIG_DIR, None):
        yield GlobalHydra.instance().config_loader()
    compose_cache._COMPOSED.clear()


def _master(loader):
    return loader.load_configuration(
        config_name="config", run_mode=RunMode.MULTIRUN,
        overrides=["hydra.sweep.dir=/tmp/pasim-compose-cache", "hydra/launcher=basic",
                   "hydra.job.chdir=false"])


def test_cached_sweep_configs_are_hydras(loader) -> None:
    master = _master(loader)
    for job in [*JOBS, JOBS[0]]:
        cached = compose_cache.compose_job(loader, master, job)
        hydra = ConfigLoaderImpl.load_sweep_config(loader, master, job)
        assert cached is not None
        assert OmegaConf.to_container(cached) == OmegaConf.to_container(hydra), job
        assert OmegaConf.is_struct(cached) and not OmegaConf.is_readonly(cached.hydra)
    assert len(compose_cache._COMPOSED) < len(JOBS)


def test_an_override_hydra_must_handle_goes_to_hydra(loader) -> None:
    master = _master(loader)
    assert compose_cache.compose_job(loader, master, ["seed=1,2"]) is None
    with pytest.raises(Exception):  # noqa: B017 - whatever Hydra raises, the cache too
        compose_cache.compose_job(loader, master, ["model.nope=1"])
