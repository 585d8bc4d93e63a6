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
from sim.networks import NETWORKS, build_network, takes_seed


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


#: a process keeps the random networks it built, up to this many bytes (``_network_bytes``)
SEEDED_NETWORK_BYTES = 256 * 2**20
#: (generator, parameters, seed) -> network, for the random networks built from a replicate's
#: seed: replicate r of every job of a sweep (the same base seed, ``seed_includes_params``
#: off) runs on the same network, so a sweep worker builds it once, not once per job. Each
#: is kept with the registry entry that built it: a generator registered again under the same
#: name (``sim.networks.register``) is not served its predecessor's networks.
_SEEDED: dict[str, tuple[Any, Network]] = {}
_SEEDED_BYTES: list[int] = [0]


def _network_bytes(network: Network) -> int:
    """The memory a network's tie matrix and node table take (what the cache budget counts)."""
    adjacency = network.adjacency
    ties = sum(getattr(adjacency, part).nbytes for part in ("data", "indices", "indptr")
               if hasattr(adjacency, part))
    return ties + int(network.nodes.memory_usage(deep=True).sum())


def _keep_seeded(key: str, generator: Any, network: Network) -> None:
    """Keep a random network for the next job of this process while the budget allows; the
    first ones built are kept (jobs ask for replicates 0, 1, ... in turn, so keeping the
    first ``k`` serves ``k`` of every job's replicates, where evicting would serve none)."""
    size = _network_bytes(network)
    if _SEEDED_BYTES[0] + size <= SEEDED_NETWORK_BYTES:
        _SEEDED[key] = (generator, network)
        _SEEDED_BYTES[0] += size


def replicate_network(cfg: Mapping[str, Any], seed: int, cache: dict) -> Network:
    """The replicate's network: a random generator gets the replicate's ``seed`` unless the
    config fixes ``network.seed`` (then, like a deterministic generator or a file, it is
    built once and cached in ``cache``). A network built from a replicate's seed is also kept
    for the rest of the process (within ``SEEDED_NETWORK_BYTES``): a generator's network
    depends only on its parameters and seed, and a network is never changed once built."""
    params = dict(cfg["network"])
    name = params.pop("name")
    shared = shares_network(cfg)
    if not shared:
        params["seed"] = seed
    key = json.dumps([name, params], sort_keys=True, default=str)
    if shared and key in cache:
        return cache[key]
    generator = NETWORKS.get(name)
    if not shared and key in _SEEDED and _SEEDED[key][0] is generator:
        return _SEEDED[key][1]
    network = build_network(name, **params)
    if shared:
        cache[key] = network
    else:
        _keep_seeded(key, generator, network)
    return network
