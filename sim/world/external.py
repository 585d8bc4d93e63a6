"""Time-varying external influence: spontaneous adoption that follows a schedule.

The model's ``spontaneous_rate`` is one constant: the chance per step that a non-adopter
adopts from outside the network (guidance, evidence, the drug firms' detail men). Van den
Bulte & Lilien (2001, AJS 106:1409) showed that in the Medical Innovation data much of what
looks like contagion is the marketing effort changing over time; a fair test of contagion
needs that alternative. This module makes the rate a per-step schedule without touching the
model: an intervention (run at the start of every step, before anyone decides) sets
``model.spontaneous_rate`` to ``base x multiplier(step)``, where ``base`` is the rate the
model was built with. Shapes:

- ``constant``: multiplier 1 (the model as it is);
- ``exponential``: ``exp(trend x (step - 1))``: rising (trend > 0) or fading (trend < 0)
  effort, one parameter to fit (``external.trend``);
- ``series``: ``values[step - 1]`` (the last value held after the list ends): a user's own
  effort series, e.g. detailing or advertising volume per month, scaled to mean 1 or not.

The same ``external:`` mapping works in a pasim config (applied per replicate by
``sim.runs.posterior.build_replicate_model``) and in a calibration config, where
``external.trend`` can be a fitted parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.errors import InputError

SHAPES = ("constant", "exponential", "series")
#: the schedule's numeric keys a calibration may fit (as ``external.<key>``)
FITTABLE = ("trend",)


@dataclass(frozen=True)
class ExternalSchedule:
    """Spontaneous-adoption rate per step, as a multiple of the model's base rate."""

    shape: str = "constant"
    trend: float = 0.0
    values: tuple[float, ...] = ()

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None, where: str = "external"
                    ) -> ExternalSchedule | None:
        """The schedule a config's ``external:`` mapping describes (None: no schedule)."""
        if cfg is None:
            return None
        if not isinstance(cfg, Mapping):
            raise InputError(f"{where}: must be a mapping, e.g. {{shape: exponential, trend: "
                             f"-0.1}} (got {cfg!r})")
        shape = cfg.get("shape", "constant")
        if shape not in SHAPES:
            raise InputError(f"{where}.shape: must be one of: {', '.join(SHAPES)} "
                             f"(got {shape!r})")
        unknown = sorted(set(cfg) - {"shape", "trend", "values"})
        if unknown:
            raise InputError(f"{where}.{unknown[0]}: unknown key; external has: shape, trend, "
                             "values")
        trend = cfg.get("trend", 0.0)
        if isinstance(trend, bool) or not isinstance(trend, int | float) \
                or not math.isfinite(trend):
            raise InputError(f"{where}.trend: must be a finite number (got {trend!r})")
        values = cfg.get("values") or ()
        if shape == "series":
            _check_series(values, f"{where}.values")
        return cls(shape, float(trend), tuple(float(v) for v in values))

    def multiplier(self, step: int) -> float:
        """The factor on the base rate in ``step`` (steps count from 1)."""
        if self.shape == "exponential":
            return math.exp(self.trend * (step - 1))
        if self.shape == "series":
            return self.values[min(step, len(self.values)) - 1]
        return 1.0

    def attach(self, model: Any) -> None:
        """Make ``model`` follow the schedule from its next step on."""
        if self.shape == "constant":
            return
        base = float(model.spontaneous_rate)

        def set_rate(m: Any) -> None:
            m.spontaneous_rate = min(1.0, base * self.multiplier(int(m.steps)))

        model.interventions.append(set_rate)


def _check_series(values: Any, where: str) -> None:
    ok = isinstance(values, Sequence) and not isinstance(values, str) and len(values) > 0 \
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                and v >= 0 for v in values)
    if not ok:
        raise InputError(f"{where}: must be a non-empty list of numbers >= 0, one per step "
                         f"(got {values!r})")
