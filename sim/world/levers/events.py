"""Events: scheduled convening events -- who comes, what they take away, whom they meet.

Each event in ``schedule`` happens at the start of week ``step`` (1..steps; step 0 is the
state before the run). ``size`` leaders attend, drawn at random by the ``audience`` mix
(shares summing to 1, keyed by sector, level or kind, e.g. ``{health: 0.5, national: 0.5}``;
a group with fewer leaders than its share sends all it has; ``region`` keeps attendees to one
NHS region, e.g. for an in-person regional workshop). With clear objectives more of
them come away knowing what to do: each attendee becomes aware with probability ``clarity``
(awareness is what lets an agent below threshold adopt anyway, the model's ``noise``). In
person, attendees also sit at tables of ``table_size`` and every pair at a table gets a tie
(lapsing after ``fade`` weeks if set): the overlapping ties a wide bridge is made of.
Virtual events build no ties.

Cost: each event's ``cost`` (£k), charged in its week.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from sim.engine import schema
from sim.engine.memo import once
from sim.engine.model import AdoptionModel
from sim.engine.schema import Allowed, Group, NonNegative, PositiveInt, Share
from sim.errors import InputError
from sim.world.levers.plan import Plan
from sim.world.liveness import track, unused

FIELD = "levers.events"
FORMATS = ("virtual", "in_person")
#: node attributes an audience share may be keyed by
AUDIENCE_COLUMNS = ("sector", "level", "kind")

Audience = Annotated[dict[str, Share], Field(min_length=1),
                     Allowed("a mapping of sector, level or kind to its share of attendees, "
                             "e.g. {health: 0.5, national: 0.5}")]


Step = Annotated[int, Field(ge=1),
                 Allowed("an integer from 1 up to steps; step 0 is the state before the run")]


class ScheduledEvent(Group):
    """One event of ``levers.events.schedule``."""

    name: str | None = schema.key(None, "a label for tables and figures")
    step: Step = schema.key(..., "the week it happens, 1..steps")
    size: PositiveInt = schema.key(..., "leaders attending (at most the network's agents)")
    audience: Audience = schema.key(..., "attendees' mix by sector, level or kind; shares sum to 1")
    region: Annotated[str | None, Allowed("an NHS region name")] = schema.key(
        None, "keep attendees to one NHS region; null: anywhere")
    format: Literal[FORMATS] = schema.key(  # type: ignore[valid-type]
        "virtual", "in_person: tables of table_size, every pair tied; virtual: no ties")
    clarity: Share = schema.key(0.5, "chance that an attendee comes away aware (clear objectives)")
    cost: NonNegative = schema.key(0.0, "cost of the event, £k, charged in its week")
    table_size: Annotated[int, Field(ge=2)] = schema.key(8, "people per table (in person)")
    fade: PositiveInt | None = schema.key(None, "weeks a tie made at a table lasts; null: "
                                                "permanent")


class EventSettings(Group):
    """``levers.events``: scheduled convening events."""

    schedule: list[ScheduledEvent] | None = schema.key([], "the events, in any order")


#: the settings this lever reads, and their defaults
SCHEMA = EventSettings
DEFAULTS: dict[str, Any] = SCHEMA().model_dump()


def check(cfg: Mapping[str, Any] | None, steps: int | None = None) -> dict[str, Any]:
    given = dict(cfg or {})
    if isinstance(given.get("schedule"), Mapping | str):  # not a list: say so, not "events"
        raise InputError(f"{FIELD}.schedule: must be a list of events "
                         f"(got {given['schedule']!r})")
    s = schema.check(EventSettings, given, FIELD).model_dump()
    s["schedule"] = [_within(e, f"{FIELD}.schedule[{i}]", steps)
                     for i, e in enumerate(s["schedule"] or [])]
    return s


def check_event(event: Any, field: str, steps: int | None) -> dict[str, Any]:
    """One event's settings (defaults filled in), checked against ``ScheduledEvent`` and the run."""
    return _within(schema.check(ScheduledEvent, event, field).model_dump(), field, steps)


def _within(e: dict[str, Any], field: str, steps: int | None) -> dict[str, Any]:
    """What the schema cannot say: the run's horizon, and shares that sum to 1."""
    if steps is not None and e["step"] > steps:
        raise InputError(f"{field}.step: must be an integer from 1 up to steps = {steps} (the "
                         f"run's horizon); step 0 is the state before the run "
                         f"(got {e['step']!r})")
    total = sum(e["audience"].values())
    if abs(total - 1.0) > 1e-6:
        raise InputError(f"{field}.audience: shares must sum to 1 (got {total:g})")
    e["audience"] = {str(k): float(v) for k, v in e["audience"].items()}
    return e


