"""The whole config's schema, composed from the schemas each layer declares for the keys it
reads, and the reference table of every key generated from it.

- the run's own keys (``seed``, ``replicates``, ``steps`` ...): ``RunSettings``, here;
- ``model``: ``sim.engine.parameters.ModelParameters`` (what ``AdoptionModel`` checks too);
- ``seeding``: one schema per strategy, ``sim.engine.parameters.SEEDINGS``;
- ``network``: one schema per network option, ``sim.networks.schema.NETWORKS``;
- ``mechanisms``: ``sim.world.mechanisms.MechanismParameters``;
- ``levers.<lever>``: each lever module's settings (``sim.world.levers``).

``check(cfg)`` runs every single-key check (type, range, allowed names, unknown keys) the
pre-flight of ``sim.runs.config.validate`` starts with; the rules that relate several keys
stay there. ``python -m sim.runs.schema --markdown > docs/config_reference.md`` writes the
reference table (a test keeps the committed file equal to it).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field

from sim.engine import schema
from sim.engine.parameters import SEEDINGS, ModelParameters
from sim.engine.schema import (
    MAX_REPLICATES,
    MAX_STEPS,
    Allowed,
    Group,
    Number,
    Seed,
    key,
)
from sim.errors import InputError
from sim.networks.schema import NETWORKS, network_schema
from sim.runs.paths import NAME_ALLOWED, is_safe_name
from sim.world.levers import MODULES
from sim.world.mechanisms import MechanismParameters


def _safe_name(value: Any) -> Any:
    if not is_safe_name(value):
        raise ValueError("not a safe folder name")
    return value


Name = Annotated[Any, AfterValidator(_safe_name), Allowed(NAME_ALLOWED)]
Title = Annotated[str | Number, Allowed("a string or a number")]
Steps = Annotated[int, Field(ge=0, le=MAX_STEPS)]
Replicates = Annotated[int, Field(ge=1, le=MAX_REPLICATES)]
Subgroup = Annotated[Any, Allowed("a config group (a mapping of keys to values)")]
#: checked by sim.runs.posterior and sim.world.external, which read them
Posterior = Annotated[Any, Allowed("a path to a posterior.parquet, or {path: ..., model: ...}")]
External = Annotated[Any, Allowed("a mapping {shape: ..., ...} (sim/world/external.py)")]


class RunSettings(Group):
    """The top level of the config: the run's own keys and the config groups."""

    seed: Seed = key(0, "base seed; replicate r uses a seed derived from (seed, r)")
    seed_includes_params: bool = key(False, "also mix the run's parameters into each seed")
    replicates: Replicates = key(1, "replicates run inside one job, one after another")
    steps: Steps | None = key(None, "weeks to simulate (260 = 5 years); null: until nothing "
                                   "changes (at most model.max_steps)")
    title: Title | None = key(None, "figure title; null: the network's name")
    track: list[str] | None = key(None, "node attributes recorded per step; null: all known "
                                        "ones present")
    record_agents: bool = key(False, "also write agents.parquet (who became aware and adopted "
                                     "when)")
    figure: bool = key(True, "write adoption.png beside the tables")
    name: Name = key("adhoc", "a sweep's name: pasim -m writes into results/sweeps/<name>/")
    progress: bool = key(True, "sweeps: a progress bar on stderr")
    posterior: Posterior = key(None, "a pasim-calibrate posterior.parquet (or {path, model}): "
                                    "replicate r runs posterior draw r")
    external: External = key(None, "time-varying spontaneous adoption, e.g. {shape: "
                                   "exponential, trend: -0.1} (sim/world/external.py)")
    network: Subgroup = key(..., "the network (network=<option>)")
    model: Subgroup = key(..., "the adoption rule")
    seeding: Subgroup = key(None, "the initial adopters (seeding=<strategy>)")
    mechanisms: Subgroup = key(None, "the evaluation's mechanisms (mechanisms=default|none)")
    levers: Subgroup = key(None, "the levers (levers/<lever>=<option>)")


