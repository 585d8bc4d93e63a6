"""What one replicate is built from: the plain config and the replicate's network.

Shared by the pre-flight (``sim.runs.config`` builds the first replicate to check it) and
the runner, so that a config is checked on exactly the network it will run on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.engine.network import Network
from sim.networks import build_network, takes_seed


def to_dict(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(cfg, DictConfig):
        cfg = OmegaConf.to_container(cfg, resolve=True)
    return {k: v for k, v in dict(cfg).items() if k != "hydra"}


def replicate_network(cfg: Mapping[str, Any], seed: int, cache: dict) -> Network:
    """The replicate's network: a random generator gets the replicate's ``seed`` unless the
    config fixes ``network.seed`` (then, like a deterministic generator or a file, it is
    built once and cached)."""
    params = dict(cfg["network"])
    name = params.pop("name")
    random_graph = takes_seed(name, params)
    if random_graph and params.get("seed") is None:
        params["seed"] = seed
        key = None
    else:
        key = json.dumps([name, params], sort_keys=True, default=str)
    if key is not None and key in cache:
        return cache[key]
    network = build_network(name, **params)
    if key is not None:
        cache[key] = network
    return network
