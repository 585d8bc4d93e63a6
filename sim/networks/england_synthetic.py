"""A synthetic, England-sized health system for scaling studies (network=england_synthetic).

``network=england`` (``sim/networks/england.py``) builds the real organisations from the
shipped tables; this generator keeps the earlier, fully synthetic inside of each ICS, whose
sizes are parameters, so it can be multiplied to any size.

Why synthetic? Nobody publishes who talks to whom across England's health system. What is real
here is the skeleton: the 42 ICSs of July 2022 and their 7 NHS regions (``sim/data``), and the
national totals used to size each kind of organisation (~1,250 PCNs, 209 NHS trusts, 317 local
authorities, 43 Active Partnerships). Everything inside an ICS -- how many organisations of each
kind, which of them are tied, deprivation -- is drawn from the documented parameters below.

The structure follows Centola's wide-bridges argument: ties are dense inside an ICS × sector
*cluster* (so a complex contagion can move inside it) and sparse across sectors and levels
(so it usually cannot leave it without convening).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.network import Network
from sim.engine.parameters import plain
from sim.engine.schema import Group, check
from sim.errors import InputError, require
from sim.networks.schema import EnglandSynthetic

#: Organisation kinds, in node order (national, regional, then per ICS in this order).
ORG_KINDS = (
    "national_body",
    "nhs_region",
    "icb",
    "nhs_trust",
    "pcn",
    "local_authority",
    "active_partnership",
    "leisure_provider",
    "vcs_organisation",
    "community_group",
    "academia",
)
SECTORS = ("health", "physical_activity", "local_government", "community", "academia")

#: The organisations inside every ICS: kind -> sector.
LOCAL_KIND_SECTOR = {
    "icb": "health",
    "nhs_trust": "health",
    "pcn": "health",
    "local_authority": "local_government",
    "active_partnership": "physical_activity",
    "leisure_provider": "physical_activity",
    "vcs_organisation": "community",
    "community_group": "community",
    "academia": "academia",
}
#: ICS-wide bodies sit at the "system" level; the rest of an ICS is "local".
SYSTEM_LEVEL_KINDS = frozenset({"icb", "active_partnership"})

#: The national bodies: (short name used in labels, full name, sector).
NATIONAL_BODIES = (
    ("NHS England", "NHS England", "health"),
    ("OHID", "Office for Health Improvement and Disparities", "health"),
    ("Sport England", "Sport England", "physical_activity"),
)

#: Leaders per organisation, by organisation kind: role -> count. Roles become the leader's kind.
DEFAULT_LEADERS: dict[str, dict[str, int]] = {
    "national_body": {"board_member": 3},
    "nhs_region": {"board_member": 2},
    "icb": {"board_member": 6, "commissioner": 4},
    "nhs_trust": {"board_member": 2, "clinician": 2},
    "pcn": {"clinician": 1, "manager": 1},
    "local_authority": {"director_of_public_health": 1, "commissioner": 1},
    "active_partnership": {"manager": 2},
    "leisure_provider": {"manager": 1},
    "vcs_organisation": {"manager": 1},
    "community_group": {"manager": 1},
    "academia": {"researcher": 1},
}

#: (organisation kind, role) pairs whose leaders are key players (the evaluation's helpers).
DEFAULT_KEY_PLAYERS: tuple[tuple[str, str], ...] = (
    ("icb", "board_member"),
    ("icb", "commissioner"),
    ("national_body", "board_member"),
)

SYNTHETIC_NOTE = (
    "Only the ICS->region mapping (NHS England, July 2022) and the national totals used for "
    "sizing are real; within-ICS counts, ties and deprivation are synthetic."
)


@lru_cache(maxsize=1)
def icb_regions() -> pd.DataFrame:
    """The 42 ICBs of July 2022 and their NHS regions (columns ``region``, ``icb_name``)."""
    # Anchored on ``sim.data`` (a namespace package holding only data) rather than ``sim``:
    # a stale editable install can make ``sim`` a namespace whose path ``files()`` rejects.
    source = resources.files("sim.data").joinpath("icb_2022_regions.csv")
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str)
    return table


#: organisations per ICS, by kind (means)
SIZES = ("nhs_trusts_per_system", "pcns_per_system", "local_authorities_per_system",
         "leisure_providers_per_system", "vcs_organisations_per_system",
         "community_groups_per_system", "universities_per_system")


def england_synthetic(
    seed: int | None = None,
    *,
    nhs_trusts_per_system: float = 5.0,
    pcns_per_system: float = 30.0,
    local_authorities_per_system: float = 7.5,
    leisure_providers_per_system: float = 8.0,
    vcs_organisations_per_system: float = 15.0,
    community_groups_per_system: float = 20.0,
    universities_per_system: float = 0.5,
    national_academia: int = 2,
    leaders: Mapping[str, Mapping[str, int]] | None = None,
    key_players: Iterable[Sequence[str]] = DEFAULT_KEY_PLAYERS,
    key_player_influence: float = 2.0,
    leader_influence: float = 1.0,
    organisation_influence: float = 1.0,
    p_within_sector: float = 0.3,
    p_cross_sector: float = 0.02,
    p_leader_within: float = 0.05,
    p_leader_cross: float = 0.005,
    p_vertical: float = 0.1,
    p_leader_vertical: float = 0.1,
    tie_weight: float = 1.0,
    membership_weight: float = 1.0,
    colleague_weight: float = 1.0,
    deprivation_alpha: float = 2.0,
    deprivation_beta: float = 2.0,
    deprivation_spread: float = 0.05,
) -> Network:
    """England's health system as organisations and their leaders (SYNTHETIC inside each ICS).

    Real: the 42 ICSs and their 7 NHS regions, and the national totals the defaults are sized
    to. Synthetic: the per-ICS counts, every tie, and deprivation -- use the network to reason
    about structure (clusters, bridges, levels), not about any named ICS.

    Nodes (organisations first, then leaders):
      national   NHS England, OHID (health), Sport England (physical_activity) and
                 ``national_academia`` academic bodies; kind ``national_body`` / ``academia``.
      regional   the 7 NHS regions (``nhs_region``, health).
      per ICS    1 ICB and 1 Active Partnership (level ``system``); NHS trusts, PCNs, local
                 authorities, leisure providers, VCS organisations, community groups and
                 universities (level ``local``). ``<kind>_per_system`` is a mean: the total
                 ``round(mean × 42)`` is spread evenly, remainders to randomly chosen ICSs.
      leaders    ``leaders[kind] = {role: count}`` per organisation (merged over
                 ``DEFAULT_LEADERS`` kind by kind); a leader's kind is its role and it inherits
                 its organisation's sector, level, region, system, cluster and deprivation.

    Ties (organisation-organisation weight ``tie_weight``):
      inside an ICS × sector cluster   organisations with ``p_within_sector``; leaders of
                                       different organisations with ``p_leader_within``
                                       (the same holds among national bodies of one sector).
      across sectors inside an ICS     organisations ``p_cross_sector``; leaders ``p_leader_cross``.
      membership                       each leader to its organisation (``membership_weight``)
                                       and to every colleague (``colleague_weight``).
      vertical, always                 ICB–its region, region–NHS England, Active Partnership–
                                       Sport England, national bodies with each other.
      vertical, ``p_vertical``         local authority–OHID, national academia–each national
                                       body, local university–each national academic body.
      vertical, ``p_leader_vertical``  ICB board members–their region's leaders, regional
                                       leaders–NHS England's, Active Partnership leaders–Sport
                                       England's, local-authority directors of public health–
                                       OHID's.

    Deprivation: each ICS draws a level from Beta(``deprivation_alpha``, ``deprivation_beta``);
    each of its organisations adds Normal(0, ``deprivation_spread``) noise, clipped to [0, 1];
    a region gets the mean of its ICSs, national bodies the mean of all.

    Influence: ``organisation_influence`` for organisations, ``key_player_influence`` for the
    ``key_players`` (org kind, role) pairs, ``leader_influence`` for every other leader.

    ``cluster`` numbers the ICS × sector groups (0..n-1, ICS-major) for system and local nodes;
    national and regional nodes get -1. ``organisation`` is the organisation's node index for a
    leader, -1 for an organisation. All draws come from ``numpy.random.default_rng(seed)``.
    """
    args = dict(locals())
    check_parameters(EnglandSynthetic, args)
    counts = {k: args[k] for k in SIZES}
    probabilities = dict(
        p_within_sector=p_within_sector, p_cross_sector=p_cross_sector,
        p_leader_within=p_leader_within, p_leader_cross=p_leader_cross,
        p_vertical=p_vertical, p_leader_vertical=p_leader_vertical,
    )
    positives = dict(
        key_player_influence=key_player_influence, leader_influence=leader_influence,
        organisation_influence=organisation_influence, tie_weight=tie_weight,
        membership_weight=membership_weight, colleague_weight=colleague_weight,
        deprivation_alpha=deprivation_alpha, deprivation_beta=deprivation_beta,
    )
    roles = _resolve_leaders(leaders)
    keys = _resolve_key_players(key_players)

    rng = np.random.default_rng(seed)
    orgs = _organisations(rng, counts, national_academia, deprivation_alpha, deprivation_beta,
                          deprivation_spread)
    lead = _leaders(orgs, roles, keys)
    ties = _Ties()
    _ties_inside_ics(rng, ties, orgs, lead, probabilities, tie_weight, membership_weight,
                     colleague_weight)
    _vertical_ties(rng, ties, orgs, lead, p_vertical, p_leader_vertical, tie_weight)
    nodes = _node_table(orgs, lead, organisation_influence, key_player_influence,
                        leader_influence)
    params = {**{k: float(v) for k, v in counts.items()},
              "national_academia": int(national_academia), "leaders": roles,
              "key_players": sorted(keys),
              **{k: float(v) for k, v in positives.items() if "influence" in k},
              **{k: float(v) for k, v in probabilities.items()},
              **{k: float(v) for k, v in positives.items() if "weight" in k},
              "deprivation_alpha": float(deprivation_alpha),
              "deprivation_beta": float(deprivation_beta),
              "deprivation_spread": float(deprivation_spread)}
    meta: dict[str, Any] = {
        "generator": "england_synthetic", "seed": seed, "n_systems": orgs.n_sys,
        "n_regions": orgs.n_reg, "n_clusters": orgs.n_clusters,
        "n_organisations": int(orgs.n), "n_leaders": int(lead.n),
        "counts": {str(k): int(c) for k, c in nodes["kind"].value_counts(sort=False).items()},
        "synthetic": SYNTHETIC_NOTE, "params": params,
    }
    return Network.from_edges(orgs.n + lead.n, *ties.arrays(), nodes=nodes,
                              name="england_synthetic", meta=meta)


# ------------------------------------------------------------------------------------------
# the organisations, their leaders and their ties (one function each; draws in a fixed order)


@dataclass
class _Organisations:
    """Organisations in node order (national, regional, local), one array entry each."""

    kind: np.ndarray      # code into ORG_KINDS
    sector: np.ndarray    # code into SECTORS
    scope: np.ndarray     # ICS index; n_sys for national bodies; n_sys + 1 + r for region r
    level: np.ndarray     # 0 national, 1 regional, 2 system, 3 local
    region: np.ndarray
    system: np.ndarray
    deprivation: np.ndarray
    group: np.ndarray     # scope x sector group (sampling "inside a sector")
    cluster: np.ndarray   # the group for system/local organisations, -1 otherwise
    labels: list[str]
    n_clusters: int
    n_nat: int
    n_reg: int
    n_sys: int
    region_of_sys: np.ndarray

    @property
    def n(self) -> int:
        return int(self.kind.size)


def _organisations(rng: np.random.Generator, counts: Mapping[str, float],
                   national_academia: int, deprivation_alpha: float,
                   deprivation_beta: float, deprivation_spread: float) -> _Organisations:
    """National bodies, the 7 regions, and each ICS's organisations with its deprivation."""
    icbs = icb_regions()
    systems = icbs["icb_name"].to_numpy(dtype=object)
    regions = pd.unique(icbs["region"]).astype(object)
    n_sys, n_reg = len(systems), len(regions)
    region_of_sys = pd.Index(regions).get_indexer(icbs["region"])

    sys_dep = rng.beta(deprivation_alpha, deprivation_beta, size=n_sys)
    local_kinds = tuple(LOCAL_KIND_SECTOR)
    means = {"icb": 1.0, "nhs_trust": counts["nhs_trusts_per_system"],
             "pcn": counts["pcns_per_system"],
             "local_authority": counts["local_authorities_per_system"],
             "active_partnership": 1.0,
             "leisure_provider": counts["leisure_providers_per_system"],
             "vcs_organisation": counts["vcs_organisations_per_system"],
             "community_group": counts["community_groups_per_system"],
             "academia": counts["universities_per_system"]}
    per_ics = np.column_stack([_spread(rng, float(means[k]), n_sys) for k in local_kinds])
    flat = per_ics.ravel()  # ICS-major, kind-minor
    loc_kind = np.repeat(np.tile(np.arange(len(local_kinds)), n_sys), flat)
    loc_sys = np.repeat(np.repeat(np.arange(n_sys), len(local_kinds)), flat)
    loc_idx = np.arange(flat.sum()) - np.repeat(np.cumsum(flat) - flat, flat)

    n_nat = len(NATIONAL_BODIES) + national_academia
    kind_code = {k: i for i, k in enumerate(ORG_KINDS)}
    sector_code = {s: i for i, s in enumerate(SECTORS)}
    local_kind_codes = np.array([kind_code[k] for k in local_kinds])
    local_sector_codes = np.array([sector_code[LOCAL_KIND_SECTOR[k]] for k in local_kinds])
    kind = np.concatenate([
        [kind_code["national_body"]] * len(NATIONAL_BODIES),
        [kind_code["academia"]] * national_academia,
        [kind_code["nhs_region"]] * n_reg, local_kind_codes[loc_kind]]).astype(np.int64)
    sector = np.concatenate([
        [sector_code[s] for _, _, s in NATIONAL_BODIES],
        [sector_code["academia"]] * national_academia,
        [sector_code["health"]] * n_reg, local_sector_codes[loc_kind]]).astype(np.int64)
    scope = np.concatenate([np.full(n_nat, n_sys), n_sys + 1 + np.arange(n_reg),
                            loc_sys]).astype(np.int64)
    system_level = np.array([k in SYSTEM_LEVEL_KINDS for k in local_kinds])
    level = np.concatenate([np.zeros(n_nat, np.int64), np.ones(n_reg, np.int64),
                            np.where(system_level[loc_kind], 2, 3)]).astype(np.int64)
    reg_dep = np.array([sys_dep[region_of_sys == r].mean() for r in range(n_reg)])
    loc_dep = np.clip(sys_dep[loc_sys] + rng.normal(0.0, deprivation_spread, loc_kind.size),
                      0, 1)
    group_key = scope * len(SECTORS) + sector
    _, group = np.unique(group_key, return_inverse=True)
    return _Organisations(
        kind=kind, sector=sector, scope=scope, level=level,
        region=np.concatenate([np.full(n_nat, "", dtype=object), regions,
                               regions[region_of_sys[loc_sys]]]),
        system=np.concatenate([np.full(n_nat, "", dtype=object),
                               np.full(n_reg, "", dtype=object), systems[loc_sys]]),
        deprivation=np.concatenate([np.full(n_nat, sys_dep.mean()), reg_dep, loc_dep]),
        group=group, cluster=np.where(scope < n_sys, group, -1),
        labels=_org_labels(national_academia, regions, [local_kinds[k] for k in loc_kind],
                           systems[loc_sys], loc_idx),
        n_clusters=int(np.unique(group_key[scope < n_sys]).size),  # local keys sort first
        n_nat=n_nat, n_reg=n_reg, n_sys=n_sys, region_of_sys=region_of_sys)


