"""The model a config describes: network, mechanisms and levers mapped onto AdoptionModel.

Kept apart from the runner so that the health-system mechanisms (``sim.world.mechanisms``) and the
levers (``sim.world.levers``) have one place where configuration becomes model arguments:

1. the node table gains ``deprivation_quintile`` (when it has ``deprivation``);
2. the mechanisms set coherence, alignment and the per-type thresholds (``mechanisms.
   thresholds``; nodes it does not cover use ``model.threshold``, drawn from the replicate's
   own "thresholds" stream);
3. the levers edit the plan (coherence, alignment, thresholds, champions, interventions);
4. deprivation, inequalities focus and data adjust the thresholds, the mechanisms' rates
   join the model's (pace, external evidence, awareness uptake, lapse), and the model is
   built. ``model.lever_costs`` keeps each lever's spending, ``model.plan`` the plan.

On a network with none of the mechanisms' attributes and no lever on, the model is exactly
the one ``model`` and ``seeding`` describe (the threshold spec is passed through unchanged),
so textbook networks give textbook results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.engine.model import AdoptionModel
from sim.engine.network import Network
from sim.world import liveness
from sim.world import mechanisms as mech
from sim.world.levers import Plan, apply_levers

#: attributes recorded per step when the network has them
TRACKED = ("agent_type", "kind", "sector", "level", "region", "system", "deprivation_quintile",
           "cluster")

#: model options passed straight through from the ``model`` config group
MODEL_OPTIONS = ("threshold_kind", "max_steps")


def plan_world(cfg: Mapping[str, Any], network: Network, seed: int) -> Plan:
    """The replicate's world before the model exists: mechanisms applied, then every lever."""
    model_cfg = dict(cfg["model"])
    m = mech.Mechanisms.from_config(cfg.get("mechanisms"))
    network = mech.with_deprivation_quintile(network)
    nodes = network.nodes
    kind = model_cfg.get("threshold_kind", "count")
    typed = mech.covered(nodes, m.thresholds)
    _record_world_reads(nodes, typed, kind)
    plan = Plan(
        network=network,
        seed=seed,
        steps=cfg.get("steps"),
        threshold_kind=kind,
        threshold_spec=model_cfg["threshold"],
        threshold_types=m.thresholds,
        typed=typed,
        deprivation_penalty=m.deprivation_penalty if "deprivation" in nodes else 0.0,
        coherence=np.full(network.n, m.coherence),
        alignment=np.full(network.n, m.alignment),
        influence=(nodes["influence"].to_numpy(float) if "influence" in nodes
                   else np.ones(network.n)),
        penalty_offset=np.zeros(network.n),
        threshold_reduction=np.zeros(network.n),
        cap_at_reach=m.cap_at_reach,
    )
    apply_levers(cfg.get("levers"), plan)
    return plan


#: node attribute each mechanism acts through (a mechanism is inert where it is missing)
MECHANISM_ATTRIBUTES = {"coherence": "sector", "alignment": "level",
                        "deprivation_penalty": "deprivation"}
#: the behavioural rates of an organisational world (``mech.is_organisational``)
MECHANISM_RATES = ("adoption_pace", "external_evidence", "awareness_uptake", "lapse_rate",
                   "additive_framing", "additive_lapse_factor")


def _record_world_reads(nodes: Any, typed: np.ndarray, kind: str) -> None:
    """Report (``sim.world.liveness``) which model and mechanism keys this world uses: each
    mechanism acts only where its node attribute exists."""
    liveness.read("model.threshold_kind", "model.adoption_rate", "model.noise",
                  "model.spontaneous_rate", "model.lapse_rate", "model.max_steps")
    if typed.all():
        liveness.unused("model.threshold", "every node has a per-type threshold from "
                        "mechanisms.thresholds (use mechanisms=none, or set those)")
    else:
        liveness.read("model.threshold")
    if typed.any():
        liveness.read("mechanisms.thresholds")
        if kind == "count":
            liveness.read("mechanisms.cap_at_reach")
    else:
        liveness.unused("mechanisms.thresholds", "no node has an agent_type or kind the "
                        "per-type thresholds name")
    liveness.unused("mechanisms.cap_at_reach", "the reach cap applies to per-type count "
                    "thresholds only")
    for key, column in MECHANISM_ATTRIBUTES.items():
        if column in nodes:
            liveness.read(f"mechanisms.{key}")
        else:
            liveness.unused(f"mechanisms.{key}", f"the network has no '{column}' attribute")
    if "agent_type" in nodes:
        liveness.read(*(f"mechanisms.{key}" for key in MECHANISM_RATES))
    for key in MECHANISM_RATES:
        liveness.unused(f"mechanisms.{key}", "the behavioural rates apply to a world of "
                        "organisations and leaders (a network with 'agent_type')")


def _threshold_argument(plan: Plan) -> Any:
    """The spec itself when nothing adjusts or has read thresholds (so the model draws them as
    it always has), else the plan's thresholds."""
    untouched = (not plan.typed.any() and plan.deprivation_penalty == 0.0
                 and not plan.threshold_reduction.any() and not plan.base_drawn)
    return plan.threshold_spec if untouched else plan.thresholds()


def _rates(cfg: Mapping[str, Any], plan: Plan) -> dict[str, float]:
    """The per-step rates: the model's own, combined with the mechanisms' where they apply."""
    model_cfg = dict(cfg["model"])
    rates = {k: float(model_cfg.get(k, 0.0)) for k in ("spontaneous_rate", "noise", "lapse_rate")}
    rates["adoption_rate"] = float(model_cfg.get("adoption_rate", 1.0))
    if mech.is_organisational(plan.network):
        m = mech.Mechanisms.from_config(cfg.get("mechanisms"))
        rates["adoption_rate"] *= m.adoption_pace
        for key, extra in (("spontaneous_rate", m.external_evidence),
                           ("noise", m.awareness_uptake), ("lapse_rate", m.lapse())):
            rates[key] = mech.combine_rates(rates[key], extra)
    return rates


def build_model(cfg: Mapping[str, Any], network: Network, seed: int) -> AdoptionModel:
    """Build the model for one replicate of ``cfg`` on ``network``."""
    model_cfg = dict(cfg["model"])
    plan = plan_world(cfg, network, seed)
    seeding = dict(cfg.get("seeding") or {})
    if seeding.get("strategy") in (None, "none"):
        seeding = None
    track = cfg.get("track")
    if track is None:
        track = [c for c in TRACKED if c in plan.network.nodes and c != "cluster"]
    options = {k: model_cfg[k] for k in MODEL_OPTIONS if k in model_cfg}
    interventions = list(plan.interventions)
    yearly = plan.yearly_charges()
    if yearly is not None:
        interventions.insert(0, yearly)
    model = AdoptionModel(
        graph=plan.network,
        threshold=_threshold_argument(plan),
        initial_adopters=seeding,
        seed=seed,
        influence=plan.influence,
        coherence=plan.coherence,
        alignment=plan.alignment,
        champions=plan.champions,
        track=list(track),
        interventions=interventions,
        **_rates(cfg, plan),
        **options,
    )
    model.lever_costs = plan.costs
    model.plan = plan
    liveness.built()
    return model
