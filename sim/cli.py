"""The ``pasim`` command: a thin Hydra entry point over ``sim.runner``.

Bad input prints one line, ``error: <field>: <what is allowed>``, exits with status 2 and
removes the job's output directory, so nothing that looks like a result is left behind.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.errors import InputError

log = logging.getLogger("pasim")

#: the repository's configs/ (the package is installed editable from the repository)
CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def _quiet_libraries() -> None:
    """Hydra logs at INFO; keep per-step library chatter (Mesa, matplotlib) out of job logs."""
    for name in ("MESA", "mesa", "matplotlib", "PIL", "numba", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _discard(out_dir: Path) -> None:
    """Remove a job directory holding only Hydra's bookkeeping (never a finished result)."""
    if out_dir.is_dir() and not (out_dir / "summary.json").exists():
        shutil.rmtree(out_dir, ignore_errors=True)


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="config")
def _app(cfg: DictConfig) -> float | None:
    from sim.runner import run_job

    _quiet_libraries()
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = run_job(cfg, out_dir)
    except InputError as err:
        _discard(out_dir)
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    if result is None:
        log.info("already complete, skipped: %s", out_dir)
        return None
    mean = result.summary_record()["mean"]
    log.info("final adoption %.3f, steps to 50%% %s -> %s", mean["final_adoption"],
             mean.get("steps_to_50"), out_dir)
    return mean["final_adoption"]


def main() -> None:
    _app()


if __name__ == "__main__":
    main()