@dataclass
class _Leaders:
    """Leaders in node order (after every organisation), grouped by organisation."""

    org: np.ndarray        # the organisation's node index
    role: np.ndarray       # code into role_names
    key: np.ndarray        # a key player?
    start: np.ndarray      # per organisation: offset of its first leader
    per_kind: np.ndarray   # leaders per organisation of each kind
    role_names: list[str]
    labels: list[str]
    nodes: np.ndarray      # node indices

    @property
    def n(self) -> int:
        return int(self.org.size)

    def of(self, org_nodes: np.ndarray, role: str | None = None) -> np.ndarray:
        """The leaders of these organisations (in this role)."""
        mask = np.isin(self.org, org_nodes)
        if role is not None:
            code = self.role_names.index(role) if role in self.role_names else -2
            mask &= self.role == code
        return self.nodes[mask]


def _leaders(orgs: _Organisations, roles: Mapping[str, Mapping[str, int]],
             keys: set[tuple[str, str]]) -> _Leaders:
    """``roles[kind] = {role: count}`` leaders for each organisation of that kind."""
    max_roles = max((sum(r.values()) for r in roles.values()), default=0)
    per_kind = np.array([sum(roles[k].values()) for k in ORG_KINDS], dtype=np.int64)
    role_names = sorted({role for r in roles.values() for role in r})
    role_code = {r: i for i, r in enumerate(role_names)}
    role_table = np.full((len(ORG_KINDS), max(max_roles, 1)), -1, dtype=np.int64)
    rank_table = np.zeros_like(role_table)
    key_table = np.zeros_like(role_table, dtype=bool)
    for k, kind in enumerate(ORG_KINDS):
        pos = 0
        for role, count in roles[kind].items():
            role_table[k, pos : pos + count] = role_code[role]
            rank_table[k, pos : pos + count] = np.arange(count)
            key_table[k, pos : pos + count] = (kind, role) in keys
            pos += count
    n_lead_org = per_kind[orgs.kind]
    org = np.repeat(np.arange(orgs.n), n_lead_org)
    start = np.cumsum(n_lead_org) - n_lead_org
    pos = np.arange(org.size) - np.repeat(start, n_lead_org)
    kind = orgs.kind[org]
    role = role_table[kind, pos]
    labels = [f"leader:{orgs.labels[o]}:{role_names[r]}:{i}" for o, r, i in zip(
        org.tolist(), role.tolist(), rank_table[kind, pos].tolist(), strict=True)]
    return _Leaders(org=org, role=role, key=key_table[kind, pos], start=start,
                    per_kind=per_kind, role_names=role_names, labels=labels,
                    nodes=orgs.n + np.arange(org.size))


