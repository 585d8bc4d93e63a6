"""Smoke test of ``benchmarks.run``: the machinery works and the three engines agree.

It runs the real child processes at a tiny size (n=2,000, 5 steps), so a change that makes
ours, the per-agent Mesa loop and NDlib disagree, or that breaks the report, fails here
rather than in a 10-minute benchmark run. Timings at this size are noise: none is asserted.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
N, STEPS = 2_000, 5


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    # ``benchmarks`` sits next to ``sim`` but is not installed; ``pytest`` (unlike
    # ``python -m pytest``) does not put the project root on sys.path.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("benchmarks.run")


@pytest.fixture(scope="module")
def quick(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    out = tmp_path_factory.mktemp("bench") / "quick.md"
    config, _ = bench.parse_args(["--quick", "--sizes", str(N), "--steps", str(STEPS),
                                  "--target-n", str(N), "--scaling-sizes", str(N),
                                  "--out", str(out)])
    return bench.execute(config), out


def test_engines_agree_step_by_step(bench: ModuleType, quick: tuple) -> None:
    report, _ = quick
    (size,) = report.sizes
    results = [size.results[e] for e in bench.ENGINES]
    trajectory = results[0].trajectory
    assert len(trajectory) == STEPS + 1
    assert trajectory[-1] > trajectory[0], "the seed set must cascade, or steps do no work"
    for res in results:
        assert res.n == N and res.steps == STEPS
        assert res.trajectory == trajectory
        assert res.graph_hash == results[0].graph_hash
        assert res.seeds_hash == results[0].seeds_hash
        assert res.final_hash == results[0].final_hash
    size.check()


def test_report_has_the_expected_rows(bench: ModuleType, quick: tuple) -> None:
    report, out = quick
    text = out.read_text()
    assert text == bench.render(report)
    for name in bench.ENGINE_NAMES.values():
        assert f"| {N:,} | {name} | {STEPS} |" in text
    assert f"| {N:,} | {STEPS} | " in text  # speed-up row
    assert "| identical |" in text
    target = report.target
    assert target is not None and target.adopted_final == target.adopted_expected == 609
    assert f"| {N:,} | {bench.TARGET_STEPS} |" in text and "not evaluated" in text
    assert "## From a networkx graph: ingest and end to end" in text
    ours_nx = size_of(report).results["ours_nx"]
    assert ours_nx.ingest_s > 0 and ours_nx.scipy_s > 0  # both conversions were timed
    assert ours_nx.end_to_end_s > ours_nx.total_s
    assert "## Scaling: time per step of ours against n" in text
    assert [s["n"] for s in report.scaling] == [N]


def size_of(report):
    (size,) = report.sizes
    return size


def test_disagreeing_engines_fail_loudly(bench: ModuleType, quick: tuple) -> None:
    """A benchmark of engines that compute different things must stop, not report."""
    report, _ = quick
    (size,) = report.sizes
    bad = dict(size.results)
    ndlib = bad["ndlib"]
    bad["ndlib"] = bench.EngineResult(**{**vars(ndlib),
                                         "trajectory": [*ndlib.trajectory[:-1], -1]})
    with pytest.raises(bench.BenchmarkError, match=f"differ at step {STEPS}"):
        bench.SizeResult(n=size.n, steps=size.steps, results=bad).check()
