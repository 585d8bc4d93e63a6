"""What a calibration writes: posterior table, summary, predictive bands and scores, figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.calibration.plots import BAND, pairs_figure, predictive_figure
from sim.runs import results as io

INTERVAL = (0.05, 0.95)
POSTERIOR = "posterior.parquet"
SUMMARY = "summary.json"


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of a weighted sample (the inverse of its weighted CDF, interpolated)."""
    order = np.argsort(values)
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, v))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of importance weights, (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / (w ** 2).sum()) if w.size else 0.0


def posterior_table(history: Any, mechanisms: list[Any]) -> pd.DataFrame:
    """The final population: model, its probability, weight within the model, parameters,
    and the model's own settings (``pasim`` overrides and ``external`` schedule, as JSON) so
    that ``posterior:`` in a pasim config reproduces the model a draw came from."""
    t = history.max_t
    probabilities = history.get_model_probabilities(t=t)
    frames = []
    for m, mech in enumerate(mechanisms):
        name = mech.name
        p = float(probabilities["p"].get(m, 0.0))
        if p <= 0:
            continue
        frame, weights = history.get_distribution(m=m, t=t)
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        frame.insert(0, "weight", np.asarray(weights, float) / np.sum(weights))
        frame.insert(0, "model_probability", p)
        frame.insert(0, "model", name)
        frame["pasim"] = json.dumps(list(mech.overrides))
        frame["external"] = json.dumps(mech.external) if mech.external else None
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def parameter_names(posterior: pd.DataFrame) -> list[str]:
    return [c for c in posterior.columns
            if c not in ("model", "model_probability", "weight", "pasim", "external")]


def summary_record(posterior: pd.DataFrame, history: Any, problem: Any) -> dict[str, Any]:
    """Model probabilities; per parameter median, 90 % interval; effective sample sizes."""
    models = {}
    for sim in problem.simulators:
        name = sim.mechanism.name
        rows = posterior[posterior["model"] == name]
        entry: dict[str, Any] = {"probability": float(rows["model_probability"].iloc[0])
                                 if len(rows) else 0.0, "particles": int(len(rows))}
        if len(rows):
            w = rows["weight"].to_numpy()
            entry["ess"] = round(effective_sample_size(w), 1)
            entry["parameters"] = {
                key: {"median": weighted_quantile(rows[key].to_numpy(), w, 0.5),
                      "p05": weighted_quantile(rows[key].to_numpy(), w, INTERVAL[0]),
                      "p95": weighted_quantile(rows[key].to_numpy(), w, INTERVAL[1])}
                for key in sim.mechanism.keys}
        models[name] = entry
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    return {
        "name": problem.spec.name,
        "pasim": list(problem.spec.pasim),  # the base pasim config: rerun draws on the same
        "generations": int(history.n_populations),
        "simulations": int(history.total_nr_simulations),
        "final_epsilon": float(populations["epsilon"].iloc[-1]),
        "models": models,
    }


def _resample(rows: pd.DataFrame, draws: int, rng: np.random.Generator) -> pd.DataFrame:
    w = rows["weight"].to_numpy()
    return rows.iloc[rng.choice(len(rows), size=draws, p=w / w.sum())]