class _Ties:
    """Ties collected as (u, v, weight) arrays, concatenated once at the end."""

    def __init__(self) -> None:
        self.us: list[np.ndarray] = []
        self.vs: list[np.ndarray] = []
        self.ws: list[np.ndarray] = []

    def add(self, u: np.ndarray, v: np.ndarray, w: float) -> None:
        self.us.append(np.asarray(u, np.int64))
        self.vs.append(np.asarray(v, np.int64))
        self.ws.append(np.full(len(u), float(w)))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.concatenate(self.us), np.concatenate(self.vs), np.concatenate(self.ws)


def _ties_inside_ics(rng: np.random.Generator, ties: _Ties, orgs: _Organisations,
                     lead: _Leaders, p: Mapping[str, float], tie_weight: float,
                     membership_weight: float, colleague_weight: float) -> None:
    """Dense inside an ICS x sector cluster, sparse across sectors; leaders to their
    organisation and colleagues."""
    all_orgs = np.arange(orgs.n)
    is_local = orgs.scope < orgs.n_sys
    u, v = _pairs_within_groups(rng, all_orgs, orgs.group, p["p_within_sector"])
    ties.add(u, v, tie_weight)
    u, v = _pairs_within_groups(rng, all_orgs[is_local], orgs.scope[is_local],
                                p["p_cross_sector"])
    cross = orgs.sector[u] != orgs.sector[v]
    ties.add(u[cross], v[cross], tie_weight)

    ties.add(lead.org, lead.nodes, membership_weight)
    for k in range(len(ORG_KINDS)):
        m = int(lead.per_kind[k])
        if m < 2:
            continue
        starts = orgs.n + lead.start[orgs.kind == k]
        a, b = np.triu_indices(m, k=1)
        ties.add((starts[:, None] + a).ravel(), (starts[:, None] + b).ravel(), colleague_weight)
    u, v = _pairs_within_groups(rng, lead.nodes, orgs.group[lead.org], p["p_leader_within"])
    other = lead.org[u - orgs.n] != lead.org[v - orgs.n]
    ties.add(u[other], v[other], 1.0)
    lead_local = is_local[lead.org]
    u, v = _pairs_within_groups(rng, lead.nodes[lead_local], orgs.scope[lead.org[lead_local]],
                                p["p_leader_cross"])
    cross = orgs.sector[lead.org[u - orgs.n]] != orgs.sector[lead.org[v - orgs.n]]
    ties.add(u[cross], v[cross], 1.0)


