"""Hydra callbacks for sweeps: a progress bar in the parent process and the collated table.

Jobs may run in other processes (joblib), on other machines (SLURM, Ray) or in this process
(the basic launcher), so progress travels through the one thing they all share, the sweep
directory: each job drops a marker file in ``<sweep>/.progress/<command>/`` when it starts
and when it ends (``<num>.running`` -> ``<num>.done`` | ``.skipped`` | ``.elsewhere`` |
``.failed``). ``<command>`` is a token of the command that launched the job, so two commands
sweeping into one directory at once each count their own jobs. A thread in the parent counts
them twice a second and drives a tqdm bar on stderr: jobs finished out of all the sweep's
jobs, how many are running, how many failed, how many were skipped (finished by an earlier,
interrupted run of the command) and how many another command running the same sweep ran
while this one waited (``elsewhere``), and the time left.

When every job has returned, ``on_multirun_end`` collates the sweep (``sim.runs.sweep.collate``),
prints where the tables are and one line per distinct error, and exits with status 1 if any
job failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from hydra.core.utils import JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.runs import results as io

#: what a sweep job returns (``sim.commands.cli``) when another command ran it while this one waited
RAN_ELSEWHERE = "ran-elsewhere"

PROGRESS_DIR = ".progress"
STATES = ("running", "done", "skipped", "elsewhere", "failed")

#: loggers that list every job in the parent (one line per job); the bar replaces them
_JOB_LISTING_LOGGERS = ("hydra_plugins", "hydra._internal.core_plugins.basic_launcher")


def planned_jobs(config: DictConfig) -> int | None:
    """How many jobs the basic sweeper will launch (``None`` if it cannot be known here)."""
    sweeper = config.hydra.sweeper
    if not str(sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    arguments = [f"{k}={v}" for k, v in (sweeper.get("params") or {}).items()]
    arguments += list(config.hydra.overrides.task)
    try:
        overrides = OverridesParser.create().parse_overrides(arguments)
        return len(BasicSweeper.split_arguments(overrides, None)[0])
    except Exception:  # e.g. glob() over a config group needs the config loader
        return None


def _in_sweep(config: DictConfig) -> bool:
    return config.hydra.mode == RunMode.MULTIRUN


def plural(count: int, noun: str) -> str:
    """``1 job``, ``2 jobs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _mark(config: DictConfig, token: str, state: str) -> None:
    """Record a job's state for the parent's progress bar: the new state's marker first, then
    the old one removed (at worst a job is counted twice for an instant, never lost)."""
    folder = Path(str(config.hydra.sweep.dir)) / PROGRESS_DIR / token
    folder.mkdir(parents=True, exist_ok=True)
    num = config.hydra.job.num
    target = folder / f"{num}.{state}"
    target.touch()
    if state != "running":
        (folder / f"{num}.running").unlink(missing_ok=True)


