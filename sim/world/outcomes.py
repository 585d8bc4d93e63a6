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

from dataclasses import dataclass
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


#: the columns of ``history_by_group()`` after ``step``, ``attribute`` and ``group``
COUNTS = ("size", "adopted", "aware", "adopted_fraction", "aware_fraction")


@dataclass
class GroupRecord:
    """One replicate's rows of the by-group table, kept as arrays until a job's replicates
    are tabled together (``groups_table``): what ``extend_groups(history_by_group(), model)``
    gives, without making a DataFrame per replicate.

    ``blocks``: per tracked attribute, (name, group labels as text, group sizes, adopted and
    aware counts by step x group); ``people``: the final state's residents by district piece
    (``_people``'s columns) and the ICB table, or None without places. ``frame`` holds the
    replicate's finished table instead when the model keeps no group counts to read."""

    replicate: int
    steps: np.ndarray
    last_step: int
    blocks: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    people: tuple[dict[str, np.ndarray], pd.DataFrame] | None = None
    frame: pd.DataFrame | None = None


def _tracked_blocks(model: Any) -> list[tuple] | None:
    """The group counts ``model.history_by_group()`` is made of (None: not readable)."""
    tracked = getattr(model, "_tracked", None)
    rows = getattr(model, "_group_rows", None)
    bins = getattr(model, "_track_bins", None)
    if not tracked or not rows or bins is None:
        return None
    data = np.vstack(rows)
    blocks = []
    for column, offset, labels, size in tracked:
        k = len(labels)
        blocks.append((column, np.asarray(labels, dtype=object).astype(str), np.asarray(size),
                       data[:, offset:offset + k], data[:, bins + offset:bins + offset + k]))
    return blocks


def record(model: Any, replicate: int) -> GroupRecord:
    """A replicate's by-group rows (``GroupRecord``), read from its model after its run."""
    steps = model.history["step"].to_numpy()
    blocks = _tracked_blocks(model)
    if blocks is None or len(steps) != len(model._group_rows):  # noqa: SLF001
        frame = extend_groups(model.history_by_group(), model)
        frame.insert(0, "replicate", replicate)
        return GroupRecord(replicate, steps, int(model.steps), [], frame=frame)
    rows = sum(len(labels) for _, labels, *_ in blocks) * len(steps)
    last = int(steps.max()) if rows else int(model.steps)
    people = None
    if has_places(model.network):
        frame = _people(model.network, model.adopted)
        people = ({c: frame[c].to_numpy() for c in frame.columns}, model.network.meta["icbs"])
    return GroupRecord(replicate, steps, last, blocks, people)


def _texts(labels: list[Any], codes: np.ndarray) -> Any:
    """A text column from its distinct values and each row's code (-1: missing), typed as
    pandas types the same values given one by one (``str`` or ``object``)."""
    values = pd.Series(np.asarray(labels, dtype=object)).array
    return values.take(codes, allow_fill=True)


class _Codes:
    """Distinct texts of a column in order of first use, and their codes (a job's replicates
    ask for the same few lists of texts again and again: each list is coded once)."""

    def __init__(self) -> None:
        self.labels: list[Any] = []
        self._code: dict[Any, int] = {}
        self._lists: dict[tuple, np.ndarray] = {}

    def of(self, values: Any) -> np.ndarray:
        """The codes of ``values`` (read only: shared by every caller asking for them)."""
        key = tuple(values)
        if key not in self._lists:
            for value in key:
                if value not in self._code:
                    self._code[value] = len(self.labels)
                    self.labels.append(value)
            codes = np.array([self._code[value] for value in key], dtype=np.int64)
            codes.flags.writeable = False
            self._lists[key] = codes
        return self._lists[key]


def _fractions(counts: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``counts / size`` with NaN where the group is empty (as ``history_by_group``)."""
    denominator = np.where(size > 0, size, np.nan).astype(float)
    return counts / denominator


def _code_or_blank(code: Any) -> Any:
    """An ICS's code, or "" for a group that is no ICS (``map(...).fillna("")``)."""
    return "" if code is None or pd.isna(code) else code


def _history_rows(rec: GroupRecord, texts: dict[str, _Codes]) -> dict[str, np.ndarray]:
    """A record's ``history_by_group`` rows, with the ICS codes and names of its system rows."""
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("step", "attribute", "group", *COUNTS,
                                                          "icb_code", "icb_name")}
    icbs = None if rec.people is None else rec.people[1]
    code_of = ({} if icbs is None else
               dict(zip(icbs["icb_name"].tolist(), icbs["icb_code"].tolist(), strict=True)))
    for column, labels, size, adopted, aware in rec.blocks:
        t, k = len(rec.steps), len(labels)
        parts["step"].append(np.repeat(rec.steps, k))
        parts["attribute"].append(np.full(t * k, texts["attribute"].of([column])[0]))
        parts["group"].append(np.tile(texts["group"].of(labels), t))
        parts["size"].append(np.tile(size, t))
        parts["adopted"].append(adopted.ravel())
        parts["aware"].append(aware.ravel())
        parts["adopted_fraction"].append(_fractions(adopted, size).ravel())
        parts["aware_fraction"].append(_fractions(aware, size).ravel())
        if column == "system":
            code = np.array([_code_or_blank(code_of.get(label)) for label in labels],
                            dtype=object)
            name = np.where(code != "", labels, "")
        else:
            code = name = np.full(k, "", dtype=object)
        parts["icb_code"].append(np.tile(texts["icb_code"].of(code), t))
        parts["icb_name"].append(np.tile(texts["icb_name"].of(name), t))
    return {c: np.concatenate(v) if v else np.empty(0) for c, v in parts.items()}


