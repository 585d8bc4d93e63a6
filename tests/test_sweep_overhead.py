"""What a sweep job no longer repeats gives the same files and checks as before."""

from __future__ import annotations

import pandas as pd
import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.plugins.sweeper import Sweeper
from omegaconf import OmegaConf

from sim.analysis.compare import compose
from sim.commands import cli
from sim.engine.network import Network
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


def _network_digest(network) -> tuple:
    adjacency = network.adjacency
    return (adjacency.shape, adjacency.indptr.tobytes(), adjacency.indices.tobytes(),
            adjacency.data.tobytes(), network.nodes.to_json())


def test_a_replicates_random_network_is_built_once_per_process_and_never_changed() -> None:
    from sim.networks import build_network
    from sim.runs import build
    from sim.runs.runner import simulate

    config = to_dict(compose("recommended", ["network=clustered", "network.layout=random",
                                             "network.clusters=8", "levers/events=none",
                                             "replicates=2", "steps=20"]))
    first = build.replicate_network(config, 11, {})
    assert build.replicate_network(config, 11, {}) is first  # another job of the process
    assert build.replicate_network(config, 12, {}) is not first
    params = {k: v for k, v in config["network"].items() if k != "name"}
    assert _network_digest(first) == _network_digest(build_network("clustered",
                                                                   **{**params, "seed": 11}))
    built = simulate(config, baseline_dir=None)  # levers on: convening builds ties
    kept = {key: _network_digest(net) for key, (_, net) in build._SEEDED.items()}
    reused = simulate(config, baseline_dir=None)  # on the networks the first run kept
    pd.testing.assert_frame_equal(built.timeseries, reused.timeseries)
    pd.testing.assert_frame_equal(built.groups, reused.groups)
    assert {key: _network_digest(net) for key, (_, net) in build._SEEDED.items()} == kept
    assert (reused.timeseries["ties_built"] > 0).any()


def test_a_generator_registered_again_is_not_served_the_old_ones_networks(monkeypatch) -> None:
    from sim import networks
    from sim.runs import build

    def sparse(n: int, seed: int | None = None) -> Network:
        return networks.random(n=n, mean_degree=2, seed=seed)

    def dense(n: int, seed: int | None = None) -> Network:
        return networks.random(n=n, mean_degree=8, seed=seed)

    config = {"network": {"name": "cached_twice", "n": 60, "seed": None}}
    monkeypatch.setitem(networks.NETWORKS, "cached_twice", sparse)
    old = build.replicate_network(config, 3, {})
    assert build.replicate_network(config, 3, {}) is old
    monkeypatch.setitem(networks.NETWORKS, "cached_twice", dense)
    new = build.replicate_network(config, 3, {})
    assert new.adjacency.nnz > old.adjacency.nnz