def _vertical_ties(rng: np.random.Generator, ties: _Ties, orgs: _Organisations,
                   lead: _Leaders, p_vertical: float, p_leader_vertical: float,
                   tie_weight: float) -> None:
    """Between levels: ICB-region-NHS England, Active Partnership-Sport England, local
    authority-OHID, academia; and between their leaders."""
    kind_code = {k: i for i, k in enumerate(ORG_KINDS)}
    nhse, ohid, sport = 0, 1, 2
    n_nat, n_reg = orgs.n_nat, orgs.n_reg
    nat_academia = np.arange(len(NATIONAL_BODIES), n_nat)
    region_nodes = n_nat + np.arange(n_reg)
    bodies = np.arange(len(NATIONAL_BODIES))
    a, b = np.triu_indices(len(bodies), k=1)
    ties.add(bodies[a], bodies[b], tie_weight)
    icb_nodes = np.flatnonzero(orgs.kind == kind_code["icb"])
    ties.add(icb_nodes, region_nodes[orgs.region_of_sys[orgs.scope[icb_nodes]]], tie_weight)
    ties.add(region_nodes, np.full(n_reg, nhse), tie_weight)
    ap_nodes = np.flatnonzero(orgs.kind == kind_code["active_partnership"])
    ties.add(ap_nodes, np.full(ap_nodes.size, sport), tie_weight)
    la_nodes = np.flatnonzero(orgs.kind == kind_code["local_authority"])
    ties.add(*_pairs_between(rng, la_nodes, np.array([ohid]), p_vertical), tie_weight)
    ties.add(*_pairs_between(rng, nat_academia, bodies, p_vertical), tie_weight)
    universities = np.flatnonzero((orgs.scope < orgs.n_sys)
                                  & (orgs.kind == kind_code["academia"]))
    ties.add(*_pairs_between(rng, universities, nat_academia, p_vertical), tie_weight)

    icb_board = lead.of(icb_nodes, "board_member")
    region_leaders = lead.of(region_nodes)
    ties.add(*_pairs_between(
        rng, icb_board, region_leaders, p_leader_vertical,
        group_a=orgs.region_of_sys[orgs.scope[lead.org[icb_board - orgs.n]]],
        group_b=lead.org[region_leaders - orgs.n] - n_nat), 1.0)
    nhse_leaders = lead.of(np.array([nhse]))
    ties.add(*_pairs_between(rng, region_leaders, nhse_leaders, p_leader_vertical), 1.0)
    sport_leaders = lead.of(np.array([sport]))
    ties.add(*_pairs_between(rng, lead.of(ap_nodes), sport_leaders, p_leader_vertical), 1.0)
    dph = lead.of(la_nodes, "director_of_public_health")
    ties.add(*_pairs_between(rng, dph, lead.of(np.array([ohid])), p_leader_vertical), 1.0)


