"""Bad input, table-driven: every mistake is one line naming the field, never a traceback,
and nothing is written.

Three doors a mistake can come through, one table each:
- the ``pasim`` command (run in a subprocess, working directory and output dirs in tmp);
- the Python API (``sim.runs.runner.run_job`` on a config dict);
- a user's network file (loaded through the API; two more through the command line).

Each case names the field the message must start with, and optionally a piece of text the
message must show (the bad value, or what is allowed).
"""

from __future__ import annotations

import copy
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.errors import InputError
from sim.networks import build_network
from sim.runs.runner import run_job

PASIM = [sys.executable, "-m", "sim.commands.cli"]

#: a marker that removes a key from the base config
DELETE = object()

#: a small, valid config the API cases change one thing in
BASE: dict[str, Any] = {
    "network": {"name": "ring_lattice", "n": 60, "k": 4, "p": 0.0, "rewire": "random",
                "seed": None},
    "model": {"threshold": 2, "threshold_kind": "count", "adoption_rate": 1.0, "noise": 0.0,
              "spontaneous_rate": 0.0, "lapse_rate": 0.0, "max_steps": 1000},
    "seeding": {"strategy": "neighbourhood", "node": None},
    "seed": 1,
    "replicates": 1,
    "steps": 10,
    "track": None,
    "figure": False,
}

EDGES = "source,target\na,b\nb,c\nc,a\nc,d\n"
GRAPHML_HEAD = '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'


@dataclass(frozen=True)
class Case:
    """One bad input: what to change or pass, which files exist, which field is blamed."""

    id: str
    field: str
    change: dict[str, Any] = field(default_factory=dict)  # API: dotted key -> value
    args: tuple[str, ...] = ()  # CLI: overrides; "{dir}" is the folder of the input files
    files: dict[str, str | bytes] = field(default_factory=dict)
    shows: str = ""  # text the message must contain besides the field


def file_network(path: str, **params: Any) -> dict[str, Any]:
    """A ``network`` group for a file in the case's input folder."""
    return {"network": {"name": "file", "path": "{dir}/" + path, "format": "auto",
                        "nodes": None, "source": "source", "target": "target",
                        "weight": "weight", "id_column": "id", **params},
            "seeding": {"strategy": "none"}}


def graphml(body: str, keys: str = "") -> str:
    return f'{GRAPHML_HEAD}{keys}<graph edgedefault="undirected">{body}</graph></graphml>'


CLI_CASES = [
    Case("unknown-group-option", "network", args=("network=torus",), shows="ring_lattice"),
    Case("unknown-key", "model.foo", args=("model.foo=1",), shows="threshold"),
    Case("appended-unknown-key", "model.typo", args=("+model.typo=1",), shows="adoption_rate"),
    Case("missing-mandatory", "network.path", args=("network=file",), shows="???"),
    Case("odd-lattice-degree", "network.k", args=("network=ring_lattice", "network.k=7"),
         shows="7"),
    Case("bridge-wider-than-half-cluster", "network.width",
         args=("network=clustered", "network.width=15"), shows="15"),
    Case("more-seeds-than-nodes", "seeding.k",  # England: only building it tells its size
         args=("network=england", "seeding=random", "seeding.k=100000"), shows="100000"),
    Case("fraction-threshold-above-one", "model.threshold",
         args=("model.threshold_kind=fraction",), shows="(0, 1]"),
    Case("bad-value-inside-sweep", "model.noise", args=("-m", "model.noise=0,0.1,2"),
         shows="model.noise=2"),
    Case("bad-option-inside-sweep", "network", args=("-m", "network=ring_lattice,torus"),
         shows="torus"),
    Case("sweep-without-multirun", "seed", args=("seed=1,2",), shows="--multirun"),
    Case("override-syntax", "model.threshold", args=("model.threshold=[1,",)),
    Case("key-under-a-value", "network.seed.x", args=("network.seed.x=1",)),
    Case("broken-interpolation", "title", args=("title=${nope}",), shows="nope"),
    Case("unknown-experiment", "experiment", args=("experiment=no_such_study",)),
    Case("unknown-launcher", "hydra/launcher", args=("hydra/launcher=nope",), shows="joblib"),
    Case("negative-rate", "model.lapse_rate", args=("model.lapse_rate=-0.1",), shows="-0.1"),
    Case("typed-plugin-value", "hydra.launcher.n_jobs", args=("hydra.launcher.n_jobs=abc",),
         shows="abc"),
    Case("cli-file-unknown-node", "network.nodes",
         args=("network=file", "network.path={dir}/edges.csv", "network.nodes={dir}/nodes.csv"),
         files={"edges.csv": EDGES, "nodes.csv": "id,sector\na,health\nb,health\nc,community\n"},
         shows="'d'"),
    Case("cli-seed-not-in-file", "seeding.nodes", args=(
        "network=file", "network.path={dir}/edges.csv", "seeding=nodes", "seeding.nodes=[q]"),
        files={"edges.csv": EDGES}, shows="'q'"),
]

