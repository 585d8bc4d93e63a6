"""The ``pasim`` command: a thin Hydra entry point over ``sim.runs.runner``.

Bad input prints one line, ``error: <field>: <what is allowed>``, exits with status 2 and
removes the job's output directory, so nothing that looks like a result is left behind.
In a sweep (``-m``) a job that raises instead writes ``failed.json`` with its error, which
the sweep table records, and the other jobs carry on (``sim.runs.callbacks`` reports failures and
sets the exit status at the end).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import warnings
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.commands.arguments import quiet_libraries
from sim.engine import kernel
from sim.errors import InputError
from sim.runs import results
from sim.runs.callbacks import RAN_ELSEWHERE
from sim.runs.config import CHECKED_JOBS, CONFIG_DIR, CONFIG_SOURCE, check_command_line, job_key
from sim.runs.paths import JobClaim, register_resolvers

log = logging.getLogger("pasim")

# configs/hydra/launcher/ spells out each launcher plugin's config under the plugin's own
# name; Hydra 1.3 then also checks it against the plugin's schema and warns that this check
# is deprecated. The files are complete without it, so the warning is noise.
warnings.filterwarnings("ignore", message=r"(?s).*is validated against ConfigStore schema")

register_resolvers()  # configs/config.yaml names its results folders through sim.runs.paths


def _discard(out_dir: Path) -> None:
    """Remove a job directory holding only Hydra's bookkeeping (never a finished result)."""
    if out_dir.is_dir() and not (out_dir / "summary.json").exists():
        shutil.rmtree(out_dir, ignore_errors=True)


def _record_failure(out_dir: Path, cfg: DictConfig, overrides: list[str],
                    err: Exception) -> None:
    """A sweep job that raised: write ``failed.json`` and log the one-line error."""
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # an interpolation that cannot resolve: keep the overrides only
        config = None
    path = results.write_failure(out_dir, err, overrides, config)
    log.error("error: %s (%s)", results.read_failure(out_dir)["error"], path)
    return None


def _claim(out_dir: Path, in_sweep: bool) -> tuple[JobClaim, bool]:
    """Own the job directory before touching it. A sweep job another live command is running
    (the same sweep started twice) is waited for, not run again; a single run refuses a
    directory another run is writing. Returns the claim and whether we waited."""
    claim = JobClaim(out_dir)
    waited = False
    while not claim.acquire():
        owner = claim.owner()
        if not in_sweep:
            print(f"error: hydra.run.dir: {out_dir} is being written by another run (pid "
                  f"{owner.get('pid')} on {owner.get('host')}); choose another directory",
                  file=sys.stderr)
            sys.exit(2)
        log.info("%s is being run by pid %s on %s; waiting for it", out_dir,
                 owner.get("pid"), owner.get("host"))
        claim.wait()
        waited = True
    return claim, waited


@hydra.main(version_base="1.3", config_path=CONFIG_SOURCE, config_name="config")
def _app(cfg: DictConfig) -> float | str | None:
    from sim.runs.replicates import run_job  # extends a finished job's replicates

    quiet_libraries()
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    in_sweep = hydra_cfg.mode == RunMode.MULTIRUN
    claim, waited = _claim(out_dir, in_sweep)
    with claim:
        if in_sweep and not (waited and results.is_complete(out_dir)):
            results.clear_failure(out_dir)
        try:
            result = run_job(cfg, out_dir)
        except Exception as err:
            if in_sweep:  # record it in the sweep table; the other jobs carry on
                return _record_failure(out_dir, cfg, list(hydra_cfg.overrides.task), err)
            if not isinstance(err, InputError):
                raise
            _discard(out_dir)
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
    if result is None:
        log.info("already complete, skipped: %s", out_dir)
        return RAN_ELSEWHERE if waited else None
    mean = result.summary_record()["mean"]
    log.info("final adoption %.3f, steps to 50%% %s -> %s", mean["final_adoption"],
             mean.get("steps_to_50"), out_dir)
    return mean["final_adoption"]


USAGE = """\
pasim: runs of the simulation (one, or a sweep with -m), configured by Hydra config groups.

  pasim [group=option ...] [key=value ...]          one run   -> results/runs/<time>/
  pasim -m key=a,b group=x,y ...                    a sweep   -> results/sweeps/<name>/
  pasim --cfg job scenario=recommended              print the resolved config, run nothing
  pasim --config-dir my_configs scenario=my_plan    add a folder of your own configs
  pasim --hydra-help                                Hydra's own flags (all accepted)
"""

#: Hydra's own launchers, choosable beside the configured ones in hydra/launcher
HYDRA_LAUNCHERS = {"basic": "Hydra's basic launcher: one job after another, in this process."}


def _description(path: Path, width: int = 76) -> str:
    """A config's one-line description: the first sentence of its leading comment (the
    ``# @package`` line aside), cut to ``width`` characters."""
    words: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("# @package"):
            continue
        if not text.startswith("#") or text.startswith("#   ") or text == "#":
            break  # the comment ends, or its usage examples begin
        words += text.lstrip("#").split()
    sentence = re.split(r"(?<=[.?])\s", " ".join(words), maxsplit=1)[0].rstrip(":")
    return sentence if len(sentence) <= width else sentence[:width - 3].rstrip() + "..."


