"""``pasim-compare``: scenarios side by side (``sim.analysis.compare`` does the work).

    pasim-compare                                     # baseline vs recommended, 10 replicates
    pasim-compare scenario=baseline,anhss_2021_22,recommended replicates=20 model.noise=0.01
    pasim-compare out=results/my_comparison            # choose the output folder
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sim.analysis import compare
from sim.analysis.compare import DEFAULT_REPLICATES, DEFAULT_SCENARIOS, run
from sim.commands.arguments import key_values, one_line_errors, quiet_libraries
from sim.errors import InputError


def parse_args(argv: Sequence[str]) -> tuple[list[str], list[str], Path | None]:
    """Scenarios, shared overrides and the output folder from ``key=value`` arguments."""
    mine, overrides = key_values(argv, ("scenario", "out"),
                                 "scenario=baseline,recommended replicates=10")
    scenarios = list(DEFAULT_SCENARIOS)
    if "scenario" in mine:
        scenarios = [s.strip() for s in mine["scenario"].split(",") if s.strip()]
        if not scenarios:
            raise InputError("scenario: give one or more names, e.g. "
                             "scenario=baseline,recommended")
    if not any(o.split("=", 1)[0].lstrip("+") == "replicates" for o in overrides):
        overrides.append(f"replicates={DEFAULT_REPLICATES}")
    return scenarios, overrides, Path(mine["out"]) if "out" in mine else None


#: flags that ask for the usage instead of a comparison
HELP_FLAGS = ("-h", "--help")


def usage() -> str:
    """``pasim-compare --help``: the module's own description of the command."""
    return "usage: pasim-compare [scenario=a,b,...] [out=DIR] [key=value ...]\n\n" + \
        compare.__doc__.split("\n", 1)[1].strip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point ``pasim-compare``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in HELP_FLAGS for a in args):
        print(usage(), end="")
        return
    quiet_libraries()
    with one_line_errors():
        scenarios, overrides, out = parse_args(args)
        run(scenarios, overrides, out)



if __name__ == "__main__":
    main()
