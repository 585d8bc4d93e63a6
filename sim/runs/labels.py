"""Human-readable names, with units, for config keys and metrics: the one table every figure
reads (``pasim-report``, the sensitivity driver diagram, the optimisation figure, run figures).

``label("levers.convening.budget")`` -> ``"Convening budget (£k/yr)"``. A key without an
entry still reads as words (``levers.events.size`` -> ``"Events size"``), never as a dotted
config path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: config key or metric -> label with units (costs in £k; time in weeks)
LABELS: dict[str, str] = {
    # levers
    "levers.convening.budget": "Convening budget (£k/yr)",
    "levers.convening.width": "Bridge width (ties)",
    "levers.convening.strategy": "Convening strategy",
    "levers.shared_goals.strength": "Shared-goal strength (0–1)",
    "levers.champions.per_system": "Champions per ICS",
    "levers.champions.influence": "Champion influence (×)",
    "levers.champions.placement": "Champion placement",
    "levers.data.share": "Data-capable share (0–1)",
    # mechanisms
    "mechanisms.coherence": "Messaging coherence (0–1)",
    "mechanisms.alignment": "National–local alignment (0–1)",
    "mechanisms.deprivation_penalty": "Deprivation penalty (0–1)",
    "mechanisms.adoption_pace": "Adoption pace (per week)",
    "mechanisms.awareness_uptake": "Below-threshold uptake (per week)",
    "mechanisms.lapse_rate": "Lapse rate (per week)",
    # model and networks
    "model.threshold": "Adoption threshold (T)",
    "model.threshold_kind": "Threshold kind",
    "model.adoption_rate": "Adoption rate (per week)",
    "model.noise": "Noise (per week)",
    "model.spontaneous_rate": "Spontaneous adoption (per week)",
    "model.lapse_rate": "Lapse rate (per week)",
    "network.n": "Nodes (n)",
    "network.k": "Ties per node (k)",
    "network.p": "Share of ties rewired (p)",
    "network.width": "Bridge width (ties)",
    "network.clusters": "Clusters",
    "network.size": "Cluster size (nodes)",
    "network.mean_degree": "Mean degree",
    "steps": "Horizon (weeks)",
    "replicates": "Replicates",
    "seed": "Seed",
    "scenario": "Scenario",
    # metrics
    "final_adoption": "Final adoption (share of agents)",
    "steps_to_25": "Weeks to 25 % adoption",
    "steps_to_50": "Weeks to 50 % adoption",
    "steps_to_80": "Weeks to 80 % adoption",
    "cost": "Cost (£k over the run)",
    "cost_per_new_adopter": "Cost per new adopter in the run (£k)",
    "cost_per_extra_adopter": "Cost per extra adopter vs no levers (£k)",
    "extra_adopters": "Extra adopters vs no levers",
    "equity_gap": "Equity gap (most − least deprived, share)",
    "adopted_fraction": "Adopted share",
    "aware_fraction": "Aware share",
}


def label(key: str) -> str:
    """The label of ``key``: from ``LABELS``, else its last two parts as words."""
    if key in LABELS:
        return LABELS[key]
    parts = [p for p in key.replace("/", ".").split(".") if p not in ("levers", "config")]
    words = " ".join(parts[-2:]).replace("_", " ")
    return words[:1].upper() + words[1:]


def short_label(key: str) -> str:
    """The label without its units, for legends and panel titles (``Convening budget``)."""
    text = label(key)
    return text.split(" (", 1)[0] if text.endswith(")") else text


def run_title(config: Mapping[str, Any]) -> str:
    """A single run's figure title: the ``title`` (each scenario sets its own), else what
    the levers are, with the network's name."""
    title = config.get("title")
    if title not in (None, ""):
        return str(title)
    network = (config.get("network") or {}).get("name", "")
    what = "No levers" if _no_levers(config) else "Levers set by hand"
    return f"{what} ({network})"


def _no_levers(config: Mapping[str, Any]) -> bool:
    """No lever funded: every lever's strength at zero (what the baseline scenario sets)."""
    levers = config.get("levers") or {}
    strengths = {"convening": "budget", "shared_goals": "strength", "champions": "per_system",
                 "data": "share"}
    for lever, key in strengths.items():
        value = (levers.get(lever) or {}).get(key, 0)
        if isinstance(value, int | float) and value > 0:
            return False
    events = levers.get("events") or {}
    return not events.get("schedule")
