"""Typed schemas for config groups: each key declared once, with its type, range, default and
one-line description, and one way of saying what went wrong.

A config group is a pydantic model (``Group``): a field per key, its type an annotation
(``Probability``, ``PositiveInt``, a ``Literal`` of the allowed names ...), its default and
description given by ``key(default, "what it does")``. The same declaration serves

- validation (``check``): pydantic's ``ValidationError`` becomes pasim's one-line
  ``InputError`` that starts with the dotted key, says what is allowed and shows the bad value,
  ``model.noise: must be a number in [0, 1] (a probability) (got 1.5)``; an undeclared key is
  ``model.typo: unknown key; allowed: threshold, ...``;
- documentation (``rows``): the reference table of every key (``sim.runs.schema``);
- anything else that needs a key's range or choices (the explorer's controls).

The words for what is allowed are derived from the declaration (``allowed``), so a range
changed in one place changes the check, the message and the docs together. A key whose
allowed values no annotation can say (``model.threshold``: a number, a list or a
distribution) declares its words with ``Allowed("...")`` and a rule of its own elsewhere.

Lives in the engine, the bottom layer, so that every layer above can declare its keys with
it (pydantic is a plain Python library; nothing here knows Hydra).
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.errors import InputError

#: seeds fit a signed 64-bit integer: collated tables, Parquet and NumPy keep them exactly
MAX_SEED = 2**63 - 1

#: bounds on how much work one command may ask for (a typo of 10^20 replicates should be an
#: error, not a run that never ends); far above anything a study needs
MAX_REPLICATES = 100_000
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class Allowed:
    """Annotation metadata: the words completing "must be ..." when no type can say them."""

    text: str


Number = Annotated[float, Field(allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False),
                        Allowed("a number in [0, 1] (a probability)")]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED),
                 Allowed(f"a non-negative integer up to {MAX_SEED}")]
Text = Annotated[str, Field(min_length=1)]


def key(default: Any = PydanticUndefined, description: str = "", **constraints: Any) -> Any:
    """A key's default and one-line description (and any range beyond its type's)."""
    return Field(default, description=description, **constraints)


class Group(BaseModel):
    """One config group (or one option of a group): its keys and nothing else.

    Strict: a value must already have the key's type (``"0.5"`` is not a number, ``true`` is
    not an integer), as the config's YAML and Hydra's override grammar give typed values.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


# ------------------------------------------------------------------------------------------
# what a key allows, in words


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(bare type, Annotated metadata, nullable) of an annotation."""
    metadata: list[Any] = []
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += extra
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            nullable = True
            others = [a for a in get_args(annotation) if a is not type(None)]
            annotation = others[0] if len(others) == 1 else Union[tuple(others)]  # noqa: UP007
        else:
            return annotation, metadata, nullable


_BOUNDS = {"ge": at.Ge, "gt": at.Gt, "le": at.Le, "lt": at.Lt, "min_length": at.MinLen}


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    """ge/gt/le/lt/min_length from pydantic's and annotated-types' metadata."""
    out: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            out.update(_constraints(list(item.metadata)))
        for name, kind in _BOUNDS.items():
            if isinstance(item, kind):
                out[name] = getattr(item, name)
    return out


def _integer_words(c: Mapping[str, Any]) -> str:
    low, high = c.get("ge"), c.get("le")
    if low is None:
        return "an integer" if high is None else f"an integer <= {high}"
    return f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"


def _number_words(c: Mapping[str, Any]) -> str:
    low = c.get("ge", c.get("gt"))
    high = c.get("le", c.get("lt"))
    if high is None or math.isinf(high):
        if low is None:
            return "a finite number"
        return f"a number {'>' if 'gt' in c else '>='} {low:g}"
    if low is None:
        return f"a number {'<' if 'lt' in c else '<='} {high:g}"
    return (f"a number in {'(' if 'gt' in c else '['}{low:g}, {high:g}"
            f"{')' if 'lt' in c else ']'}")


def _type_words(bare: Any, metadata: list[Any]) -> str:
    for item in metadata:
        if isinstance(item, Allowed):
            return item.text
    c = _constraints(metadata)
    origin = get_origin(bare)
    if bare is bool:
        return "true or false"
    if origin is Literal:
        return f"one of: {', '.join(map(str, get_args(bare)))}"
    if bare is int:
        return _integer_words(c)
    if bare is float:
        return _number_words(c)
    if bare is str:
        return "a non-empty string" if c.get("min_length") else "a string"
    if origin in (list, tuple) and get_args(bare)[:1] == (str,):
        return "a list of names"
    if origin in (list, tuple):
        inner = get_args(bare)[:1]
        if inner and isinstance(inner[0], type) and issubclass(inner[0], BaseModel):
            return "a list of mappings"
        return "a list"
    if origin in (dict, Mapping) or (isinstance(bare, type) and issubclass(bare, Mapping)):
        return "a mapping"
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return f"a mapping with keys {', '.join(bare.model_fields)}"
    return "a value"


def allowed(field: FieldInfo) -> str:
    """The words completing "must be ..." for a key (with "or null" when it may be null)."""
    bare, metadata, nullable = _unwrap(field.annotation)
    words = _type_words(bare, [*metadata, *field.metadata])
    return f"{words} or null" if nullable else words


def choices(field: FieldInfo) -> tuple[Any, ...]:
    """The values a ``Literal`` key may take (empty for any other key)."""
    bare, _, _ = _unwrap(field.annotation)
    return get_args(bare) if get_origin(bare) is Literal else ()


def bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    """A numeric key's lower and upper bound (None where it has none)."""
    bare, metadata, _ = _unwrap(field.annotation)
    c = _constraints([*metadata, *field.metadata])
    return c.get("ge", c.get("gt")), c.get("le", c.get("lt"))