#: checked by ``pasim``'s pre-flight in this process (the same ``sim.commands.cli.main`` the command
#: runs; it exits before Hydra starts, so a subprocess per case would only add start-up time)
PREFLIGHT_CASES = [
    # misspelt or unknown keys
    Case("appended-top-level-typo", "replicats", args=("+replicats=5",), shows="replicates"),
    Case("appended-unknown-group", "fooo", args=("+fooo.bar=1",), shows="network"),
    Case("appended-unknown-seeding-key", "seeding.nodez",
         args=("seeding=nodes", "+seeding.nodez=[1]"), shows="nodes"),
    Case("appended-unknown-network-key", "network.size",
         args=("network=ring_lattice", "+network.size=3")),
    # the same key twice
    Case("scenario-given-twice", "scenario", args=("scenario=baseline", "scenario=recommended"),
         shows="twice"),
    Case("value-given-twice", "model.noise", args=("model.noise=0.1", "model.noise=0.2"),
         shows="twice"),
    Case("group-given-twice-in-a-sweep", "network",
         args=("-m", "network=ring_lattice", "network=random")),
    # values out of range, typed or untyped
    Case("duplicated-seed-nodes", "seeding.nodes[1]",
         args=("network=ring_lattice", "seeding=nodes", "seeding.nodes=[0,0,1]"), shows="twice"),
    Case("duplicated-seed-labels", "seeding.nodes[2]",
         args=("network=file", "network.path={dir}/edges.csv", "seeding=nodes",
               "seeding.nodes=[a,b,a]"), files={"edges.csv": EDGES}),
    Case("replicates-unbounded", "replicates", args=("replicates=100000000000000000000",),
         shows="100000"),
    Case("steps-unbounded", "steps", args=("steps=1000000000000",)),
    Case("max-steps-unbounded", "model.max_steps", args=("steps=null",
                                                        "model.max_steps=99999999999",)),
    Case("huge-sweep-seed", "seed", args=("-m", "seed=1,100000000000000000000000000000"),
         shows="9223372036854775807"),
    Case("huge-network-seed", "network.seed",
         args=("network=ring_lattice", "network.seed=18446744073709551616")),
    Case("name-not-a-string", "name", args=("name=[a,b]",)),
    Case("title-a-list", "title", args=("title=[a,b]",)),
    Case("event-bigger-than-england", "levers.events.schedule[0].size",
         args=("levers/events=purposeful", "levers.events.schedule.0.size=100000"),
         shows="9932"),
    Case("event-bigger-than-a-lattice", "levers.events.schedule[0].size",
         args=("network=ring_lattice", "network.n=50", "network.k=4", "levers/events=purposeful",
               "levers.events.schedule=[{step:1,size:51,audience:{health:1.0}}]"), shows="50"),
    # unbounded work refused before anything is built
    Case("lattice-too-big-for-memory", "network.n, network.k",
         args=("network=ring_lattice", "network.n=1000000000"), shows="available"),
    Case("random-too-dense-for-memory", "network.n, network.mean_degree",
         args=("network=random", "network.n=150000", "network.mean_degree=100000"),
         shows="GiB"),
    Case("clustered-too-big-for-memory", "network.clusters, network.size",
         args=("network=clustered", "network.clusters=100000", "network.size=100000")),
    Case("small-world-too-big-in-a-sweep", "network.n, network.k",
         args=("-m", "network=small_world", "network.n=1000,2000000000"), shows="sweep job"),
    # names that would leave the results folder
    Case("name-climbs-out", "name", args=("-m", "name=../../../outside"), shows="'..'"),
    Case("name-absolute", "name", args=("-m", "name=/tmp/elsewhere")),
    Case("name-hidden", "name", args=("-m", "name=.hidden")),
    Case("name-empty", "name", args=("-m", "name=''")),
    Case("name-nested", "name", args=("-m", "name=a/b")),
    Case("name-with-backslash", "name", args=("-m", "name=a\\b")),
    # the launcher and the output folder
    Case("zero-workers", "hydra.launcher.n_jobs", args=("-m", "seed=1,2",
                                                         "hydra.launcher.n_jobs=0")),
    Case("too-negative-workers", "hydra.launcher.n_jobs",
         args=("-m", "seed=1,2", "hydra.launcher.n_jobs=-1000")),
    Case("workers-a-float", "hydra.launcher.n_jobs",
         args=("-m", "seed=1,2", "hydra.launcher.n_jobs=1.5")),
    Case("run-dir-in-proc", "hydra.run.dir", args=("hydra.run.dir=/proc/nope",), shows="/proc"),
    Case("run-dir-under-a-file", "hydra.run.dir", args=("hydra.run.dir={dir}/edges.csv/run",),
         files={"edges.csv": EDGES}, shows="not a folder"),
    Case("sweep-dir-in-proc", "hydra.sweep.dir", args=("-m", "seed=1,2",
                                                       "hydra.sweep.dir=/proc/nope")),
    # Hydra's own flags do not skip the checks
    Case("config-name-flag-keeps-checks", "model.noise",
         args=("--config-name", "config", "model.noise=3"), shows="3"),
    Case("short-config-name-flag-keeps-checks", "model.noise",
         args=("-cn", "config", "-m", "model.noise=0,3"), shows="sweep job"),
    Case("unknown-config-name", "--config-name", args=("--config-name", "nosuch"),
         shows="config"),
    Case("missing-config-path", "--config-path", args=("--config-path", "/no/such/folder")),
    Case("unknown-hydra-flag", "command line", args=("--colour",), shows="--colour"),
    Case("multirun-long-flag-keeps-checks", "model.noise", args=("--multirun",
                                                                  "model.noise=0,2")),
]