def _defaults(folder: Path) -> dict[str, str | None]:
    """group -> default option, from the primary config's defaults list."""
    chosen: dict[str, str | None] = {}
    for entry in OmegaConf.load(folder / "config.yaml").get("defaults", []):
        if isinstance(entry, DictConfig):
            for group, option in entry.items():
                chosen[str(group).removeprefix("override ")] = option
    return chosen


def _groups(folders: list[Path]) -> dict[str, dict[str, str]]:
    """group -> option -> description, over the config folders in search order."""
    found: dict[str, dict[str, str]] = {"hydra/launcher": dict(HYDRA_LAUNCHERS)}
    for folder in folders:
        for path in sorted(folder.rglob("*.yaml")):
            group = path.parent.relative_to(folder).as_posix()
            if group != "." and (not group.startswith("hydra") or group == "hydra/launcher"):
                found.setdefault(group, {}).setdefault(path.stem, _description(path))
    return found


def _top_level_keys(folder: Path) -> list[tuple[str, str]]:
    """(key: shipped value, description) of the primary config's own keys: the value as the
    file sets it, the description from the schema (``sim.runs.schema.RunSettings``; the
    file's own comment for a key a user's primary config adds)."""
    from sim.runs.schema import RunSettings

    keys = []
    for line in (folder / "config.yaml").read_text(encoding="utf-8").splitlines():
        if line[:1].isalpha() and ":" in line and not line.startswith(("defaults", "hydra")):
            setting, _, comment = line.partition("#")
            field = RunSettings.model_fields.get(setting.split(":", 1)[0].strip())
            described = field.description if field is not None else comment.strip()
            keys.append((" ".join(setting.split()), described))
    return keys


def help_text(extra_dir: str | None = None) -> str:
    """``pasim --help``: usage, every config group with its options (one line each, from
    each file's first comment), and the top-level keys."""
    folders = ([Path(extra_dir)] if extra_dir and Path(extra_dir).is_dir() else []) + [CONFIG_DIR]
    defaults = _defaults(CONFIG_DIR)
    lines = [USAGE, "Config groups (group=option; * marks the default):"]
    for group, options in sorted(_groups(folders).items()):
        lines.append(f"  {group}")
        for option, description in sorted(options.items()):
            mark = "*" if defaults.get(group) == option else " "
            lines.append(f"    {mark}{option:<22} {description}")
    lines += ["", "Keys of the main config (key=value):"]
    lines += [f"    {setting:<30} {comment}" for setting, comment in _top_level_keys(CONFIG_DIR)]
    lines += ["", "Every key of a group is set the same way (model.threshold=3); "
              "pasim --cfg job shows them all, docs/config_reference.md what each allows."]
    return "\n".join(lines)


def _help_asked(args: list[str]) -> str | None:
    """The ``--config-dir`` folder (or "") when ``-h``/``--help`` is given, else None."""
    if not any(a in ("-h", "--help") for a in args):
        return None
    for i, arg in enumerate(args):
        if arg in ("--config-dir", "-cd") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--config-dir="):
            return arg.partition("=")[2]
    return ""


#: glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4


def _keep_freed_memory() -> None:
    """Let glibc keep freed memory for the next allocation instead of unmapping it.

    Past 32 MB glibc serves every allocation with a fresh mmap and unmaps it when freed, so
    a 10^7-node run pays ~20,000 page faults for each 80 MB temporary of each step (a third
    of its CPU time as system time). With mmap off and the heap trimmed only past 1 GiB,
    the step's temporaries reuse the pages the previous step freed. Skipped when the user
    sets glibc's own MALLOC_* variables, and wherever there is no glibc."""
    if sys.platform != "linux" or any(k.startswith("MALLOC_") for k in os.environ):
        return
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    except (OSError, AttributeError):  # another C library
        return


def _trust_the_preflight() -> None:
    """Hydra's basic sweeper composes every job of a batch once more before launching it, to
    catch composition errors early: what ``check_command_line`` has just done (and more) for
    every job, at ~0.3 s a job. Skip that pass for batches made only of checked jobs (any
    other batch is validated as before). Hydra takes sweepers only from its plugin packages,
    so this wraps the method of their base class (which, unlike the plugin modules, Hydra's
    plugin scan never imports afresh) rather than adding a sweeper of pasim's own."""
    from hydra.plugins.sweeper import Sweeper

    validate = Sweeper.validate_batch_is_legal
    if getattr(validate, "trusts_preflight", False):
        return

    def validate_unchecked(self: Sweeper, batch: list[list[str]]) -> None:
        if not all(job_key(job) in CHECKED_JOBS for job in batch):
            validate(self, batch)

    validate_unchecked.trusts_preflight = True  # type: ignore[attr-defined]
    Sweeper.validate_batch_is_legal = validate_unchecked  # type: ignore[method-assign]


def main() -> None:
    """Check every job of the command (each combination of a sweep) before Hydra makes a
    directory; any mistake, Hydra's own included, is one line and exit status 2."""
    extra_dir = _help_asked(sys.argv[1:])
    if extra_dir is not None:
        print(help_text(extra_dir or None))
        return
    try:
        kernel.backend()  # PASIM_KERNEL, checked before anything is written
        check_command_line(sys.argv[1:], CONFIG_DIR)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    _trust_the_preflight()
    _keep_freed_memory()
    try:
        _app()
    except KeyboardInterrupt:  # Ctrl-C: finished runs are complete, the rest never look it
        print("\ninterrupted: finished runs are kept; run the same command again to resume",
              file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
