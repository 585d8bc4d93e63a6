"""``pasim-calibrate``: fit pasim to observed diffusion (ABC-SMC), resumable.

    pasim-calibrate calibration=medical_innovation
    pasim-calibrate calibration=medical_innovation abc.population_size=100 abc.cores=2
    pasim-calibrate calibration=path/to/my.yaml out=results/calibration/mine

``calibration=`` names ``configs/calibration/<name>.yaml`` (or a YAML path); every other
``key=value`` overrides a key of that calibration config (``abc.generations=4``,
``observed.never=18`` ...), ``out=`` the output folder (default
``results/calibration/<name>``). Running the same command again resumes from the stored
history if it was interrupted (the finished generations are kept). Everything is checked
before anything runs; bad input is one line and exit status 2.
"""

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