def _node_table(orgs: _Organisations, lead: _Leaders, organisation_influence: float,
                key_player_influence: float, leader_influence: float) -> pd.DataFrame:
    """One row per node; a leader inherits its organisation's sector, level, place."""
    kind_names = np.array(ORG_KINDS, dtype=object)
    sector_names = np.array(SECTORS, dtype=object)
    level_names = np.array(["national", "regional", "system", "local"], dtype=object)
    role_arr = np.array(lead.role_names, dtype=object)
    influence = np.where(lead.key, key_player_influence, leader_influence)
    both = lambda values: np.concatenate([values, values[lead.org]])  # noqa: E731
    return pd.DataFrame({
        "label": orgs.labels + lead.labels,
        "agent_type": np.array(["Organisation"] * orgs.n + ["Leader"] * lead.n, dtype=object),
        "kind": np.concatenate([kind_names[orgs.kind], role_arr[lead.role]]),
        "sector": sector_names[both(orgs.sector)],
        "level": level_names[both(orgs.level)],
        "region": both(orgs.region),
        "system": both(orgs.system),
        "organisation": np.concatenate([np.full(orgs.n, -1), lead.org]).astype(np.int64),
        "deprivation": both(orgs.deprivation),
        "influence": np.concatenate([np.full(orgs.n, float(organisation_influence)),
                                     influence]),
        "cluster": both(orgs.cluster).astype(np.int64),
    })


