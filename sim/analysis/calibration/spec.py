"""The calibration config: what to fit, to which data, with which priors.

A calibration config (``configs/calibration/<name>.yaml``) names

- ``pasim``: the base pasim config, as the overrides one would give ``pasim`` (``network=file``,
  ``steps=17`` ...). A value starting with ``pasim-data:`` is a file shipped in ``sim/data/``;
- ``observed``: the data (see ``sim.analysis.calibration.observed``);
- ``parameters``: dotted pasim config keys (or ``external.*``, the schedule of
  ``sim.world.external``) with a prior each, or ``models``: several named mechanisms,
  each with its own ``pasim`` overrides and ``parameters``, compared by their posterior
  probabilities;
- ``statistics``: the summary statistics compared and their weights;
- ``abc``: population size, generations, stopping rules, cores.

Everything is checked here, before anything runs: a prior with ``low >= high``, a parameter
that is no numeric key of the composed config, an unknown prior ... each is one line naming
the dotted field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import InputError

#: the prior families and the keys each takes
PRIORS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "log_uniform": ("low", "high"),
    "normal": ("mean", "sd"),
}
#: keys a prior may also carry: bounds on a normal (truncated there), integer rounding
PRIOR_OPTIONS = ("low", "high", "integer")
#: prefix of parameters that belong to the calibration's external-influence schedule
EXTERNAL = "external."
#: summary statistics and their default weights (see sim.analysis.calibration.simulator)
STATISTICS = {"curve": 1.0, "exposure": 1.0}
ABC_DEFAULTS: dict[str, Any] = {
    "population_size": 200,   # particles per generation
    "generations": 6,         # at most this many
    "min_epsilon": 0.0,       # stop when the tolerance falls to this
    "min_acceptance": 0.01,   # stop when fewer proposals than this share are accepted
    "max_simulations": 200_000,
    "cores": None,            # null = every core
    "seed": 1,
}
#: the path prefix for files shipped with the package (sim/data/)
PACKAGE_DATA = "pasim-data:"
DATA_DIR = Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True)
class Prior:
    """One parameter's prior: a family and its arguments (validated on construction)."""

    key: str
    family: str
    args: dict[str, float]
    integer: bool = False

    @classmethod
    def from_config(cls, key: str, spec: Any) -> Prior:
        where = f"parameters.{key}"
        if not isinstance(spec, Mapping) or "prior" not in spec:
            raise InputError(f"{where}: give a prior, e.g. {{prior: uniform, low: 0, high: 1}}"
                             f" (got {spec!r})")
        family = spec["prior"]
        if family not in PRIORS:
            raise InputError(f"{where}.prior: must be one of: {', '.join(PRIORS)} "
                             f"(got {family!r})")
        allowed = set(PRIORS[family]) | set(PRIOR_OPTIONS) | {"prior"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise InputError(f"{where}.{unknown[0]}: unknown key; a {family} prior takes "
                             f"{', '.join(PRIORS[family])}")
        args = {}
        for name in PRIORS[family] + tuple(k for k in ("low", "high") if k in spec):
            value = spec.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value):
                raise InputError(f"{where}.{name}: must be a finite number (got {value!r})")
            args[name] = float(value)
        _check_prior_arguments(where, family, args)
        return cls(key, family, args, bool(spec.get("integer", False)))

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.args.get("low", -math.inf), self.args.get("high", math.inf))

    def rv(self) -> Any:
        """The prior as a pyABC random variable (scipy.stats underneath)."""
        import pyabc

        a = self.args
        if self.family == "uniform":
            return pyabc.RV("uniform", a["low"], a["high"] - a["low"])
        if self.family == "log_uniform":
            return pyabc.RV("loguniform", a["low"], a["high"])
        if "low" in a or "high" in a:
            lo, hi = self.bounds
            return pyabc.RV("truncnorm", (lo - a["mean"]) / a["sd"], (hi - a["mean"]) / a["sd"],
                            a["mean"], a["sd"])
        return pyabc.RV("norm", a["mean"], a["sd"])

    def value(self, x: float) -> float | int:
        """A sampled number as the config receives it (rounded for an integer key)."""
        return int(round(x)) if self.integer else float(x)


def _check_prior_arguments(where: str, family: str, args: Mapping[str, float]) -> None:
    if "low" in args and "high" in args and args["low"] >= args["high"]:
        raise InputError(f"{where}: low must be < high (got low={args['low']:g}, "
                         f"high={args['high']:g})")
    if family == "log_uniform" and args["low"] <= 0:
        raise InputError(f"{where}.low: a log_uniform prior needs low > 0 "
                         f"(got {args['low']:g})")
    if family == "normal" and args["sd"] <= 0:
        raise InputError(f"{where}.sd: must be > 0 (got {args['sd']:g})")