def apportion(size: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Seats per audience group summing to ``size`` (largest remainders)."""
    keys = list(shares)
    quota = np.array([shares[k] * size for k in keys])
    seats = np.floor(quota).astype(int)
    extra = size - seats.sum()
    seats[np.argsort(-(quota - seats), kind="stable")[:extra]] += 1
    return dict(zip(keys, seats.tolist(), strict=True))


def audience_pools(nodes: pd.DataFrame, shares: Mapping[str, float], region: str | None,
                   field: str, columns: Mapping[str, np.ndarray] | None = None
                   ) -> dict[str, np.ndarray]:
    """The leaders each audience group is drawn from (``columns``: the node attributes as
    arrays, when the caller already has them)."""
    columns = columns if columns is not None else attribute_arrays(nodes)
    people = (columns["agent_type"] == "Leader" if "agent_type" in columns
              else np.ones(len(nodes), dtype=bool))
    if region is not None:
        in_region = _matches(columns, ("region",), region, len(nodes))
        if not in_region.any():
            raise InputError(f"{field}.region: unknown region {region!r}; known: "
                             f"{_known(columns, ('region',))}")
        people &= in_region
    pools = {}
    for key in shares:
        match = _matches(columns, AUDIENCE_COLUMNS, key, len(nodes))
        if not match.any():
            raise InputError(f"{field}.audience.{key}: no node has this sector, level or kind; "
                             f"known: {_known(columns, AUDIENCE_COLUMNS)}")
        pools[key] = np.flatnonzero(match & people)
    return pools


def attribute_arrays(nodes: pd.DataFrame) -> dict[str, np.ndarray]:
    """The node attributes events select by, as plain arrays (read once per replicate)."""
    wanted = (*AUDIENCE_COLUMNS, "region", "agent_type")
    return {c: nodes[c].to_numpy(dtype=object) for c in wanted if c in nodes}


def _matches(columns: Mapping[str, np.ndarray], names: Sequence[str], value: str,
             n: int) -> np.ndarray:
    match = np.zeros(n, dtype=bool)
    for name in names:
        if name in columns:
            match |= columns[name] == value
    return match


def _known(columns: Mapping[str, np.ndarray], names: Sequence[str]) -> str:
    known = sorted({str(v) for c in names if c in columns for v in set(columns[c])} - {""})
    return ", ".join(known) or "none (the network has no such attribute)"


class Event:
    """The intervention for one scheduled event."""

    def __init__(self, e: dict[str, Any], index: int, plan: Plan,
                 columns: Mapping[str, np.ndarray] | None = None) -> None:
        self.field = f"{FIELD}.schedule[{index}]"
        self.e = e = track(e, self.field)  # reports each setting read (sim.world.liveness)
        self.plan = plan
        self.audience = e["audience"]
        nodes = plan.network.nodes  # the same pools for every replicate on this network
        self.pools = once(nodes, ("audience", tuple(self.audience), e["region"]),
                          lambda: audience_pools(nodes, self.audience, e["region"], self.field,
                                                 columns))
        # what the run will use, read now, and only where it has an effect
        self.step, self.size, self.clarity, self.cost = (e[k] for k in
                                                         ("step", "size", "clarity", "cost"))
        self.in_person = e["format"] == "in_person"
        if self.in_person:
            self.table_size, self.fade = e["table_size"], e["fade"]
        else:
            for key in ("table_size", "fade"):
                unused(f"{self.field}.{key}", "a virtual event builds no ties")
        self.rng = plan.rng(f"events[{index}]")
        self.attendees = np.empty(0, dtype=np.int64)

    def draw_attendees(self) -> np.ndarray:
        chosen: list[np.ndarray] = []
        taken = np.zeros(self.plan.network.n, dtype=bool)  # nobody takes two seats
        for key, seats in apportion(self.size, self.audience).items():
            pool = self.pools[key]
            pool = pool[~taken[pool]]
            picked = self.rng.choice(pool, size=min(seats, pool.size), replace=False)
            chosen.append(picked)
            taken[picked] = True
        return np.concatenate(chosen).astype(np.int64) if chosen else np.empty(0, np.int64)

    def __call__(self, model: AdoptionModel) -> None:
        if model.steps != self.step:
            return
        self.attendees = attendees = self.draw_attendees()
        model.make_aware(attendees[self.rng.random(attendees.size) < self.clarity])
        if self.in_person and attendees.size > 1:
            seated = self.rng.permutation(attendees)
            tables = np.array_split(seated, int(np.ceil(seated.size / self.table_size)))
            pairs = [_pairs(t.size) for t in tables]
            u = np.concatenate([t[i] for t, (i, _) in zip(tables, pairs, strict=True)])
            v = np.concatenate([t[j] for t, (_, j) in zip(tables, pairs, strict=True)])
            model.add_ties(u, v, lifetime=self.fade)
        self.plan.charge(model, "events", self.cost)


@functools.cache
def _pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair at a table of ``size`` (``np.triu_indices(size, k=1)``), made once a size."""
    pairs = np.triu_indices(size, k=1)
    for part in pairs:
        part.flags.writeable = False
    return pairs


def is_off(s: Mapping[str, Any]) -> bool:
    """No event: the lever changes nothing (``s`` from ``check``)."""
    return not s["schedule"]


def apply(cfg: Mapping[str, Any] | None, plan: Plan) -> None:
    s = check(cfg, plan.steps)
    if is_off(s):
        return
    nodes = plan.network.nodes
    columns = once(nodes, "event attributes", lambda: attribute_arrays(nodes))
    plan.interventions.extend(Event(e, i, plan, columns) for i, e in enumerate(s["schedule"]))
