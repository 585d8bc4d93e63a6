"""The package's shape, checked like its behaviour (docs/architecture.md describes it).

- the layers of ``sim/`` import only downward (the import-linter contract in pyproject.toml);
- no import cycles between modules, at any depth;
- no function longer than ~80 lines of code;
- each domain concept has one module and one config group named after it.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
#: lines of code in a function body, not counting its docstring
MAX_FUNCTION_LINES = 80

#: concept -> (the module that implements it, the config group that sets it, a word in both)
CONCEPTS = {
    "bridge": ("sim/networks/bridges.py", "configs/network/clustered.yaml", "width"),
    "convening": ("sim/world/levers/convening.py", "configs/levers/convening", "convening"),
    "shared goal": ("sim/world/levers/shared_goals.py", "configs/levers/shared_goals",
                    "shared"),
    "champion": ("sim/world/levers/champions.py", "configs/levers/champions", "champion"),
    "event": ("sim/world/levers/events.py", "configs/levers/events", "event"),
    "data": ("sim/world/levers/data.py", "configs/levers/data", "data"),
    "lapse": ("sim/world/mechanisms.py", "configs/mechanisms", "lapse"),
    "coherence": ("sim/world/mechanisms.py", "configs/mechanisms", "coherence"),
    "alignment": ("sim/world/mechanisms.py", "configs/mechanisms", "alignment"),
}


def test_layers_import_only_downward() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "KEPT" in done.stdout and "BROKEN" not in done.stdout


def import_graph() -> nx.DiGraph:
    graph = grimp.build_graph("sim", cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)
    return g


def test_no_import_cycles() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(import_graph()) if len(c) > 1]
    assert cycles == []


def test_the_cycle_check_sees_a_cycle() -> None:
    """The check above would catch one: engine.agents and engine.model used to import each
    other; the graph it builds has the edges of a real import in both directions."""
    g = import_graph()
    assert g.has_edge("sim.engine.model", "sim.engine.agents")
    g.add_edge("sim.engine.agents", "sim.engine.model")
    assert any(len(c) > 1 for c in nx.strongly_connected_components(g))


def function_lengths() -> list[tuple[int, str]]:
    out = []
    for path in sorted(SIM.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            if body:
                lines = node.end_lineno - body[0].lineno + 1
                out.append((lines, f"{path.relative_to(ROOT)}::{node.name}"))
    return out


def test_no_function_is_longer_than_80_lines() -> None:
    lengths = function_lengths()
    assert len(lengths) > 500  # the walk found the package's functions
    assert [f"{name}: {n} lines" for n, name in lengths if n > MAX_FUNCTION_LINES] == []


@pytest.mark.parametrize("concept", CONCEPTS)
def test_each_concept_has_a_module_and_a_config_group(concept: str) -> None:
    module, group, word = CONCEPTS[concept]
    code = (ROOT / module).read_text().lower()
    configs = ROOT / group
    files = sorted(configs.glob("*.yaml")) if configs.is_dir() else [configs]
    assert files and all(f.is_file() for f in files)
    assert word in code
    assert any(word in f.read_text().lower() for f in files)


def python_blocks(path: Path) -> list[str]:
    import re

    return re.findall(r"```python\n(.*?)```", path.read_text(), re.S)


@pytest.mark.parametrize("doc", ["docs/architecture.md", "README.md"])
def test_the_python_examples_run(doc: str) -> None:
    blocks = [b for b in python_blocks(ROOT / doc) if "sim.load(" not in b]  # need a sweep
    assert blocks
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, doc, "exec"), namespace)  # noqa: S102 - our own documentation
        if "result" in namespace:  # simulate(compose(...)): one summary row per replicate
            assert len(namespace["result"].summary) == namespace["cfg"]["replicates"]


def layers() -> list[str]:
    return [p.name for p in sorted(SIM.iterdir()) if (p / "__init__.py").is_file()
            and p.name not in ("conf", "data")]


def test_the_layout_in_the_readme_and_the_architecture_page_names_every_layer_and_module(
        ) -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):]
    page = (ROOT / "docs" / "architecture.md").read_text()
    assert set(layers()) >= {"engine", "networks", "world", "runs", "analysis", "commands"}
    for layer in layers():
        assert f"  {layer}/" in layout and f"{layer}/" in page
        for module in sorted((SIM / layer).glob("*.py")):
            if module.stem != "__init__":
                assert module.stem in page, f"architecture.md does not name {layer}/{module.name}"


def test_no_tracked_file_holds_a_merge_conflict_marker() -> None:
    """A README once shipped with ``<<<<<<< HEAD`` in its layout block."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    markers = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)
    found = [path for path in tracked if (ROOT / path).is_file()
             and (ROOT / path).suffix in {".md", ".py", ".yaml", ".toml", ".cfg", ".txt"}
             and markers.search((ROOT / path).read_text(errors="replace"))]
    assert not found, f"merge conflict markers in {found}"
