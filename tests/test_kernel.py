"""The compiled step (``sim.engine.loops``, numba) gives exactly the NumPy step's numbers:
the same runs, step by step, on random networks with every mechanism, on batches whose rates
differ and change, and on England with every lever; and the backend is chosen as documented.

The rest of the suite runs with the default backend (numba when installed, as here), so the
reference-model and batch tests check the compiled step too; these tests tie it to the NumPy
step, which they in turn check the NumPy step against when ``PASIM_KERNEL=numpy``."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_batch import assert_same_run, small_models
from test_reference import cases

from sim import AdoptionModel
from sim.analysis.compare import compose
from sim.engine import kernel
from sim.engine.batch import Batch
from sim.engine.streams import DECISIONS, AgentDraws
from sim.networks import build_network
from sim.runs.config import validate
from sim.world.build import build_model


def test_the_suite_steps_with_the_compiled_loops() -> None:
    """numba is a dependency: without this, every exactness test would check NumPy only."""
    assert kernel.backend() == "numba"


def test_the_compiled_step_keys_are_the_streams_keys() -> None:
    draws = [AgentDraws(seed, 5) for seed in (0, 7, 2**40 + 3)]
    steps = np.array([0, 1, 10**6], dtype=np.int64)
    keys = kernel.call("step_keys")(np.stack([d.base_keys for d in draws]), steps)
    for r, d in enumerate(draws):
        for c, decision in enumerate(DECISIONS):
            assert keys[r, c] == d.step_key(decision, int(steps[r]))


def _run_case(case: dict, backend: str) -> AdoptionModel:
    options = {k: case[k] for k in ("influence", "coherence", "alignment", "adoption_rate",
                                    "noise", "spontaneous_rate", "lapse_rate", "seed",
                                    "threshold", "threshold_kind", "initial_adopters",
                                    "committed")}
    with kernel.use(backend):
        model = AdoptionModel(graph=case["network"], seeds_committed=False, track=["sector"],
                              **options)
        for step in range(1, 16):
            for before, pairs, weight, lifetime in case["ties"]:
                if before == step:
                    u, v = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
                    model.add_ties(u, v, weight=weight, lifetime=lifetime)
            model.step()
    return model


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_compiled_and_numpy_steps_give_identical_runs(case: dict) -> None:
    assert_same_run(_run_case(case, "numpy"), _run_case(case, "numba"))


@pytest.mark.parametrize("kind", ["count", "fraction"])
def test_a_compiled_batch_equals_numpy_alone(kind: str) -> None:
    """Rates that differ between rows and change every step, ties built and fading."""
    with kernel.use("numpy"):
        alone = [m.run(40) for m in small_models(kind, seed=5)]
    with kernel.use("numba"):
        batched = small_models(kind, seed=5)
        Batch(batched).run(40)
    assert max(m.history["lapsed"].sum() for m in alone) > 0, "lapse is exercised"
    assert max(m.ties_built for m in alone) > 0, "built ties are exercised"
    for a, b in zip(alone, batched, strict=True):
        assert_same_run(a, b)


@pytest.mark.parametrize("scenario", ["recommended", "baseline"])
def test_england_runs_the_same_compiled(scenario: str) -> None:
    cfg = validate(compose(scenario, ["network.seed=0", "steps=130"]))
    net = build_network("england", **{k: v for k, v in cfg["network"].items() if k != "name"})
    runs = {}
    for backend in kernel.BACKENDS:
        with kernel.use(backend):
            runs[backend] = build_model(cfg, net, seed=3).run(cfg["steps"])
    assert runs["numpy"].history["new_adopters"].sum() > 100, "a run with something in it"
    assert_same_run(runs["numpy"], runs["numba"])


def test_a_bad_kernel_choice_is_one_line_before_anything_is_written(tmp_path) -> None:
    env = {**os.environ, "PASIM_KERNEL": "fortran"}
    done = subprocess.run([sys.executable, "-m", "sim.commands.cli", "network=ring_lattice",
                           f"hydra.run.dir={tmp_path / 'out'}"], env=env, capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "error: PASIM_KERNEL: must be one of numba, numpy (got 'fortran')"
    assert not (tmp_path / "out").exists()


def test_the_numpy_fallback_is_chosen_by_the_environment() -> None:
    code = "from sim.engine import kernel; print(kernel.backend())"
    env = {**os.environ, "PASIM_KERNEL": "numpy"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.strip() == "numpy"