#: missing launcher plugins and schedulers (need the composed Hydra config, checked the same way)
LAUNCHER_CASES = [
    Case("launcher-plugin-not-installed", "hydra/launcher",
         args=("-m", "seed=1,2", "hydra/launcher=ray"), shows="pip install hydra-ray-launcher"),
    Case("slurm-without-scheduler", "hydra/launcher",
         args=("-m", "seed=1,2", "hydra/launcher=submitit_slurm"), shows="no SLURM scheduler"),
]

API_CASES = [
    Case("rate-above-one", "model.noise", {"model.noise": 1.5}, shows="1.5"),
    Case("rate-not-a-number", "model.adoption_rate", {"model.adoption_rate": "fast"},
         shows="'fast'"),
    Case("max-steps-zero", "model.max_steps", {"model.max_steps": 0}),
    Case("unknown-distribution", "model.threshold.dist",
         {"model.threshold": {"dist": "gamma", "k": 2}}, shows="normal"),
    Case("distribution-missing-parameter", "model.threshold",
         {"model.threshold": {"dist": "normal", "mean": 2}}, shows="sd"),
    Case("distribution-bad-parameter", "model.threshold",
         {"model.threshold": {"dist": "normal", "mean": 2, "sd": -1}}),
    Case("count-threshold-zero", "model.threshold", {"model.threshold": 0}, shows="> 0"),
    Case("threshold-as-text", "model.threshold", {"model.threshold": "two"}, shows="'two'"),
    Case("per-node-thresholds-wrong-length", "model.threshold",
         {"model.threshold": [1.0, 2.0]}, shows="60"),
    Case("unknown-threshold-kind", "model.threshold_kind",
         {"model.threshold_kind": "share"}, shows="fraction"),
    Case("misspelt-model-key", "model.adoptoin_rate", {"model.adoptoin_rate": 0.5},
         shows="adoption_rate"),
    Case("unknown-network", "network.name", {"network.name": "torus"}, shows="ring_lattice"),
    Case("lattice-too-small", "network.n", {"network.n": 2}),
    Case("rewiring-above-one", "network.p", {"network.p": 1.5}),
    Case("unknown-rewiring", "network.rewire", {"network.rewire": "shuffle"},
         shows="degree_preserving"),
    Case("network-seed-negative", "network.seed", {"network.seed": -3}),
    Case("unknown-network-parameter", "network.m", {"network.m": 3}),
    Case("ring-clusters-need-degree", "network.internal_degree",
         {"network": {"name": "clustered", "clusters": 3, "size": 6, "width": 1,
                      "internal": "ring"}}),
    Case("bridge-wider-than-cluster", "network.width",
         {"network": {"name": "clustered", "clusters": 2, "size": 5, "width": 6}}),
    Case("mean-degree-above-n", "network.mean_degree",
         {"network": {"name": "random", "n": 10, "mean_degree": 12}}),
    Case("unknown-seeding", "seeding.strategy", {"seeding.strategy": "best"},
         shows="neighbourhood"),
    Case("seed-node-outside-network", "seeding.nodes[1]",
         {"seeding": {"strategy": "nodes", "nodes": [0, 60]}}, shows="60"),
    Case("more-seed-nodes-than-nodes", "seeding.nodes",
         {"network.n": 5, "network.k": 2, "seeding": {"strategy": "nodes",
                                                       "nodes": list(range(6))}}),
    Case("seeding-without-k", "seeding.k", {"seeding": {"strategy": "random"}}),
    Case("seeding-k-above-nodes", "seeding.k", {"seeding": {"strategy": "degree", "k": 61}}),
    Case("seeding-key-of-other-strategy", "seeding.node",
         {"seeding": {"strategy": "degree", "k": 3, "node": 1}}),
    Case("no-model-group", "model", {"model": DELETE}),
    Case("negative-seed", "seed", {"seed": -1}),
    Case("zero-replicates", "replicates", {"replicates": 0}),
    Case("fractional-steps", "steps", {"steps": 2.5}),
    Case("unknown-tracked-attribute", "track", {"track": ["colour"]}, shows="colour"),
    Case("figure-not-boolean", "figure", {"figure": "yes"}),
    Case("unset-mandatory-value", "network.path", {**file_network("x.csv"),
                                                   "network.path": "???"}),
    Case("event-after-horizon", "levers.events.schedule[0].step",
         {"levers": {"events": {"schedule": [{"step": 11, "size": 5,
                                              "audience": {"health": 1.0}}]}}}, shows="11"),
    Case("negative-budget", "levers.convening.budget",
         {"levers": {"convening": {"budget": -1}}}),
    Case("budget-without-strategy", "levers.convening.budget",
         {"levers": {"convening": {"strategy": "none", "budget": 50}}}, shows="wide_bridges"),
    Case("unknown-lever", "levers.colour", {"levers": {"colour": {}}}),
    Case("mechanism-out-of-range", "mechanisms.coherence", {"mechanisms": {"coherence": 2}}),
    # new: keys, bounds, names, memory, events
    Case("unknown-top-level-key", "replicats", {"replicats": 5}, shows="replicates"),
    Case("unknown-top-level-group", "fooo", {"fooo": {"bar": 1}}),
    Case("duplicated-seed-nodes-api", "seeding.nodes[2]",
         {"seeding": {"strategy": "nodes", "nodes": [3, 4, 3]}}, shows="twice"),
    Case("replicates-too-many", "replicates", {"replicates": 10**20}),
    Case("steps-too-many", "steps", {"steps": 10**9}),
    Case("seed-beyond-64-bits", "seed", {"seed": 10**29}),
    Case("network-seed-beyond-64-bits", "network.seed", {"network.seed": 2**63}),
    Case("name-traversal", "name", {"name": "../../x"}, shows="'..'"),
    Case("name-separator", "name", {"name": "a/b"}),
    Case("name-dot", "name", {"name": "."}),
    Case("name-leading-dot", "name", {"name": ".x"}),
    Case("name-empty-string", "name", {"name": ""}),
    Case("name-boolean", "name", {"name": True}),
    Case("title-a-mapping", "title", {"title": {"a": 1}}),
    Case("event-bigger-than-network", "levers.events.schedule[0].size",
         {"levers": {"events": {"schedule": [{"step": 1, "size": 61,
                                              "audience": {"health": 1.0}}]}}}, shows="60"),
    Case("lattice-beyond-memory", "network.n, network.k", {"network.n": 10**10},
         shows="available"),
    Case("random-beyond-memory", "network.n, network.mean_degree",
         {"network": {"name": "random", "n": 150_000, "mean_degree": 100_000}}),
]

