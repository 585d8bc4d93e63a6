"""The explorer without a browser: settings -> configs, planned costs, runs, saved scenarios,
and the scenario page rendered by Solara's test renderer."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("solara")

from sim.explore import scenario as sc  # noqa: E402


def _small_england() -> tuple[str, ...]:
    """A small synthetic England (about 600 agents) and a short horizon: seconds, not
    minutes. The synthetic generator is ``network=england_synthetic`` where the real England
    has taken the name ``england``."""
    from sim.runs.config import CONFIG_DIR

    synthetic = (Path(CONFIG_DIR) / "network" / "england_synthetic.yaml").is_file()
    return (*(["network=england_synthetic"] if synthetic else []),
            "network.nhs_trusts_per_system=1", "network.pcns_per_system=2",
            "network.local_authorities_per_system=1", "network.leisure_providers_per_system=1",
            "network.vcs_organisations_per_system=1", "network.community_groups_per_system=1",
            "steps=130")


SMALL = _small_england()


def small(scenario: str = "recommended", **levers) -> sc.Settings:
    return sc.Settings(scenario=scenario, levers=levers, replicates=2, extra=SMALL)


def test_scalar_settings_compose_as_the_command_line_would():
    """The page sets scalar levers on a composed copy; pasim composes the overrides with
    Hydra. Both must give the same config, or the shown command line would lie."""
    from sim.analysis.compare import compose
    from sim.runs.config import validate

    settings = small("anhss_2021_22", **{"levers.convening.strategy": "random",
                                         "levers.convening.budget": 55.0,
                                         "levers.champions.per_system": 2,
                                         "levers/events": "purposeful"})
    overrides = sc.command_line(settings).split()[2:]
    assert sc.scenario_config(settings) == validate(compose("anhss_2021_22", overrides))


@pytest.mark.parametrize("scenario, levers", [
    ("recommended", {}),
    ("anhss_2021_22", {"levers.data.share": 0.5, "levers.convening.strategy": "random",
                       "levers.convening.budget": 55.0}),
    ("baseline", {"levers.shared_goals.strength": 0.3, "levers.champions.per_system": 2}),
])
def test_planned_cost_is_what_the_run_charges(scenario, levers):
    from sim.runs.runner import simulate_replicate

    config = sc.scenario_config(small(scenario, **levers))
    planned = sc.planned_total(config)
    summary = simulate_replicate(config, 0).summary
    for lever, cost in planned.items():
        assert summary[f"cost_{lever}"] == pytest.approx(cost), lever
    assert summary["cost"] == pytest.approx(sum(planned.values()))


def test_bad_lever_value_is_one_line_naming_the_key():
    with pytest.raises(sc.InputError, match=r"^levers\.data\.share"):
        sc.scenario_config(small(**{"levers.data.share": 1.5}))


def test_baseline_is_matched_and_levers_off():
    settings = small(**{"levers.convening.budget": 300.0})
    scen, base = sc.scenario_config(settings), sc.baseline_config(settings)
    assert {k: v for k, v in scen.items() if k not in ("levers", "title")} == \
        {k: v for k, v in base.items() if k not in ("levers", "title")}
    assert sum(sc.planned_total(base).values()) == 0.0


def test_run_gives_the_cli_numbers_and_writes_cli_files(tmp_path, monkeypatch):
    """Replicates run one at a time in worker processes, yet equal ``simulate``'s; both
    sides are written as CLI run directories under results/explore/ of the cwd."""
    from sim.runs.runner import simulate

    monkeypatch.chdir(tmp_path)
    settings = small(**{"levers.convening.budget": 300.0})
    scen, base = sc.scenario_config(settings), sc.baseline_config(settings)
    seen = []
    progress = sc.run(scen, base, lambda p: seen.append(len(p.paired)), threading.Event())
    assert progress.done and seen[-1] == 2 and 1 in seen  # shown before the last finished
    expected = simulate(scen).summary.drop(columns="runtime_s")
    got = sc.summaries(progress)
    got = got[got["scenario"] == "scenario"].drop(columns=["runtime_s", "scenario"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False)
    out = progress.out_dir
    assert out.resolve().parent == (tmp_path / "results" / "explore").resolve()
    for side in out.iterdir():
        assert {p.name for p in side.iterdir()} >= {"config.yaml", "timeseries.parquet",
                                                     "groups.parquet", "summary.json",
                                                     "adoption.png"}


def test_cancel_stops_before_every_replicate_ran():
    settings = sc.Settings(scenario="recommended", replicates=12, extra=SMALL, seed=7)
    cancel = threading.Event()

    def on_progress(p):
        if p.scenario:
            cancel.set()

    progress = sc.run(sc.scenario_config(settings), sc.baseline_config(settings),
                      on_progress, cancel, write=False)
    assert progress.cancelled and len(progress.scenario) < 12 and progress.out_dir is None


def test_saved_scenario_runs_with_pasim(tmp_path):
    settings = small("baseline", **{"levers.shared_goals.strength": 0.4,
                                    "levers/events": "anhss_2021_22"})
    path = sc.save_scenario(settings, "Goal and events", root=tmp_path)
    assert path == tmp_path / "scenario" / "goal_and_events.yaml"
    expected = sc.scenario_config(settings)
    # pasim composes it (its own preflight included) and runs it
    cmd = [sys.executable, "-m", "sim.commands.cli", "--config-dir", str(tmp_path),
           "scenario=goal_and_events", *SMALL, "replicates=2", "seed=1",
           f"hydra.run.dir={tmp_path / 'run'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    import yaml

    written = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert written["levers"] == expected["levers"]
    assert written["title"] == "Goal and events"


def test_user_scenario_file_is_a_base(tmp_path):
    path = sc.save_scenario(small("baseline", **{"levers.data.share": 0.25}), "Data quarter",
                            root=tmp_path)
    config = sc.scenario_config(sc.Settings(scenario=str(path), extra=SMALL, replicates=2))
    assert config["levers"]["data"]["share"] == 0.25
    assert "--config-dir" in sc.command_line(sc.Settings(scenario=str(path)))
    with pytest.raises(sc.InputError, match="^scenario: no such scenario file"):
        sc.scenario_config(sc.Settings(scenario=str(tmp_path / "missing.yaml")))


def _texts(rc, cls):
    import ipyvuetify as v

    return [w.children[0] for w in rc.find(v.Html, class_=cls).widgets]


def _wait(predicate, timeout=400.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_scenario_page_lever_change_updates_cost_and_run_shows_results(tmp_path,
                                                                       monkeypatch):
    import ipyvuetify as v
    import ipywidgets
    import solara

    from sim.explore import scenario_page

    monkeypatch.chdir(tmp_path)
    initial = sc.Settings(replicates=2, extra=SMALL)
    box, rc = solara.render(scenario_page.ScenarioPage(initial), handle_error=False)
    run = rc.find(v.Btn, children=["Run"]).widget
    run.click()
    assert _wait(lambda: any("done · written to" in t for t in _texts(rc, "run-status")))
    first_status, first_cost = _texts(rc, "run-status")[0], _texts(rc, "metric-value")[0]
    assert first_cost.startswith("£") and first_cost != "£0k"
    assert len(rc.find(ipywidgets.Image).widgets) == 4  # the charts
    before = _texts(rc, "planned-cost")[0]
    rc.find(v.Slider, label="Champions per ICS").widget.v_model = 3
    assert _wait(lambda: _texts(rc, "planned-cost")[0] != before)
    assert "levers.champions.per_system=3" in _texts(rc, "command-line")[0]
    run.click()  # the second run must use the changed lever, not the first settings
    assert _wait(lambda: _texts(rc, "run-status")[0] != first_status
                 and "done · written to" in _texts(rc, "run-status")[0])
    assert _texts(rc, "metric-value")[0] != first_cost


# ------------------------------------------------------------------------------------------
# network page


def _play(model, steps=30):
    while model.running and model.world.steps < steps:
        model.step()
    return model


def test_narrow_bridge_stops_threshold_two_wide_one_carries_it():
    from sim.explore.network_page import CLUSTER_SIZE, NetworkDemo

    narrow = _play(NetworkDemo(network="clustered", threshold=2, width=1))
    wide = _play(NetworkDemo(network="clustered", threshold=2, width=2))
    assert not narrow.running and narrow.adopted <= CLUSTER_SIZE + 2  # the seed cluster only
    assert wide.adopted == wide.world.n


def test_network_positions_are_computed_once_and_every_agent_is_drawn():
    from sim.explore.network_page import NetworkDemo, positions

    first = NetworkDemo(network="ring_lattice", rewiring=0.1)
    misses = positions.cache_info().misses
    second = NetworkDemo(network="ring_lattice", rewiring=0.1)
    assert positions.cache_info().misses == misses
    assert first.grid.G.graph["positions"] is second.grid.G.graph["positions"]
    assert len(first.grid.get_all_cell_contents()) == first.world.n


def test_network_page_renders_with_mesa_solaraviz():
    import solara

    from sim.explore.network_page import NetworkPage

    box, rc = solara.render(NetworkPage(), handle_error=False)
    assert _texts(rc, "network-status")[0].startswith("step 0 · adopted")


# ------------------------------------------------------------------------------------------
# sweep page


@pytest.fixture(scope="session")
def small_sweep(tmp_path_factory):
    """A 4-setting sweep of a tiny clustered network, made by ``pasim -m`` itself."""
    root = tmp_path_factory.mktemp("sweep")
    cmd = [sys.executable, "-m", "sim.commands.cli", "-m", "network=clustered",
           "network.clusters=4",
           "network.size=5", "network.width=1,2", "model.threshold=1,2", "mechanisms=none",
           "steps=10", "replicates=2", "figure=false", "progress=false",
           "hydra/launcher=basic", f"hydra.sweep.dir={root / 'sweep'}"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, timeout=300)
    assert done.returncode == 0, done.stderr
    return root / "sweep"


def test_sweep_loads_and_draws_report_figures(small_sweep):
    from sim.explore.sweep_page import filtered, frontier_png, heatmap_png, load_sweep

    runs, params, metrics = load_sweep(str(small_sweep))
    assert set(params) == {"network.width", "model.threshold"} and len(runs) == 8
    assert "final_adoption" in metrics
    assert heatmap_png(runs, params, "final_adoption", *params).startswith(b"\x89PNG")
    assert frontier_png(runs, params).startswith(b"\x89PNG")
    assert len(filtered(runs, "network.width", "2")) == 4


def test_sweep_page_bad_folder_is_one_line(tmp_path):
    from sim.explore.sweep_page import load_sweep

    with pytest.raises(sc.InputError, match="^path: .* is not a sweep directory"):
        load_sweep(str(tmp_path))


def test_sweep_page_renders_heatmap_and_filters(small_sweep):
    import ipyvuetify as v
    import ipywidgets
    import solara

    from sim.explore.sweep_page import SweepPage

    box, rc = solara.render(SweepPage(str(small_sweep)), handle_error=False)
    assert _texts(rc, "sweep-summary")[0].startswith("8 runs")
    assert len(rc.find(ipywidgets.Image).widgets) == 2  # heatmap and frontier
    rc.find(v.Select, label="equal to").widget.v_model = "1"
    assert _wait(lambda: _texts(rc, "sweep-count")[0] == "4 of 8 runs")


# ------------------------------------------------------------------------------------------
# the launcher


@pytest.mark.parametrize("argv, message", [
    (["--port", "0"], "--port: must be an integer from 1 to 65535"),
    (["model.noise=5"], "model.noise: must be a number in [0, 1]"),
    (["replicates"], "replicates: arguments are key=value overrides"),
])
def test_launcher_bad_input_is_one_line_and_status_2(argv, message, capsys, monkeypatch):
    from sim.commands import explore as explore_command

    monkeypatch.delenv(sc.OVERRIDES_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_:
        explore_command.main(argv)
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and "\n" not in err and message in err
    monkeypatch.delenv(sc.OVERRIDES_ENV, raising=False)
