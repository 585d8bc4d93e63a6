"""Config values that cannot change the result: found by watching what the model reads.

A value the user sets but the model never uses (``model.threshold`` on England, where the
per-type thresholds cover every node; ``levers.convening.width`` with ``strategy=random``;
``fade`` on a virtual event; a behavioural rate on a network without agent types) must not
pass silently. Rather than a list of special cases, the code that turns a config into a model
reports the keys it reads, and reads each key only where it has an effect:

- ``track(settings, prefix)`` wraps a lever's checked settings so that every ``s[key]`` is
  recorded as ``prefix.key`` (levers read a setting only on the branch that uses it);
- ``read(key)`` records a read made some other way, ``unused(key, why)`` says why a key is
  deliberately not read (shown in the error);
- ``recording()`` collects the reads of one model build (outside it nothing is recorded and
  ``track`` returns its argument: no cost to ordinary runs).

``check_jobs`` then judges the keys a command sets (its overrides and the swept keys): a key
unread in every job it was set in is a one-line ``InputError`` naming it and why; a key
unread in only some jobs of a grid is a one-line warning. Keys are judged only under
``JUDGED`` (the sections the build reads through this module); a job whose model was not
built (a very large network the pre-flight skips) is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import InputError

#: config sections whose keys the model build reports reading
JUDGED = ("levers.", "model.", "mechanisms.")
DEFAULT_REASON = "it has no effect with the rest of this configuration"


@dataclass
class Reads:
    """What one model build read, and why it left keys unread."""

    keys: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)
    built: bool = False

    def live(self, key: str) -> bool:
        """Whether ``key`` (or anything under it, or the section holding it) was read."""
        return any(k == key or k.startswith((f"{key}.", f"{key}[")) or
                   key.startswith((f"{k}.", f"{k}[")) for k in self.keys)

    def why(self, key: str) -> str:
        for k, reason in self.reasons.items():
            if key == k or key.startswith((f"{k}.", f"{k}[")):
                return reason
        return DEFAULT_REASON


_CURRENT: ContextVar[Reads | None] = ContextVar("pasim_reads", default=None)


@contextmanager
def recording() -> Iterator[Reads]:
    """Record every read of config keys made inside the block."""
    reads = Reads()
    token = _CURRENT.set(reads)
    try:
        yield reads
    finally:
        _CURRENT.reset(token)


def read(*keys: str) -> None:
    """Record that the build used ``keys`` (dotted)."""
    reads = _CURRENT.get()
    if reads is not None:
        reads.keys.update(keys)


def unused(key: str, why: str) -> None:
    """Record why ``key`` is deliberately not read in this build."""
    reads = _CURRENT.get()
    if reads is not None:
        reads.reasons.setdefault(key, why)


def built() -> None:
    """Mark the build complete (its reads can be judged)."""
    reads = _CURRENT.get()
    if reads is not None:
        reads.built = True


class _Tracked(dict):
    """A settings dict that records ``prefix.key`` for each key looked up."""

    def __init__(self, data: Mapping[str, Any], prefix: str) -> None:
        super().__init__(data)
        self._prefix = prefix

    def __getitem__(self, key: str) -> Any:
        read(f"{self._prefix}.{key}")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        read(f"{self._prefix}.{key}")
        return super().get(key, default)


def track(settings: Mapping[str, Any], prefix: str) -> Mapping[str, Any]:
    """``settings`` that report each key read as ``prefix.key`` (only while recording)."""
    return settings if _CURRENT.get() is None else _Tracked(settings, prefix)


# ------------------------------------------------------------------------------------------
# judging a command's jobs


def set_keys(overrides: Sequence[str]) -> list[str]:
    """The dotted keys a job's overrides set (group choices such as ``levers/x=y`` are not
    values, and are left out), restricted to ``JUDGED``."""
    keys = []
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if "=" in override and "/" not in key and key.startswith(JUDGED):
            keys.append(re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", key))  # schedule.0.x: [0]
    return keys


def check_jobs(jobs: Sequence[tuple[Sequence[str], Reads]], warn=None) -> list[str]:
    """Error if a key set by the command is inert in every job it is set in; warn (one line
    each, through ``warn``) if inert only in some. Returns the warnings."""
    inert: dict[str, list[tuple[Sequence[str], str]]] = {}
    judged: dict[str, int] = {}
    for overrides, reads in jobs:
        if not reads.built:
            continue
        for key in dict.fromkeys(set_keys(overrides)):
            judged[key] = judged.get(key, 0) + 1
            if not reads.live(key):
                inert.setdefault(key, []).append((overrides, reads.why(key)))
    warnings = []
    for key, where in inert.items():
        if len(where) == judged[key]:
            raise InputError(f"{key}: has no effect, so setting it changes nothing: "
                             f"{where[0][1]}")
        example = " ".join(where[0][0])
        warnings.append(f"warning: {key}: has no effect in {len(where)} of {judged[key]} jobs "
                        f"({where[0][1]}; e.g. {example})")
    for line in warnings:
        (warn or _stderr)(line)
    return warnings


def _stderr(line: str) -> None:
    import sys

    print(line, file=sys.stderr)


def check_experiment_without_multirun(overrides: Sequence[str], multirun: bool,
                                      config_dir: Path | str) -> None:
    """``pasim experiment=<name>`` without ``-m`` would run one default job of a sweep."""
    if multirun:
        return
    import yaml

    for override in overrides:
        key, _, name = override.partition("=")
        if key.lstrip("+") != "experiment" or not name:
            continue
        path = Path(config_dir) / "experiment" / f"{name}.yaml"
        if not path.is_file():
            continue
        sweep = ((yaml.safe_load(path.read_text()) or {}).get("hydra") or {}).get(
            "sweeper", {}).get("params")
        if sweep:
            raise InputError(f"experiment: '{name}' is a sweep over {', '.join(sweep)}; "
                             f"add -m to run it (pasim -m experiment={name})")
