"""A sweep through ``hydra/launcher=submitit_slurm`` on a real SLURM cluster: one node,
started on this machine for the test (munged, slurmctld and slurmd, with a generated
slurm.conf in a temporary folder), gives the same runs table as the local launcher.

Needs Debian's ``slurm-wlm`` and ``munge`` and root (slurmd runs jobs as their user);
.ci/run installs them. Without them the test is skipped, saying what is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.runs.sweep import RUNTIME_COLUMNS

pytestmark = pytest.mark.slurm

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "sinfo")
PASIM = [sys.executable, "-m", "sim.commands.cli"]
#: stochastic: adoption above threshold with probability 0.5, noise below it
SWEEP = ["network=small_world", "network.n=300", "model.adoption_rate=0.5", "model.noise=0.01",
         "steps=20", "replicates=2", "figure=false", "progress=false",
         "seed=1,2,3"]

SLURM_CONF = """\
ClusterName=pasimtest
SlurmctldHost={host}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge.sock
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
PlugStackConfig={root}/plugstack.conf
# no cgroups: the test must run in containers and on machines without a cgroup setup
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
{node} State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def _why_not() -> str | None:
    missing = [name for name in DAEMONS if shutil.which(name) is None]
    if missing:
        return (f"SLURM not installed (no {', '.join(missing)}): "
                "apt-get install -y slurm-wlm munge (.ci/run does)")
    if os.geteuid() != 0:
        return "a local SLURM cluster needs root (slurmd starts jobs as their user)"
    try:
        import hydra_plugins.hydra_submitit_launcher  # noqa: F401
    except ImportError:
        return "hydra-submitit-launcher not installed: pip install 'pasim[cluster]'"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tails(root: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                     for p in sorted(root.glob("*.log")) + sorted(root.glob("*.out")))


def _wait_until_idle(env: dict[str, str], root: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True,
                               text=True).stdout.split()
        if state and all(s == "idle" for s in state):
            return
        time.sleep(0.5)
    raise AssertionError(f"the SLURM node did not become idle in {timeout:.0f} s\n{_tails(root)}")


@pytest.fixture(scope="module")
def slurm() -> Iterator[dict[str, str]]:
    """A running one-node cluster; yields the environment that points SLURM's commands
    (and so submitit) at it."""
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="pasim-slurm-"))  # short: the munge socket path
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    (root / "plugstack.conf").touch()
    node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True,
                          check=True).stdout.splitlines()[0]  # this host's name, CPUs, memory
    conf = root / "slurm.conf"
    conf.write_text(SLURM_CONF.format(host=socket.gethostname(), root=root, node=node,
                                      ctld_port=_free_port(), slurmd_port=_free_port()))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    subprocess.run(["mungekey", "--create", f"--keyfile={root}/munge.key"], check=True)
    commands = [
        ["munged", "-F", "--force", f"--socket={root}/munge.sock", f"--key-file={root}/munge.key",
         f"--pid-file={root}/munged.pid", f"--seed-file={root}/munged.seed",
         f"--log-file={root}/munged.log"],
        ["slurmctld", "-D", "-i"],
        ["slurmd", "-D"],
    ]
    daemons: list[subprocess.Popen] = []
    try:
        for command in commands:
            out = open(root / f"{command[0]}.out", "w")  # noqa: SIM115 - closed with the daemon
            daemons.append(subprocess.Popen(command, env=env, stdout=out, stderr=out))
            if command[0] == "munged":
                _wait_for(root / "munge.sock", root)
        _wait_until_idle(env, root)
        yield env
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
        for daemon in daemons:
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(path: Path, root: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} did not appear\n{_tails(root)}")
        time.sleep(0.1)


def sweep(sweep_dir: Path, env: dict[str, str], *launcher: str) -> pd.DataFrame:
    proc = subprocess.run([*PASIM, "-m", *SWEEP, *launcher, f"hydra.sweep.dir={sweep_dir}"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sim.load(sweep_dir).runs
    return runs.drop(columns=[c for c in RUNTIME_COLUMNS if c in runs])


def test_slurm_sweep_gives_the_local_launchers_table(slurm: dict[str, str]) -> None:
    # beside the cluster's own files, not in pytest's temporary folders: pytest keeps only
    # its last three, so another pytest session could delete them while SLURM writes there
    tmp_path = Path(slurm["SLURM_CONF"]).parent / "sweeps"
    on_slurm = sweep(tmp_path / "slurm", slurm, "hydra/launcher=submitit_slurm",
                     "hydra.launcher.timeout_min=10")
    # the jobs really went through SLURM: submitit's folders are named by SLURM job ids
    assert list((tmp_path / "slurm" / ".submitit").glob("*_0")), "no SLURM array job"
    local = sweep(tmp_path / "local", slurm, "hydra/launcher=local")
    assert len(on_slurm) == 3 * 2 and (on_slurm["status"] == "ok").all()
    # stochastic: every run (seed x replicate) ends somewhere else
    assert on_slurm["final_adoption"].nunique() == len(on_slurm)
    assert on_slurm.groupby("replicate")["final_adoption"].nunique().eq(3).all()
    key = ["job", "replicate"]
    pd.testing.assert_frame_equal(on_slurm.sort_values(key).reset_index(drop=True),
                                  local.sort_values(key).reset_index(drop=True)[on_slurm.columns],
                                  check_dtype=False)
