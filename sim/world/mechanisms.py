"""The evaluation's mechanisms as parameters: what makes the health system hard to convert.

The 2022 "Activating NHS Systems" evaluation named the blockers; each is one parameter here
(``configs/mechanisms/default.yaml`` gives the defaults):

- ``thresholds``: how much reinforcement an agent needs, drawn per agent from a distribution
  that depends on its agent type or kind (an organisation needs more than one person).
- ``deprivation_penalty``: structural inequality. A count or fraction threshold becomes
  ``T * (1 + deprivation_penalty * deprivation * (1 - offset))``; the offset is the share of
  the penalty an inequalities-focused shared goal removes (multiplicative, so the penalty
  scales with how hard adoption already is).
- ``coherence``: inconsistent messaging between sectors; cross-sector ties count this much.
- ``alignment``: national and local priorities pulling apart; centre-place ties count this much.
- ``adoption_pace``: the chance per week that an agent with enough reinforcement actually
  embeds PA that week (business cases, training, commissioning cycles take time; 1 = at
  once). Multiplies ``model.adoption_rate`` (both must happen).
- ``external_evidence``: the chance per week that any non-adopter adopts on its own, from
  national guidance and published evidence (the model's ``spontaneous_rate``); unreinforced,
  such adopters usually lapse again, but where they meet they can tip a cluster.
- ``awareness_uptake``: the chance per week that an agent who has heard the conversation but
  is below threshold adopts anyway (the model's ``noise``).
- ``lapse_rate``: competing priorities; the chance per week that an adopter whose
  reinforcement has fallen below threshold drops PA (committed champions never do);
  ``additive_framing`` multiplies it by ``additive_lapse_factor`` (PA framed as adding to what
  partners already do rather than competing with it).

Every mechanism acts through a node attribute (``agent_type``/``kind``, ``deprivation``,
``sector``, ``level``; the four rates need ``agent_type``, i.e. a world of organisations and
leaders), so on a network without them -- ``ring_lattice``, ``clustered`` -- the model stays the
textbook one. Rates combine with ``model.spontaneous_rate``, ``noise`` and ``lapse_rate`` as
independent causes, ``1 - (1 - a) * (1 - b)``; the pace multiplies ``model.adoption_rate``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd

from sim.engine.discount import CENTRE_LEVELS, DISCOUNTED_BY, discounted, reach, tie_groups  # noqa: F401 (coherence and alignment, used here and re-exported)
from sim.engine.memo import digest, once, recent
from sim.engine.network import Network
from sim.engine.schema import Allowed, Group, NonNegative, Share, check, key
from sim.engine.thresholds import check_thresholds, draw_thresholds

#: node-table column the equity gap and the per-quintile time series group by
QUINTILE = "deprivation_quintile"

Thresholds = Annotated[dict[str, Any], Allowed("a mapping of agent type or kind to a "
                                                 "threshold or distribution")]


class MechanismParameters(Group):
    """The ``mechanisms`` group; each default is the mechanism's "off" value, so that
    ``mechanisms=none`` (or no key at all) is the plain model."""

    thresholds: Thresholds = key({}, "threshold per agent type or kind (a kind's entry wins); "
                                     "nodes not listed use model.threshold")
    cap_at_reach: bool = key(False, "cap a count threshold at what the agent's whole network "
                                    "can give")
    deprivation_penalty: NonNegative = key(0.0, "threshold x (1 + penalty x deprivation)")
    coherence: Share = key(1.0, "how much a cross-sector tie counts (messaging coherence)")
    alignment: Share = key(1.0, "how much a centre-place tie counts (national-local alignment)")
    adoption_pace: Share = key(1.0, "weekly chance that an agent above threshold embeds PA "
                                    "that week (x model.adoption_rate)")
    external_evidence: Share = key(0.0, "weekly chance that a non-adopter adopts from guidance "
                                        "and evidence alone")
    awareness_uptake: Share = key(0.0, "weekly chance that an aware agent below threshold "
                                       "adopts")
    lapse_rate: Share = key(0.0, "weekly chance that an adopter below threshold drops PA "
                                 "(competing priorities)")
    additive_framing: bool = key(False, "PA framed as adding to partners' goals: lapse x "
                                        "additive_lapse_factor")
    additive_lapse_factor: Share = key(1.0, "the lapse multiplier of additive framing")


#: Mechanism keys and their "off" values (``mechanisms=none``): the plain model.
NEUTRAL: dict[str, Any] = MechanismParameters().model_dump()


@dataclass(frozen=True)
class Mechanisms:
    """Checked mechanism parameters (see the module docstring for each one's meaning)."""

    thresholds: dict[str, Any]
    cap_at_reach: bool
    deprivation_penalty: float
    coherence: float
    alignment: float
    adoption_pace: float
    external_evidence: float
    awareness_uptake: float
    lapse_rate: float
    additive_framing: bool
    additive_lapse_factor: float

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> Mechanisms:
        """Missing (or null) keys take their neutral value; unknown keys and bad values are
        errors."""
        given = {k: v for k, v in (cfg or {}).items() if v is not None}
        values = check(MechanismParameters, given, "mechanisms").model_dump()
        values["thresholds"] = {str(k): v for k, v in values["thresholds"].items()}
        return cls(**values)

    def lapse(self) -> float:
        """Weekly lapse probability from competing priorities, after framing."""
        factor = self.additive_lapse_factor if self.additive_framing else 1.0
        return self.lapse_rate * factor


def is_organisational(network: Network) -> bool:
    """A world of organisations and leaders (where the behavioural rates apply)."""
    return "agent_type" in network.nodes


def combine_rates(a: float, b: float) -> float:
    """Two independent causes of the same event per step (exactly ``a`` when ``b`` is 0)."""
    if a == 0.0 or b == 0.0:
        return a + b
    return 1.0 - (1.0 - a) * (1.0 - b)


def raise_towards_one(base: np.ndarray, strength: float, mask: np.ndarray) -> np.ndarray:
    """``base + strength * (1 - base)`` where ``mask``: shared goals close part of the gap."""
    out = base.copy()
    out[mask] = base[mask] + strength * (1.0 - base[mask])
    return out


# ------------------------------------------------------------------------------------------
# node table


def with_deprivation_quintile(network: Network) -> Network:
    """The network with ``deprivation_quintile`` (1 least .. 5 most deprived) added.

    Quintiles are of the nodes' deprivation, with equal values kept in one quintile (an
    ICS's organisations share most of their deprivation), so groups are near, not exactly,
    fifths. A network without ``deprivation`` or already with the column is returned as is.
    """
    nodes = network.nodes
    if "deprivation" not in nodes or QUINTILE in nodes:
        return network
    # one derived network per network: the replicates on a shared network share it too
    return once(network, QUINTILE, lambda: _with_quintile(network))


def _with_quintile(network: Network) -> Network:
    nodes = network.nodes
    ranks = nodes["deprivation"].rank(method="average", pct=True).to_numpy()
    quintile = np.clip(np.ceil(ranks * 5 - 1e-9), 1, 5).astype(np.int64)
    table = nodes.copy()
    table[QUINTILE] = quintile
    return dataclasses.replace(network, nodes=table)


# ------------------------------------------------------------------------------------------
# thresholds


def covered(nodes: pd.DataFrame, spec: Mapping[str, Any]) -> np.ndarray:
    """Which nodes a per-type threshold spec applies to (matching ``kind`` or ``agent_type``)."""
    mask = np.zeros(len(nodes), dtype=bool)
    for column in ("agent_type", "kind"):
        if column in nodes and spec:
            mask |= nodes[column].isin(list(spec)).to_numpy()
    return mask


def draw_by_type(
    spec: Mapping[str, Any],
    default: Any,
    nodes: pd.DataFrame,
    kind: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """One threshold per node: its ``kind``'s entry, else its ``agent_type``'s, else ``default``.

    Each entry is a number or a distribution as in ``model.threshold``; draws happen in the
    order default, agent types, kinds (each over all n nodes, so a node's draw does not depend
    on how many others share its type).
    """
    n = len(nodes)
    values = draw_thresholds(default, n, kind, rng)
    for column in ("agent_type", "kind"):
        if column not in nodes:
            continue
        masks = once(nodes, ("type masks", column), lambda column=column: _masks(nodes[column]))
        for name in sorted(k for k in spec if k in masks):
            drawn = draw_thresholds(spec[name], n, kind, rng, field=f"mechanisms.thresholds.{name}")
            values[masks[name]] = drawn[masks[name]]
    return values


def _masks(column: pd.Series) -> dict[Any, np.ndarray]:
    """Each value of a node-table column and the nodes that have it (read-only: shared by
    every replicate on the node table)."""
    groups = column.to_numpy()
    masks = {}
    for name in set(groups):
        masks[name] = groups == name
        masks[name].flags.writeable = False
    return masks


def adjust_thresholds(
    base: np.ndarray,
    kind: str,
    deprivation: np.ndarray | None,
    penalty: float,
    penalty_offset: np.ndarray,
    reduction: np.ndarray,
) -> np.ndarray:
    """Raise by deprivation (less where an inequalities goal offsets it), lower by data."""
    out = base.copy()
    if deprivation is not None and penalty > 0:
        out *= 1.0 + penalty * deprivation * (1.0 - penalty_offset)
    out *= 1.0 - reduction
    if kind == "fraction":
        out = np.clip(out, 1e-6, 1.0)
    check_thresholds(out, kind, "mechanisms.thresholds")
    return out


def cap_at_reach(thresholds: np.ndarray, network: Network, influence: np.ndarray,
                 mask: np.ndarray, coherence: np.ndarray | float = 1.0,
                 alignment: np.ndarray | float = 1.0) -> np.ndarray:
    """Nobody needs more reinforcement than their whole network can give.

    Without this, the ~260 England leaders whose only tie is their own organisation could
    never adopt under a count threshold >= 2; capped, they follow their organisation. Only
    nodes in ``mask`` (those the per-type thresholds cover) and nodes with some reach change.
    The reach is the discounted one (what the model counts), from the world before any lever:
    levers only raise influence, coherence and alignment, so a capped node stays reachable,
    and a lever (a champion's influence) never raises anyone's threshold.
    """
    limit = recent(network, "reach", digest(influence, coherence, alignment),
                   lambda: reach(network, influence, coherence, alignment))
    out = thresholds.copy()
    sel = mask & (limit > 0) & (limit < thresholds)
    out[sel] = limit[sel]
    return out
