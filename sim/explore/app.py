"""The Solara app (``solara run sim.explore.app``); ``pasim-explore`` (``sim.commands.explore``)
launches it.

    pasim-explore                      # http://localhost:8765
    pasim-explore --port 9000 --host 0.0.0.0
    pasim-explore replicates=4 network.pcns_per_system=10   # overrides for every run

Every other argument is a Hydra override shared by the scenario and its baseline (as in
``pasim-compare``); the scenario page starts from them.

Offline by design: Solara serves its JavaScript from the installed ``solara-assets``
package through its default asset proxy, and every figure is a PNG drawn on the server.
"""

from __future__ import annotations

import threading

import solara

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


def prepare() -> None:
    """Start the workers and the first baseline while the browser opens the page."""
    from sim.explore import scenario

    threading.Thread(target=scenario.prepare, args=(scenario.initial_settings(),),
                     daemon=True, name="pasim-explore-prepare").start()

routes = [
    solara.Route(path="/", component=ScenarioPage, label="Scenario"),
    solara.Route(path="network", component=NetworkRoute, label="Network"),
    solara.Route(path="sweep", component=SweepRoute, label="Sweep"),
]
