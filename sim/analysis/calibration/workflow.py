"""One calibration end to end: load its config, check everything, fit (ABC-SMC, resumable
from the stored history), write every output. ``pasim-calibrate`` (``sim.commands.calibrate``)
is the command line for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def run(name: str, overrides: Sequence[str] = (), out: Path | None = None,
        progress: bool = True, echo=print) -> dict:
    """Check, fit, write; the summary record."""
    from sim.analysis.calibration import fit, outputs, spec

    calibration = spec.load(name, overrides)
    problem = fit.prepare(calibration)  # every check before anything is written
    out = Path(out or calibration.out or Path("results") / "calibration" / calibration.name)
    models = ", ".join(s.mechanism.name for s in problem.simulators)
    echo(f"calibrating {calibration.name}: {models} on {problem.network.n} nodes, "
         f"{problem.simulators[0].horizon} steps -> {out}")
    history = fit.run_abc(problem, out, progress=progress, echo=echo)
    return outputs.write_all(history, problem, out, calibration.predictive_draws, echo=echo)
