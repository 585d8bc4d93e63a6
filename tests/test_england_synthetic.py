"""The synthetic England network: real skeleton, configurable synthetic inside, fast build."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sim.engine.network import Network
from sim.errors import InputError
from sim.networks.england_synthetic import DEFAULT_LEADERS, icb_regions
from sim.networks.england_synthetic import england_synthetic as england

REGION_COUNTS = {
    "North East and Yorkshire": 4,
    "North West": 3,
    "Midlands": 11,
    "East of England": 6,
    "London": 5,
    "South East": 6,
    "South West": 7,
}


@pytest.fixture(scope="module")
def net() -> Network:
    return england(seed=7)


def orgs(net: Network) -> pd.DataFrame:
    return net.nodes[net.nodes["agent_type"] == "Organisation"]


def leaders(net: Network) -> pd.DataFrame:
    return net.nodes[net.nodes["agent_type"] == "Leader"]


def test_shipped_data_lists_42_icbs_in_7_regions() -> None:
    table = icb_regions()
    assert len(table) == 42 and table["icb_name"].is_unique
    assert table["region"].value_counts().to_dict() == REGION_COUNTS


def test_42_systems_in_7_regions(net: Network) -> None:
    local = net.nodes[net.nodes["system"] != ""]
    per_region = local.groupby("region")["system"].nunique().to_dict()
    assert per_region == REGION_COUNTS
    assert net.meta["n_systems"] == 42 and net.meta["n_regions"] == 7
    regions = orgs(net)[orgs(net)["kind"] == "nhs_region"]
    assert sorted(regions["region"]) == sorted(REGION_COUNTS)
    assert (regions["system"] == "").all()


def test_one_icb_and_one_active_partnership_per_system(net: Network) -> None:
    o = orgs(net)
    for kind in ("icb", "active_partnership"):
        per_system = o[o["kind"] == kind].groupby("system").size()
        assert len(per_system) == 42 and (per_system == 1).all()
        assert (o.loc[o["kind"] == kind, "level"] == "system").all()
    assert set(o.loc[o["kind"] == "icb", "label"]) == {
        f"icb:{name}" for name in icb_regions()["icb_name"]
    }


def test_columns_and_national_bodies(net: Network) -> None:
    expected = {"label", "agent_type", "kind", "sector", "level", "region", "system",
                "organisation", "deprivation", "influence", "cluster"}
    assert expected <= set(net.nodes.columns)
    assert net.nodes["label"].is_unique
    national = orgs(net)[orgs(net)["level"] == "national"]
    bodies = national[national["kind"] == "national_body"]
    assert bodies["sector"].tolist() == ["health", "health", "physical_activity"]
    assert (national["system"] == "").all() and (national["region"] == "").all()
    assert (national["cluster"] == -1).all()
    local = net.nodes[net.nodes["level"].isin(["system", "local"])]
    assert (local["cluster"] >= 0).all()
    assert local["cluster"].nunique() == net.meta["n_clusters"]


def test_leaders_belong_to_an_organisation_of_same_system_and_sector(net: Network) -> None:
    nodes, lead = net.nodes, leaders(net)
    org = nodes.loc[lead["organisation"].to_numpy()]
    assert (org["agent_type"] == "Organisation").all()
    for col in ("system", "sector", "level", "region", "cluster", "deprivation"):
        np.testing.assert_array_equal(org[col].to_numpy(), lead[col].to_numpy())
    a = net.adjacency
    assert (a[lead.index.to_numpy(), lead["organisation"].to_numpy()] > 0).all()
    assert (orgs(net)["organisation"] == -1).all()


def test_leaders_of_one_organisation_are_all_tied(net: Network) -> None:
    lead = leaders(net)
    icb = net.nodes.index[net.nodes["kind"] == "icb"][0]
    team = lead.index[lead["organisation"] == icb].to_numpy()
    assert team.size == 10
    block = net.adjacency[team][:, team].toarray()
    assert (block + np.eye(team.size) > 0).all()


def test_dense_inside_a_sector_sparse_across(net: Network) -> None:
    o = orgs(net)
    o = o[o["cluster"] >= 0]
    idx = o.index.to_numpy()
    sub = sp.triu(net.adjacency[idx][:, idx], k=1).tocoo()
    cluster, system = o["cluster"].to_numpy(), o["system"].to_numpy()
    same_cluster = cluster[sub.row] == cluster[sub.col]
    same_system = system[sub.row] == system[sub.col]
    sizes = o.groupby("cluster").size().to_numpy()
    within_pairs = (sizes * (sizes - 1) // 2).sum()
    per_system = o.groupby("system").size().to_numpy()
    cross_pairs = (per_system * (per_system - 1) // 2).sum() - within_pairs
    within = same_cluster.sum() / within_pairs
    across = (same_system & ~same_cluster).sum() / cross_pairs
    assert within > 0.2 and across < 0.05
    assert within > 8 * across
    assert (same_system | ~same_cluster).all()  # no local ties between different ICSs


def test_vertical_ties(net: Network) -> None:
    nodes, a = net.nodes, net.adjacency
    label_to_node = pd.Series(nodes.index, index=nodes["label"])
    icbs = nodes[nodes["kind"] == "icb"]
    regions = label_to_node[("nhs_region:" + icbs["region"]).to_numpy()].to_numpy()
    assert (a[icbs.index.to_numpy(), regions] > 0).all()
    nhse = label_to_node["national_body:NHS England"]
    region_nodes = nodes.index[nodes["kind"] == "nhs_region"].to_numpy()
    assert (a[region_nodes, np.full(7, nhse)] > 0).all()
    sport = label_to_node["national_body:Sport England"]
    aps = nodes.index[nodes["kind"] == "active_partnership"].to_numpy()
    assert (a[aps, np.full(aps.size, sport)] > 0).all()
    ohid = label_to_node["national_body:OHID"]
    las = nodes.index[nodes["kind"] == "local_authority"].to_numpy()
    assert 0 < (a[las, np.full(las.size, ohid)] > 0).sum() < las.size


def test_adjacency_symmetric_without_self_loops(net: Network) -> None:
    a = net.adjacency
    assert a.shape == (len(net.nodes), len(net.nodes))
    assert abs(a - a.T).max() == 0
    assert a.diagonal().sum() == 0
    assert (a.data > 0).all()


def test_deprivation_in_unit_interval(net: Network) -> None:
    dep = net.nodes["deprivation"].to_numpy()
    assert ((dep >= 0) & (dep <= 1)).all()
    by_system = net.nodes[net.nodes["system"] != ""].groupby("system")["deprivation"]
    assert by_system.std().mean() < by_system.mean().std()  # mostly an ICS-level signal


def test_key_players_have_more_influence(net: Network) -> None:
    lead = leaders(net)
    org_kind = net.nodes["kind"].to_numpy()[lead["organisation"].to_numpy()]
    key = ((org_kind == "icb") & lead["kind"].isin(["board_member", "commissioner"]).to_numpy()) | (
        (org_kind == "national_body") & (lead["kind"] == "board_member").to_numpy()
    )
    assert (lead["influence"][key] == 2.0).all()
    assert (lead["influence"][~key] == 1.0).all()
    assert (orgs(net)["influence"] == 1.0).all()
    custom = england(seed=7, key_players=[("pcn", "clinician")], key_player_influence=3.0)
    cl = leaders(custom)
    is_pcn = custom.nodes["kind"].to_numpy()[cl["organisation"].to_numpy()] == "pcn"
    assert (cl["influence"][is_pcn & (cl["kind"] == "clinician").to_numpy()] == 3.0).all()
    assert cl["influence"].max() == 3.0 and (cl["influence"] == 3.0).sum() == 1260


def test_same_seed_same_network_different_seed_different(net: Network) -> None:
    again = england(seed=7)
    pd.testing.assert_frame_equal(net.nodes, again.nodes)
    assert (net.adjacency != again.adjacency).nnz == 0
    other = england(seed=8)
    assert other.n == net.n  # sizes are set by the config, ties and deprivation by the seed
    assert (other.adjacency != net.adjacency).nnz > 0
    assert not np.allclose(other.nodes["deprivation"], net.nodes["deprivation"])


def test_counts_by_kind_match_config(net: Network) -> None:
    counts = net.nodes["kind"].value_counts().to_dict()
    expected_orgs = {"national_body": 3, "nhs_region": 7, "icb": 42, "nhs_trust": 210,
                     "pcn": 1260, "local_authority": 315, "active_partnership": 42,
                     "leisure_provider": 336, "vcs_organisation": 630, "community_group": 840}
    o = orgs(net)["kind"].value_counts().to_dict()
    assert {k: o[k] for k in expected_orgs} == expected_orgs
    assert o["academia"] == 2 + 21
    expected_leaders: dict[str, int] = {}
    for kind, roles in DEFAULT_LEADERS.items():
        for role, n in roles.items():
            expected_leaders[role] = expected_leaders.get(role, 0) + n * o[kind]
    assert leaders(net)["kind"].value_counts().to_dict() == expected_leaders
    assert net.meta["counts"] == counts
    assert 8000 <= net.n <= 12000


def test_sizes_scale_with_parameters() -> None:
    base = england(seed=1)
    bigger = england(seed=1, pcns_per_system=60, local_authorities_per_system=3.2,
                     national_academia=0, universities_per_system=0)
    kinds, bkinds = base.nodes["kind"].value_counts(), bigger.nodes["kind"].value_counts()
    assert bkinds["pcn"] == 2 * kinds["pcn"] == 2520
    assert bkinds["local_authority"] == round(3.2 * 42)
    las = bigger.nodes[bigger.nodes["kind"] == "local_authority"].groupby("system").size()
    assert set(las) <= {3, 4}
    assert "academia" not in bkinds and "researcher" not in bkinds
    custom = england(seed=1, leaders={"pcn": {"clinician": 3}, "community_group": {}})
    ck = custom.nodes["kind"].value_counts()
    assert ck["clinician"] == 3 * 1260 + 2 * 210
    assert ck["manager"] == kinds["manager"] - 1260 - 840
    none = england(seed=1, p_within_sector=0, p_cross_sector=0, p_leader_within=0,
                   p_leader_cross=0, p_vertical=0, p_leader_vertical=0)
    assert none.n_edges < base.n_edges / 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"pcns_per_system": -1}, "network.pcns_per_system"),
        ({"nhs_trusts_per_system": float("nan")}, "network.nhs_trusts_per_system"),
        ({"national_academia": 1.5}, "network.national_academia"),
        ({"p_within_sector": 1.2}, "network.p_within_sector"),
        ({"p_cross_sector": -0.1}, "network.p_cross_sector"),
        ({"p_leader_vertical": "high"}, "network.p_leader_vertical"),
        ({"key_player_influence": 0}, "network.key_player_influence"),
        ({"deprivation_alpha": 0}, "network.deprivation_alpha"),
        ({"deprivation_beta": -2}, "network.deprivation_beta"),
        ({"deprivation_spread": -0.1}, "network.deprivation_spread"),
        ({"leaders": {"hospital": {"manager": 1}}}, "network.leaders"),
        ({"leaders": {"pcn": {"manager": -1}}}, "network.leaders.pcn.manager"),
        ({"key_players": [("icb",)]}, "network.key_players"),
        ({"seed": -3}, "network.seed"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        england(**kwargs)