FILE_CASES = [
    Case("missing-file", "network.path", file_network("nowhere.csv"), shows="not found"),
    Case("directory-not-file", "network.path", file_network("folder"),
         files={"folder/keep.csv": EDGES}, shows="directory"),
    Case("unknown-extension", "network.format", file_network("edges.txt"),
         files={"edges.txt": EDGES}, shows="graphml"),
    Case("unknown-format", "network.format", file_network("edges.csv", format="excel"),
         files={"edges.csv": EDGES}, shows="csv"),
    Case("malformed-csv", "network.path", file_network("edges.csv"),
         files={"edges.csv": 'source,target\n"a,b\nc,d\n'}),
    Case("binary-csv", "network.path", file_network("edges.csv"),
         files={"edges.csv": b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00"}),
    Case("empty-file", "network.path", file_network("edges.csv"), files={"edges.csv": ""},
         shows="empty"),
    Case("header-only", "network.path", file_network("edges.csv"),
         files={"edges.csv": "source,target\n"}, shows="no ties"),
    Case("missing-target-column", "network.target", file_network("edges.csv"),
         files={"edges.csv": "source,to\na,b\n"}, shows="'target'"),
    Case("tie-without-end", "network.target", file_network("edges.csv"),
         files={"edges.csv": "source,target\na,b\nb,\n"}, shows="line 3"),
    Case("weight-not-a-number", "network.weight", file_network("edges.csv"),
         files={"edges.csv": "source,target,weight\na,b,1\nb,c,heavy\n"}, shows="heavy"),
    Case("negative-weight", "network.weight", file_network("edges.csv"),
         files={"edges.csv": "source,target,weight\na,b,-2\n"}, shows="-2"),
    Case("edge-to-unknown-node", "network.nodes",
         file_network("edges.csv", nodes="{dir}/nodes.csv"),
         files={"edges.csv": "source,target\na,b\nb,z\n", "nodes.csv": "id\na\nb\n"},
         shows="'z'"),
    Case("duplicate-node-id", "network.nodes", file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES, "n.csv": "id\na\nb\nc\nd\nb\n"}, shows="'b'"),
    Case("node-table-without-id", "network.id_column",
         file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES, "n.csv": "name\na\nb\nc\nd\n"}, shows="'id'"),
    Case("deprivation-out-of-range", "network.nodes",
         file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES, "n.csv": "id,deprivation\na,0.1\nb,1.7\nc,0\nd,1\n"},
         shows="deprivation"),
    Case("influence-zero", "network.nodes", file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES, "n.csv": "id,influence\na,1\nb,0\nc,1\nd,2\n"},
         shows="influence"),
    Case("sector-missing-for-a-node", "network.nodes",
         file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES, "n.csv": "id,sector\na,health\nb,\nc,community\nd,health\n"},
         shows="'b'"),
    Case("misspelt-level", "network.nodes", file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES, "n.csv": "id,level\na,national\nb,Nationl\nc,local\nd,local\n"},
         shows="Nationl"),
    Case("unknown-agent-type", "network.agent_type",
         file_network("edges.csv", nodes="{dir}/n.csv"),
         files={"edges.csv": EDGES,
                "n.csv": "id,agent_type\na,Organisation\nb,Person\nc,Leader\nd,Leader\n"},
         shows="Person"),
    Case("not-graphml", "network.path", file_network("net.graphml"),
         files={"net.graphml": "<html><body>not a graph</body>"}, shows="GraphML"),
    Case("graphml-without-nodes", "network.path", file_network("net.graphml"),
         files={"net.graphml": graphml("")}, shows="no nodes"),
    Case("graphml-without-ties", "network.path", file_network("net.graphml"),
         files={"net.graphml": graphml('<node id="a"/><node id="b"/>')}, shows="no ties"),
    Case("graphml-attribute-wrong-type", "network.path", file_network("net.graphml"),
         files={"net.graphml": graphml(
             '<node id="a"><data key="d0">high</data></node><node id="b"/>'
             '<edge source="a" target="b"/>',
             keys='<key id="d0" for="node" attr.name="deprivation" attr.type="string"/>')},
         shows="deprivation"),
    Case("graphml-with-node-table", "network.nodes",
         file_network("net.graphml", nodes="{dir}/n.csv"),
         files={"net.graphml": graphml('<node id="a"/><node id="b"/><edge source="a" '
                                       'target="b"/>'), "n.csv": "id\na\nb\n"}),
    Case("only-self-loops", "network.path", file_network("edges.csv"),
         files={"edges.csv": "source,target\na,a\nb,b\n"}, shows="self-loops"),
]