class SweepProgress(Callback):
    """Progress of a sweep (``progress: true``) and its collation when it ends.

    Args:
        poll_s: seconds between two looks at the sweep directory.
        collate: collate the sweep into ``runs.parquet`` and ``timeseries.parquet`` at the end.
    """

    def __init__(self, poll_s: float = 0.5, collate: bool = True, token: str = "") -> None:
        # every process that composes a sweep's jobs builds this callback first (the parent
        # from the config; a worker when it unpickles the jobs' Hydra context): the one hook
        # pasim has there, so the composition cache (sim.runs.compose_cache) goes in here
        from sim.runs import compose_cache

        compose_cache.install()
        self.poll_s = poll_s
        self.collate = collate
        self.token = token or "shared"
        self._sweep_dir: Path | None = None
        self._bar: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tty = False

    def __getstate__(self) -> dict[str, Any]:
        """Jobs in other processes get the settings and the command's token, never the
        parent's bar or thread."""
        return {"poll_s": self.poll_s, "collate": self.collate, "token": self.token}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    # -- in the parent ------------------------------------------------------------------
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._sweep_dir = Path(str(config.hydra.sweep.dir))
        self.token = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        _remove_dead_commands(self._sweep_dir / PROGRESS_DIR)
        (self._sweep_dir / PROGRESS_DIR / self.token).mkdir(parents=True, exist_ok=True)
        if not config.get("progress", True):
            return
        from tqdm import tqdm

        for name in _JOB_LISTING_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        self._tty = sys.stderr.isatty()  # a log file gets a line every 30 s, not every poll
        self._bar = tqdm(total=planned_jobs(config), unit="job", file=sys.stderr,
                         desc=f"sweep {config.get('name', '')}".strip(), dynamic_ncols=True,
                         mininterval=self.poll_s if self._tty else 30.0)
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="pasim-progress", daemon=True)
        self._thread.start()

    def _counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        folder = self._sweep_dir / PROGRESS_DIR / self.token if self._sweep_dir else None
        if folder is None or not folder.is_dir():
            return counts
        for entry in folder.iterdir():
            state = entry.suffix.lstrip(".")
            if state in counts:
                counts[state] += 1
        return counts

    def _refresh(self) -> None:
        counts = self._counts()
        bar = self._bar
        finished = counts["done"] + counts["failed"] + counts["skipped"] + counts["elsewhere"]
        postfix = {"running": counts["running"], "failed": counts["failed"],
                   "skipped": counts["skipped"]}
        if counts["elsewhere"]:
            postfix["elsewhere"] = counts["elsewhere"]
        bar.set_postfix(postfix, refresh=False)
        if finished > bar.n:
            bar.update(finished - bar.n)
        elif self._tty:  # running count and elapsed time move even when no job finishes
            bar.refresh()

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_s):
            self._refresh()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._refresh()
            self._bar.refresh()  # the final state, whatever the interval
            self._bar.close()
        sweep_dir = Path(str(config.hydra.sweep.dir))
        _remove_markers(sweep_dir / PROGRESS_DIR, self.token)
        if not self.collate:
            return
        from sim.runs.sweep import RUNS, collate, manifest

        try:
            collate(sweep_dir, tables=False)  # streamed; not read back into memory
        except Exception as err:  # the runs are intact; only the table is missing
            print(f"error: collating {sweep_dir} failed ({type(err).__name__}: {err}); the "
                  f"runs are intact: `pasim-report {sweep_dir}` collates again",
                  file=sys.stderr)
            sys.exit(1)
        info = manifest(sweep_dir)
        print(f"pasim: {plural(info['jobs'], 'job')}, {plural(info['rows'], 'row')} "
              f"({info['ok']} ok, {info['failed']} failed) -> {sweep_dir / RUNS}",
              file=sys.stderr)
        for error in info["errors"]:
            print(f"error: {error}", file=sys.stderr)
        if info["failed"]:
            sys.exit(1)

    # -- in each job (wherever it runs) -------------------------------------------------
    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not _in_sweep(config):
            return
        _mark(config, self.token, "running")
        if config.get("progress", True):  # the bar reports jobs; keep their INFO lines in
            for handler in logging.getLogger().handlers:  # the job's log file only
                if type(handler) is logging.StreamHandler:
                    handler.setLevel(logging.WARNING)

    def on_job_end(self, config: DictConfig, job_return: Any = None, **kwargs: Any) -> None:
        if not _in_sweep(config):
            return
        out_dir = Path(str(config.hydra.runtime.output_dir))
        raised = job_return is not None and job_return.status == JobStatus.FAILED
        if raised or io.is_failed(out_dir):
            state = "failed"
        elif job_return is not None and job_return.return_value is None:
            state = "skipped"  # sim.commands.cli returns None for a job found already complete
        elif job_return is not None and job_return.return_value == RAN_ELSEWHERE:
            state = "elsewhere"
        else:
            state = "done"
        _mark(config, self.token, state)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _remove_dead_commands(folder: Path) -> None:
    """Markers of earlier commands on this machine that were killed before they tidied up."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if not entry.is_dir():  # a marker of the older, one-folder layout
            entry.unlink(missing_ok=True)
            continue
        host, _, pid = entry.name.rpartition("-")[0].rpartition("-")
        if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _remove_markers(folder: Path, token: str) -> None:
    """This command's markers, and the folder once no other command's are left in it."""
    shutil.rmtree(folder / token, ignore_errors=True)
    with contextlib.suppress(OSError):  # another command's markers are still in it
        folder.rmdir()
