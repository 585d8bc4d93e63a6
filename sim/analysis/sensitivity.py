"""Which levers and which uncertain mechanisms drive the outcomes? Sobol indices (SALib).

    pasim-sensitivity [--n 64] [--replicates 2] [--jobs J] [--out DIR]
                              [--factors a,b,...] [overrides ...]

The overrides are ``pasim``'s (``steps=156 mechanisms.coherence=0.7`` ...), applied after
``DEFAULT_OVERRIDES`` (the recommended scenario on England): they set the world every sample
runs in. Each factor of ``FACTORS`` (or those named with
``--factors``) is then varied over its range by Saltelli's extension of the Sobol sequence
(``N * (D + 2)`` samples for D factors), every sample runs ``--replicates`` replicates with
the same seeds (common random numbers: the differences between samples are the factors'
doing), and SALib estimates first-order (S1) and total-order (ST) indices of each outcome:

- ``steps_to_50``: weeks to 50 % adoption; a run that never gets there counts as the horizon
  plus one (censored), so "never" is the slowest, not missing;
- ``final_adoption``; ``equity_gap`` (most minus least deprived quintile; skipped on networks
  without deprivation);
- ``cost_per_extra_adopter``: extra cost per extra adopter against the matched no-lever run
  (``sim.runs.metrics.effect``, the definition every command uses); a sample in which some
  replicate gains no adopter has no value, and the outcome is then left out of the indices.

Writes ``runs.csv`` (one row per sample x replicate), ``driver_diagram.png`` (aim <- drivers
<- levers and mechanisms, arrows weighted by ST), ``sensitivity.json`` (overrides, sizes,
factors) and, last, ``indices.csv`` (one row per outcome x factor: S1, ST and their 95 %
confidence half-widths) into ``--out`` (default ``results/sensitivity/<time>``).

The defaults (``N = 64``, 12 factors, 2 replicates: 896 samples, 1,792 England runs of five
years) take about a quarter of an hour on 2 cores; ``--n 16`` gives a first look in four
minutes. Small N gives noisy indices (see the confidence columns).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.studies.common import Row, map_tasks, save_figure
from sim.errors import InputError
from sim.runs.config import with_values  # noqa: F401 (re-exported)
from sim.runs.labels import label
from sim.runs.results import atomic_write, write_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Factor:
    """An input varied over ``[low, high]``: a dotted config key and what it stands for.

    ``integer`` factors are drawn continuously on ``[low, high + 1)`` and floored, so every
    integer gets the same share of samples. ``role`` is ``"lever"`` (something a strategist
    sets) or ``"mechanism"`` (an uncertain property of the system).
    """

    key: str
    low: float
    high: float
    role: str
    label: str = ""  # empty: the key's label from ``sim.runs.labels`` (the one label table)
    integer: bool = False

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", label(self.key))

    @property
    def bounds(self) -> list[float]:
        return [self.low, self.high + 1 if self.integer else self.high]

    def value(self, x: float) -> float | int:
        return min(int(math.floor(x)), int(self.high)) if self.integer else float(x)


#: The levers (docs/model.md) and the evaluation's uncertain mechanisms (sim/world/mechanisms.py),
#: around the defaults of configs/levers and configs/mechanisms/default.yaml. The levers'
#: designs (convening strategy, champion placement, goal scope, events) come from the base
#: config (``DEFAULT_OVERRIDES``); events are context, not a factor: a schedule is a list.
FACTORS: tuple[Factor, ...] = (
    Factor("levers.convening.budget", 0.0, 400.0, "lever"),
    Factor("levers.convening.width", 1, 6, "lever", integer=True),
    Factor("levers.shared_goals.strength", 0.0, 1.0, "lever"),
    Factor("levers.champions.per_system", 0, 3, "lever", integer=True),
    Factor("levers.champions.influence", 1.0, 3.0, "lever"),
    Factor("levers.data.share", 0.0, 1.0, "lever"),
    Factor("mechanisms.coherence", 0.2, 1.0, "mechanism"),
    Factor("mechanisms.alignment", 0.2, 1.0, "mechanism"),
    Factor("mechanisms.deprivation_penalty", 0.0, 1.0, "mechanism"),
    Factor("mechanisms.adoption_pace", 0.03, 0.3, "mechanism"),
    Factor("mechanisms.awareness_uptake", 0.0, 0.01, "mechanism"),
    Factor("mechanisms.lapse_rate", 0.0, 0.06, "mechanism"),
)

#: The world the factors vary in, unless the command line sets the same keys: England with
#: the evaluation's recommended designs for each lever, and data capability with its cost.
DEFAULT_OVERRIDES = ("scenario=recommended", "levers/data=enabled")

#: the outcome -> (the driver it measures, whether higher is better)
OUTCOMES: dict[str, tuple[str, bool]] = {
    "steps_to_50": ("speed: weeks to 50 %", False),
    "final_adoption": ("reach: final adoption", True),
    "equity_gap": ("equity: deprived - affluent", True),
    "cost_per_extra_adopter": ("value: cost per extra adopter", False),
}
AIM = "PA practice embedded\nacross the health system,\nfast, fairly, affordably"
DEFAULT_OUT = Path("results/sensitivity")


# ------------------------------------------------------------------------------------------
# configs


def with_defaults(overrides: Sequence[str],
                  defaults: Sequence[str] = DEFAULT_OVERRIDES) -> list[str]:
    """``defaults`` first, each unless ``overrides`` sets the same key; then ``overrides``."""
    def key(override: str) -> str:
        return override.split("=", 1)[0].lstrip("+~")

    given = {key(o) for o in overrides}
    return [d for d in defaults if key(d) not in given] + list(overrides)


def compose_config(overrides: Sequence[str], check: bool = True) -> dict[str, Any]:
    """The resolved ``pasim`` config for these overrides, checked as ``pasim`` checks them
    unless ``check`` is off (``sim.analysis.optimise`` rewrites the event schedule and
    validates the result itself)."""
    from sim.runs.compose import compose

    return compose(overrides, check=check)


def select_factors(names: Sequence[str] | None,
                   table: Sequence[Factor] = FACTORS) -> list[Factor]:
    """The factors named (by key, or by the key's last part), in table order; all if None."""
    if not names:
        return list(table)
    by_name = {f.key: f for f in table} | {f.key.rsplit(".", 1)[-1]: f for f in table}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InputError(f"--factors: unknown factor {unknown[0]!r}; choose from: "
                         f"{', '.join(f.key for f in table)}")
    chosen = {by_name[n].key for n in names}
    return [f for f in table if f.key in chosen]


# ------------------------------------------------------------------------------------------
# running samples


def outcome_values(summary: Mapping[str, Any], horizon: int | None) -> dict[str, float]:
    """The four outcomes of one replicate, censored so that every one is a number."""
    steps = summary.get("steps_to_50")
    if steps is None or pd.isna(steps):
        steps = (horizon if horizon is not None else summary.get("steps", 0)) + 1
    per_extra = summary.get("cost_per_extra_adopter")
    gap = summary.get("equity_gap")
    return {"steps_to_50": float(steps), "final_adoption": float(summary["final_adoption"]),
            "equity_gap": np.nan if gap is None else float(gap),
            "cost_per_extra_adopter": (np.nan if per_extra is None or pd.isna(per_extra)
                                       else float(per_extra))}


def run_sample(config: Mapping[str, Any], sample: int) -> list[Row]:
    """Every replicate of one configured sample: its outcomes, one row per replicate."""
    from sim.runs.runner import simulate

    result = simulate(config)
    rows = []
    for record in result.summary.to_dict(orient="records"):
        rows.append({"sample": sample, "replicate": int(record["replicate"]),
                     **outcome_values(record, config.get("steps")),
                     "cost": float(record.get("cost") or 0.0)})
    return rows


def sample_factors(factors: Sequence[Factor], n: int, seed: int) -> np.ndarray:
    """Saltelli's sample of the unit-scaled factor space: ``n * (D + 2)`` rows."""
    from SALib.sample import sobol

    if n < 2 or n & (n - 1):
        raise InputError(f"--n: must be a power of two >= 2 for Sobol' sampling (got {n})")
    return sobol.sample(_problem(factors), n, calc_second_order=False, seed=seed)


def _problem(factors: Sequence[Factor]) -> dict[str, Any]:
    return {"num_vars": len(factors), "names": [f.key for f in factors],
            "bounds": [f.bounds for f in factors]}


def run_design(base: Mapping[str, Any], factors: Sequence[Factor], design: np.ndarray,
               jobs: int = 1) -> pd.DataFrame:
    """Run every row of ``design`` on top of ``base``; one row per sample x replicate,
    with the factor values actually used as columns."""
    from sim.runs.config import validate

    values = [{f.key: f.value(x) for f, x in zip(factors, row, strict=True)} for row in design]
    configs = [with_values(base, v) for v in values]
    validate(configs[0])  # a bad factor key or range fails here, before the long part
    runs = map_tasks(run_sample, [{"config": c, "sample": i} for i, c in enumerate(configs)],
                     jobs)
    factor_table = pd.DataFrame(values)
    factor_table.insert(0, "sample", range(len(values)))
    return factor_table.merge(runs, on="sample")


def sobol_indices(runs: pd.DataFrame, factors: Sequence[Factor], seed: int = 1) -> pd.DataFrame:
    """S1 and ST (with 95 % confidence half-widths) of each outcome, replicates averaged.

    An outcome that is missing (no deprivation: no equity gap) or constant across samples
    has nothing to apportion and is left out.
    """
    from SALib.analyze import sobol

    means = runs.groupby("sample")[list(OUTCOMES)].mean().sort_index()
    rows = []
    for outcome in OUTCOMES:
        y = means[outcome].to_numpy(float)
        if np.isnan(y).any() or np.ptp(y) == 0:
            continue
        found = sobol.analyze(_problem(factors), y, calc_second_order=False, seed=seed)
        for i, factor in enumerate(factors):
            rows.append({"outcome": outcome, "factor": factor.key, "label": factor.label,
                         "role": factor.role, "S1": found["S1"][i], "S1_conf": found["S1_conf"][i],
                         "ST": found["ST"][i], "ST_conf": found["ST_conf"][i]})
    return pd.DataFrame(rows, columns=["outcome", "factor", "label", "role", "S1", "S1_conf",
                                       "ST", "ST_conf"])


# ------------------------------------------------------------------------------------------
# the driver diagram


def driver_diagram(indices: pd.DataFrame, factors: Sequence[Factor], title: str = "",
                   min_index: float = 0.02) -> Figure:
    """Aim <- drivers (the four outcomes) <- levers and mechanisms, read right to left.

    An arrow from a factor to a driver has a width proportional to the factor's total-order
    index for that outcome (arrows below ``min_index`` are left out to keep it readable);
    levers are blue, mechanisms grey. The drivers' arrows to the aim are all equal: the aim
    needs all four.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Patch

    outcomes = [o for o in OUTCOMES if o in set(indices["outcome"])]
    fig, ax = plt.subplots(figsize=(11, max(4.0, 0.42 * len(factors) + 1.4)))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.92)  # fixed before measuring
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")
    colours = {"lever": "#1f5fa8", "mechanism": "#7a7a7a"}
    box = {"boxstyle": "round,pad=0.35", "lw": 1.0}
    aim = ax.text(0.01, 0.5, AIM, ha="left", va="center", fontsize=10, fontweight="bold",
                  bbox={**box, "fc": "#e3f1e0", "ec": "#3c8d2f"})
    drivers = {o: ax.text(0.42, y, OUTCOMES[o][0], ha="center", va="center", fontsize=9,
                          bbox={**box, "fc": "#fdf3d8", "ec": "#c9a227"})
               for o, y in zip(outcomes, _spread(len(outcomes), 0.15, 0.85), strict=True)}
    sources = {f.key: ax.text(0.74, y, f.label, ha="left", va="center", fontsize=9,
                              color="white", bbox={**box, "fc": colours[f.role],
                                                   "ec": colours[f.role]})
               for f, y in zip(factors, _spread(len(factors)), strict=True)}
    fig.canvas.draw()  # text boxes have sizes only once drawn
    edge = _box_edges(ax)
    for text in drivers.values():
        ax.add_patch(FancyArrowPatch((edge(text)[0], edge(text)[2]), (edge(aim)[1], 0.5),
                                     arrowstyle="-|>", mutation_scale=10, lw=1.2,
                                     color="#c9a227", shrinkA=6, shrinkB=6))
    top = float(indices["ST"].clip(lower=0).max()) if len(indices) else 0.0
    for row in indices.itertuples():
        weight = max(float(row.ST), 0.0)
        if weight < min_index or top <= 0:
            continue
        source, target = edge(sources[row.factor]), edge(drivers[row.outcome])
        width = 0.5 + 6.0 * weight / top
        ax.add_patch(FancyArrowPatch((source[0], source[2]), (target[1], target[2]),
                                     arrowstyle="-|>", mutation_scale=6 + 2.5 * width,
                                     shrinkA=4, shrinkB=4, lw=width, color=colours[row.role],
                                     alpha=0.35 + 0.5 * weight / top))
    ax.legend(handles=[Patch(color=colours["lever"], label="lever"),
                       Patch(color=colours["mechanism"], label="mechanism (uncertain)")],
              loc="lower left", fontsize=8, frameon=False,
              title=f"arrow width: total-order Sobol index (< {min_index:g} not drawn)",
              title_fontsize=8)
    ax.set_title(title or "Driver diagram: what moves the aim", fontsize=10)
    warning = small_sample_warning(indices)
    if warning:
        fig.text(0.5, 0.005, warning, ha="center", va="bottom", fontsize=8, color="#b00020")
    return fig


def small_sample_warning(indices: pd.DataFrame) -> str | None:
    """Sobol indices lie in [0, 1]; estimates outside it (or a confidence half-width as large
    as the index itself) mean the base sample N is too small to read the diagram."""
    if indices.empty:
        return None
    st = indices["ST"].astype(float)
    conf = indices["ST_conf"].astype(float) if "ST_conf" in indices else st * 0
    outside = int(((st > 1) | (st < 0)).sum() + ((indices["S1"].astype(float) > 1).sum()
                                                 if "S1" in indices else 0))
    noisy = bool((conf >= st.abs().clip(lower=0.05)).mean() > 0.5)
    if not outside and not noisy:
        return None
    why = f"{outside} indices outside [0, 1]" if outside else "confidence intervals as wide " \
        "as the indices"
    return f"Warning: {why}; N is too small to rank the drivers: rerun with a larger --n"


def _box_edges(ax: Any) -> Any:
    """A function giving a drawn text's (left, right, middle-y) in data coordinates."""
    renderer = ax.figure.canvas.get_renderer()
    inverse = ax.transData.inverted()

    def edges(text: Any) -> tuple[float, float, float]:
        patch = text.get_bbox_patch()
        extent = (patch if patch is not None else text).get_window_extent(renderer)
        (x0, y0), (x1, y1) = inverse.transform([[extent.x0, extent.y0],
                                                [extent.x1, extent.y1]])
        return float(x0), float(x1), float((y0 + y1) / 2)

    return edges


def _spread(k: int, lo: float = 0.04, hi: float = 0.94) -> list[float]:
    return [0.5] if k == 1 else list(np.linspace(hi, lo, k))


# ------------------------------------------------------------------------------------------
# the command


def sensitivity(overrides: Sequence[str] = (), n: int = 64, replicates: int = 2,
                factors: Sequence[Factor] | None = None, seed: int = 1, jobs: int = 1,
                out: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    """Run the whole analysis; return (runs, indices, output folder)."""
    if replicates < 1:
        raise InputError(f"--replicates: must be >= 1 (got {replicates})")
    factors = list(FACTORS if factors is None else factors)
    overrides = with_defaults(overrides)
    base = compose_config([*overrides, f"replicates={replicates}", f"seed={seed}",
                           "figure=false"])
    design = sample_factors(factors, n, seed)
    runs = run_design(base, factors, design, jobs=jobs)
    indices = sobol_indices(runs, factors, seed=seed)
    folder = Path(out) if out is not None else DEFAULT_OUT / time.strftime("%Y-%m-%d_%H-%M-%S")
    atomic_write(folder / "runs.csv", lambda p: runs.to_csv(p, index=False))
    title = (f"Driver diagram ({' '.join(overrides) or 'default config'}; "
             f"N = {n}, {len(design)} samples x {replicates} replicates)")
    save_figure(driver_diagram(indices, factors, title=title), folder / "driver_diagram.png")
    write_json(folder / "sensitivity.json", {
        "overrides": list(overrides), "n": n, "replicates": replicates, "seed": seed,
        "samples": len(design), "factors": [dataclasses.asdict(f) for f in factors]})
    atomic_write(folder / "indices.csv", lambda p: indices.to_csv(p, index=False))
    return runs, indices, folder
