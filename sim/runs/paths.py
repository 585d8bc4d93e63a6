"""Where results go, and how two commands writing there at once stay out of each other's way.

- ``results_root()``: the ``results/`` folder every command writes under by default. It is the
  project's own ``results/`` when the working directory is inside the project checkout (so a
  notebook run from ``notebooks/`` writes where a command run from the top does), else
  ``./results``; ``PASIM_RESULTS=<dir>`` chooses another.
- ``unique_dir(base)``: a new directory ``<base>_<suffix>`` made with an exclusive ``mkdir``,
  so two runs started in the same second never share one (and never reuse an old one).
- ``JobClaim``: an exclusive lock on a job directory held while the job runs. Two identical
  sweeps started together run each job once: the second finds the lock taken, waits for its
  owner to finish and then finds the job complete. The lock is an OS file lock, released by
  the kernel when its process dies however it dies, so a killed sweep's jobs are reclaimed
  by the next run without any clean-up.
- ``check_name(key, value)``: a name that becomes one directory under a results folder
  (``name=``) must be a single, ordinary path segment.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import socket
import time
from pathlib import Path
from typing import Any

from sim.errors import InputError

#: environment variable choosing the results folder
RESULTS_ENV = "PASIM_RESULTS"

#: a results-relative name: starts with a letter or digit; letters, digits and ``_-.+=,@``
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+=,@-]*")

#: the lock file inside a job directory (a dot file: never collated, never a result)
CLAIM = ".claim"


def project_root(start: Path | None = None) -> Path | None:
    """The pasim checkout containing ``start`` (the working directory), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        marker = folder / "pyproject.toml"
        if marker.is_file() and (folder / "sim").is_dir() and (folder / "configs").is_dir():
            try:
                if re.search(r'(?m)^name\s*=\s*"pasim"', marker.read_text()):
                    return folder
            except OSError:
                return None
    return None


def results_root() -> Path:
    """``$PASIM_RESULTS``, else the project's ``results/`` (from anywhere inside the checkout),
    else ``./results``."""
    chosen = os.environ.get(RESULTS_ENV)
    if chosen:
        return Path(chosen).expanduser()
    root = project_root()
    return root / "results" if root is not None else Path("results")


def results_dir(*parts: str) -> str:
    """A folder under ``results_root()``, as text (the Hydra resolver ``pasim_results``)."""
    return str(results_root().joinpath(*map(str, parts)))


def unique_dir(base: Path | str) -> Path:
    """Create and return a new directory ``<base>_<6 hex digits>``; never an existing one."""
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = base.with_name(f"{base.name}_{secrets.token_hex(3)}")
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path


#: completes "must be ..." for a results-relative name
NAME_ALLOWED = ("one folder name: letters, digits and _-.+=,@, starting with a letter or "
                "digit, without '/' or '..'")


def is_safe_name(value: Any) -> bool:
    """One ordinary path segment (a number counts: Hydra reads ``name=2024`` as one)."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return isinstance(text, str) and bool(_NAME.fullmatch(text)) and ".." not in text


def check_name(key: str, value: Any) -> str:
    """``value`` as one safe directory name, or an ``InputError`` naming ``key``."""
    if not is_safe_name(value):
        raise InputError(f"{key}: must be {NAME_ALLOWED} (got {value!r})")
    return str(value)


def check_writable(key: str, path: Path | str) -> None:
    """``path`` can be created (its nearest existing parent is a directory we may write);
    tried with a throw-away directory, so that root's permission bypass does not mislead."""
    target = Path(path).expanduser()
    target = target if target.is_absolute() else Path.cwd() / target
    existing = target
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{key}: cannot write under {existing}: it is a file, not a folder "
                         f"(got {path})")
    probe = existing / f".pasim-probe-{secrets.token_hex(4)}"
    try:
        os.mkdir(probe)
    except OSError as err:
        raise InputError(f"{key}: must be a folder pasim can create; {existing} does not let "
                         f"it ({err.strerror}) (got {path})") from None
    os.rmdir(probe)


# ------------------------------------------------------------------------------------------
# job claims


def _owner() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}


class JobClaim:
    """An exclusive claim on ``job_dir`` while a job runs in it (a context manager).

    ``acquire()`` returns True when this process now owns the job, False when another live
    process does (its pid and host are in the claim file, for messages). ``wait()`` blocks
    until the owner releases it (finishes or dies). The lock is ``fcntl.lockf`` on the claim
    file: POSIX record locks are dropped by the kernel when the owner exits or is killed, and
    work on network file systems with lock support (NFS), so a stale claim cannot exist.
    POSIX locks belong to the process and go when it closes *any* descriptor of the file, so
    the owner must not open the claim file again while it holds it (``owner()`` and
    ``is_held_elsewhere()`` are for the other processes).
    """

    def __init__(self, job_dir: Path | str) -> None:
        self.path = Path(job_dir) / CLAIM
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_owner()).encode())
        self._fd = fd
        return True

    def wait(self) -> None:
        """Block until whoever holds the claim lets go (its job finished, failed or died)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)
        finally:
            os.close(fd)  # closing drops our lock at once

    def is_held_elsewhere(self) -> bool:
        """Another live process owns the job (a look that takes nothing)."""
        if not self.path.is_file():
            return False
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    def owner(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JobClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# ------------------------------------------------------------------------------------------
# Hydra resolvers (configs/config.yaml)


def safe_subdir(override_dirname: str) -> str:
    """A sweep job's folder from its overrides, kept inside the sweep: a ``..`` or ``.`` path
    segment (an override value such as ``network.path=../x``) is spelt out instead."""
    parts = [p.replace(".", "%2E") if p in (".", "..") else p
             for p in str(override_dirname).split("/")]
    return "/".join(parts)


def run_dir() -> str:
    """A new, exclusively created ``<results>/runs/<time>_<suffix>`` for one single run."""
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return str(unique_dir(results_root() / "runs" / stamp))


def register_resolvers() -> None:
    """``${pasim_results:sweeps}``, ``${pasim_run_dir:}`` and ``${pasim_job_dir:...}``. The run
    directory is cached per process, so Hydra reading the key twice gets the same folder."""
    from omegaconf import OmegaConf

    for name, func, cache in (("pasim_results", results_dir, False),
                              ("pasim_run_dir", run_dir, True),
                              ("pasim_job_dir", safe_subdir, False)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, func, use_cache=cache)