# ------------------------------------------------------------------------------------------
# sampling helpers (vectorised per group)


def _spread(rng: np.random.Generator, mean: float, n_sys: int) -> np.ndarray:
    """Integer counts per ICS summing to round(mean × n_sys), as even as possible."""
    total = int(math.floor(mean * n_sys + 0.5))
    base, extra = divmod(total, n_sys)
    out = np.full(n_sys, base, dtype=np.int64)
    if extra:
        out[rng.choice(n_sys, size=extra, replace=False)] += 1
    return out


def _unrank_pairs(t: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Map linear indices of the strict upper triangle of an s×s matrix (row-major) to (i, j)."""
    t = t.astype(np.int64)
    b = 2 * s - 1
    i = np.floor((b - np.sqrt(np.maximum(b * b - 8.0 * t, 0.0))) / 2).astype(np.int64)
    i = np.clip(i, 0, s - 2)
    i -= (i * (b - i) // 2) > t  # guard float round-off on either side
    i += ((i + 1) * (b - i - 1) // 2) <= t
    j = t - i * (b - i) // 2 + i + 1
    return i, j


def _pairs_within_groups(
    rng: np.random.Generator, members: np.ndarray, group: np.ndarray, p: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each unordered pair of members sharing a group, kept independently with probability p.

    Draws the number of ties per group (binomial) and then which pairs, so the cost is the
    number of ties, not the number of pairs.
    """
    empty = np.empty(0, np.int64)
    if p <= 0 or members.size < 2:
        return empty, empty
    order = np.argsort(group, kind="stable")
    members, group = members[order], group[order]
    bounds = np.flatnonzero(np.diff(group)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [members.size]])
    us, vs = [empty], [empty]
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        s = hi - lo
        if s < 2:
            continue
        n_pairs = s * (s - 1) // 2
        k = n_pairs if p >= 1 else int(rng.binomial(n_pairs, p))
        if k == 0:
            continue
        t = np.arange(n_pairs) if k == n_pairs else rng.choice(n_pairs, size=k, replace=False)
        i, j = _unrank_pairs(t, s)
        us.append(members[lo + i])
        vs.append(members[lo + j])
    return np.concatenate(us), np.concatenate(vs)


