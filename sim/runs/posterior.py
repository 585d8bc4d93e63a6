"""Parameter uncertainty in every run: one posterior draw per replicate.

A pasim config may name a calibration's posterior:

    posterior: results/calibration/medical_innovation/posterior.parquet
    # or {path: ..., model: simple}  (default: the model with the highest probability)

Replicate r then runs with the fitted keys set to posterior draw number r (drawn by weight,
from a stream keyed by the base seed and r only), with the model's own structural settings
(its ``pasim`` overrides, e.g. ``model.threshold_kind=fraction``) and external-influence
schedule. Because the draw depends on (seed, r) and not on the levers, replicate r of every
scenario in ``pasim-compare`` shares its parameter draw as well as its random numbers: the
spread of the paired differences is stochastic noise plus parameter uncertainty, which
``sim.analysis.calibration.decision`` turns into the probability that one option beats another.

A config's ``external:`` mapping (``sim.world.external``) is applied here as well, so
time-varying external influence works in ordinary runs and sweeps too.

``sim.runs.runner.simulate`` builds every replicate through ``build_replicate_model``; with neither
key set it is exactly ``sim.world.build.build_model``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.runs.config import cross_rule
from sim.world.external import ExternalSchedule

#: columns of posterior.parquet that are not parameters
META = ("model", "model_probability", "weight", "pasim", "external")
#: mixed into the draw's seed so that it never coincides with the model's own streams
_STREAM = 0x9057E1


def _spec(value: Any) -> tuple[str, str | None]:
    if isinstance(value, str):
        return value, None
    if isinstance(value, Mapping) and isinstance(value.get("path"), str) \
            and set(value) <= {"path", "model"}:
        return value["path"], value.get("model")
    raise InputError(f"posterior: must be a path to posterior.parquet or {{path: ..., model: "
                     f"...}} (got {value!r})")


@functools.lru_cache(maxsize=8)
def load(path: str, model: str | None) -> pd.DataFrame:
    """The chosen model's rows of a posterior file (checked; default: most probable model)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"posterior: no such file: {path} (pasim-calibrate writes "
                         "posterior.parquet)")
    try:
        table = pd.read_parquet(p)
    except Exception as err:  # noqa: BLE001 - any unreadable file is the user's input
        raise InputError(f"posterior: cannot read {p.name} as Parquet ({err})") from None
    missing = [c for c in ("model", "model_probability", "weight") if c not in table]
    if missing:
        raise InputError(f"posterior: {p.name} has no column {missing[0]!r}; is it a "
                         "pasim-calibrate posterior?")
    models = table.groupby("model", sort=False)["model_probability"].first()
    name = str(models.idxmax()) if model is None else model
    if name not in models.index:
        raise InputError(f"posterior.model: {name!r} is not in {p.name}; models: "
                         f"{', '.join(map(str, models.index))}")
    rows = table[table["model"] == name].reset_index(drop=True)
    return rows.dropna(axis=1, how="all")


def draw(cfg: Mapping[str, Any], replicate: int) -> dict[str, Any]:
    """Replicate ``replicate``'s config with its posterior draw (and the model's settings)."""
    from sim.runs.config import with_values

    rows = load(*_spec(cfg["posterior"]))
    weights = rows["weight"].to_numpy(float)
    rng = np.random.default_rng([int(cfg.get("seed", 0) or 0), int(replicate), _STREAM])
    row = rows.iloc[int(rng.choice(len(rows), p=weights / weights.sum()))]
    values = structural(row)
    external = dict(cfg.get("external") or {})
    if "external" in row and isinstance(row["external"], str):
        external = {**external, **json.loads(row["external"])}
    for key in (c for c in rows.columns if c not in META):
        if key.startswith("external."):
            external[key.split(".", 1)[1]] = float(row[key])
        else:
            values[key] = _as_config_value(cfg, key, row[key])
    out = with_values(cfg, values)
    out["external"] = external or None
    return out


def structural(row: pd.Series) -> dict[str, Any]:
    """The model's own pasim overrides (``key=value``) as dotted values."""
    from omegaconf import OmegaConf

    if "pasim" not in row or not isinstance(row["pasim"], str):
        return {}
    overrides = json.loads(row["pasim"])
    flat = OmegaConf.to_container(OmegaConf.from_dotlist(overrides))
    out: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}{k}.")
        else:
            out[prefix[:-1]] = node

    walk(flat, "")
    return out


def _as_config_value(cfg: Mapping[str, Any], key: str, value: Any) -> Any:
    from sim.runs.config import _ABSENT, lookup

    current = lookup(cfg, key)
    if current is _ABSENT:
        raise InputError(f"posterior: parameter {key!r} is not a key of this config")
    if isinstance(current, int) and not isinstance(current, bool) \
            and float(value).is_integer() and not key.startswith("model."):
        return int(value)
    return float(value)


def build_replicate_model(cfg: Mapping[str, Any], network: Any, seed: int,
                          replicate: int) -> Any:
    """``sim.world.build.build_model`` for one replicate, with its posterior draw and schedule."""
    from sim.world.build import build_model

    if cfg.get("posterior"):
        cfg = draw(cfg, replicate)
    model = build_model(cfg, network, seed)
    schedule = ExternalSchedule.from_config(cfg.get("external"))
    if schedule is not None:
        schedule.attach(model)
    return model


@cross_rule
def _posterior_and_external(cfg: Mapping[str, Any]) -> None:
    """Checked with the rest of the config, before anything runs."""
    ExternalSchedule.from_config(cfg.get("external"))
    if cfg.get("posterior"):
        rows = load(*_spec(cfg["posterior"]))
        for key in (c for c in rows.columns if c not in META and not c.startswith("external.")):
            _as_config_value(cfg, key, 0.0)
