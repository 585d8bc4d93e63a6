"""Parameter recovery: does the calibration find the values that made the data?

For each repeat, true parameters are drawn from the prior, pasim simulates data with them
(through the same ``Simulator`` the fit uses), and the calibration is run on those data as a
user would run it: from a calibration config, through the observed-data loader. Over many
repeats the posterior's central 90 % interval should contain the true value in at least
90 % of them (ABC's tolerance widens the posterior; a small population's Monte Carlo error in
the interval's ends can narrow it). Two setups:

- ``clustered``: a small clustered network (6 clusters of 10), data given as a time series
  of cumulative adopters per cluster (a CSV: the ``series`` form);
- ``file``: the Medical Innovation network, data given as node adoption times in its node
  table (empty = never: the ``node_times`` form).

    python -m sim.analysis.calibration.recovery --setup clustered --repeats 20
    python -m sim.analysis.calibration.recovery --setup file --repeats 20 --out results/recovery

Writes ``recovery_<setup>.csv`` (one row per repeat and parameter: truth, median, interval,
covered) and prints the coverage per parameter. Rerunning the command with the same ``--out``,
seed and settings keeps the repeats already written and fits only the missing ones (each
repeat's truth and seeds are drawn up front, so they do not depend on which were skipped).
With ``--cores 1`` a study is reproducible exactly; on several cores pyABC's sampler keeps
the first particles its workers return, which depends on timing, so the intervals (and a few
hits) differ from run to run.
"""

from __future__ import annotations

import argparse
import copy
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.calibration import fit, outputs, spec
from sim.errors import InputError
from sim.runs import results as io

PRIORS = {
    "model.spontaneous_rate": {"prior": "log_uniform", "low": 0.005, "high": 0.1},
    "model.adoption_rate": {"prior": "uniform", "low": 0.1, "high": 1.0},
}
ABC = {"population_size": 60, "generations": 4, "min_acceptance": 0.02, "cores": None}
STEPS = 20


def setup_config(setup: str, size: int = 10, clusters: int = 6) -> dict[str, Any]:
    """The calibration config of a setup, before its data exist (the data paths are set per
    repeat)."""
    if setup == "clustered":
        pasim = ["network=clustered", f"network.clusters={clusters}", f"network.size={size}",
                 "network.seed=7", "seeding=none", f"steps={STEPS}", "figure=false"]
        observed = {"series": None, "group": "cluster"}
    elif setup == "file":
        pasim = ["network=file", "network.path=pasim-data:diffusion/medical_innovation_edges.csv",
                 "network.nodes=NODES", "network.id_column=node", "network.weight=null",
                 "seeding=none", f"steps={STEPS}", "mechanisms=none", "figure=false"]
        observed = {"node_times": "adoption_time", "group": "community"}
    else:
        raise InputError(f"--setup: must be clustered or file (got {setup!r})")
    return {"name": f"recovery_{setup}", "pasim": pasim, "observed": observed,
            "parameters": copy.deepcopy(PRIORS), "statistics": {"curve": 1.0, "exposure": 1.0},
            "abc": dict(ABC), "predictive_draws": 2}


def _truth(rng: np.random.Generator) -> dict[str, float]:
    out = {}
    for key, p in PRIORS.items():
        if p["prior"] == "log_uniform":
            out[key] = float(np.exp(rng.uniform(np.log(p["low"]), np.log(p["high"]))))
        else:
            out[key] = float(rng.uniform(p["low"], p["high"]))
    return out


def _write_data(cfg: dict[str, Any], problem: fit.Problem, truth: dict[str, float],
                seed: int, folder: Path) -> dict[str, Any]:
    """Simulate the data with ``truth``; the config pointing at them."""
    sim = problem.simulators[0]
    times = sim.times(truth, seed)
    cfg = copy.deepcopy(cfg)
    if "series" in cfg["observed"]:
        curve = sim.curve(times)
        rows = [{"step": int(step), "cluster": group,
                 "adopters": int(round(curve[g, k] * problem.observed.sizes[g]))}
                for g, group in enumerate(problem.observed.groups)
                for k, step in enumerate(problem.observed.steps)]
        path = folder / "series.csv"
        pd.DataFrame(rows).to_csv(path, index=False)
        cfg["observed"]["series"] = str(path)
    else:
        nodes = pd.read_csv(spec.DATA_DIR / "diffusion" / "medical_innovation_nodes.csv")
        nodes["adoption_time"] = [None if np.isinf(t) else int(t) for t in times]
        path = folder / "nodes.csv"
        nodes.to_csv(path, index=False)
        cfg["pasim"] = [o.replace("NODES", str(path)) for o in cfg["pasim"]]
    return cfg


def _template_problem(cfg: dict[str, Any], folder: Path, clusters: int) -> fit.Problem:
    """A problem on the setup's network with placeholder data (to simulate the truth)."""
    cfg = copy.deepcopy(cfg)
    if "series" in cfg["observed"]:
        path = folder / "placeholder.csv"  # every step of every cluster: the data's shape
        pd.DataFrame([{"step": step, "adopters": 0, "cluster": c}
                      for c in range(clusters) for step in range(1, STEPS + 1)]).to_csv(
            path, index=False)
        cfg["observed"]["series"] = str(path)
        return fit.prepare(spec.parse(cfg))
    nodes = spec.DATA_DIR / "diffusion" / "medical_innovation_nodes.csv"
    cfg["pasim"] = [o.replace("NODES", str(nodes)) for o in cfg["pasim"]]
    cfg["observed"]["never"] = 18
    return fit.prepare(spec.parse(cfg))


