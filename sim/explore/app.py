"""The Solara app (``solara run sim.explore.app``) and its launcher ``pasim-explore``.

    pasim-explore                      # http://localhost:8765
    pasim-explore --port 9000 --host 0.0.0.0
    pasim-explore replicates=4 network.pcns_per_system=10   # overrides for every run

Every other argument is a Hydra override shared by the scenario and its baseline (as in
``pasim-compare``); the scenario page starts from them.

Offline by design: Solara serves its JavaScript from the installed ``solara-assets``
package through its default asset proxy, and every figure is a PNG drawn on the server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
from collections.abc import Sequence

import solara

from sim.errors import InputError
from sim.explore.scenario import OVERRIDES_ENV
from sim.explore.scenario_page import ScenarioPage


def _network_page():
    from sim.explore.network_page import NetworkPage

    return NetworkPage()


def _sweep_page():
    from sim.explore.sweep_page import SweepPage

    return SweepPage()


@solara.component
def NetworkRoute():
    return _network_page()


@solara.component
def SweepRoute():
    return _sweep_page()


def _prepare() -> None:
    """Start the workers and the first baseline while the browser opens the page."""
    from sim.explore import scenario

    threading.Thread(target=scenario.prepare, args=(scenario.initial_settings(),),
                     daemon=True, name="pasim-explore-prepare").start()

routes = [
    solara.Route(path="/", component=ScenarioPage, label="Scenario"),
    solara.Route(path="network", component=NetworkRoute, label="Network"),
    solara.Route(path="sweep", component=SweepRoute, label="Sweep"),
]


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

    from sim.commands.cli import _quiet_libraries

    _quiet_libraries()
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")
    os.environ[OVERRIDES_ENV] = json.dumps(args.overrides)
    from sim.explore import scenario

    try:  # a bad override is one line now, not an error on the page later
        scenario.baseline_config(scenario.initial_settings())
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print(f"pasim explorer: http://{args.host}:{args.port}/", flush=True)
    _prepare()
    sys.argv = ["solara", "run", "sim.explore.app", "--port", str(args.port), "--host",
                args.host, "--production", "--no-open", "--no-check-version",
                "--log-level", "warning"]
    with contextlib.suppress(KeyboardInterrupt):
        solara_main()


if __name__ == "__main__":
    main()
