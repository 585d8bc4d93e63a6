"""``pasim-explore``: serve the explorer (``sim.explore.app``) in the browser."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

from sim.commands.arguments import quiet_libraries
from sim.errors import InputError


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pasim-explore",
        description="The pasim explorer in your browser: scenario levers and costs against "
                    "the matched baseline, the mechanism on a small network, sweep results. "
                    "Runs are written to results/explore/ under the current directory.")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--host", default="localhost", help="host (default localhost)")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="Hydra overrides shared by scenario and baseline, e.g. "
                             "replicates=4 steps=104")
    args = parser.parse_args(argv)
    for override in args.overrides:
        if "=" not in override:
            parser.exit(2, f"error: {override}: arguments are key=value overrides, "
                           "e.g. replicates=4\n")
    if not 0 < args.port < 65536:
        parser.exit(2, f"error: --port: must be an integer from 1 to 65535 (got {args.port})\n")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point ``pasim-explore``: print the address, then serve until Ctrl-C."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from solara.__main__ import main as solara_main

    quiet_libraries()
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")
    from sim.explore.app import prepare
    from sim.explore.scenario import OVERRIDES_ENV

    os.environ[OVERRIDES_ENV] = json.dumps(args.overrides)
    from sim.explore import scenario

    try:  # a bad override is one line now, not an error on the page later
        scenario.baseline_config(scenario.initial_settings())
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"pasim explorer: http://{args.host}:{args.port}/", flush=True)
    prepare()
    sys.argv = ["solara", "run", "sim.explore.app", "--port", str(args.port), "--host",
                args.host, "--production", "--no-open", "--no-check-version",
                "--log-level", "warning"]
    with contextlib.suppress(KeyboardInterrupt):
        solara_main()



if __name__ == "__main__":
    main()
