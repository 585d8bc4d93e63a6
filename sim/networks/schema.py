"""The ``network`` config group: one schema per network option, each key declared once.

``NETWORKS[name]`` is the schema of ``network=<name>`` (its ``name`` key included); the
pre-flight checks the chosen network's keys against it before anything is built, and the
reference table of every key is generated from it. What relates several keys (a ring's even
degree below n, a bridge no wider than a cluster) and what needs the data (ICB names, a
file's columns) the generators and loaders check when they build. A network registered at
run time (``sim.networks.register``) has no schema here; its generator checks its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from sim.engine.schema import (
    Allowed,
    Group,
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Probability,
    Seed,
    Text,
    key,
)
from sim.networks.clustered import INTERNAL, LAYOUTS
from sim.networks.file import FORMATS
from sim.networks.lattice import REWIRE

SEED = "the network's own seed; null: a fresh network per replicate, from the replicate's seed"


class RingLattice(Group):
    """``network=ring_lattice``: n nodes on a ring, each tied to its k nearest neighbours."""

    name: Literal["ring_lattice"] = key("ring_lattice", "the network option")
    n: Annotated[int, Field(ge=3)] = key(1000, "nodes")
    k: Annotated[int, Field(ge=2)] = key(8, "ties per node (even, below n)")
    p: Probability = key(0.0, "share of ties rewired")
    rewire: Literal[REWIRE] = key(  # type: ignore[valid-type]
        "random", "random: Watts-Strogatz rewiring; degree_preserving: swaps keep degrees")
    seed: Seed | None = key(None, SEED)


class SmallWorld(Group):
    """``network=small_world``: the Watts-Strogatz small world."""

    name: Literal["small_world"] = key("small_world", "the network option")
    n: Annotated[int, Field(ge=3)] = key(1000, "nodes")
    k: Annotated[int, Field(ge=2)] = key(8, "ties per node before rewiring (even, below n)")
    p: Probability = key(0.1, "share of ties rewired")
    seed: Seed | None = key(None, SEED)


class RandomGraph(Group):
    """``network=random``: an Erdos-Renyi graph by mean degree."""

    name: Literal["random"] = key("random", "the network option")
    n: PositiveInt = key(1000, "nodes")
    mean_degree: NonNegative = key(8, "expected ties per node (at most n-1)")
    seed: Seed | None = key(None, SEED)


class Clustered(Group):
    """``network=clustered``: dense clusters joined by bridges of a given width."""

    name: Literal["clustered"] = key("clustered", "the network option")
    clusters: PositiveInt = key(20, "number of clusters")
    size: Annotated[int, Field(ge=2)] = key(20, "nodes per cluster")
    width: NonNegativeInt = key(2, "nodes on each side of a bridge, all tied (w x w ties)")
    layout: Literal[LAYOUTS] = key(  # type: ignore[valid-type]
        "ring", "ring: each cluster bridged to the next; random: to random others")
    internal: Literal[INTERNAL] = key(  # type: ignore[valid-type]
        "complete", "ties inside a cluster: complete, or a ring lattice")
    internal_degree: Annotated[int, Field(ge=2)] | None = key(
        None, "degree of a ring cluster (internal=ring)")
    seed: Seed | None = key(None, SEED)


class File(Group):
    """``network=file``: a user's GraphML, or CSV edge list and node table."""

    name: Literal["file"] = key("file", "the network option")
    path: Text = key(..., "the GraphML or CSV edge-list file")
    format: Literal[FORMATS] = key(  # type: ignore[valid-type]
        "auto", "auto: by the file's extension")
    nodes: Text | None = key(None, "a CSV node-attribute table (csv format only)")
    source: Text = key("source", "the edge list's column of tie sources")
    target: Text = key("target", "the edge list's column of tie targets")
    weight: Text | None = key("weight", "the tie-weight column or attribute; null: weight 1")
    id_column: Text = key("id", "the node table's column of node labels")
    directed: bool | None = key(None, "null: as the file declares; true: a row source,target "
                                      "means source named target; false: every tie mutual")


KeyPlayers = Annotated[Sequence[Sequence[str]],
                       Allowed("a list of [organisation kind, role] pairs")]
#: checked in depth (known kinds and roles, counts >= 0) by the generator
Leaders = Annotated[Mapping[str, Any] | None,
                    Allowed("a mapping of organisation kind to {role: count}")]
KEY_PLAYERS = [["icb", "board_member"], ["icb", "commissioner"], ["national_body", "board_member"]]


class _EnglandCommon(Group):
    """Keys the real and the synthetic England share: who leads, who weighs more, ties."""

    seed: Seed | None = key(None, "seed of the synthetic ties; null: fresh ones per replicate")
    national_academia: NonNegativeInt = key(2, "national academic bodies")
    leaders: Leaders = key(None, "{organisation kind: {role: count}} merged over the defaults")
    key_players: KeyPlayers = key(KEY_PLAYERS, "(organisation kind, role) pairs that weigh "
                                               "key_player_influence")
    key_player_influence: Positive = key(2.0, "influence of a key player")
    leader_influence: Positive = key(1.0, "influence of any other leader")
    organisation_influence: Positive = key(1.0, "influence of an organisation")
    p_vertical: Probability = key(0.1, "tie probability: upper-tier council - OHID; academia - "
                                       "national bodies")
    p_leader_vertical: Probability = key(0.1, "tie probability: leaders up the hierarchy (ICB "
                                              "board - region - NHS England ...)")
    tie_weight: Positive = key(1.0, "weight of a tie between organisations")
    membership_weight: Positive = key(1.0, "weight of a leader's tie to their organisation")
    colleague_weight: Positive = key(1.0, "weight of a tie between colleagues")