def draws(repeats: int, seed: int) -> list[tuple[dict[str, float], int, int]]:
    """Each repeat's truth, data seed and ABC seed, all drawn up front from ``seed``: repeat
    r's data are the same however many repeats are run, skipped or resumed."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(repeats):  # the order of draws within a repeat is part of the results
        truth = _truth(rng)
        out.append((truth, int(rng.integers(2**62)), int(rng.integers(2**31))))
    return out


def _done(path: Path, setup: str, seed: int, abc: dict[str, Any], size: int,
          clusters: int) -> pd.DataFrame:
    """The complete repeats of an earlier run in ``path`` (none if there is no file); an
    error if it was run with other settings, so that a changed study is never mixed with an
    old one."""
    if not path.exists():
        return pd.DataFrame()
    table = pd.read_csv(path)
    if table.empty:
        return table
    settings = {"seed": seed, "population_size": abc["population_size"],
                "generations": abc["generations"], "size": size, "clusters": clusters}
    if (table["setup"] != setup).any() or any(
            name not in table or (table[name] != value).any() for name, value in settings.items()):
        raise InputError(f"{path} holds a recovery study with other settings than "
                         f"{settings}; give another --out or remove it")
    counts = table.groupby("repeat")["parameter"].nunique()
    complete = counts.index[counts == len(PRIORS)]  # a repeat interrupted mid-write is redone
    return table[table["repeat"].isin(complete)]


def recover(setup: str, repeats: int, out: Path, seed: int = 1,
            abc: dict[str, Any] | None = None, size: int = 10, clusters: int = 6,
            echo: Callable[[str], None] = print) -> pd.DataFrame:
    """Run ``repeats`` synthetic calibrations; one row per repeat and parameter.

    Resumable: the repeats already in ``out/recovery_<setup>.csv`` (same seed and settings)
    are kept and not refitted."""
    cfg = setup_config(setup, size, clusters)
    cfg["abc"].update(abc or {})
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"recovery_{setup}.csv"
    done = _done(path, setup, seed, cfg["abc"], size, clusters)
    rows = done.to_dict("records")
    skip = set(done["repeat"]) if len(done) else set()
    if skip:
        echo(f"{setup}: {len(skip)} repeat(s) already in {path}, kept")
    template = _template_problem(cfg, out, clusters)
    for r, (truth, data_seed, abc_seed) in enumerate(draws(repeats, seed)):
        if r in skip:
            continue
        folder = out / f"{setup}_{r:03d}"
        folder.mkdir(exist_ok=True)
        (folder / "history.db").unlink(missing_ok=True)  # an interrupted fit starts afresh
        data_cfg = _write_data(cfg, template, truth, data_seed, folder)
        data_cfg["abc"]["seed"] = abc_seed
        problem = fit.prepare(spec.parse(data_cfg))
        history = fit.run_abc(problem, folder, progress=False, echo=lambda *_: None)
        posterior = outputs.posterior_table(history, [problem.simulators[0].mechanism])
        w = posterior["weight"].to_numpy()
        new = []
        for key, value in truth.items():
            lo, mid, hi = (outputs.weighted_quantile(posterior[key].to_numpy(), w, q)
                           for q in (0.05, 0.5, 0.95))
            new.append({"setup": setup, "repeat": r, "parameter": key, "truth": value,
                        "median": mid, "p05": lo, "p95": hi, "covered": lo <= value <= hi,
                        "seed": seed, "population_size": cfg["abc"]["population_size"],
                        "generations": cfg["abc"]["generations"], "size": size,
                        "clusters": clusters})
        rows += new
        echo(f"{setup} repeat {r + 1}/{repeats}: " + ", ".join(
            f"{row['parameter']} {row['truth']:.3g} in [{row['p05']:.3g}, {row['p95']:.3g}]"
            for row in new))
        table = pd.DataFrame(rows).sort_values(["repeat", "parameter"], kind="stable")
        # so far, atomically: an interrupted study resumes from here
        io.atomic_write(path, lambda p, t=table: t.to_csv(p, index=False))
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(["repeat", "parameter"], kind="stable")
    return table[table["repeat"] < repeats].reset_index(drop=True)


def coverage_text(table: pd.DataFrame) -> str:
    by = table.groupby("parameter")["covered"].agg(["mean", "count"])
    return "\n".join(f"{name}: 90 % interval covers the truth in {int(r['mean'] * r['count'])}"
                     f"/{int(r['count'])} repeats ({r['mean']:.0%})" for name, r in by.iterrows())


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sim.analysis.calibration.recovery``: the coverage study."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=("clustered", "file"), default="clustered")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--population", type=int, default=ABC["population_size"])
    parser.add_argument("--generations", type=int, default=ABC["generations"])
    parser.add_argument("--cores", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results/recovery"))
    args = parser.parse_args(argv)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    try:
        table = recover(args.setup, args.repeats, args.out, args.seed,
                        {"population_size": args.population, "generations": args.generations,
                         "cores": args.cores})
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(coverage_text(table))


if __name__ == "__main__":
    main()
