"""notebooks/calibration.ipynb runs top to bottom on a small calibration result, the way
tests/test_notebooks.py runs the others (parameters injected, fresh kernel, no errors)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("pyabc")
from nbclient import NotebookClient  # noqa: E402

from sim.analysis.calibration import workflow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _with_parameters():
    spec = importlib.util.spec_from_file_location("notebook_tests",
                                                  ROOT / "tests" / "test_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.with_parameters


def test_calibration_notebook_runs_on_a_small_result(tmp_path) -> None:
    out = tmp_path / "fit"
    workflow.run("medical_innovation", ["use=external,simple", "abc.population_size=20",
                                   "abc.generations=1", "abc.cores=1", "predictive_draws=10"],
            out, progress=False, echo=lambda *_: None)
    notebook = nbformat.read(ROOT / "notebooks" / "calibration.ipynb", as_version=4)
    assert not [c for c in notebook.cells if c.cell_type == "code" and c.outputs], \
        "notebooks are stored without outputs"
    _with_parameters()(notebook, {"result_dir": str(out), "replicates": 4, "seed_leaders": 3,
                                  "horizon": 4})
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    text = "".join(str(o.get("data", {}).get("text/markdown", "")) for c in notebook.cells
                   if c.cell_type == "code" for o in c.outputs)
    assert "| seed leaders |" in text, "the decision table is shown"
