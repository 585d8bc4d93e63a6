"""Every notebook runs top to bottom on small parameters, in a fresh kernel.

Parameters are injected the way papermill does it, without papermill: the source of the
cell tagged ``parameters`` is replaced before the notebook is executed with nbclient. The
notebooks are stored without outputs (checked here too), so they open clean in Jupyter.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

#: a sweep that runs in seconds: a small clustered network, in one process
TINY_SWEEP = [
    "network=clustered", "network.clusters=6", "network.size=8",
    "levers/convening=wide_bridges", "levers.convening.budget=0,20",
    "levers/champions=pacc", "levers.champions.placement=neighbourhood",
    "levers.champions.per_system=0,1",
    "replicates=3", "steps=30", "hydra/launcher=basic",
]


def small_parameters(name: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "quickstart": {"overrides": ["scenario=recommended"], "steps": 26, "seed": 3},
        "sweep_analysis": {"sweep_dir": str(tmp_path / "sweep"), "sweep_overrides": TINY_SWEEP,
                           "outcomes": ["final_adoption", "steps_to_50", "cost_per_new_adopter"]},
        # 130 weeks: the recommended scenario has events up to week 128
        "levers_and_equity": {"scenarios": ["baseline", "recommended"], "extra_overrides": [],
                              "replicates": 2, "steps": 130},
    }[name]


def with_parameters(notebook: nbformat.NotebookNode, values: dict[str, Any]) -> None:
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "each notebook has exactly one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    names = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    assert set(values) == names, "the test sets exactly the notebook's parameters"
    cells[0].source = "\n".join(f"{k} = {v!r}" for k, v in values.items())


@pytest.mark.parametrize("name", ["quickstart", "sweep_analysis", "levers_and_equity"])
def test_notebook_runs_on_small_parameters(name: str, tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    stored_outputs = [c for c in notebook.cells if c.cell_type == "code" and c.outputs]
    assert not stored_outputs, "notebooks are stored without outputs"
    with_parameters(notebook, small_parameters(name, tmp_path))
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, "the notebook draws its figures"
