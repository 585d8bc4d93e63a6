"""What a lever comparison implies for a decision, with its uncertainty.

``pasim-compare`` pairs replicate r of every scenario (same random numbers and, with
``posterior:``, the same posterior draw). From those pairs, against the first scenario:

- P(better): the share of pairs in which the option ends with more adopters (ties count
  half): the probability that it beats the reference, over stochastic noise and, with a
  posterior, parameter uncertainty;
- extra adopters: median and 90 % interval of the paired differences;
- cost per extra adopter: mean extra cost / mean extra adopters (a ratio of means: a
  per-pair ratio explodes when a pair gains nothing), with a 90 % bootstrap interval over
  the pairs. "–" when the option gains nothing on average.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

INTERVAL = (0.05, 0.95)
BOOTSTRAP = 2000


def _pairs(runs: pd.DataFrame, name: str, first: str) -> pd.DataFrame:
    a = runs[runs["scenario"] == name].set_index("replicate")
    b = runs[runs["scenario"] == first].set_index("replicate")
    cost = a.get("cost", pd.Series(0.0, index=a.index)).fillna(0.0) \
        - b.get("cost", pd.Series(0.0, index=b.index)).fillna(0.0)
    return pd.DataFrame({"extra": a["final_adopted"] - b["final_adopted"],
                         "extra_cost": cost}).dropna()


def _ratio_interval(pairs: pd.DataFrame, seed: int) -> tuple[float, float, float]:
    extra, cost = pairs["extra"].to_numpy(float), pairs["extra_cost"].to_numpy(float)
    if extra.mean() <= 0:
        return (np.nan, np.nan, np.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(extra), size=(BOOTSTRAP, len(extra)))
    gain = extra[idx].mean(axis=1)
    ratio = np.where(gain > 0, cost[idx].mean(axis=1) / np.where(gain > 0, gain, 1), np.inf)
    lo, hi = np.quantile(ratio, INTERVAL, method="inverted_cdf")  # inf: no gain in a resample
    return (float(cost.mean() / extra.mean()), float(lo), float(hi))


def decision_table(runs: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """One row per scenario after the first: P(better), extra adopters, cost per extra."""
    order = list(dict.fromkeys(runs["scenario"]))
    rows = []
    for name in order[1:]:
        pairs = _pairs(runs, name, order[0])
        extra = pairs["extra"].to_numpy(float)
        ratio, lo, hi = _ratio_interval(pairs, seed)
        rows.append({
            "scenario": name, "against": order[0], "pairs": len(pairs),
            "p_better": float(np.mean((extra > 0) + 0.5 * (extra == 0))) if len(extra)
            else np.nan,
            "extra_adopters_median": float(np.median(extra)) if len(extra) else np.nan,
            "extra_adopters_p05": float(np.quantile(extra, INTERVAL[0])) if len(extra)
            else np.nan,
            "extra_adopters_p95": float(np.quantile(extra, INTERVAL[1])) if len(extra)
            else np.nan,
            "cost_per_extra_adopter": ratio, "cost_per_extra_p05": lo,
            "cost_per_extra_p95": hi,
        })
    return pd.DataFrame(rows)


def markdown(runs: pd.DataFrame, configs: Mapping[str, Mapping[str, Any]] | None = None
             ) -> str:
    """The decision table as text ('' with a single scenario); ``configs`` tell whether the
    runs drew parameters from a posterior."""
    with_posterior = any(c.get("posterior") for c in (configs or {}).values())
    table = decision_table(runs)
    if table.empty:
        return ""
    source = ("stochastic noise and parameter uncertainty (one posterior draw per replicate)"
              if with_posterior else "stochastic noise only (fixed parameters)")
    lines = ["", f"Against {table['against'].iloc[0]}, over {source}:", "",
             "| scenario | P(more adopters) | extra adopters (90 % interval) | "
             "£k per extra adopter (90 % interval) |", "|---|---|---|---|"]
    for _, r in table.iterrows():
        cost = "–" if pd.isna(r["cost_per_extra_adopter"]) else (
            f"{r['cost_per_extra_adopter']:.2f} ({r['cost_per_extra_p05']:.2f}–"
            f"{r['cost_per_extra_p95']:.2f})")
        lines.append(f"| {r['scenario']} | {r['p_better']:.2f} | "
                     f"{r['extra_adopters_median']:+.0f} ({r['extra_adopters_p05']:+.0f} to "
                     f"{r['extra_adopters_p95']:+.0f}) | {cost} |")
    return "\n".join(lines) + "\n"
