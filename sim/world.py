"""The model a config describes: thresholds, seeds and options mapped onto AdoptionModel.

Kept apart from the runner so that the health-system mechanisms and levers have one place to
turn configuration into model arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.model import AdoptionModel
from sim.network import Network

#: attributes recorded per step when the network has them
TRACKED = ("agent_type", "kind", "sector", "level", "region", "system", "deprivation_quintile",
           "cluster")

#: model options passed straight through from the ``model`` config group
MODEL_OPTIONS = ("threshold_kind", "adoption_rate", "noise", "spontaneous_rate", "lapse_rate",
                 "max_steps")


def build_model(cfg: Mapping[str, Any], network: Network, seed: int) -> AdoptionModel:
    """Build the model for one replicate of ``cfg`` on ``network``."""
    model_cfg = dict(cfg["model"])
    seeding = dict(cfg.get("seeding") or {})
    if seeding.get("strategy") in (None, "none"):
        seeding = None
    track = cfg.get("track")
    if track is None:
        track = [c for c in TRACKED if c in network.nodes and c != "cluster"]
    options = {k: model_cfg[k] for k in MODEL_OPTIONS if k in model_cfg}
    return AdoptionModel(graph=network, threshold=model_cfg["threshold"],
                         initial_adopters=seeding, seed=seed, track=list(track), **options)