@dataclass(frozen=True)
class Mechanism:
    """One candidate model: pasim overrides on top of the base, and the priors it fits."""

    name: str
    overrides: tuple[str, ...]
    priors: tuple[Prior, ...]
    external: dict[str, Any] | None = None  # this model's external-influence schedule

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.priors]


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated calibration config (see the module docstring)."""

    name: str
    pasim: tuple[str, ...]
    observed: dict[str, Any]
    mechanisms: tuple[Mechanism, ...]
    statistics: dict[str, float]
    abc: dict[str, Any]
    external: dict[str, Any] | None = None
    out: str | None = None
    holdout: list[Any] = field(default_factory=list)
    predictive_draws: int = 100  # posterior draws simulated per model for bands and CRPS


def _overrides(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str) \
            or not all(isinstance(v, str) and "=" in v for v in value):
        raise InputError(f"{where}: must be a list of pasim overrides key=value "
                         f"(got {value!r})")
    return tuple(resolve_data_path(v) for v in value)


def resolve_data_path(override: str) -> str:
    """``key=pasim-data:diffusion/x.csv`` -> the file shipped in ``sim/data/``."""
    key, _, value = override.partition("=")
    if value.startswith(PACKAGE_DATA):
        value = str(DATA_DIR / value[len(PACKAGE_DATA):])
    return f"{key}={value}"


def _mechanisms(cfg: Mapping[str, Any]) -> tuple[Mechanism, ...]:
    if "models" in cfg and "parameters" in cfg:
        raise InputError("parameters: give either parameters (one model) or models "
                         "(several, each with its parameters), not both")
    if cfg.get("models") is None:
        models = {"model": {"parameters": cfg.get("parameters")}}
    else:
        models = cfg["models"]
        if not isinstance(models, Mapping) or not models:
            raise InputError(f"models: must map names to {{pasim: [...], parameters: ...}} "
                             f"(got {models!r})")
        models = _used(models, cfg.get("use"))
    out = []
    for name, model in models.items():
        where = "parameters" if cfg.get("models") is None else f"models.{name}.parameters"
        params = (model or {}).get("parameters")
        if not isinstance(params, Mapping) or not params:
            raise InputError(f"{where}: give at least one parameter with a prior, e.g. "
                             "model.spontaneous_rate: {prior: uniform, low: 0, high: 0.2}")
        priors = []
        for key, spec in flatten_parameters(params).items():
            try:
                priors.append(Prior.from_config(str(key), spec))
            except InputError as err:
                raise InputError(str(err).replace("parameters.", f"{where}.", 1)) from None
        overrides = _overrides((model or {}).get("pasim"), f"models.{name}.pasim")
        unknown = sorted(set(model or {}) - {"pasim", "parameters", "external", "caveat"})
        if unknown:
            raise InputError(f"models.{name}.{unknown[0]}: unknown key; a model has: pasim, "
                             "parameters, external, caveat")
        external = (model or {}).get("external", cfg.get("external"))
        out.append(Mechanism(str(name), overrides, tuple(priors),
                             None if external is None else dict(external)))
    return tuple(out)


def flatten_parameters(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{model: {noise: {prior: ...}}}`` and ``{model.noise: {prior: ...}}`` alike, merged
    (so a dotted command-line override such as ``...parameters.model.noise.high=0.1`` edits
    the prior written ``model.noise: {...}`` in the file)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        is_prior = not isinstance(value, Mapping) or "prior" in value or any(
            k in value for k in (*PRIOR_OPTIONS, "mean", "sd"))
        parts = {name: value} if is_prior else flatten_parameters(value, f"{name}.")
        for k, v in parts.items():
            out[k] = {**out[k], **v} if isinstance(out.get(k), Mapping) \
                and isinstance(v, Mapping) else v
    return out


def _used(models: Mapping[str, Any], use: Any) -> dict[str, Any]:
    """The models named by ``use`` (a list, or a comma-separated string), in that order."""
    if use is None:
        return dict(models)
    names = [u.strip() for u in use.split(",")] if isinstance(use, str) else use
    if not isinstance(names, list) or not names:
        raise InputError(f"use: must list model names (got {use!r})")
    for name in names:
        if name not in models:
            raise InputError(f"use: unknown model {name!r}; models: {', '.join(models)}")
    return {name: models[name] for name in names}


def _statistics(value: Any) -> dict[str, float]:
    if value is None:
        return dict(STATISTICS)
    if isinstance(value, Sequence) and not isinstance(value, str):
        value = {v: STATISTICS.get(v, 1.0) for v in value}
    if not isinstance(value, Mapping):
        raise InputError(f"statistics: must be a list or a mapping name -> weight "
                         f"(got {value!r})")
    for name, weight in value.items():
        if name not in STATISTICS:
            raise InputError(f"statistics.{name}: unknown statistic; choose from: "
                             f"{', '.join(STATISTICS)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise InputError(f"statistics.{name}: weight must be a number >= 0 "
                             f"(got {weight!r})")
    return {k: float(v) for k, v in value.items()}


def _abc(value: Any) -> dict[str, Any]:
    value = dict(value or {})
    unknown = sorted(set(value) - set(ABC_DEFAULTS))
    if unknown:
        raise InputError(f"abc.{unknown[0]}: unknown key; abc has: {', '.join(ABC_DEFAULTS)}")
    out = {**ABC_DEFAULTS, **value}
    for key in ("population_size", "generations", "max_simulations"):
        if isinstance(out[key], bool) or not isinstance(out[key], int) or out[key] < 1:
            raise InputError(f"abc.{key}: must be an integer >= 1 (got {out[key]!r})")
    if out["cores"] is not None and (not isinstance(out["cores"], int) or out["cores"] < 1):
        raise InputError(f"abc.cores: must be an integer >= 1 or null (got {out['cores']!r})")
    for key in ("min_epsilon", "min_acceptance"):
        if isinstance(out[key], bool) or not isinstance(out[key], int | float) or out[key] < 0:
            raise InputError(f"abc.{key}: must be a number >= 0 (got {out[key]!r})")
    if isinstance(out["seed"], bool) or not isinstance(out["seed"], int) or out["seed"] < 0:
        raise InputError(f"abc.seed: must be an integer >= 0 (got {out['seed']!r})")
    return out


KNOWN_KEYS = ("name", "description", "pasim", "observed", "parameters", "models", "use",
              "statistics", "abc", "external", "out", "holdout", "predictive_draws")


def parse(cfg: Mapping[str, Any], name: str = "calibration") -> CalibrationSpec:
    """The checked spec of a calibration config mapping (no pasim config composed yet)."""
    if not isinstance(cfg, Mapping):
        raise InputError(f"calibration: must be a mapping (got {cfg!r})")
    unknown = sorted(set(cfg) - set(KNOWN_KEYS))
    if unknown:
        raise InputError(f"{unknown[0]}: unknown key; a calibration config has: "
                         f"{', '.join(KNOWN_KEYS)}")
    observed = cfg.get("observed")
    if not isinstance(observed, Mapping):
        raise InputError("observed: required; give node_times: <column> (adoption times on "
                         "a file network) or series: <path.csv>")
    external = cfg.get("external")
    if external is not None and not isinstance(external, Mapping):
        raise InputError(f"external: must be a mapping, e.g. {{shape: exponential}} "
                         f"(got {external!r})")
    draws = cfg.get("predictive_draws", 100)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise InputError(f"predictive_draws: must be an integer >= 2 (got {draws!r})")
    holdout = cfg.get("holdout") or []
    if not isinstance(holdout, list):
        raise InputError(f"holdout: must be a list of groups (got {holdout!r})")
    return CalibrationSpec(
        name=str(cfg.get("name") or name),
        pasim=_overrides(cfg.get("pasim"), "pasim"),
        observed=dict(observed),
        mechanisms=_mechanisms(cfg),
        statistics=_statistics(cfg.get("statistics")),
        abc=_abc(cfg.get("abc")),
        external=None if external is None else dict(external),
        out=cfg.get("out"),
        holdout=holdout,
        predictive_draws=draws,
    )


def check_parameter_keys(mechanism: Mechanism, config: Mapping[str, Any],
                         external_keys: Sequence[str]) -> None:
    """Every fitted key must be a numeric key of the composed pasim config (or external.*)."""
    from sim.runs.config import _ABSENT, lookup

    for prior in mechanism.priors:
        where = f"models.{mechanism.name}.parameters.{prior.key}" if mechanism.name != "model" \
            else f"parameters.{prior.key}"
        if prior.key.startswith(EXTERNAL):
            if prior.key[len(EXTERNAL):] not in external_keys:
                raise InputError(f"{where}: unknown external-influence parameter; allowed: "
                                 f"{', '.join(EXTERNAL + k for k in external_keys)}")
            continue
        value = lookup(config, prior.key)
        if value is _ABSENT:
            raise InputError(f"{where}: not a key of the pasim config (check the spelling, "
                             f"or set it in pasim: [...] first)")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{where}: must name a numeric config key (its value is "
                             f"{value!r})")


def load(name_or_path: str, overrides: Sequence[str] = (),
         config_dir: Path | None = None) -> CalibrationSpec:
    """Read ``configs/calibration/<name>.yaml`` (or a path), apply ``key=value`` overrides."""
    import yaml
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from sim.runs.config import CONFIG_DIR

    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = (config_dir or CONFIG_DIR) / "calibration" / f"{name_or_path}.yaml"
    if not path.is_file():
        options = sorted(p.stem for p in ((config_dir or CONFIG_DIR) / "calibration").glob(
            "*.yaml"))
        raise InputError(f"calibration: no config {name_or_path!r}; choose from: "
                         f"{', '.join(options)} or give a .yaml path")
    try:
        cfg = OmegaConf.load(path)
        if overrides:
            dotlist = [o[1:] if o.startswith("+") else o for o in overrides]  # Hydra style
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(dotlist))
        data = OmegaConf.to_container(cfg, resolve=True)
    except (OmegaConfBaseException, ValueError, yaml.YAMLError) as err:
        first = " ".join(str(err).split())
        raise InputError(f"calibration: {first}") from None
    return parse(data, name=path.stem)