# ------------------------------------------------------------------------------------------
# helpers


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def snapshot(root: Path) -> set[str]:
    """Every file and directory under ``root`` (what "nothing was written" compares)."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def fill(value: Any, folder: Path) -> Any:
    """Put the input folder into ``{dir}`` placeholders."""
    if isinstance(value, str):
        return value.replace("{dir}", str(folder))
    if isinstance(value, dict):
        return {k: fill(v, folder) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(fill(v, folder) for v in value)
    return value


def changed_config(change: dict[str, Any], folder: Path) -> dict[str, Any]:
    cfg = copy.deepcopy(BASE)
    for key, value in fill(change, folder).items():
        *parents, leaf = key.split(".")
        node = cfg
        for part in parents:
            node = node.setdefault(part, {})
        if value is DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return cfg


def assert_names_field(message: str, case: Case) -> None:
    assert "\n" not in message, message
    key = message.split(": ", 1)[0]
    assert key == case.field, f"expected the message to start with {case.field!r}: {message}"
    assert case.shows in message, f"expected {case.shows!r} in: {message}"


# ------------------------------------------------------------------------------------------
# the tables


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_command_line_rejects(case: Case, tmp_path: Path) -> None:
    inputs = tmp_path / "input"
    inputs.mkdir()
    write_files(inputs, case.files)
    before = snapshot(tmp_path)
    args = [*fill(case.args, inputs), f"hydra.run.dir={tmp_path}/run",
            f"hydra.sweep.dir={tmp_path}/sweep"]
    proc = subprocess.run([*PASIM, *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert_names_field(errors[0].removeprefix("error: "), case)
    assert snapshot(tmp_path) == before


def _in_process_pasim(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture) -> tuple[int, str]:
    import sim.commands.cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["pasim", *args])
    with pytest.raises(SystemExit) as exit_:
        sim.commands.cli.main()
    return exit_.value.code, capsys.readouterr().err


@pytest.mark.parametrize("case", PREFLIGHT_CASES + LAUNCHER_CASES,
                         ids=[c.id for c in PREFLIGHT_CASES + LAUNCHER_CASES])
def test_preflight_rejects(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture) -> None:
    inputs = tmp_path / "input"
    inputs.mkdir()
    write_files(inputs, case.files)
    before = snapshot(tmp_path)
    args = list(fill(case.args, inputs))
    for key in ("hydra.run.dir", "hydra.sweep.dir"):  # outputs in tmp, unless the case says
        if not any(a.startswith(f"{key}=") for a in args):
            args.append(f"{key}={tmp_path}/{key.split('.')[1]}")
    code, err = _in_process_pasim(args, tmp_path, monkeypatch, capsys)
    assert code == 2, err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert_names_field(errors[0].removeprefix("error: "), case)
    assert snapshot(tmp_path) == before


def test_the_command_line_accepts_what_the_checks_allow(tmp_path: Path) -> None:
    """The other side of the table: a numeric title, a numeric name, a safe dotted name."""
    from sim.runs.config import check_command_line

    base = ["network=ring_lattice", "network.n=100", "steps=3", f"hydra.run.dir={tmp_path}/r"]
    assert check_command_line([*base, "title=2024"]) == 1
    assert check_command_line(["-m", *base, "name=2024", "seed=1,2"]) == 2
    assert check_command_line(["-m", *base, "name=grid_v1.2-final", "hydra.launcher.n_jobs=-1"]) \
        == 1
    assert check_command_line(["--config-name", "config", *base]) == 1
    assert check_command_line(["--cfg", "job", "title=2024"]) == 1  # shown, run nothing
    with pytest.raises(InputError, match=r"^model\.noise: "):  # but a shown config is checked
        check_command_line(["--cfg", "job", "model.noise=3"])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("case", API_CASES + FILE_CASES,
                         ids=[c.id for c in API_CASES + FILE_CASES])
def test_api_rejects(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    inputs = tmp_path / "input"
    inputs.mkdir()
    write_files(inputs, case.files)
    before = snapshot(tmp_path)
    cfg = changed_config(case.change, inputs)
    with warnings.catch_warnings(), pytest.raises(InputError) as info:
        warnings.simplefilter("ignore")
        run_job(cfg, tmp_path / "run")
    assert_names_field(str(info.value), case)
    assert "Traceback" not in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_the_tables_hold_at_least_thirty_distinct_bad_inputs() -> None:
    cases = CLI_CASES + PREFLIGHT_CASES + LAUNCHER_CASES + API_CASES + FILE_CASES + \
        COMMAND_CASES
    assert len({c.id for c in cases}) == len(cases) >= 30


# ------------------------------------------------------------------------------------------
# the research commands: argparse errors are one line naming the option


#: ``args`` starts with the command's name; ``field`` is the option the line must name
COMMAND_CASES = [
    Case("validate-unknown-study", "study", args=("pasim-validate", "nosuch"), shows="all"),
    Case("validate-zero-jobs", "--jobs", args=("pasim-validate", "all", "--jobs", "0")),
    Case("validate-negative-seed", "--seed", args=("pasim-validate", "all", "--seed", "-1")),
    Case("validate-unknown-option", "unrecognized arguments",
         args=("pasim-validate", "--fast")),
    Case("optimise-unknown-objective", "--objective",
         args=("pasim-optimise", "--objective", "speed"), shows="steps_to_50"),
    Case("optimise-zero-jobs", "--jobs", args=("pasim-optimise", "--jobs", "0")),
    Case("optimise-trials-not-a-number", "--trials", args=("pasim-optimise", "--trials", "x")),
    Case("sensitivity-zero-samples", "--n", args=("pasim-sensitivity", "--n", "0")),
    Case("sensitivity-zero-jobs", "--jobs", args=("pasim-sensitivity", "--jobs", "0")),
    Case("report-without-sweep", "sweep_dir", args=("pasim-report",), shows="required"),
    Case("report-no-such-sweep", "path", args=("pasim-report", "{dir}/nowhere")),
    Case("compare-not-an-override", "--fast", args=("pasim-compare", "--fast")),
]

COMMANDS = {"pasim-validate": "sim.commands.validate", "pasim-optimise": "sim.commands.optimise",
            "pasim-sensitivity": "sim.commands.sensitivity", "pasim-report": "sim.commands.report",
            "pasim-compare": "sim.commands.compare"}


def _command_main(name: str) -> Any:
    import importlib

    return importlib.import_module(COMMANDS[name]).main


@pytest.mark.parametrize("case", COMMAND_CASES, ids=[c.id for c in COMMAND_CASES])
def test_research_commands_reject_in_one_line(case: Case, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    name, *args = fill(case.args, tmp_path)
    with pytest.raises(SystemExit) as exit_:
        code = _command_main(name)(args)
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert_names_field(lines[0].removeprefix("error: "), case)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_research_command_has_help_naming_itself(name: str,
                                                       capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        _command_main(name)(["--help"])
        raise SystemExit(0)
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {name} "), out[:200]


# ------------------------------------------------------------------------------------------
# the documented repairs: warned, not refused


def test_repeated_ties_and_self_loops_are_repaired_with_a_warning(tmp_path: Path) -> None:
    edges = tmp_path / "edges.csv"
    edges.write_text("source,target,weight\na,b,1\nb,a,3\na,a,1\nb,c,1\n")
    with pytest.warns(UserWarning) as record:
        net = build_network("file", path=str(edges))
    messages = " ".join(str(w.message) for w in record)
    assert "1 self-loop(s) dropped" in messages
    assert "1 repeated tie(s) merged" in messages
    assert net.n_edges == 2
    u, v, w = net.edge_list()
    labels = net.nodes["label"].to_numpy()
    weights = {frozenset((labels[a], labels[b])): x for a, b, x in zip(u, v, w, strict=True)}
    assert weights == {frozenset("ab"): 3.0, frozenset("bc"): 1.0}  # largest weight kept
    assert np.all(net.adjacency.diagonal() == 0)


def test_isolated_nodes_are_kept_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "edges.csv").write_text(EDGES)
    (tmp_path / "nodes.csv").write_text("id\na\nb\nc\nd\nloner\n")
    with pytest.warns(UserWarning, match="no ties.*'loner'"):
        net = build_network("file", path=str(tmp_path / "edges.csv"),
                            nodes=str(tmp_path / "nodes.csv"))
    assert net.n == 5
    assert net.degree[net.nodes["label"].tolist().index("loner")] == 0
