"""Outcomes in people: how many residents live where physical-activity practice is embedded.

A strategist is asked about people, not organisations. On ``network=england`` every resident
(Census 2021, by district x ICB piece) has an upper-tier council (the public-health
authority for where they live) and a GP practice, whose PCN they are counted in (registered
lists share out a district's residents between PCNs). A resident lives where PA practice is
**embedded** when both their council and their practice's PCN have adopted: the two
organisations that commission and deliver PA advice to them. Patients of the few practices
without a PCN are never covered. The same share is given for physically inactive adults
(Active Lives 2024/25 inactive %, applied to the 16+ population; Active Lives counts 19+).

Reported at the end of a run: overall (``summary.json``: ``population_embedded_share``,
``inactive_embedded_share``), by ICS and by the district's IMD 2019 quintile (``groups.parquet``
rows with ``attribute`` ``icb`` / ``imd_quintile``, and ``summary.json["outcomes"]``, averaged
over replicates), plus ``ics_ranking.png`` (the ICSs ranked by adoption within their region)
and ``ics_behind.csv`` (the 10 furthest behind). Networks without real places report nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.engine.network import Network

DEFINITION = ("a resident lives where PA practice is embedded when both their upper-tier "
              "council and their GP practice's PCN have adopted")
RANKING_FIGURE = "ics_ranking.png"
BEHIND_TABLE = "ics_behind.csv"
PEOPLE = ("population", "population_embedded", "inactive", "inactive_embedded")


def has_places(network: Network) -> bool:
    """Whether the network knows where people live (``network=england``)."""
    return "places" in network.meta and "icbs" in network.meta


def embedded_share(network: Network, adopted: np.ndarray) -> np.ndarray:
    """Per district piece: the share of its residents whose council and PCN have adopted."""
    places = network.meta["places"]
    on = np.asarray(adopted, dtype=float)
    pcn_covered = places.pcn_share @ on[: places.pcn_share.shape[1]]  # organisations first
    return pcn_covered * on[places.council]


def _people(network: Network, adopted: np.ndarray) -> pd.DataFrame:
    places = network.meta["places"]
    share = embedded_share(network, adopted)
    return pd.DataFrame({
        "icb": places.icb, "quintile": places.quintile,
        "population": places.population, "population_embedded": places.population * share,
        "inactive": places.inactive, "inactive_embedded": places.inactive * share,
    })


def summarise(model: Any) -> dict[str, float]:
    """Overall shares of residents and of inactive adults where PA practice is embedded."""
    if not has_places(model.network):
        return {}
    total = _people(model.network, model.adopted)[list(PEOPLE)].sum()
    return {"population_embedded_share": total["population_embedded"] / total["population"],
            "inactive_embedded_share": total["inactive_embedded"] / total["inactive"]}


def _with_shares(frame: pd.DataFrame) -> pd.DataFrame:
    frame["population_embedded_share"] = frame["population_embedded"] / frame["population"]
    frame["inactive_embedded_share"] = frame["inactive_embedded"] / frame["inactive"]
    return frame


def extend_groups(groups: pd.DataFrame, model: Any) -> pd.DataFrame:
    """``history_by_group()`` with ICB codes and names on the ICS rows, and the final step's
    people by ICS (``attribute`` ``icb``, ``group`` its code) and by IMD quintile."""
    network = model.network
    if not has_places(network):
        return groups
    icbs = network.meta["icbs"]
    code_of = dict(zip(icbs["icb_name"], icbs["icb_code"], strict=True))
    groups = groups.copy()
    is_system = (groups["attribute"] == "system").to_numpy()
    # each distinct group is looked up once (a run's table repeats them every step)
    labels, uniques = pd.factorize(groups["group"], use_na_sentinel=False)
    code = pd.Series(uniques).map(code_of).fillna("").to_numpy()[labels]
    groups["icb_code"] = np.where(is_system, code, "")
    groups["icb_name"] = np.where(is_system & (groups["icb_code"] != ""), groups["group"], "")
    people = _people(network, model.adopted)
    last = int(groups["step"].max()) if len(groups) else int(model.steps)
    final = groups[groups["step"] == last]
    by_icb = _with_shares(people.groupby("icb")[list(PEOPLE)].sum())
    by_icb = by_icb.reindex(range(len(icbs)))
    orgs = final[is_system[groups["step"].to_numpy() == last]].set_index("group")
    icb_rows = pd.DataFrame({
        "step": last, "attribute": "icb", "group": icbs["icb_code"].to_numpy(),
        "icb_code": icbs["icb_code"].to_numpy(), "icb_name": icbs["icb_name"].to_numpy(),
        "region": icbs["region"].to_numpy(),
        **{c: orgs[c].reindex(icbs["icb_name"]).to_numpy() for c in
           ("size", "adopted", "aware", "adopted_fraction", "aware_fraction")},
        **{c: by_icb[c].to_numpy() for c in by_icb.columns},
    })
    by_q = _with_shares(people.groupby("quintile")[list(PEOPLE)].sum()).reindex(range(1, 6))
    q_rows = pd.DataFrame({"step": last, "attribute": "imd_quintile",
                           "group": [str(q) for q in range(1, 6)],
                           **{c: by_q[c].to_numpy() for c in by_q.columns}})
    return pd.concat([groups, icb_rows, q_rows], ignore_index=True)


def extra(groups: pd.DataFrame) -> dict[str, Any]:
    """``summary.json["outcomes"]``: the definition and the by-ICS and by-quintile tables,
    averaged over replicates (empty when the run has no real places)."""
    if "population_embedded_share" not in groups:
        return {}
    out: dict[str, Any] = {"definition": DEFINITION}
    for attribute, keys in (("icb", ["icb_code", "icb_name", "region"]),
                            ("imd_quintile", ["group"])):
        rows = groups[groups["attribute"] == attribute]
        cols = ["adopted_fraction", *PEOPLE, "population_embedded_share",
                "inactive_embedded_share"]
        table = rows.groupby(keys, sort=False)[cols].mean().reset_index()
        if attribute == "imd_quintile":
            table = table.rename(columns={"group": "imd_quintile"}).drop(
                columns=["adopted_fraction"])
        out[f"by_{attribute}"] = table.replace({np.nan: None}).to_dict(orient="records")
    return {"outcomes": out}


def ranking(groups: pd.DataFrame) -> pd.DataFrame:
    """ICSs by mean final adoption over replicates, ranked within their region (1 = highest)."""
    rows = groups[groups["attribute"] == "icb"]
    table = (rows.groupby(["icb_code", "icb_name", "region"], sort=False)
             [["adopted_fraction", "population_embedded_share", "inactive_embedded_share"]]
             .mean().reset_index())
    table["rank_in_region"] = (table.groupby("region")["adopted_fraction"]
                               .rank(ascending=False, method="min").astype(int))
    table["rank_in_england"] = table["adopted_fraction"].rank(ascending=False,
                                                              method="min").astype(int)
    return table.sort_values(["region", "rank_in_region"]).reset_index(drop=True)