def is_integer(field: FieldInfo) -> bool:
    return _unwrap(field.annotation)[0] is int


# ------------------------------------------------------------------------------------------
# validation


def check(schema: type[Group], values: Mapping[str, Any] | None, prefix: str) -> Group:
    """``values`` checked against ``schema`` (missing keys take their defaults), or the first
    problem as a one-line ``InputError`` naming ``<prefix>.<key>``."""
    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise InputError(f"{prefix}: must be {_type_words(schema, [])} (got {values!r})")
    try:
        return schema.model_validate(dict(values))
    except ValidationError as err:
        raise _input_error(schema, values, err.errors()[0], prefix) from None


def _dotted(prefix: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{prefix}[{part}]"
    return f"{prefix}.{part}" if prefix else str(part)


def _input_error(schema: type[Group], values: Mapping[str, Any], error: Mapping[str, Any],
                 prefix: str) -> InputError:
    """The one-line message for pydantic's first error, in pasim's words."""
    path, model, field, value = prefix, schema, None, values
    for part in error["loc"]:
        if field is not None:  # inside a key's value: a mapping's entry, a list item ...
            bare = _unwrap(field.annotation)[0]
            if get_origin(bare) is dict and isinstance(value, Mapping):
                entry = _unwrap(get_args(bare)[1])
                return InputError(f"{_dotted(path, part)}: must be "
                                  f"{_type_words(entry[0], entry[1])} (got {value.get(part)!r})")
            inner = get_args(bare)[0] if get_origin(bare) in (list, tuple) else bare
            if not (isinstance(part, int) and isinstance(inner, type)
                    and issubclass(inner, BaseModel)):
                break
            model, field = inner, None
        if isinstance(part, int):
            path = _dotted(path, part)
            value = value[part] if isinstance(value, list | tuple) else value
            continue
        if part not in model.model_fields:
            if error["type"] == "extra_forbidden":
                return InputError(f"{_dotted(path, part)}: unknown key; allowed: "
                                  f"{', '.join(model.model_fields)}")
            return InputError(f"{_dotted(path, part)}: {error['msg']} (got "
                              f"{error.get('input')!r})")
        path = _dotted(path, part)
        field = model.model_fields[part]
        value = value.get(part) if isinstance(value, Mapping) else value
    if field is None:
        return InputError(f"{path}: must be {_type_words(model, [])} (got {value!r})")
    if error["type"] == "missing":
        return InputError(f"{path}: missing; it must be {allowed(field)}")
    return InputError(f"{path}: must be {allowed(field)} (got {value!r})")


# ------------------------------------------------------------------------------------------
# documentation


@dataclass(frozen=True)
class Row:
    """One key of the reference table."""

    key: str
    allowed: str
    default: str
    description: str


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def rows(schema: type[Group], prefix: str) -> Iterator[Row]:
    """Every key of ``schema`` (nested groups and lists of groups included), in order."""
    for name, field in schema.model_fields.items():
        path = _dotted(prefix, name)
        yield Row(path, allowed(field), _default(field), field.description or "")
        bare = _unwrap(field.annotation)[0]
        inner = get_args(bare)[0] if get_origin(bare) in (list, tuple) else bare
        if isinstance(inner, type) and issubclass(inner, Group):
            yield from rows(inner, f"{path}[i]" if inner is not bare else path)

