"""The explorer in a real browser: Debian's Chromium driven headless by Playwright.

A ``pasim-explore`` server runs on a free localhost port in a temporary directory (so its
runs land there) on a small England; each page must load without console errors and do
its job. Screenshots go to ``results/test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("solara")

from test_explore import SMALL, small_sweep  # noqa: E402, F401  (a fixture)

CHROMIUM = "/usr/bin/chromium"
#: what works here: no sandbox as root, no GPU, and no background connections (refused)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "results" / "test-artifacts"
WAIT_MS = 90_000  # generous: a busy 2-core machine

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"needs Chromium at {CHROMIUM} (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``pasim-explore`` on a free port, 2 replicates of a small England per run."""
    cwd = tmp_path_factory.mktemp("explore")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "sim.commands.explore", "--port", str(port),
                             "--host", "127.0.0.1", *SMALL, "replicates=2"],
                            cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # its worker pool goes down with it
    url = f"http://127.0.0.1:{port}"
    assert proc.stdout.readline().strip() == f"pasim explorer: http://127.0.0.1:{port}/"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            time.sleep(0.5)
    else:
        _stop(proc)
        pytest.fail("pasim-explore did not answer within 120 s")
    yield url, cwd
    _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server, then whatever it started (its replicate workers) in its session:
    left running, they would hold the test run's output open after it ends."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page that records console errors and uncaught exceptions."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(WAIT_MS)
    yield page
    page.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def test_scenario_page_lever_change_and_run_update_chart_and_cost(server, page):
    url, cwd = server
    page.goto(url)
    page.wait_for_selector(".planned-cost")
    run = page.locator(".run-button")
    run.click()
    page.wait_for_selector(".run-status:has-text('done · written to')")
    first_status = _text(page, ".run-status")
    first_cost = _text(page, ".metric-value")
    first_chart = page.locator(".v-image, img").first.get_attribute("src")
    planned = _text(page, ".planned-cost")
    slider = page.locator(".lever-champions [role=slider]").first
    slider.focus()
    slider.press("ArrowRight")  # 1 -> 2 champions per ICS
    page.wait_for_function(
        "([s, t]) => document.querySelector(s).innerText !== t", arg=[".planned-cost", planned])
    assert "levers.champions.per_system=2" in _text(page, ".command-line")
    run.click()
    page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s);"
        " return e && e.innerText !== t && e.innerText.includes('done · written to'); }",
        arg=[".run-status", first_status])
    assert _text(page, ".metric-value") != first_cost  # total cost: more champions
    assert page.locator(".v-image, img").first.get_attribute("src") != first_chart
    written = re.search(r"written to (\S+)", _text(page, ".run-status")).group(1)
    assert (cwd / written).is_dir()  # under the server's own cwd, not the repository
    _shot(page, "scenario")
    assert page.errors == []


def test_network_page_narrow_bridge_stops_a_threshold_two_contagion(server, page):
    url, _ = server
    page.goto(f"{url}/network")
    page.wait_for_selector(".network-status:has-text('step 0')")
    page.get_by_role("button", name="▶").click()
    page.wait_for_selector(".network-status:has-text('stopped')")
    status = _text(page, ".network-status")
    adopted, total = map(int, re.search(r"adopted (\d+) of (\d+)", status).groups())
    assert adopted <= 10 < total  # the seed cluster (8) and no further
    _shot(page, "network")
    assert page.errors == []


def test_sweep_page_draws_a_heatmap(server, page, small_sweep):  # noqa: F811
    url, _ = server
    page.goto(f"{url}/sweep")
    page.get_by_label("Sweep directory (holds runs.parquet)").fill(str(small_sweep))
    page.locator(".open-sweep").click()
    page.wait_for_selector(".sweep-summary:has-text('8 runs')")
    page.wait_for_selector(".sweep-heatmap")
    _shot(page, "sweep")
    assert page.errors == []
