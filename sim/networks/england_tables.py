"""The real England tables shipped in ``sim/data/england/`` (OGL v3), loaded once and checked.

Why a schema here: the tables come from several publishers and vintages (see the data README),
and a file edited by hand or replaced by a newer extract must fail with one line naming the
file and the column, not with a ``KeyError`` deep inside the network builder.
``network.data_dir`` points the loader at another directory holding the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from sim.errors import InputError

TEXT, NUMBER, OPTIONAL_TEXT, OPTIONAL_NUMBER = "text", "number", "optional text", "optional number"

#: file -> column -> kind. Only the columns the network uses are checked (and kept).
SCHEMA: dict[str, dict[str, str]] = {
    "icb_reference.csv": {"icb_code": TEXT, "icb_name": TEXT, "region": TEXT,
                          "region_code": TEXT},
    "nhs_trusts_2025.csv": {"org_code": TEXT, "name": TEXT, "icb_code": TEXT},
    "trust_catchment_icb22.csv": {"org_code": TEXT, "icb_code": TEXT,
                                  "share_of_trust_admissions": NUMBER},
    "pcns_2024.csv": {"pcn_code": TEXT, "pcn_name": TEXT, "sub_icb_code": TEXT,
                      "icb_code": TEXT},
    "gp_practices_2025.csv": {"practice_code": TEXT, "practice_name": TEXT, "icb_code": TEXT,
                              "pcn_code": OPTIONAL_TEXT, "lad_code_aif": OPTIONAL_TEXT,
                              "registered_pop_2025_26": OPTIONAL_NUMBER},
    "lad24_to_icb24_pop.csv": {"lad_code": TEXT, "lad_name": TEXT, "lad_type": TEXT,
                               "utla23_code": TEXT, "utla23_name": TEXT, "icb_code": TEXT,
                               "pop_2021": NUMBER, "pop16_2021": NUMBER},
    "utla23_to_icb24_pop.csv": {"utla23_code": TEXT, "utla23_name": TEXT, "icb_code": TEXT,
                                "pop_2021": NUMBER, "utla_type": TEXT},
    "imd2019_lad23.csv": {"lad_code": TEXT, "imd_avg_score": NUMBER},
    "physical_inactivity_lad.csv": {"lad_code": TEXT, "inactive_pct_2024_25": NUMBER},
    "active_partnership_areas.csv": {"active_partnership": TEXT, "utla23_code": TEXT,
                                     "name_basis": TEXT, "area_basis": TEXT},
}


@dataclass(frozen=True)
class Tables:
    """One DataFrame per shipped file, with only the schema's columns, typed."""

    icbs: pd.DataFrame
    trusts: pd.DataFrame
    catchment: pd.DataFrame
    pcns: pd.DataFrame
    practices: pd.DataFrame
    lad_pieces: pd.DataFrame  # LAD x ICB pieces with Census 2021 population
    utla_pieces: pd.DataFrame  # upper-tier council x ICB pieces
    imd: pd.DataFrame
    inactivity: pd.DataFrame
    active_partnerships: pd.DataFrame


def default_dir() -> Path:
    """The directory of the shipped tables (package data, never downloaded)."""
    return Path(str(resources.files("sim.data").joinpath("england")))


@lru_cache(maxsize=4)
def load(data_dir: str | None = None) -> Tables:
    """Every table from ``data_dir`` (default: the shipped ones), checked against ``SCHEMA``."""
    root = Path(data_dir) if data_dir is not None else default_dir()
    if not root.is_dir():
        raise InputError(f"network.data_dir: {root} is not a directory holding the England "
                         f"tables ({', '.join(SCHEMA)})")
    t = {name: read_table(root / name, columns) for name, columns in SCHEMA.items()}
    return Tables(
        icbs=t["icb_reference.csv"], trusts=t["nhs_trusts_2025.csv"],
        catchment=t["trust_catchment_icb22.csv"], pcns=t["pcns_2024.csv"],
        practices=t["gp_practices_2025.csv"], lad_pieces=t["lad24_to_icb24_pop.csv"],
        utla_pieces=t["utla23_to_icb24_pop.csv"], imd=t["imd2019_lad23.csv"],
        inactivity=t["physical_inactivity_lad.csv"],
        active_partnerships=t["active_partnership_areas.csv"],
    )


def read_table(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """Read one CSV and check each column: present, filled unless optional, numeric if a number."""
    if not path.is_file():
        raise InputError(f"{path}: table missing (network.data_dir must hold every England "
                         "table; see sim/data/england/README.md)")
    try:
        header = pd.read_csv(path, nrows=0).columns
        for column in columns:
            if column not in header:
                raise InputError(f"{path}: column {column!r} missing (found: "
                                 f"{', '.join(map(str, header))})")
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                          usecols=list(columns))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        detail = " ".join(str(err).split())
        raise InputError(f"{path}: not a readable CSV table ({detail})") from None
    out = {column: _typed(path, column, kind, raw[column]) for column, kind in columns.items()}
    return pd.DataFrame(out)


def _typed(path: Path, column: str, kind: str, values: pd.Series) -> pd.Series:
    optional = kind.startswith("optional")
    if kind.endswith(NUMBER):
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise InputError(f"{path}: column {column!r} must hold numbers "
                             f"(row {row + 2}: {values.iloc[row]!r})")
        values = numbers
    if not optional and values.isna().any():
        row = int(values.isna().to_numpy().argmax())
        raise InputError(f"{path}: column {column!r} has an empty value (row {row + 2})")
    return values