def crps(ensemble: np.ndarray, value: float) -> float:
    """Continuous ranked probability score of an ensemble forecast (lower is better)."""
    x = np.asarray(ensemble, float)
    return float(np.mean(np.abs(x - value))
                 - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


def predictive(problem: Any, posterior: pd.DataFrame, draws: int = 100, seed: int = 1
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate posterior draws of every model: bands per group and step, CRPS per group."""
    rng = np.random.default_rng(seed)
    obs = problem.observed
    steps = np.arange(1, problem.simulators[0].horizon + 1)
    bands, scores = [], []
    for sim in problem.simulators:
        rows = posterior[posterior["model"] == sim.mechanism.name]
        if rows.empty:
            continue
        curves = np.stack([
            sim.curve(sim.times(row, int(rng.integers(2**62))), steps)
            for _, row in _resample(rows, draws, rng)[sim.mechanism.keys].iterrows()])
        for g, group in enumerate(obs.groups):
            q = np.quantile(curves[:, g, :], [0.5, BAND[0], BAND[1]], axis=0)
            bands.append(pd.DataFrame({"model": sim.mechanism.name, "group": group,
                                       "step": steps, "median": q[0], "p10": q[1],
                                       "p90": q[2]}))
            at = np.searchsorted(steps, obs.steps)
            score = np.mean([crps(curves[:, g, k], obs.curve[g, j])
                             for j, k in enumerate(at)])
            scores.append({"model": sim.mechanism.name, "group": group, "crps": score,
                           "held_out": g in sim.holdout})
    return pd.concat(bands, ignore_index=True), pd.DataFrame(scores)


def observed_frame(problem: Any) -> pd.DataFrame:
    obs = problem.observed
    held = problem.simulators[0].holdout
    return pd.concat([pd.DataFrame({"group": group, "step": obs.steps, "share": obs.curve[g],
                                    "held_out": g in held})
                      for g, group in enumerate(obs.groups)], ignore_index=True)


def markdown(record: dict[str, Any], scores: pd.DataFrame) -> str:
    """The summary a reader takes away: which model, which values, how sure."""
    lines = [f"# Calibration {record['name']}", "",
             f"{record['generations']} ABC-SMC generations, {record['simulations']:,} "
             f"simulations, final tolerance {record['final_epsilon']:.4f}.", "",
             "| model | probability | particles | ESS | parameter | median | 90 % interval |",
             "|---|---|---|---|---|---|---|"]
    for name, m in record["models"].items():
        params = m.get("parameters") or {"–": None}
        for k, (key, p) in enumerate(params.items()):
            head = (f"| {name} | {m['probability']:.3f} | {m['particles']} | "
                    f"{m.get('ess', 0):.0f} " if k == 0 else "| | | | ")
            cell = "| – | – |" if p is None else \
                f"| {p['median']:.4g} | {p['p05']:.4g} – {p['p95']:.4g} |"
            lines.append(f"{head}| {key} {cell}")
    if len(scores):
        lines += ["", "Posterior-predictive CRPS of the cumulative share adopted (mean over "
                  "steps; lower is better):", "",
                  "| model | " + " | ".join(
                      f"{g}{' (held out)' if h else ''}" for g, h in
                      scores.drop_duplicates("group")[["group", "held_out"]].itertuples(
                          index=False)) + " | mean |",
                  "|---|" + "---|" * (scores["group"].nunique() + 1)]
        for model, rows in scores.groupby("model", sort=False):
            cells = " | ".join(f"{v:.4f}" for v in rows["crps"])
            lines.append(f"| {model} | {cells} | {rows['crps'].mean():.4f} |")
    return "\n".join(lines) + "\n"


def write_all(history: Any, problem: Any, out: Path, draws: int = 100,
              echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Every output file of a finished calibration; the summary record."""
    posterior = posterior_table(history, [s.mechanism for s in problem.simulators])
    record = summary_record(posterior, history, problem)
    bands, scores = predictive(problem, posterior, draws, seed=int(problem.spec.abc["seed"]))
    record["crps"] = scores.to_dict(orient="records")
    io.write_table(out / POSTERIOR, posterior)
    io.write_table(out / "predictive.parquet", bands)
    predictive_figure(bands, observed_frame(problem), out / "posterior_predictive.png",
                      problem.spec.name, problem.spec.observed.get("group"))
    for sim in problem.simulators:
        rows = posterior[posterior["model"] == sim.mechanism.name]
        if len(rows) > 1:
            pairs_figure(rows[sim.mechanism.keys], rows["weight"].to_numpy(),
                         out / f"pairs_{sim.mechanism.name}.png",
                         f"{problem.spec.name}, {sim.mechanism.name}")
    text = markdown(record, scores)
    io.write_text(out / "summary.md", text)
    io.write_json(out / SUMMARY, record)
    echo(text)
    echo(f"written to {out}")
    return record
