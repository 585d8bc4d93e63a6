"""One pasim run for one parameter draw, reduced to the statistics ABC compares.

The model is pasim's own: the calibration composes the pasim config once
(``sim.analysis.sensitivity.compose_config``), builds the network once (the observed data
live on one
network), and for each draw sets the fitted keys (``sim.runs.config.with_values``) and builds
the replicate with ``sim.world.build.build_model``, exactly as ``pasim`` would. The run is stepped
to the horizon recording each node's first adoption step.

Statistics (weights from the calibration's ``statistics:``):

- ``curve``: cumulative adopted share per group at every observed step;
- ``exposure``: the mean, over nodes that adopted after the start, of the share of the
  contacts they listen to who had adopted before them (Valente 1995's exposure at adoption).
  Curves alone barely tell contagion from a common external push (Van den Bulte & Lilien
  2001): under contagion adopters are exposed earlier than under an external push, on the
  same network, so this statistic carries what the curves cannot.

The distance is a weighted Euclidean norm: each statistic's entries get weight
``sqrt(w / entries)``, so the squared distance is the weighted sum of each statistic's mean
squared error, whatever the number of groups and steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.analysis.calibration.observed import Observed, curve_from_times
from sim.analysis.calibration.spec import EXTERNAL, Mechanism
from sim.engine.network import Network
from sim.world.external import ExternalSchedule


def adoption_times(model: Any, horizon: int) -> np.ndarray:
    """Step the model to ``horizon``; each node's first adoption step (0: at the start)."""
    times = np.full(model.n, np.inf)
    times[model.adopted] = 0
    for step in range(1, horizon + 1):
        model.step()
        times[model.adopted & np.isinf(times)] = step
    return times


def exposure_at_adoption(adjacency: Any, times: np.ndarray,
                         counted: np.ndarray | None = None) -> float:
    """Mean share of a later adopter's contacts (row i: whom i listens to) adopted before it.

    ``counted``: the nodes whose adoption is averaged (default all; held-out groups are not).
    """
    rows = np.repeat(np.arange(adjacency.shape[0]), np.diff(adjacency.indptr))
    cols = adjacency.indices
    weights = adjacency.data.astype(float)
    earlier = times[cols] < times[rows]
    reach = np.bincount(rows, weights=weights, minlength=adjacency.shape[0])
    exposed = np.bincount(rows, weights=weights * earlier, minlength=adjacency.shape[0])
    adopters = np.isfinite(times) & (times > 0) & (reach > 0)
    if counted is not None:
        adopters &= counted
    if not adopters.any():
        return 0.0
    return float(np.mean(exposed[adopters] / reach[adopters]))


def statistics(curve: np.ndarray, times: np.ndarray | None, adjacency: Any,
               wanted: Mapping[str, float], counted: np.ndarray | None = None
               ) -> dict[str, float]:
    """The flat statistics dict (one scalar per entry) that pyABC's distance compares."""
    out: dict[str, float] = {}
    if "curve" in wanted:
        for g in range(curve.shape[0]):
            for k in range(curve.shape[1]):
                out[f"curve_{g}_{k}"] = float(curve[g, k])
    if "exposure" in wanted and times is not None:
        out["exposure"] = exposure_at_adoption(adjacency, times, counted)
    return out


def distance_weights(stats: Mapping[str, float], wanted: Mapping[str, float],
                     ignored: set[str] | frozenset[str] = frozenset()) -> dict[str, float]:
    """Weights so that each statistic's block counts ``w`` times its mean squared error;
    ``ignored`` entries (held-out groups) weigh 0."""
    def block(key: str) -> str:
        return key.split("_", 1)[0]

    counts: dict[str, int] = {}
    for key in stats:
        if key not in ignored:
            counts[block(key)] = counts.get(block(key), 0) + 1
    return {key: 0.0 if key in ignored else float(np.sqrt(wanted[block(key)] / counts[block(key)]))
            for key in stats}


@dataclass
class Simulator:
    """Draw -> pasim run -> statistics, for one mechanism on the calibration's network."""

    mechanism: Mechanism
    config: dict[str, Any]            # the composed, validated pasim config
    network: Network
    observed: Observed
    wanted: dict[str, float]
    external: dict[str, Any] | None = None
    holdout: tuple[int, ...] = ()     # group indices left out of the fit (scored after)

    @property
    def horizon(self) -> int:
        return int(self.config["steps"])

    def configured(self, params: Mapping[str, float]) -> tuple[dict[str, Any],
                                                               ExternalSchedule | None]:
        """The pasim config and external schedule of one draw (values rounded as declared)."""
        from sim.runs.config import with_values

        values, external = {}, dict(self.external or {})
        for prior in self.mechanism.priors:
            value = prior.value(params[prior.key])
            if prior.key.startswith(EXTERNAL):
                external[prior.key[len(EXTERNAL):]] = value
            else:
                values[prior.key] = value
        schedule = ExternalSchedule.from_config(external or None)
        return with_values(self.config, values), schedule

    def times(self, params: Mapping[str, float], seed: int) -> np.ndarray:
        """Each node's adoption step in one run of the draw ``params``."""
        from sim.world.build import build_model

        cfg, schedule = self.configured(params)
        model = build_model(cfg, self.network, seed)
        if schedule is not None:
            schedule.attach(model)
        return adoption_times(model, self.horizon)

    def curve(self, times: np.ndarray, steps: np.ndarray | None = None) -> np.ndarray:
        obs = self.observed
        return curve_from_times(times, obs.membership, obs.sizes,
                                obs.steps if steps is None else steps)

    @property
    def counted(self) -> np.ndarray | None:
        """Nodes whose adoption enters the fit (None: all)."""
        if not self.holdout:
            return None
        return ~np.isin(self.observed.membership, self.holdout)

    def holdout_keys(self, stats: Mapping[str, float]) -> set[str]:
        return {k for k in stats for g in self.holdout if k.startswith(f"curve_{g}_")}

    def summary(self, times: np.ndarray) -> dict[str, float]:
        return statistics(self.curve(times), times, self.network.adjacency, self.wanted,
                          self.counted)

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """pyABC's model: a seed from NumPy's global state (pyABC seeds each worker)."""
        seed = int(np.random.randint(0, 2**62))  # noqa: NPY002 - pyABC's own random state
        return self.summary(self.times(params, seed))

    def observed_statistics(self) -> dict[str, float]:
        obs = self.observed
        return statistics(obs.curve, obs.times, self.network.adjacency, self.wanted,
                          self.counted)
