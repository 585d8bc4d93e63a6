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


def shares_network(cfg: Mapping[str, Any]) -> bool:
    """Whether every replicate of ``cfg`` runs on the same network: a deterministic generator,
    a file, or a random generator whose ``network.seed`` the config fixes (a random network
    built from each replicate's own seed is a different network per replicate)."""
    params = dict(cfg["network"])
    name = params.pop("name")
    return not (takes_seed(name, params) and params.get("seed") is None)


def replicate_network(cfg: Mapping[str, Any], seed: int, cache: dict) -> Network:
    """The replicate's network: a random generator gets the replicate's ``seed`` unless the
    config fixes ``network.seed`` (then, like a deterministic generator or a file, it is
    built once and cached)."""
    params = dict(cfg["network"])
    name = params.pop("name")
    if shares_network(cfg):
        key = json.dumps([name, params], sort_keys=True, default=str)
    else:
        params["seed"] = seed
        key = None
    if key is not None and key in cache:
        return cache[key]
    network = build_network(name, **params)
    if key is not None:
        cache[key] = network
    return network
