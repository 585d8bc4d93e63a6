"""The schema and the shipped configs agree: every key a shipped config sets is declared (with
its type, range, default and description) and every shipped option validates; a key nobody
declared is a one-line error naming it; the generated reference table is the committed one."""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from sim.engine.model import AdoptionModel
from sim.engine.parameters import SEEDINGS, ModelParameters
from sim.engine.schema import Group, check
from sim.errors import InputError
from sim.networks.schema import NETWORKS
from sim.runs import schema
from sim.runs.config import CONFIG_DIR, validate
from sim.world.levers import MODULES
from sim.world.levers.events import ScheduledEvent
from sim.world.mechanisms import MechanismParameters

CONFIGS = Path(CONFIG_DIR)


def _load(path: Path) -> dict[str, Any]:
    return OmegaConf.to_container(OmegaConf.load(path), resolve=False)


def _option_files() -> list[tuple[Path, str, type[Group]]]:
    """(file, key prefix, schema) of every shipped option of a group with a schema."""
    out = [(p, "model", ModelParameters) for p in sorted((CONFIGS / "model").glob("*.yaml"))]
    out += [(p, "mechanisms", MechanismParameters)
            for p in sorted((CONFIGS / "mechanisms").glob("*.yaml"))]
    for path in sorted((CONFIGS / "network").glob("*.yaml")):
        out.append((path, "network", NETWORKS[_load(path)["name"]]))
    for path in sorted((CONFIGS / "seeding").glob("*.yaml")):
        out.append((path, "seeding", SEEDINGS[_load(path)["strategy"]]))
    for lever, module in MODULES.items():
        for path in sorted((CONFIGS / "levers" / lever).glob("*.yaml")):
            out.append((path, f"levers.{lever}", module.SCHEMA))
    return out


OPTIONS = _option_files()


def test_every_group_with_a_schema_has_shipped_options_checked() -> None:
    groups = {prefix for _, prefix, _ in OPTIONS}
    assert groups == {"model", "mechanisms", "network", "seeding",
                      *(f"levers.{lever}" for lever in MODULES)}
    assert {p.stem for p, prefix, _ in OPTIONS if prefix == "network"} == set(NETWORKS)


@pytest.mark.parametrize(("path", "prefix", "group"), OPTIONS,
                         ids=[str(p.relative_to(CONFIGS)) for p, _, _ in OPTIONS])
def test_every_shipped_option_is_declared_and_valid(path: Path, prefix: str,
                                                    group: type[Group]) -> None:
    values = _load(path)
    undeclared = sorted(set(values) - set(group.model_fields))
    assert not undeclared, f"{path}: keys without a schema entry: {undeclared}"
    values = {k: "given" if v == "???" else v for k, v in values.items()}  # the user's to give
    if prefix == "levers.events":
        for event in values["schedule"]:
            assert set(event) <= set(ScheduledEvent.model_fields), event
    check(group, values, prefix)


def test_every_key_of_the_primary_config_and_the_studies_is_declared() -> None:
    files = [CONFIGS / "config.yaml", *sorted((CONFIGS / "experiment").glob("*.yaml")),
             *sorted((CONFIGS / "scenario").glob("*.yaml"))]
    for path in files:
        keys = set(_load(path)) - {"defaults", "hydra"}
        assert keys <= set(schema.RunSettings.model_fields), (path, keys)


def test_every_declared_key_has_a_description() -> None:
    for _, prefix, group in schema.sections():
        for name, field in group.model_fields.items():
            assert field.description, f"{prefix}.{name}: no description"


def test_the_model_defaults_are_the_python_apis() -> None:
    """``AdoptionModel(...)`` without an argument behaves as the schema's default says."""
    signature = inspect.signature(AdoptionModel)
    for name, field in ModelParameters.model_fields.items():
        assert signature.parameters[name].default == field.default, name
    assert _load(CONFIGS / "model" / "default.yaml") == ModelParameters().model_dump()


BASE: dict[str, Any] = {
    "network": {"name": "ring_lattice", "n": 30, "k": 4},
    "model": {"threshold": 2},
    "seeding": {"strategy": "degree", "k": 2},
    "mechanisms": {"coherence": 0.5},
    "levers": {"convening": {"strategy": "random"},
               "events": {"schedule": [{"step": 1, "size": 3, "audience": {"health": 1}}]}},
    "steps": 5,
}

WHERE = ["", "model", "network", "seeding", "mechanisms", "levers.convening",
         "levers.events.schedule.0"]


@pytest.mark.parametrize("where", WHERE)
def test_an_undeclared_key_is_a_one_line_error_naming_it(where: str) -> None:
    validate(copy.deepcopy(BASE))  # the control: valid as it is
    cfg = copy.deepcopy(BASE)
    node: Any = cfg
    for part in filter(None, where.split(".")):
        node = node[int(part)] if part.isdigit() else node[part]
    node["colour"] = "blue"
    with pytest.raises(InputError) as err:
        validate(cfg)
    dotted = where.replace(".0", "[0]")
    key = f"{dotted}.colour" if dotted else "colour"
    message = str(err.value)
    assert message.startswith(f"{key}: unknown key; allowed: "), message
    assert "\n" not in message


def test_a_bad_value_names_the_key_what_is_allowed_and_the_value() -> None:
    cfg = copy.deepcopy(BASE)
    cfg["levers"]["events"]["schedule"][0]["audience"] = {"health": 1.5}
    with pytest.raises(InputError, match=r"^levers\.events\.schedule\[0\]\.audience\.health: "
                                         r"must be a number in \[0, 1\] \(got 1\.5\)$"):
        validate(cfg)


def test_the_reference_table_is_generated_from_the_schema() -> None:
    """docs/config_reference.md is ``python -m sim.runs.schema --markdown`` (regenerate it
    after changing a schema)."""
    assert schema.REFERENCE.read_text(encoding="utf-8") == schema.markdown()