SHARES = ("population_embedded_share", "inactive_embedded_share")
#: the by-group table's text columns, and its columns in order (with places; without, the
#: first nine: ``replicate`` and ``history_by_group()``'s)
TEXTS = ("attribute", "group", "icb_code", "icb_name", "region")
COLUMNS = ("replicate", "step", "attribute", "group", *COUNTS, "icb_code", "icb_name", "region",
           *PEOPLE, *SHARES)


def _people_sums(records: list[GroupRecord], by: str, keys: list[range]) -> list[pd.DataFrame]:
    """Each record's people summed ``by`` ICB or quintile, with the shares, one groupby for
    all (a group's rows are summed in the same order as one replicate's own groupby)."""
    frames = [pd.DataFrame({"record": i, **rec.people[0]}) for i, rec in enumerate(records)]
    people = pd.concat(frames, ignore_index=True)
    sums = _with_shares(people.groupby(["record", by])[list(PEOPLE)].sum())
    wanted = pd.MultiIndex.from_tuples([(i, k) for i, ks in enumerate(keys) for k in ks])
    sums = sums.reindex(wanted)
    starts = np.cumsum([0, *map(len, keys)])
    return [sums.iloc[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]


def _final_counts(rec: GroupRecord, names: pd.Series) -> dict[str, np.ndarray]:
    """The last step's counts of the ``system`` groups called ``names`` (NaN: no such group)."""
    out = {c: np.full(len(names), np.nan) for c in COUNTS}
    at = np.flatnonzero(rec.steps == rec.last_step)
    for column, labels, size, adopted, aware in rec.blocks:
        if column != "system" or len(at) != 1:
            continue
        where = {label: j for j, label in enumerate(labels.tolist())}
        pick = np.array([where.get(name, -1) for name in names.tolist()], dtype=np.int64)
        found = pick >= 0
        row = at[0]
        for c, values in (("size", size), ("adopted", adopted[row]), ("aware", aware[row]),
                          ("adopted_fraction", _fractions(adopted[row], size)),
                          ("aware_fraction", _fractions(aware[row], size))):
            out[c][found] = values[pick[found]]
    return out


def _place_rows(rec: GroupRecord, by_icb: pd.DataFrame, by_q: pd.DataFrame,
                texts: dict[str, _Codes]) -> list[dict[str, np.ndarray]]:
    """A record's final rows by ICS (``attribute`` ``icb``) and by IMD quintile."""
    icbs = rec.people[1]
    n = len(icbs)
    icb_rows = {
        "replicate": np.full(n, rec.replicate), "step": np.full(n, rec.last_step),
        "attribute": np.full(n, texts["attribute"].of(["icb"])[0]),
        "group": texts["group"].of(icbs["icb_code"].to_numpy()),
        "icb_code": texts["icb_code"].of(icbs["icb_code"].to_numpy()),
        "icb_name": texts["icb_name"].of(icbs["icb_name"].to_numpy()),
        "region": texts["region"].of(icbs["region"].to_numpy()),
        **_final_counts(rec, icbs["icb_name"]),
        **{c: by_icb[c].to_numpy() for c in by_icb.columns},
    }
    q_rows = {
        "replicate": np.full(5, rec.replicate), "step": np.full(5, rec.last_step),
        "attribute": np.full(5, texts["attribute"].of(["imd_quintile"])[0]),
        "group": texts["group"].of([str(q) for q in range(1, 6)]),
        **{c: by_q[c].to_numpy() for c in by_q.columns},
    }
    return [icb_rows, q_rows]


def _assemble(pieces: list[dict[str, np.ndarray]], columns: tuple[str, ...],
              texts: dict[str, _Codes]) -> pd.DataFrame:
    """One frame of ``pieces`` (rows in order), a column missing from a piece left empty."""
    lengths = [len(piece["step"]) for piece in pieces]
    table = {}
    for column in columns:
        missing = -1 if column in texts else np.nan
        values = np.concatenate([piece[column] if column in piece else np.full(n, missing)
                                 for piece, n in zip(pieces, lengths, strict=True)])
        table[column] = (_texts(texts[column].labels, values.astype(np.int64))
                         if column in texts else values)
    return pd.DataFrame(table, copy=False)  # one block per column: nothing stacked or copied


def groups_table(records: list[GroupRecord]) -> pd.DataFrame:
    """The by-group table of a job's replicates (``GroupRecord`` each, in order): the same
    frame as concatenating each replicate's ``extend_groups(history_by_group(), model)``
    with its ``replicate`` column first, built with one set of arrays for the whole job."""
    with_places = {rec.people is not None for rec in records}
    if len(records) > 1 and (any(rec.frame is not None for rec in records)
                             or len(with_places) > 1):
        return pd.concat([groups_table([rec]) for rec in records], ignore_index=True)
    if records and records[0].frame is not None:
        return records[0].frame
    if not records:
        return pd.concat([])  # what concatenating no replicates' tables does: raise
    texts = {c: _Codes() for c in TEXTS}
    places = records[0].people is not None
    if places:
        icbs = _people_sums(records, "icb", [range(len(r.people[1])) for r in records])
        quintiles = _people_sums(records, "quintile", [range(1, 6)] * len(records))
    pieces: list[dict[str, np.ndarray]] = []
    for i, rec in enumerate(records):
        rows = _history_rows(rec, texts)
        rows["replicate"] = np.full(len(rows["step"]), rec.replicate)
        pieces.append(rows)
        if places:
            pieces += _place_rows(rec, icbs[i], quintiles[i], texts)
    return _assemble(pieces, COLUMNS if places else COLUMNS[:9],
                     texts if places else {c: texts[c] for c in TEXTS[:2]})


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