def _pairs_between(
    rng: np.random.Generator,
    a: np.ndarray,
    b: np.ndarray,
    p: float,
    group_a: np.ndarray | None = None,
    group_b: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each (a, b) pair (with equal group, when groups are given) kept with probability p."""
    if group_a is None or group_b is None:
        group_a, group_b = np.zeros(a.size, np.int64), np.zeros(b.size, np.int64)
    order = np.argsort(group_b, kind="stable")
    b, group_b = b[order], group_b[order]
    lo = np.searchsorted(group_b, group_a, "left")
    cnt = np.searchsorted(group_b, group_a, "right") - lo
    u = np.repeat(a, cnt)
    offset = np.arange(u.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    v = b[np.repeat(lo, cnt) + offset]
    if p < 1:
        keep = rng.random(u.size) < p
        u, v = u[keep], v[keep]
    return u, v


def _org_labels(
    national_academia: int,
    regions: np.ndarray,
    local_kinds: list[str],
    local_systems: np.ndarray,
    local_idx: np.ndarray,
) -> list[str]:
    """Readable, unique labels: ``icb:<ICB>``, ``pcn:<ICB>:12``, ``nhs_region:<region>``."""
    labels = [f"national_body:{short}" for short, _, _ in NATIONAL_BODIES]
    labels += [f"academia:national:{i}" for i in range(national_academia)]
    labels += [f"nhs_region:{r}" for r in regions]
    labels += [
        f"{k}:{s}" if k in SYSTEM_LEVEL_KINDS else f"{k}:{s}:{i}"
        for k, s, i in zip(local_kinds, local_systems.tolist(), local_idx.tolist(), strict=True)
    ]
    return labels


# ------------------------------------------------------------------------------------------
# validation


def check_parameters(schema: type[Group], args: Mapping[str, Any]) -> None:
    """A generator's arguments against its config schema (``sim.networks.schema``), so the
    Python API and the config say the same about a bad value (``network.<key>: ...``)."""
    check(schema, {k: plain(v) for k, v in args.items()}, "network")


def _check_int(name: str, value: object) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= 0
    require(ok, f"network.{name}", "an integer >= 0", value)


def _resolve_leaders(
    leaders: Mapping[str, Mapping[str, int]] | None,
    defaults: Mapping[str, Mapping[str, int]] = DEFAULT_LEADERS,
    kinds: Sequence[str] = ORG_KINDS,
) -> dict[str, dict[str, int]]:
    """Merge the user's per-kind role counts over the defaults, kind by kind."""
    resolved = {k: dict(v) for k, v in defaults.items()}
    if leaders is None:
        return resolved
    if not isinstance(leaders, Mapping):
        raise InputError(
            "network.leaders: must be a mapping of organisation kind to {role: count} "
            f"(got {leaders!r})"
        )
    for kind, role_counts in leaders.items():
        require(
            kind in kinds, "network.leaders", f"keyed by one of {', '.join(kinds)}", kind
        )
        field = f"network.leaders.{kind}"
        if role_counts is None:
            resolved[kind] = {}
            continue
        require(isinstance(role_counts, Mapping), field, "a mapping of role to count", role_counts)
        roles: dict[str, int] = {}
        for role, count in role_counts.items():
            require(
                isinstance(role, str) and role.isidentifier() and role == role.lower(),
                field, "keyed by snake_case role names", role,
            )
            _check_int(f"leaders.{kind}.{role}", count)
            roles[role] = int(count)
        resolved[str(kind)] = roles
    return resolved


def _resolve_key_players(
    pairs: Iterable[Sequence[str]], kinds: Sequence[str] = ORG_KINDS
) -> set[tuple[str, str]]:
    allowed = "a list of [organisation kind, role] pairs"
    if isinstance(pairs, str | bytes) or not isinstance(pairs, Iterable):
        raise InputError(f"network.key_players: must be {allowed} (got {pairs!r})")
    out: set[tuple[str, str]] = set()
    for pair in pairs:
        ok = (
            isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2
            and pair[0] in kinds and isinstance(pair[1], str)
        )
        require(ok, "network.key_players", f"{allowed}, kinds from {', '.join(kinds)}", pair)
        out.add((str(pair[0]), str(pair[1])))
    return out
