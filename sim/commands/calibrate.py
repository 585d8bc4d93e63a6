"""``pasim-calibrate``: fit pasim to observed diffusion (``sim.analysis.calibration``).

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

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.analysis.calibration.workflow import run
from sim.commands.arguments import key_values, one_line_errors, quiet_libraries
from sim.errors import InputError


def parse_args(argv: Sequence[str]) -> tuple[str, list[str], Path | None, bool]:
    """Calibration name, overrides of it, output folder, progress flag."""
    mine, overrides = key_values(argv, ("calibration", "out", "progress"),
                                 "calibration=medical_innovation abc.population_size=100")
    if not mine.get("calibration"):
        raise InputError("calibration: required; e.g. calibration=medical_innovation")
    progress = mine.get("progress", "true").lower() in ("1", "true", "yes")
    out = Path(mine["out"]) if "out" in mine else None
    return mine["calibration"], overrides, out, progress


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point ``pasim-calibrate``."""
    quiet_libraries()
    logging.getLogger("ABC").setLevel(logging.INFO)  # one line per generation: progress
    with one_line_errors():
        name, overrides, out, progress = parse_args(sys.argv[1:] if argv is None else argv)
        run(name, overrides, out, progress)



if __name__ == "__main__":
    main()
