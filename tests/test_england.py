"""The real England network against the shipped tables it is built from."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.network import Network
from sim.errors import InputError
from sim.networks.england import england
from sim.networks.england_tables import default_dir
from sim.world import outcomes

DATA = default_dir()
CHECKED = {"QOP": "NHS Greater Manchester ICB", "QT6": "NHS Cornwall and the Isles of Scilly ICB",
           "QMF": "NHS North East London ICB"}
CENSUS_ENGLAND = 56_489_608  # Census 2021 usual residents in the shipped LSOA sums (README)


@pytest.fixture(scope="module")
def net() -> Network:
    return england(seed=3)


def table(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype={"pcn_code": str})


def orgs(net: Network) -> pd.DataFrame:
    return net.nodes[net.nodes["agent_type"] == "Organisation"]


def tied(net: Network, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(net.adjacency[a, b]).ravel()


def node_of(net: Network, kind: str, code: str) -> int:
    o = orgs(net)
    return int(o.index[(o["kind"] == kind) & (o["org_code"] == code)][0])


@pytest.mark.parametrize("code", sorted(CHECKED))
def test_counts_of_trusts_pcns_practices_councils_equal_the_data(net: Network, code: str) -> None:
    o = orgs(net)
    mine = o[o["icb_code"] == code]
    assert mine.loc[mine["kind"] == "icb", "icb_name"].tolist() == [CHECKED[code]]
    trusts = table("nhs_trusts_2025.csv")
    assert (mine["kind"] == "nhs_trust").sum() == (trusts["icb_code"] == code).sum()
    pcns = table("pcns_2024.csv")
    assert (mine["kind"] == "pcn").sum() == (pcns["icb_code"] == code).sum()
    practices = table("gp_practices_2025.csv")
    in_pcns = practices["pcn_code"].isin(pcns.loc[pcns["icb_code"] == code, "pcn_code"])
    n_practices = pd.to_numeric(mine.loc[mine["kind"] == "pcn", "org_code"].map(
        practices[in_pcns].groupby("pcn_code").size()).fillna(0)).sum()
    assert n_practices == in_pcns.sum() > 0
    pieces = table("lad24_to_icb24_pop.csv")
    here = pieces[pieces["icb_code"] == code]
    n_councils = here["utla23_code"].nunique() + here.loc[
        here["lad_type"] == "non-metropolitan district", "lad_code"].nunique()
    councils = o.index[o["kind"].isin(["local_authority", "district_council"])].to_numpy()
    icb = node_of(net, "icb", code)
    assert (tied(net, np.full(councils.size, icb), councils) > 0).sum() == n_councils
    summary = table("icb_summary.csv").set_index("icb_code").loc[code]
    assert (mine["kind"] == "pcn").sum() == summary["n_pcns_oct2024"]
    assert (mine["kind"] == "nhs_trust").sum() == summary["n_nhs_trusts_hq"]


def test_greater_manchester_cornwall_and_nel_have_their_real_councils(net: Network) -> None:
    o = orgs(net)
    councils = o[o["kind"].isin(["local_authority", "district_council"])]
    per_icb = councils.groupby("icb_code").size()
    assert (per_icb["QOP"], per_icb["QT6"], per_icb["QMF"]) == (10, 2, 8)
    assert set(councils.loc[councils["icb_code"] == "QT6", "name"]) == {
        "Cornwall", "Isles of Scilly"}


def test_populations_sum_to_the_census_total(net: Network) -> None:
    o = orgs(net)
    upper = o.loc[o["kind"] == "local_authority", "population"].sum()
    assert upper == pytest.approx(CENSUS_ENGLAND, abs=1)
    assert o.loc[o["kind"] == "icb", "population"].sum() == pytest.approx(CENSUS_ENGLAND, abs=1)
    summary = table("icb_summary.csv").set_index("icb_code")["census2021_pop"]
    icbs = o[o["kind"] == "icb"].set_index("org_code")["population"]
    np.testing.assert_allclose(icbs[summary.index], summary, atol=1)
    assert net.meta["places"].population.sum() == pytest.approx(CENSUS_ENGLAND, abs=1)


def test_all_42_icss_present_with_their_region(net: Network) -> None:
    ref = table("icb_reference.csv").set_index("icb_code")
    icbs = orgs(net)[orgs(net)["kind"] == "icb"].set_index("org_code")
    assert len(icbs) == 42 and set(icbs.index) == set(ref.index)
    assert (icbs["region"] == ref.loc[icbs.index, "region"]).all()
    assert (icbs["name"] == ref.loc[icbs.index, "icb_name"]).all()
    regions = orgs(net)[orgs(net)["kind"] == "nhs_region"]
    for code, row in icbs.iterrows():
        region = int(regions.index[regions["name"] == row["region"]][0])
        assert tied(net, np.array([node_of(net, "icb", code)]), np.array([region]))[0] > 0


def test_a_county_spanning_icbs_is_one_agent_tied_to_each_by_population_share(net) -> None:
    o = orgs(net)
    essex = o[(o["kind"] == "local_authority") & (o["name"] == "Essex")]
    assert len(essex) == 1
    shares = table("utla23_to_icb24_pop.csv").query("utla23_name == 'Essex'")
    icb_nodes = [node_of(net, "icb", c) for c in shares["icb_code"]]
    weights = tied(net, np.array(icb_nodes), np.full(len(icb_nodes), essex.index[0]))
    np.testing.assert_allclose(weights, shares["share_of_utla_pop"], atol=1e-3)
    assert essex["icb_code"].item() == shares.sort_values("pop_2021")["icb_code"].iloc[-1]


def test_acute_trusts_are_tied_to_the_icbs_their_catchment_covers(net: Network) -> None:
    trust = node_of(net, "nhs_trust", "RXK")  # Sandwell and West Birmingham: HQ QHL
    for code in ("QHL", "QUA"):  # ... main catchment Black Country (52 %)
        assert tied(net, np.array([trust]), np.array([node_of(net, "icb", code)]))[0] > 0
    catchment = table("trust_catchment_icb22.csv")
    big = catchment[catchment["share_of_trust_admissions"] >= 0.05]
    o = orgs(net)
    trusts = o[o["kind"] == "nhs_trust"]
    big = big[big["org_code"].isin(trusts["org_code"])]
    t = [node_of(net, "nhs_trust", c) for c in big["org_code"]]
    i = [node_of(net, "icb", c) for c in big["icb_code"]]
    assert (tied(net, np.array(t), np.array(i)) > 0).all()


def test_deprivation_is_imd_2019_scaled_over_districts(net: Network) -> None:
    imd = table("imd2019_lad23.csv").set_index("lad_code")
    score = imd["imd_avg_score"]
    scaled = (score - score.min()) / (score.max() - score.min())
    o = orgs(net)
    districts = o[o["kind"] == "district_council"].set_index("org_code")
    np.testing.assert_allclose(districts["deprivation"], scaled[districts.index], atol=1e-12)
    blackpool = o[(o["kind"] == "local_authority") & (o["name"] == "Blackpool")]
    assert blackpool["deprivation"].item() == pytest.approx(1.0)
    assert blackpool["deprivation_quintile"].item() == 5
    # the district quintile is the real one: 5 = the 59 or 60 most deprived of 296 districts
    ranks = score.rank(ascending=False)
    top = imd.index[ranks <= 59]
    unitary = o[o["org_code"].isin(top) & (o["kind"] == "local_authority")]
    assert (unitary["deprivation_quintile"] == 5).all() and len(unitary) > 20
    least = o[o["org_code"].isin(imd.index[ranks > 296 - 59])]
    assert (least["deprivation_quintile"] == 1).all()


def test_pcn_deprivation_is_its_practices_list_weighted_mean(net: Network) -> None:
    practices = table("gp_practices_2025.csv")
    imd = table("imd2019_lad23.csv").set_index("lad_code")["imd_avg_score"]
    scaled = (imd - imd.min()) / (imd.max() - imd.min())
    pcn = practices[practices["pcn_code"].notna()].groupby("pcn_code").filter(
        lambda g: g["lad_code_aif"].isin(scaled.index).all() and g["lad_code_aif"].nunique() > 1)
    code = pcn["pcn_code"].iloc[0]
    mine = pcn[pcn["pcn_code"] == code]
    expected = np.average(scaled[mine["lad_code_aif"]], weights=mine["registered_pop_2025_26"])
    o = orgs(net)
    got = o.loc[(o["kind"] == "pcn") & (o["org_code"] == code), "deprivation"].item()
    assert got == pytest.approx(expected, rel=1e-6)


def test_real_codes_and_names_on_every_organisation(net: Network) -> None:
    nodes = net.nodes
    assert {"icb_code", "icb_name", "org_code", "name", "kind", "agent_type", "sector", "level",
            "region", "system", "organisation", "deprivation", "influence",
            "cluster"} <= set(nodes.columns)
    assert nodes["label"].is_unique
    o = orgs(net)
    assert (o["org_code"] != "").all() and (o["name"] != "").all()
    assert set(o.loc[o["kind"] == "pcn", "org_code"]) == set(table("pcns_2024.csv")["pcn_code"])
    aps = o[o["kind"] == "active_partnership"]
    assert len(aps) == 43 and aps["name"].is_unique
    local = o[o["level"].isin(["system", "local"])]
    assert (local["icb_code"] != "").all() and (local["system"] == local["icb_name"]).all()
    lead = nodes[nodes["agent_type"] == "Leader"]
    np.testing.assert_array_equal(lead["org_code"].to_numpy(),
                                  nodes["org_code"].to_numpy()[lead["organisation"].to_numpy()])


def test_active_partnerships_cover_every_council_once(net: Network) -> None:
    areas = table("active_partnership_areas.csv")
    assert areas["active_partnership"].nunique() == 43 and areas["utla23_code"].is_unique
    partial = table("active_partnerships_partial.csv")
    got = areas.set_index("utla23_code").loc[partial["utla23_code"], "active_partnership"]
    assert (got.to_numpy() == partial["active_partnership"].to_numpy()).all()
    o = orgs(net)
    london = node_of(net, "active_partnership", o.loc[o["name"] == "London Sport",
                                                       "org_code"].item())
    boroughs = o.index[(o["kind"] == "local_authority") & (o["region"] == "London")].to_numpy()
    assert boroughs.size == 33
    assert (tied(net, np.full(boroughs.size, london), boroughs) > 0).all()


def test_subset_keeps_national_and_regional_ties() -> None:
    sub = england(seed=3, icbs=["QOP", "NHS Cornwall and the Isles of Scilly ICB"])
    o = orgs(sub)
    assert sorted(o.loc[o["kind"] == "icb", "org_code"]) == ["QOP", "QT6"]
    assert sorted(o.loc[o["kind"] == "nhs_region", "name"]) == ["North West", "South West"]
    assert (o["kind"] == "national_body").sum() == 3
    assert set(o.loc[o["level"].isin(["system", "local"]), "icb_code"]) == {"QOP", "QT6"}
    full = orgs(england(seed=3))
    for kind in ("nhs_trust", "pcn", "local_authority"):
        for code in ("QOP", "QT6"):
            assert ((o["kind"] == kind) & (o["icb_code"] == code)).sum() == (
                (full["kind"] == kind) & (full["icb_code"] == code)).sum()
    nhse = node_of(sub, "national_body", "X24")
    regions = o.index[o["kind"] == "nhs_region"].to_numpy()
    assert (tied(sub, regions, np.full(2, nhse)) > 0).all()
    assert sub.meta["places"].population.sum() == pytest.approx(2_867_771 + 572_361, abs=1)


def test_unknown_icb_is_one_line_naming_how_to_list_them() -> None:
    with pytest.raises(InputError) as err:
        england(icbs=["QOP", "XYZ"])
    message = str(err.value)
    assert message.startswith("network.icbs: unknown ICB 'XYZ'") and "\n" not in message
    assert "icb_table" in message


def test_same_seed_same_network_other_seed_other_ties(net: Network) -> None:
    again = england(seed=3)
    pd.testing.assert_frame_equal(net.nodes, again.nodes)
    assert (net.adjacency != again.adjacency).nnz == 0
    other = england(seed=4)
    pd.testing.assert_frame_equal(net.nodes, other.nodes)  # organisations are the data's
    assert (other.adjacency != net.adjacency).nnz > 0


def test_adjacency_symmetric_positive_without_self_loops(net: Network) -> None:
    a = net.adjacency
    assert abs(a - a.T).max() == 0 and a.diagonal().sum() == 0 and (a.data > 0).all()


def test_people_embedded_need_both_their_council_and_their_pcn(net: Network) -> None:
    o = orgs(net)
    adopted = np.zeros(net.n, bool)
    assert outcomes.embedded_share(net, adopted).sum() == 0
    cornwall = o.index[(o["icb_code"] == "QT6") & (o["kind"] == "pcn")].to_numpy()
    council = node_of(net, "local_authority", "E06000052")  # Cornwall
    adopted[cornwall] = True
    assert outcomes.embedded_share(net, adopted).sum() == 0  # council not yet
    adopted[council] = True
    places = net.meta["places"]
    people = places.population * outcomes.embedded_share(net, adopted)
    cornwall_pop = places.population[places.lad_code == "E06000052"].sum()
    # residents share out over their district's practices' lists; the 2 Bude practices are in a
    # Devon PCN and 2 practices have no PCN, so their share stays uncovered
    practices = table("gp_practices_2025.csv").query("lad_code_aif == 'E06000052'")
    in_pcn = practices["pcn_code"].isin(o.loc[o.index.isin(cornwall), "org_code"])
    lists = practices["registered_pop_2025_26"]
    expected = cornwall_pop * lists[in_pcn].sum() / lists.sum()
    assert people.sum() == pytest.approx(expected, rel=1e-9) and expected < 0.96 * cornwall_pop
    everyone = outcomes.embedded_share(net, np.ones(net.n, bool))
    assert 0.98 < (places.population * everyone).sum() / places.population.sum() < 1.0


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "england"
    shutil.copytree(DATA, target)
    return target


@pytest.mark.parametrize(("file", "edit", "shows"), [
    ("pcns_2024.csv", lambda t: t.drop(columns=["pcn_code"]), "column 'pcn_code' missing"),
    ("lad24_to_icb24_pop.csv", lambda t: t.assign(pop_2021=t["pop_2021"].astype(object).where(
        t.index != 3, "lots")), "column 'pop_2021' must hold numbers (row 5: 'lots')"),
    ("nhs_trusts_2025.csv", lambda t: t.assign(icb_code=t["icb_code"].where(t.index != 0)),
     "column 'icb_code' has an empty value (row 2)"),
    ("imd2019_lad23.csv", None, "table missing"),
])
def test_missing_or_malformed_table_is_one_line_naming_file_and_column(
        tmp_path: Path, file: str, edit, shows: str) -> None:
    data = copy_data(tmp_path)
    if edit is None:
        (data / file).unlink()
    else:
        edit(pd.read_csv(data / file, dtype=str)).to_csv(data / file, index=False)
    with pytest.raises(InputError) as err:
        england(seed=1, data_dir=str(data))
    message = str(err.value)
    assert message.startswith(str(data / file)) and shows in message and "\n" not in message