class England(_EnglandCommon):
    """``network=england``: the real system of the 42 ICSs with synthetic ties."""

    name: Literal["england"] = key("england", "the network option")
    icbs: Annotated[str | Sequence[str] | None, Allowed("a list of ICB codes or names")] = \
        key(None, "ICSs to build, by ODS code or name; null: all 42")
    data_dir: Text | None = key(None, "a directory of the shipped tables' files; null: shipped")
    people_per_leisure_provider: Positive = key(170000.0, "residents per leisure provider")
    people_per_vcs_organisation: Positive = key(90000.0, "residents per voluntary organisation")
    people_per_community_group: Positive = key(67000.0, "residents per community group")
    people_per_university: Positive = key(2700000.0, "residents per university")
    min_catchment_share: Probability = key(0.05, "an acute trust serves an ICB sending it at "
                                                 "least this share of admissions")
    within_sector_degree: NonNegative = key(6.0, "expected same-sector ties per organisation "
                                                 "inside its ICS")
    cross_sector_degree: NonNegative = key(1.0, "expected cross-sector ties per organisation "
                                                "inside its ICS")
    leader_within_degree: NonNegative = key(4.0, "expected same-sector ties per leader")
    leader_cross_degree: NonNegative = key(1.0, "expected cross-sector ties per leader")
    p_icb_pcn: Probability = key(0.3, "tie probability: ICB - its PCNs")
    p_pcn_council: Probability = key(0.5, "tie probability: PCN - the councils of its practices")
    p_trust_council: Probability = key(0.3, "tie probability: trust - upper-tier councils it "
                                            "serves")
    p_trust_pcn: Probability = key(0.05, "tie probability: trust - PCNs of the ICBs it serves")
    p_local_council: Probability = key(0.3, "tie probability: local organisation - its council")
    p_community_pcn: Probability = key(0.05, "tie probability: voluntary or community "
                                             "organisation - its district's PCNs")


class EnglandSynthetic(_EnglandCommon):
    """``network=england_synthetic``: England's kinds of organisation sized from averages."""

    name: Literal["england_synthetic"] = key("england_synthetic", "the network option")
    nhs_trusts_per_system: NonNegative = key(5.0, "NHS trusts per ICS (mean)")
    pcns_per_system: NonNegative = key(30.0, "primary care networks per ICS (mean)")
    local_authorities_per_system: NonNegative = key(7.5, "local authorities per ICS (mean)")
    leisure_providers_per_system: NonNegative = key(8.0, "leisure providers per ICS (mean)")
    vcs_organisations_per_system: NonNegative = key(15.0, "voluntary organisations per ICS "
                                                          "(mean)")
    community_groups_per_system: NonNegative = key(20.0, "community groups per ICS (mean)")
    universities_per_system: NonNegative = key(0.5, "universities per ICS (mean)")
    p_within_sector: Probability = key(0.3, "tie probability inside an ICS x sector cluster")
    p_cross_sector: Probability = key(0.02, "tie probability across sectors inside an ICS")
    p_leader_within: Probability = key(0.05, "leaders' tie probability inside a cluster")
    p_leader_cross: Probability = key(0.005, "leaders' tie probability across sectors")
    deprivation_alpha: Positive = key(2.0, "ICS deprivation ~ Beta(alpha, beta): alpha")
    deprivation_beta: Positive = key(2.0, "ICS deprivation ~ Beta(alpha, beta): beta")
    deprivation_spread: NonNegative = key(0.05, "organisations' deprivation: ICS level + "
                                                "Normal(0, spread)")


class Networkx(Group):
    """``network=networkx``: any generator of ``networkx.generators`` by name; keys beyond
    these are passed to it as they are (the generator checks them)."""

    model_config = ConfigDict(extra="allow")

    name: Literal["networkx"] = key("networkx", "the network option")
    generator: Text = key(..., "a function name in networkx.generators")
    n: int | None = key(None, "nodes (most generators)")
    m: int | None = key(None, "ties per new node (barabasi_albert_graph ...)")
    k: int | None = key(None, "degree or clique size (watts_strogatz_graph ...)")
    p: Probability | None = key(None, "probability (watts_strogatz_graph, erdos_renyi_graph "
                                      "...)")
    d: int | None = key(None, "degree (random_regular_graph)")
    l: int | None = key(None, "cliques (caveman_graph ...)")  # noqa: E741 - networkx's name


#: network option -> its schema
NETWORKS: dict[str, type[Group]] = {
    "ring_lattice": RingLattice, "small_world": SmallWorld, "random": RandomGraph,
    "clustered": Clustered, "file": File, "england": England,
    "england_synthetic": EnglandSynthetic, "networkx": Networkx,
}


def network_schema(name: Any) -> type[Group] | None:
    """The schema of ``network=<name>`` (None for a network registered at run time)."""
    return NETWORKS.get(name) if isinstance(name, str) else None
