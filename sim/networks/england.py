"""The real England health system (``network=england``): every ICS built from its own organisations.

What is REAL (``sim/data/england/``, Open Government Licence v3, sources in its README):
the 42 ICBs and their 7 NHS regions; the 202 NHS trusts (HQ ICB) and, for the 134 acute
trusts, the ICBs their OHID catchment covers; the 1,285 PCNs and the population of their
practices; the 317 councils (upper tier: counties, unitaries, metropolitan districts, London
boroughs; lower tier: districts in two-tier areas) and the Census 2021 population each has in
each ICB; IMD 2019 by district; physically inactive adults by district (Active Lives).

APPROXIMATED (labelled in the data): the areas of the 43 Active Partnerships. Sport England's
list of place partnerships gives 16 of them for 20 councils; the rest are the county footprints
they are known to cover (``active_partnership_areas.csv``, columns ``name_basis``/``area_basis``).

SYNTHETIC: every tie (no public data says who talks to whom), but only where real structure
puts one (a PCN and the councils it sits in, a trust and the places it serves, ...); the
leaders inside organisations; leisure, voluntary and community organisations, which have no
national register, so their number is sized from population and each is placed in a district.

The organisations are fixed by the data and built once (cached per data directory and ICB
subset); a seed draws only the ties, so a replicate costs a few tens of milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sim.engine.network import Network, unique_ints
from sim.errors import InputError, require
from sim.networks import england_synthetic as synthetic
from sim.networks.england_synthetic import icb_regions
from sim.networks.england_tables import Tables, load
from sim.networks.schema import England

#: Organisation kinds in node order. ``district_council`` is a lower-tier council in a
#: two-tier area; ``local_authority`` an upper-tier or unitary one (public health sits there).
ORG_KINDS = (
    "national_body", "academia", "nhs_region", "icb", "nhs_trust", "pcn", "local_authority",
    "district_council", "active_partnership", "leisure_provider", "vcs_organisation",
    "community_group",
)
KIND_SECTOR = {
    "national_body": "health", "academia": "academia", "nhs_region": "health", "icb": "health",
    "nhs_trust": "health", "pcn": "health", "local_authority": "local_government",
    "district_council": "local_government", "active_partnership": "physical_activity",
    "leisure_provider": "physical_activity", "vcs_organisation": "community",
    "community_group": "community",
}
KIND_LEVEL = {"national_body": "national", "academia": "local", "nhs_region": "regional",
              "icb": "system", "active_partnership": "system"}

#: Leaders per organisation kind (role -> count): the synthetic network's, plus district
#: councils (no director of public health: that post is the county's).
DEFAULT_LEADERS: dict[str, dict[str, int]] = {
    **{k: dict(v) for k, v in synthetic.DEFAULT_LEADERS.items()},
    "district_council": {"commissioner": 1},
}
DEFAULT_KEY_PLAYERS = synthetic.DEFAULT_KEY_PLAYERS

#: the national bodies: (org_code, name, sector)
NATIONAL_BODIES = (("X24", "NHS England", "health"),
                   ("OHID", "Office for Health Improvement and Disparities", "health"),
                   ("SE", "Sport England", "physical_activity"))

#: upper-tier council types in the UTLA table, and lower-tier district types in the LAD table
DISTRICT_TYPE = "non-metropolitan district"

SYNTHETIC_NOTE = (
    "Organisations, codes, names, populations, deprivation and catchments are real "
    "(sim/data/england/README.md); Active Partnership areas are partly approximated; ties, "
    "leaders and leisure/voluntary/community organisations (sized from population) are synthetic."
)


# ------------------------------------------------------------------------------------------
# organisations (real, built once)


@dataclass(frozen=True)
class Places:
    """Residents by LAD x ICB piece: where each lives, for the outcomes in people."""

    population: np.ndarray
    inactive: np.ndarray  # physically inactive adults (16+ population x district inactive %)
    icb: np.ndarray  # index into Structure.icbs
    quintile: np.ndarray  # the district's IMD 2019 quintile, 1 least .. 5 most deprived
    council: np.ndarray  # organisation index of the upper-tier council (public health)
    pcn_share: sp.csr_array  # piece x organisation: share of the piece's patients in each PCN
    lad_code: np.ndarray
    lad_name: np.ndarray


@dataclass(frozen=True)
class Structure:
    """The real organisations of (a subset of) England and the structure ties follow."""

    orgs: pd.DataFrame  # one row per organisation, in node order
    icbs: pd.DataFrame  # icb_code, icb_name, region, region_code (the ICBs built)
    relations: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # name -> (u, v, weight)
    places: Places
    dep_cuts: np.ndarray  # deprivation values separating the district quintiles
    #: leaders and node table per (roles, key players, weights): fixed by the data, so
    #: built once and reused by every seed
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def deprivation_scale(imd: pd.DataFrame) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """District deprivation on 0..1 and the district quintiles.

    ``(score - min) / (max - min)`` of the IMD 2019 average score over England's districts
    (0 = least deprived district, 1 = most), so differences keep their real proportions.
    Quintiles are of districts ranked by score (about 59 each, 5 = most deprived, as the
    model's ``deprivation_quintile``); ``cuts`` are the midpoints between quintiles, so any
    organisation's population-weighted deprivation falls in the district quintile it matches.
    """
    score = imd.set_index("lad_code")["imd_avg_score"]
    scaled = (score - score.min()) / (score.max() - score.min())
    ordered = np.sort(scaled.to_numpy())
    edges = np.round(np.linspace(0, len(ordered), 6)).astype(int)[1:-1]
    cuts = (ordered[edges - 1] + ordered[edges]) / 2
    quintile = np.digitize(scaled.to_numpy(), cuts) + 1
    return scaled, cuts, pd.Series(quintile, index=scaled.index).to_numpy()


@lru_cache(maxsize=8)
def structure(data_dir: str | None, icbs: tuple[str, ...] | None,
              sizes: tuple[tuple[str, float], ...], min_catchment_share: float) -> Structure:
    """The organisations and structural relations (cached: the data does not change)."""
    tables = _subset(load(data_dir), icbs)
    builder = _Builder(tables, dict(sizes), min_catchment_share)
    return builder.build()


def _subset(t: Tables, icbs: tuple[str, ...] | None) -> Tables:
    """The tables restricted to the chosen ICB codes (all 42 when ``icbs`` is None)."""
    if icbs is None:
        return t
    keep = set(icbs)

    def only(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["icb_code"].isin(keep)].reset_index(drop=True)

    return Tables(icbs=only(t.icbs), trusts=only(t.trusts), catchment=only(t.catchment),
                  pcns=only(t.pcns), practices=only(t.practices),
                  lad_pieces=only(t.lad_pieces), utla_pieces=only(t.utla_pieces), imd=t.imd,
                  inactivity=t.inactivity, active_partnerships=t.active_partnerships)


#: Districts abolished in the April 2023 reorganisation -> their new unitary (ONS codes). The
#: practice table's district (allocation tool) still uses the old codes there.
LAD_2023_SUCCESSOR = {
    **dict.fromkeys(("E07000026", "E07000028", "E07000029"), "E06000063"),  # Cumberland
    **dict.fromkeys(("E07000027", "E07000030", "E07000031"), "E06000064"),  # Westmorland & F.
    **{f"E0700016{i}": "E06000065" for i in range(3, 10)},  # North Yorkshire
    **dict.fromkeys(("E07000187", "E07000188", "E07000189", "E07000246"), "E06000066"),  # Somerset
}

#: sized organisations (no register): kind -> sizing key (people per organisation)
SIZED_KINDS = {"leisure_provider": "people_per_leisure_provider",
               "vcs_organisation": "people_per_vcs_organisation",
               "community_group": "people_per_community_group",
               "academia": "people_per_university"}


class _Builder:
    """Assembles the organisation table and structural relations from the tables."""

    def __init__(self, t: Tables, sizes: dict[str, float], min_share: float) -> None:
        self.t, self.sizes, self.min_share = t, sizes, min_share
        self.icbs = t.icbs.reset_index(drop=True)
        self.icb_index = pd.Series(np.arange(len(self.icbs)), index=self.icbs["icb_code"])
        scaled, self.cuts, _ = deprivation_scale(t.imd)
        self.lad_dep = scaled
        pieces = t.lad_pieces.copy()
        pieces["icb"] = self.icb_index[pieces["icb_code"]].to_numpy()
        pieces["dep"] = self._dep_of_lad(pieces["lad_code"], pieces["icb"])
        self.pieces = pieces
        pop = pieces.groupby("icb")["pop_2021"].sum()
        self.icb_pop = pop.reindex(range(len(self.icbs)), fill_value=0.0).to_numpy()
        wdep = (pieces["dep"] * pieces["pop_2021"]).groupby(pieces["icb"]).sum()
        self.icb_dep = (wdep.reindex(range(len(self.icbs)), fill_value=0.0).to_numpy()
                        / np.maximum(self.icb_pop, 1.0))
        self.frames: list[pd.DataFrame] = []
        self.relations: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    # -- helpers ----------------------------------------------------------------------------
    def _dep_of_lad(self, lad: pd.Series, icb: np.ndarray | None = None) -> np.ndarray:
        codes = lad.map(lambda c: LAD_2023_SUCCESSOR.get(c, c))
        dep = codes.map(self.lad_dep).to_numpy(float)
        if icb is not None and np.isnan(dep).any():
            missing = lad[np.isnan(dep)].iloc[0]
            raise InputError(f"imd2019_lad23.csv: column 'lad_code' has no row for district "
                             f"{missing} of lad24_to_icb24_pop.csv")
        return dep

    def _add(self, kind: str, **columns: Any) -> np.ndarray:
        """Append organisations of one kind; returns their organisation indices."""
        start = sum(len(f) for f in self.frames)
        frame = pd.DataFrame(columns)
        frame.insert(0, "kind", kind)
        self.frames.append(frame)
        return start + np.arange(len(frame))

    def _relate(self, name: str, u: Any, v: Any, w: Any = 1.0) -> None:
        u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
        w = np.broadcast_to(np.asarray(w, float), u.shape).copy()
        self.relations.setdefault(name, []).append((u, v, w))

    # -- organisations ----------------------------------------------------------------------
    def build(self) -> Structure:
        nat = self._national()
        regions = self._regions(nat)
        icb = self._icbs(regions)
        trusts = self._trusts(icb)
        pcns, self._practices = self._pcns(icb)
        self._trust_pcns(trusts, pcns)
        councils = self._councils(icb, trusts)
        self._pcn_places(self._practices, councils)
        self._active_partnerships(icb, councils, nat)
        self._sized(councils, nat)
        orgs = pd.concat(self.frames, ignore_index=True)
        orgs["region"] = orgs["region"].fillna("")
        default_level = orgs["kind"].map(lambda k: KIND_LEVEL.get(k, "local"))
        orgs["level"] = (orgs["level"].fillna(default_level) if "level" in orgs
                         else default_level)
        relations = {k: tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
                     for k, parts in self.relations.items()}
        places = self._places(councils, self._practices)
        icbs = self.icbs[["icb_code", "icb_name", "region", "region_code"]].copy()
        icbs["population"] = self.icb_pop
        return Structure(orgs=orgs, icbs=icbs, relations=relations, places=places,
                         dep_cuts=self.cuts)

    def _national(self) -> dict[str, np.ndarray]:
        everyone = self.icb_pop.sum()
        dep = float((self.icb_dep * self.icb_pop).sum() / max(everyone, 1.0))
        bodies = self._add(
            "national_body", org_code=[c for c, _, _ in NATIONAL_BODIES],
            name=[n for _, n, _ in NATIONAL_BODIES],
            sector=[s for _, _, s in NATIONAL_BODIES], icb=-1, region="", deprivation=dep,
            population=everyone)
        n_acad = int(self.sizes["national_academia"])
        academia = self._add("academia", org_code=[f"ACAD{i + 1}" for i in range(n_acad)],
                             name=[f"National academic body {i + 1}" for i in range(n_acad)],
                             sector="academia", icb=-1, region="", deprivation=dep,
                             population=np.nan, level="national")
        a, b = np.triu_indices(bodies.size, k=1)
        self._relate("national", bodies[a], bodies[b])
        self._relate("academia_national", np.repeat(academia, bodies.size),
                     np.tile(bodies, academia.size))
        return {"bodies": bodies, "academia": academia}

    def _regions(self, nat: dict[str, np.ndarray]) -> pd.Series:
        reg = self.icbs.drop_duplicates("region")[["region", "region_code"]]
        pop = pd.Series(self.icb_pop).groupby(self.icbs["region"].to_numpy()).sum()
        wdep = pd.Series(self.icb_dep * self.icb_pop).groupby(self.icbs["region"].to_numpy()).sum()
        nodes = self._add("nhs_region", org_code=reg["region_code"].to_numpy(),
                          name=reg["region"].to_numpy(), sector="health", icb=-1,
                          region=reg["region"].to_numpy(),
                          deprivation=(wdep / pop)[reg["region"]].to_numpy(),
                          population=pop[reg["region"]].to_numpy())
        self._relate("national", nodes, np.full(nodes.size, nat["bodies"][0]))  # NHS England
        return pd.Series(nodes, index=reg["region"].to_numpy())

    def _icbs(self, regions: pd.Series) -> np.ndarray:
        nodes = self._add("icb", org_code=self.icbs["icb_code"].to_numpy(),
                          name=self.icbs["icb_name"].to_numpy(), sector="health",
                          icb=np.arange(len(self.icbs)), region=self.icbs["region"].to_numpy(),
                          deprivation=self.icb_dep, population=self.icb_pop)
        self._relate("region_icb", nodes, regions[self.icbs["region"]].to_numpy())
        return nodes

    def _trusts(self, icb_nodes: np.ndarray) -> pd.DataFrame:
        """Trusts at their HQ ICB; acute trusts also serve their OHID catchment ICBs."""
        trusts = self.t.trusts.reset_index(drop=True)
        hq = self.icb_index[trusts["icb_code"]].to_numpy()
        catch = self.t.catchment[self.t.catchment["org_code"].isin(trusts["org_code"])]
        catch = catch[catch["icb_code"].isin(self.icb_index.index)]
        trust_pos = pd.Series(np.arange(len(trusts)), index=trusts["org_code"])
        c_trust = trust_pos[catch["org_code"]].to_numpy()
        c_icb = self.icb_index[catch["icb_code"]].to_numpy()
        share = catch["share_of_trust_admissions"].to_numpy(float)
        total = np.bincount(c_trust, share, minlength=len(trusts))
        dep = np.bincount(c_trust, share * self.icb_dep[c_icb], minlength=len(trusts))
        acute = total > 0
        dep = np.where(acute, dep / np.where(acute, total, 1.0), self.icb_dep[hq])
        nodes = self._add("nhs_trust", org_code=trusts["org_code"].to_numpy(),
                          name=trusts["name"].to_numpy(), sector="health", icb=hq,
                          region=self.icbs["region"].to_numpy()[hq], deprivation=dep,
                          population=np.nan)
        served = pd.DataFrame({"trust": np.concatenate([np.arange(len(trusts)), c_trust]),
                               "icb": np.concatenate([hq, c_icb]),
                               "share": np.concatenate([np.ones(len(trusts)), share])})
        served = served[served["share"] >= self.min_share].drop_duplicates(["trust", "icb"])
        served["node"] = nodes[served["trust"].to_numpy()]
        self._relate("icb_trust", icb_nodes[served["icb"].to_numpy()], served["node"])
        return served

    def _pcns(self, icb_nodes: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
        """PCNs with their practices' registered population and deprivation (weighted)."""
        pcns = self.t.pcns.reset_index(drop=True)
        icb = self.icb_index[pcns["icb_code"]].to_numpy()
        prac = self.t.practices.copy()
        prac["lad"] = prac["lad_code_aif"].map(lambda c: LAD_2023_SUCCESSOR.get(c, c))
        prac["icb"] = self.icb_index.reindex(prac["icb_code"]).to_numpy()
        prac["weight"] = prac["registered_pop_2025_26"].fillna(0.0)
        dep = prac["lad"].map(self.lad_dep).to_numpy(float)
        prac["dep"] = np.where(np.isnan(dep), self.icb_dep[prac["icb"].to_numpy(int)], dep)
        pos = pd.Series(np.arange(len(pcns)), index=pcns["pcn_code"])
        prac["pcn"] = pos.reindex(prac["pcn_code"]).to_numpy()
        member = prac[prac["pcn"].notna()]
        p = member["pcn"].to_numpy(int)
        w = member["weight"].to_numpy(float) + 1e-9  # a practice without a list still counts
        pop = np.bincount(p, member["weight"].to_numpy(float), minlength=len(pcns))
        dep = np.bincount(p, w * member["dep"].to_numpy(), minlength=len(pcns))
        norm = np.bincount(p, w, minlength=len(pcns))
        dep = np.where(norm > 0, dep / np.where(norm > 0, norm, 1.0), self.icb_dep[icb])
        nodes = self._add("pcn", org_code=pcns["pcn_code"].to_numpy(),
                          name=pcns["pcn_name"].to_numpy(), sector="health", icb=icb,
                          region=self.icbs["region"].to_numpy()[icb], deprivation=dep,
                          population=pop, sub_icb_code=pcns["sub_icb_code"].to_numpy(),
                          n_practices=np.bincount(p, minlength=len(pcns)))
        self._relate("icb_pcn", icb_nodes[icb], nodes)
        self._pcn_icb = icb
        prac["node"] = np.where(prac["pcn"].notna(),
                                nodes[prac["pcn"].fillna(0).to_numpy(int)], -1)
        return nodes, prac

    def _councils(self, icb_nodes: np.ndarray, served: pd.DataFrame) -> pd.DataFrame:
        """One agent per council, tied to each ICB it serves by its population share there."""
        pieces = self.pieces
        pieces["utla_pop"] = pieces.groupby("utla23_code")["pop_2021"].transform("sum")
        pieces["lad_pop"] = pieces.groupby("lad_code")["pop_2021"].transform("sum")
        upper = self._council_kind("local_authority", pieces, "utla23_code", "utla23_name",
                                   pieces["utla23_code"].notna())
        lower = self._council_kind("district_council", pieces, "lad_code", "lad_name",
                                   pieces["lad_type"] == DISTRICT_TYPE)
        pieces["upper_node"] = upper[pieces["utla23_code"]].to_numpy()
        is_district = (pieces["lad_type"] == DISTRICT_TYPE).to_numpy()
        pieces["lower_node"] = np.where(is_district, lower.reindex(pieces["lad_code"])
                                        .fillna(-1).to_numpy(int), -1)
        # the council for local services: the district in two-tier areas, else the unitary
        pieces["local_node"] = np.where(is_district, pieces["lower_node"], pieces["upper_node"])
        for col, share_of in (("upper_node", "utla_pop"), ("lower_node", "lad_pop")):
            part = pieces[pieces[col] >= 0]
            agg = part.groupby([col, "icb"])["pop_2021"].sum().reset_index()
            total = part.groupby(col)[share_of].first()[agg[col]].to_numpy()
            self._relate("icb_council", icb_nodes[agg["icb"].to_numpy()], agg[col],
                         agg["pop_2021"].to_numpy() / total)
        dist = pieces[is_district].drop_duplicates("lad_code")
        self._relate("district_county", dist["lower_node"], dist["upper_node"])
        # trusts and the upper-tier councils of the places they serve
        up = pieces.drop_duplicates(["upper_node", "icb"])[["upper_node", "icb"]]
        pair = served.merge(up, on="icb")[["node", "upper_node"]].drop_duplicates()
        self._relate("trust_council", pair["node"], pair["upper_node"])
        return pieces

    def _council_kind(self, kind: str, pieces: pd.DataFrame, code: str, name: str,
                      mask: pd.Series) -> pd.Series:
        part = pieces[mask.to_numpy()]
        pop = part.groupby(code)["pop_2021"].sum()
        wdep = (part["dep"] * part["pop_2021"]).groupby(part[code]).sum()
        main = part.groupby(code).first()
        by_icb = part.groupby([code, "icb"])["pop_2021"].sum().reset_index()
        main_icb = by_icb.sort_values("pop_2021", ascending=False).groupby(code)["icb"].first()
        codes = pop.index.to_numpy()
        icb = main_icb[codes].to_numpy(int)  # the ICB holding most of its residents
        tier = (main.loc[codes, "lad_type"].to_numpy() if kind == "district_council"
                else self._utla_type(codes))
        nodes = self._add(kind, org_code=codes, name=main.loc[codes, name].to_numpy(),
                          sector="local_government", icb=icb,
                          region=self.icbs["region"].to_numpy()[icb],
                          deprivation=(wdep / pop)[codes].to_numpy(),
                          population=pop[codes].to_numpy(), la_tier=tier)
        return pd.Series(nodes, index=codes)

    def _utla_type(self, codes: np.ndarray) -> np.ndarray:
        types = self.t.utla_pieces.drop_duplicates("utla23_code").set_index("utla23_code")
        return types["utla_type"].reindex(codes).fillna("").to_numpy()

    def _trust_pcns(self, served: pd.DataFrame, pcn_nodes: np.ndarray) -> None:
        """Trusts and the PCNs of the ICBs they serve."""
        pcns = pd.DataFrame({"icb": self._pcn_icb, "pcn": pcn_nodes})
        pair = served.merge(pcns, on="icb")
        self._relate("trust_pcn", pair["node"], pair["pcn"])

    def _places(self, pieces: pd.DataFrame, practices: pd.DataFrame) -> Places:
        """Residents by district piece, their council and the PCNs their practices belong to.

        A piece's PCN shares are its practices' registered lists (practices in the same
        district and ICB); a piece with no practice of its own takes its ICB's. Practices
        without a PCN count in the denominator only: their patients cannot be covered.
        """
        lad = pieces["lad_code"].to_numpy()
        inactive_pct = self.t.inactivity.set_index("lad_code")["inactive_pct_2024_25"]
        pct = pd.Series(lad).map(inactive_pct).to_numpy(float)
        pct = np.where(np.isnan(pct), np.nanmean(pct), pct)
        prac = practices[practices["icb"].notna()]
        key = prac["lad"].fillna("") + "|" + prac["icb_code"]
        piece_key = pd.Series(lad + "|" + pieces["icb_code"].to_numpy())
        own = piece_key.isin(set(key)).to_numpy()
        rows, cols, vals = [], [], []
        for mask, pk, pkey in ((own, key, piece_key), (~own, prac["icb_code"],
                                                       pieces["icb_code"])):
            idx = np.flatnonzero(mask)
            lookup = pd.DataFrame({"piece": idx, "k": pd.Series(pkey).to_numpy()[idx]})
            frame = pd.DataFrame({"k": pk.to_numpy(), "node": prac["node"].to_numpy(),
                                  "w": prac["weight"].to_numpy()})
            m = lookup.merge(frame, on="k")
            total = m.groupby("piece")["w"].transform("sum").to_numpy()
            keep = (m["node"].to_numpy() >= 0) & (total > 0)
            rows.append(m["piece"].to_numpy()[keep])
            cols.append(m["node"].to_numpy()[keep])
            vals.append((m["w"].to_numpy() / np.where(total > 0, total, 1.0))[keep])
        share = sp.csr_array((np.concatenate(vals), (np.concatenate(rows),
                             np.concatenate(cols))), shape=(len(pieces), self._n_orgs()))
        share.sum_duplicates()
        return Places(population=pieces["pop_2021"].to_numpy(float),
                      inactive=pieces["pop16_2021"].to_numpy(float) * pct / 100.0,
                      icb=pieces["icb"].to_numpy(int),
                      quintile=np.digitize(pieces["dep"].to_numpy(), self.cuts) + 1,
                      council=pieces["upper_node"].to_numpy(int), pcn_share=share,
                      lad_code=lad, lad_name=pieces["lad_name"].to_numpy())

    def _n_orgs(self) -> int:
        return sum(len(f) for f in self.frames)

    def _pcn_places(self, practices: pd.DataFrame, pieces: pd.DataFrame) -> None:
        """PCNs and the councils they sit in (those of their practices' districts)."""
        by_lad = pieces.drop_duplicates("lad_code").set_index("lad_code")
        member = practices[(practices["node"] >= 0) & practices["lad"].isin(by_lad.index)]
        for col in ("upper_node", "lower_node"):
            pair = pd.DataFrame({"pcn": member["node"].to_numpy(),
                                 "council": by_lad.loc[member["lad"], col].to_numpy()})
            pair = pair[pair["council"] >= 0].drop_duplicates()
            self._relate("pcn_council", pair["pcn"], pair["council"])

    def _active_partnerships(self, icb_nodes: np.ndarray, pieces: pd.DataFrame,
                             nat: dict[str, np.ndarray]) -> None:
        """The 43 Active Partnerships over the councils they cover (areas partly approximated)."""
        table = self.t.active_partnerships
        names = pd.unique(table["active_partnership"])
        code = pd.Series([f"AP{i + 1:02d}" for i in range(names.size)], index=names)
        part = pieces.merge(table, on="utla23_code")
        if part.empty:
            return
        pop = part.groupby("active_partnership")["pop_2021"].sum()
        wdep = (part["dep"] * part["pop_2021"]).groupby(part["active_partnership"]).sum()
        by_icb = part.groupby(["active_partnership", "icb"])["pop_2021"].sum().reset_index()
        main = by_icb.sort_values("pop_2021", ascending=False).groupby("active_partnership")
        main_icb = main["icb"].first()[pop.index].to_numpy(int)
        basis = table.drop_duplicates("active_partnership").set_index("active_partnership")
        nodes = self._add("active_partnership", org_code=code[pop.index].to_numpy(),
                          name=pop.index.to_numpy(), sector="physical_activity", icb=main_icb,
                          region=self.icbs["region"].to_numpy()[main_icb],
                          deprivation=(wdep / pop).to_numpy(), population=pop.to_numpy(),
                          area_basis=np.where(
                              basis.loc[pop.index, "name_basis"] == "data",
                              "partly from data, partly approximated", "approximated"))
        node = pd.Series(nodes, index=pop.index)
        self._relate("ap_sport", nodes, np.full(nodes.size, nat["bodies"][2]))
        self._relate("icb_ap", icb_nodes[by_icb["icb"].to_numpy()],
                     node[by_icb["active_partnership"]].to_numpy())
        for col in ("upper_node", "lower_node"):
            pair = part[part[col] >= 0][["active_partnership", col]].drop_duplicates()
            self._relate("ap_council", node[pair["active_partnership"]].to_numpy(), pair[col])

    def _sized(self, pieces: pd.DataFrame, nat: dict[str, np.ndarray]) -> None:
        """Leisure, voluntary, community organisations and universities: one per so many
        residents of an ICS (no national register exists), each placed in a district."""
        upper = pieces.drop_duplicates("upper_node")["upper_node"].to_numpy()
        self._relate("la_ohid", upper, np.full(upper.size, nat["bodies"][1]))
        for kind, key in SIZED_KINDS.items():
            piece = _allocate(pieces["icb"].to_numpy(), pieces["pop_2021"].to_numpy(float),
                              float(self.sizes[key]))
            rows = pieces.iloc[piece]
            icb = rows["icb"].to_numpy(int)
            rank = rows.groupby("icb").cumcount().to_numpy() + 1
            codes = self.icbs["icb_code"].to_numpy()[icb]
            label = kind.replace("_", " ")
            nodes = self._add(
                kind, org_code=[f"{c}-{kind}-{r}" for c, r in zip(codes, rank, strict=True)],
                name=[f"synthetic {label} {r}, {lad}" for r, lad in
                      zip(rank, rows["lad_name"], strict=True)],
                sector=KIND_SECTOR[kind], icb=icb, region=self.icbs["region"].to_numpy()[icb],
                deprivation=rows["dep"].to_numpy(), population=np.nan,
                lad_code=rows["lad_code"].to_numpy())
            if kind == "academia":
                self._relate("university_academia", np.repeat(nodes, nat["academia"].size),
                             np.tile(nat["academia"], nodes.size))
                continue
            self._relate("local_council", nodes, rows["local_node"])
            if kind != "leisure_provider":
                self._community_pcns(nodes, rows["lad_code"].to_numpy())

    def _community_pcns(self, nodes: np.ndarray, lads: np.ndarray) -> None:
        """Voluntary and community organisations and the PCNs of their district (social
        prescribing)."""
        prac = self._practices
        pairs = prac[prac["node"] >= 0][["lad", "node"]].drop_duplicates()
        left = pd.DataFrame({"org": nodes, "lad": lads})
        pair = left.merge(pairs, on="lad")
        self._relate("community_pcn", pair["org"], pair["node"])


def _allocate(icb: np.ndarray, pop: np.ndarray, people_per: float) -> np.ndarray:
    """Piece index of each sized organisation: round(ICS population / people_per) per ICS,
    spread over its pieces by largest remainder of their population shares."""
    if not np.isfinite(people_per) or people_per <= 0:
        return np.empty(0, np.int64)
    out = []
    for i in np.unique(icb):
        idx = np.flatnonzero(icb == i)
        total = int(np.floor(pop[idx].sum() / people_per + 0.5))
        quota = total * pop[idx] / max(pop[idx].sum(), 1.0)
        count = np.floor(quota).astype(np.int64)
        extra = total - count.sum()
        if extra > 0:
            count[np.argsort(-(quota - count), kind="stable")[:extra]] += 1
        out.append(np.repeat(idx, count))
    return np.concatenate(out) if out else np.empty(0, np.int64)


# ------------------------------------------------------------------------------------------
# the network (ties and leaders synthetic, drawn per seed)

#: structural relation -> the probability parameter keeping each candidate tie (None: always)
RELATION_PROBABILITY: dict[str, str | None] = {
    "national": None, "region_icb": None, "icb_trust": None, "icb_council": None,
    "district_county": None, "icb_ap": None, "ap_sport": None, "ap_council": None,
    "academia_national": "p_vertical", "university_academia": "p_vertical",
    "la_ohid": "p_vertical", "icb_pcn": "p_icb_pcn", "pcn_council": "p_pcn_council",
    "trust_council": "p_trust_council", "trust_pcn": "p_trust_pcn",
    "local_council": "p_local_council", "community_pcn": "p_community_pcn",
}
PROBABILITIES = ("p_icb_pcn", "p_pcn_council", "p_trust_council", "p_trust_pcn",
                 "p_local_council", "p_community_pcn", "p_vertical", "p_leader_vertical")
DEGREES = ("within_sector_degree", "cross_sector_degree", "leader_within_degree",
           "leader_cross_degree")
SIZES = ("people_per_leisure_provider", "people_per_vcs_organisation",
         "people_per_community_group", "people_per_university")


def england(
    seed: int | None = None,
    *,
    icbs: Sequence[str] | None = None,
    data_dir: str | None = None,
    people_per_leisure_provider: float = 170_000.0,
    people_per_vcs_organisation: float = 90_000.0,
    people_per_community_group: float = 67_000.0,
    people_per_university: float = 2_700_000.0,
    national_academia: int = 2,
    min_catchment_share: float = 0.05,
    leaders: Mapping[str, Mapping[str, int]] | None = None,
    key_players: Iterable[Sequence[str]] = DEFAULT_KEY_PLAYERS,
    key_player_influence: float = 2.0,
    leader_influence: float = 1.0,
    organisation_influence: float = 1.0,
    within_sector_degree: float = 6.0,
    cross_sector_degree: float = 1.0,
    leader_within_degree: float = 4.0,
    leader_cross_degree: float = 1.0,
    p_icb_pcn: float = 0.3,
    p_pcn_council: float = 0.5,
    p_trust_council: float = 0.3,
    p_trust_pcn: float = 0.05,
    p_local_council: float = 0.3,
    p_community_pcn: float = 0.05,
    p_vertical: float = 0.1,
    p_leader_vertical: float = 0.1,
    tie_weight: float = 1.0,
    membership_weight: float = 1.0,
    colleague_weight: float = 1.0,
) -> Network:
    """England's real health system as organisations and their leaders.

    Organisations (real; see the module docstring and ``sim/data/england/README.md``):
    national bodies and ``national_academia`` academic bodies; the NHS regions; per ICS its
    ICB, NHS trusts (at their HQ ICB), PCNs, councils (``local_authority`` upper tier or
    unitary, ``district_council`` lower tier; one agent each, in the ICS with most of its
    residents), Active Partnerships (in the ICS with most of their residents); and one
    ``leisure_provider``, ``vcs_organisation``, ``community_group`` or university
    (``academia``) per ``people_per_*`` residents of the ICS (synthetic), each in a district.
    ``icbs`` (ODS codes or names) builds those ICSs only, with their regions and the
    national bodies.

    Ties (synthetic along real structure; a probability keeps each candidate tie):
      always          national bodies with each other; NHS England-regions; regions-their
                      ICBs; ICB-trusts it hosts or whose catchment sends it at least
                      ``min_catchment_share`` of admissions; ICB-councils it overlaps (weight
                      ``tie_weight`` x the council's population share in it); district-county;
                      Active Partnership-Sport England, -the councils it covers, -their ICBs.
      ``p_icb_pcn``   ICB-its PCNs.  ``p_pcn_council`` PCN-the councils of its practices.
      ``p_trust_council``, ``p_trust_pcn``  trust-upper-tier councils / PCNs of the ICBs it
                      serves.  ``p_local_council`` leisure, voluntary, community
                      organisations-their district's council.  ``p_community_pcn`` voluntary
                      and community organisations-the PCNs of their district.
      ``p_vertical``  upper-tier council-OHID; academia with the national bodies.
      degrees         ``within_sector_degree``: expected same-sector ties of an organisation
                      inside its ICS (ICS x sector ``cluster``); ``cross_sector_degree``
                      across sectors inside it; ``leader_*_degree`` the same for leaders of
                      different organisations. Leaders are tied to their organisation and
                      colleagues, and vertically as in ``network=england_synthetic``
                      (``p_leader_vertical``).

    Deprivation: IMD 2019 district average score scaled to 0..1 over England's districts
    (``deprivation_scale``); a practice takes its district's, a PCN its practices'
    (list-weighted), a council and an Active Partnership their residents', an ICB and a
    region theirs (population-weighted), a trust its catchment's (admission-weighted; HQ ICB
    for non-acute trusts). ``deprivation_quintile`` is the district quintile it falls in.
    """
    args = dict(locals())
    _check(args)
    codes = _resolve_icbs(icbs, data_dir)
    sizes = tuple(sorted({**{k: float(args[k]) for k in SIZES},
                          "national_academia": float(national_academia)}.items()))
    s = structure(data_dir, codes, sizes, float(min_catchment_share))
    roles = synthetic._resolve_leaders(leaders, DEFAULT_LEADERS, ORG_KINDS)
    keys = synthetic._resolve_key_players(key_players, ORG_KINDS)
    params = {k: float(args[k]) for k in (*PROBABILITIES, *DEGREES)}
    rng = np.random.default_rng(seed)
    return _assemble(s, roles, keys, params, rng, seed, {
        "key_player_influence": float(key_player_influence),
        "leader_influence": float(leader_influence),
        "organisation_influence": float(organisation_influence),
        "tie_weight": float(tie_weight), "membership_weight": float(membership_weight),
        "colleague_weight": float(colleague_weight)})


def _check(args: Mapping[str, Any]) -> None:
    """Every parameter as a one-line error naming ``network.<field>`` (the schema of
    ``network=england``, ``sim.networks.schema.England``)."""
    synthetic.check_parameters(England, args)


def icb_table(data_dir: str | None = None) -> pd.DataFrame:
    """The 42 ICBs: ``icb_code`` (ODS), ``icb_name``, ``region``, ``region_code``."""
    return load(data_dir).icbs.copy()


def _resolve_icbs(icbs: Sequence[str] | None, data_dir: str | None) -> tuple[str, ...] | None:
    """ICB codes (sorted as in the data) from codes or names, case-insensitive."""
    if icbs is None:
        return None
    if isinstance(icbs, str):
        icbs = [icbs]
    table = load(data_dir).icbs
    by_key = {**{c.upper(): c for c in table["icb_code"]},
              **{n.upper(): c for n, c in zip(table["icb_name"], table["icb_code"], strict=True)}}
    chosen = set()
    for item in icbs:
        key = str(item).strip().upper()
        if key not in by_key:
            raise InputError(
                f"network.icbs: unknown ICB {item!r}; give ODS codes (e.g. QOP) or names "
                "(e.g. 'NHS Greater Manchester ICB') as listed by python -c \"from "
                "sim.networks.england import icb_table; print(icb_table().to_string())\"")
        chosen.add(by_key[key])
    require(bool(chosen), "network.icbs", "a non-empty list of ICB codes or names, or null", icbs)
    return tuple(c for c in table["icb_code"] if c in chosen)


#: members sorted by group, where each group of two or more starts, and its size
Grouping = tuple[np.ndarray, np.ndarray, np.ndarray]


def _grouping(members: np.ndarray, group: np.ndarray) -> Grouping:
    """What ``_pairs_by_group`` needs of the groups, which the data fix (made once)."""
    order = np.argsort(group, kind="stable")
    _, starts, sizes = np.unique(group[order], return_index=True, return_counts=True)
    keep = sizes >= 2
    return members[order], starts[keep], sizes[keep]


def _pairs_by_group(rng: np.random.Generator, grouping: Grouping,
                    degree: float) -> tuple[np.ndarray, np.ndarray]:
    """Random ties inside each group (``_grouping``), about ``degree`` per member whatever
    the group's size (so a large ICS is not denser per organisation than a small one).

    Each pair of a group of size s is tied with p = min(1, degree / (s - 1)). Vectorised over
    all groups at once: groups with p = 1 are enumerated; in the others the number of ties is
    binomial and the pairs are drawn with replacement, just enough draws that the expected
    number of distinct pairs is that count, then de-duplicated.
    """
    empty = np.empty(0, np.int64)
    members, starts, sizes = grouping
    if degree <= 0 or members.size < 2:
        return empty, empty
    p = np.minimum(1.0, degree / np.maximum(sizes - 1, 1))
    us, vs = [empty], [empty]
    full = p >= 1.0
    for size in np.unique(sizes[full]).tolist():
        a, b = np.triu_indices(size, k=1)
        lo = starts[full & (sizes == size)][:, None]
        us.append(members[(lo + a).ravel()])
        vs.append(members[(lo + b).ravel()])
    starts, sizes, p = starts[~full], sizes[~full], p[~full]
    n_pairs = sizes * (sizes - 1) // 2
    wanted = rng.binomial(n_pairs, p)
    # m draws from N pairs give N (1 - (1 - 1/N)^m) distinct ones on average
    big = n_pairs > 1
    share = np.minimum(wanted / n_pairs, 1.0 - 0.5 / n_pairs)[big]
    draws = wanted.astype(np.int64)
    draws[big] = np.ceil(np.log1p(-share) / np.log1p(-1.0 / n_pairs[big]))
    g = np.repeat(np.arange(sizes.size), draws)
    i = (rng.random(g.size) * sizes[g]).astype(np.int64)
    j = (rng.random(g.size) * (sizes[g] - 1)).astype(np.int64)
    j += j >= i
    u, v = starts[g] + np.minimum(i, j), starts[g] + np.maximum(i, j)
    unique = unique_ints(u * members.size + v)
    us.append(members[unique // members.size])
    vs.append(members[unique % members.size])
    return np.concatenate(us), np.concatenate(vs)


@dataclass
class _Ties:
    """Edge lists collected while drawing."""

    us: list[np.ndarray]
    vs: list[np.ndarray]
    ws: list[np.ndarray]

    def add(self, u: Any, v: Any, w: Any) -> None:
        u = np.asarray(u, np.int64)
        self.us.append(u)
        self.vs.append(np.asarray(v, np.int64))
        self.ws.append(np.broadcast_to(np.asarray(w, float), u.shape).astype(float))


def _assemble(s: Structure, roles: dict[str, dict[str, int]], keys: set[tuple[str, str]],
              p: dict[str, float], rng: np.random.Generator, seed: int | None,
              weights: dict[str, float]) -> Network:
    """The seed's ties on the (cached) organisations, leaders and node table."""
    memo_key = json.dumps([roles, sorted(keys), weights], sort_keys=True)
    if memo_key not in s.memo:
        s.memo[memo_key] = _fixed_part(s, roles, keys, weights)
    fixed: _Fixed = s.memo[memo_key]
    lead, cluster, nodes = fixed.lead, fixed.cluster, fixed.nodes
    orgs = s.orgs
    ties = _Ties([], [], [])
    tw = weights["tie_weight"]
    for name, (u, v, w) in s.relations.items():
        prob = RELATION_PROBABILITY[name]
        keep = np.ones(u.size, bool) if prob is None else rng.random(u.size) < p[prob]
        ties.add(u[keep], v[keep], tw * w[keep])
    ties.add(*_pairs_by_group(rng, fixed.groups("organisations by cluster"),
                              p["within_sector_degree"]), tw)
    u, v = _pairs_by_group(rng, fixed.groups("organisations by ICS"), p["cross_sector_degree"])
    cross = fixed.sector[u] != fixed.sector[v]
    ties.add(u[cross], v[cross], tw)
    _leader_ties(ties, rng, fixed, p, weights)
    meta: dict[str, Any] = {
        "generator": "england", "seed": seed, "n_systems": len(s.icbs),
        "n_regions": int(s.icbs["region"].nunique()), "n_clusters": int(cluster.max() + 1),
        "n_organisations": len(orgs), "n_leaders": int(lead.org.size),
        "counts": {str(k): int(c) for k, c in nodes["kind"].value_counts(sort=False).items()},
        "synthetic": SYNTHETIC_NOTE, "icbs": s.icbs, "places": s.places,
        "params": {**p, **weights},
    }
    return Network.from_edges(len(nodes), np.concatenate(ties.us), np.concatenate(ties.vs),
                              np.concatenate(ties.ws), nodes=nodes, name="england", meta=meta)


def _fixed_part(s: Structure, roles: dict[str, dict[str, int]], keys: set[tuple[str, str]],
                weights: dict[str, float]) -> _Fixed:
    """Leaders, ICS x sector clusters and the node table: the same for every seed."""
    orgs = s.orgs
    kind = orgs["kind"].to_numpy()
    lead = _leaders(kind, roles, keys, len(orgs))
    icb = orgs["icb"].to_numpy(int)
    sector_code = pd.Index(synthetic.SECTORS).get_indexer(orgs["sector"].to_numpy())
    local = icb >= 0
    cluster = np.full(len(orgs), -1, np.int64)
    _, cluster[local] = np.unique(icb[local] * len(synthetic.SECTORS) + sector_code[local],
                                  return_inverse=True)
    return _Fixed(lead, cluster, _node_table(s, lead, cluster, weights), orgs, icb,
                  orgs["sector"].to_numpy(), kind, orgs["region"].to_numpy(),
                  orgs["org_code"].to_numpy())


@dataclass
class _Fixed:
    """What every seed's ties are drawn on: leaders, clusters, the node table, the
    organisations' columns, and (made on first use) the groups ties are drawn within and
    the leaders each vertical tie joins -- read once, not once per seed."""

    lead: _Leaders
    cluster: np.ndarray
    nodes: pd.DataFrame
    orgs: pd.DataFrame
    icb: np.ndarray
    sector: np.ndarray
    kind: np.ndarray
    region: np.ndarray
    org_code: np.ndarray
    made: dict[Any, Any] = field(default_factory=dict)

    def groups(self, name: str) -> Grouping:
        """The groups of one kind of tie drawn within groups (``_pairs_by_group``)."""
        if name not in self.made:
            lead, cluster = self.lead, self.cluster
            local = np.flatnonzero(self.icb >= 0)
            inside = cluster[lead.org] >= 0
            members, group = {
                "organisations by cluster": lambda: (local, cluster[local]),
                "organisations by ICS": lambda: (local, self.icb[local]),
                "leaders by cluster": lambda: (lead.nodes[inside], cluster[lead.org[inside]]),
                "leaders by ICS": lambda: (lead.nodes[inside], self.icb[lead.org[inside]]),
            }[name]()
            self.made[name] = _grouping(members, group)
        return self.made[name]

    def leaders_of(self, kinds: tuple[str, ...], role: str | None = None,
                   code: str | None = None) -> np.ndarray:
        """Leaders (node indices) of organisations of ``kinds``, with ``role``, of ``code``."""
        key = ("leaders", kinds, role, code)
        if key not in self.made:
            lead = self.lead
            mask = np.isin(self.kind[lead.org], kinds)
            if role is not None:
                mask &= lead.role == role
            if code is not None:
                mask &= self.org_code[lead.org] == code
            self.made[key] = lead.nodes[mask]
        return self.made[key]


@dataclass(frozen=True)
class _Leaders:
    org: np.ndarray  # organisation index of each leader
    role: np.ndarray  # role names
    rank: np.ndarray  # 0.. within (organisation, role)
    key: np.ndarray  # key player
    start: np.ndarray  # per organisation: index of its first leader (node index)
    count: np.ndarray  # per organisation: number of leaders

    @property
    def nodes(self) -> np.ndarray:
        return self.start[0] + np.arange(self.org.size) if self.org.size else self.org


def _leaders(kind: np.ndarray, roles: dict[str, dict[str, int]], keys: set[tuple[str, str]],
             n_org: int) -> _Leaders:
    """Leaders of each organisation by its kind's roles, numbered after the organisations."""
    kinds = list(dict.fromkeys(kind.tolist()))
    role_of: dict[str, list[str]] = {k: [r for r, c in roles.get(k, {}).items()
                                         for _ in range(c)] for k in kinds}
    count = np.array([len(role_of[k]) for k in kind.tolist()], np.int64)
    org = np.repeat(np.arange(n_org), count)
    first = np.cumsum(count) - count
    pos = np.arange(org.size) - np.repeat(first, count)
    table = {k: np.array(role_of[k] or [""], dtype=object) for k in kinds}
    role = np.empty(org.size, dtype=object)
    rank = np.zeros(org.size, np.int64)
    key = np.zeros(org.size, bool)
    for k in kinds:
        sel = kind[org] == k
        if not sel.any():
            continue
        role[sel] = table[k][pos[sel]]
        ranks = np.concatenate([np.arange(c) for c in roles[k].values()])
        rank[sel] = ranks[pos[sel]]
        key[sel] = np.array([(k, r) in keys for r in table[k]])[pos[sel]]
    return _Leaders(org=org, role=role, rank=rank, key=key, start=n_org + first, count=count)


def _leader_ties(ties: _Ties, rng: np.random.Generator, fixed: _Fixed, p: dict[str, float],
                 weights: dict[str, float]) -> None:
    """Membership, colleagues, leaders across organisations, and the vertical leader ties."""
    lead, n_org = fixed.lead, len(fixed.orgs)
    nodes = lead.nodes
    ties.add(lead.org, nodes, weights["membership_weight"])
    for m in np.unique(lead.count[lead.count >= 2]):
        starts = lead.start[lead.count == m]
        a, b = np.triu_indices(int(m), k=1)
        ties.add((starts[:, None] + a).ravel(), (starts[:, None] + b).ravel(),
                 weights["colleague_weight"])
    sector = fixed.sector
    u, v = _pairs_by_group(rng, fixed.groups("leaders by cluster"), p["leader_within_degree"])
    other = lead.org[u - n_org] != lead.org[v - n_org]
    ties.add(u[other], v[other], 1.0)
    u, v = _pairs_by_group(rng, fixed.groups("leaders by ICS"), p["leader_cross_degree"])
    cross = sector[lead.org[u - n_org]] != sector[lead.org[v - n_org]]
    ties.add(u[cross], v[cross], 1.0)
    of = fixed.leaders_of
    region = fixed.region

    pv = p["p_leader_vertical"]
    board, reg = of(("icb",), "board_member"), of(("nhs_region",))
    if "region groups" not in fixed.made:
        group = pd.Index(pd.unique(region[lead.org[reg - n_org]]))
        fixed.made["region groups"] = (group.get_indexer(region[lead.org[board - n_org]]),
                                       group.get_indexer(region[lead.org[reg - n_org]]))
    group_a, group_b = fixed.made["region groups"]
    ties.add(*synthetic._pairs_between(rng, board, reg, pv, group_a=group_a, group_b=group_b),
             1.0)
    for low, code in ((reg, "X24"), (of(("active_partnership",)), "SE"),
                      (of(("local_authority",), "director_of_public_health"), "OHID")):
        ties.add(*synthetic._pairs_between(rng, low, of(("national_body",), code=code), pv), 1.0)


#: organisation columns copied onto their leaders (a leader's organisation code and name
#: stay findable); ``name`` of a leader is its organisation's.
INHERITED = ("sector", "level", "region", "deprivation", "icb_code", "icb_name", "org_code",
             "name")


def _node_table(s: Structure, lead: _Leaders, cluster: np.ndarray,
                weights: dict[str, float]) -> pd.DataFrame:
    orgs = s.orgs.copy()
    icb = orgs["icb"].to_numpy(int)
    local = icb >= 0
    orgs["icb_code"] = np.where(local, s.icbs["icb_code"].to_numpy()[np.maximum(icb, 0)], "")
    orgs["icb_name"] = np.where(local, s.icbs["icb_name"].to_numpy()[np.maximum(icb, 0)], "")
    org_part = pd.DataFrame({
        "label": (orgs["kind"] + ":" + orgs["org_code"].astype(str)).to_numpy(),
        "agent_type": "Organisation", "kind": orgs["kind"].to_numpy(),
        **{c: orgs[c].to_numpy() for c in INHERITED},
        "system": orgs["icb_name"].to_numpy(), "organisation": -1,
        "influence": weights["organisation_influence"], "cluster": cluster,
        "population": orgs["population"].to_numpy(float),
        "la_tier": orgs.get("la_tier", pd.Series("", index=orgs.index)).fillna("").to_numpy(),
    })
    o = lead.org
    codes = orgs["org_code"].astype(str).to_numpy()[o]
    lead_part = pd.DataFrame({
        "label": [f"leader:{c}:{r}:{i}" for c, r, i in
                  zip(codes.tolist(), lead.role.tolist(), lead.rank.tolist(), strict=True)],
        "agent_type": "Leader", "kind": lead.role,
        **{c: orgs[c].to_numpy()[o] for c in INHERITED},
        "system": orgs["icb_name"].to_numpy()[o], "organisation": o,
        "influence": np.where(lead.key, weights["key_player_influence"],
                              weights["leader_influence"]),
        "cluster": cluster[o], "population": np.nan, "la_tier": "",
    })
    nodes = pd.concat([org_part, lead_part], ignore_index=True)
    nodes["organisation"] = nodes["organisation"].astype(np.int64)
    nodes["cluster"] = nodes["cluster"].astype(np.int64)
    nodes["deprivation"] = nodes["deprivation"].astype(float)
    nodes["deprivation_quintile"] = np.digitize(nodes["deprivation"].to_numpy(),
                                                s.dep_cuts) + 1
    return nodes


__all__ = ["DEFAULT_LEADERS", "ORG_KINDS", "england", "icb_regions", "icb_table", "structure"]