#: model keys the Python API defaults but a config must give (a run's threshold is a choice)
REQUIRED_IN_CONFIG = {"model": ("threshold",)}


class _NetworkName(Group):
    """What every network option has: its name (the rest depends on it)."""

    model_config = ConfigDict(extra="allow", strict=True)

    name: schema.Text = key(..., "the network option")


# ------------------------------------------------------------------------------------------
# checking


def check(cfg: Mapping[str, Any], groups_elsewhere: tuple[str, ...] = ()) -> None:
    """Every single-key check of the config, as one-line ``InputError``s. ``groups_elsewhere``
    are top-level keys checked by their own code (config group folders of a study)."""
    elsewhere = set(groups_elsewhere) - set(RunSettings.model_fields)
    top = {k: v for k, v in cfg.items() if k != "hydra" and k not in elsewhere}
    schema.check(RunSettings, top, "")
    model = cfg["model"]
    for name in REQUIRED_IN_CONFIG["model"]:
        if name not in model:
            field = ModelParameters.model_fields[name]
            raise InputError(f"model.{name}: missing; it must be {schema.allowed(field)}")
    schema.check(ModelParameters, model, "model")
    network = cfg["network"]
    schema.check(_NetworkName, network, "network")
    chosen = network_schema(network["name"])
    if chosen is not None:
        schema.check(chosen, network, "network")
    _check_seeding(cfg.get("seeding"))


def _check_seeding(seeding: Any) -> None:
    if seeding is None:
        return
    if not isinstance(seeding, Mapping):
        raise InputError(f"seeding: must be a seeding strategy, e.g. seeding=neighbourhood "
                         f"(got {seeding!r})")
    strategy = seeding.get("strategy", "none")
    if strategy not in SEEDINGS:
        raise InputError(f"seeding.strategy: must be one of: {', '.join(SEEDINGS)} "
                         f"(got {strategy!r})")
    schema.check(SEEDINGS[strategy], {"strategy": strategy, **seeding}, "seeding")


# ------------------------------------------------------------------------------------------
# the reference table


def sections() -> Iterator[tuple[str, str, type[Group]]]:
    """(heading, key prefix, schema) of every part of the config, in the config's order."""
    yield "Run (top level)", "", RunSettings
    yield "model", "model", ModelParameters
    for name, option in NETWORKS.items():
        yield f"network={name}", "network", option
    for name, option in SEEDINGS.items():
        yield f"seeding={name}", "seeding", option
    yield "mechanisms", "mechanisms", MechanismParameters
    for name, module in MODULES.items():
        yield f"levers.{name}", f"levers.{name}", module.SCHEMA


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The reference table of every key: allowed values, default, description."""
    lines = ["# Config reference", "",
             "Every key of pasim's config, generated from the schemas "
             "(`python -m sim.runs.schema --markdown > docs/config_reference.md`; do not edit "
             "by hand). *Default* is the value a key takes when a config leaves it out; the "
             "shipped options in `configs/` may set another. A bad value is one line naming "
             "the key, what it allows and the value given.", ""]
    for heading, prefix, group in sections():
        doc = " ".join((group.__doc__ or "").split()).replace("``", "`")
        lines += [f"## {heading}", "", doc, "", "| key | allowed | default | description |",
                  "|:--|:--|:--|:--|"]
        for row in schema.rows(group, prefix):
            lines.append(f"| `{row.key}` | {_cell(row.allowed)} | `{_cell(row.default)}` | "
                         f"{_cell(row.description)} |")
        lines.append("")
    return "\n".join(lines)


#: the generated reference table in the repository
REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "config_reference.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sim.runs.schema",
                                     description="pasim's config schema")
    parser.add_argument("--markdown", action="store_true",
                        help="print the reference table of every key (docs/config_reference.md)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(), end="")
    else:
        parser.print_help()


if __name__ == "__main__":
    main()
