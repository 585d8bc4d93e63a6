"""A pasim config from Python, composed exactly as ``pasim`` composes it on the command line.

    from sim.runs.compose import compose
    from sim import simulate
    cfg = compose(["network=england", "scenario=recommended", "replicates=4"])
    result = simulate(cfg)

One function for every caller that needs a config without a Hydra job (``pasim-compare``,
``pasim-sensitivity``, ``pasim-optimise``, the calibration, the explorer): Hydra's compose
API on the shipped config folder, resolved to plain dicts, any composition error turned into
one line.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from sim.errors import InputError


def compose(overrides: Sequence[str] = (), *, check: bool = False,
            where: str = "overrides") -> dict[str, Any]:
    """The resolved config for these overrides (``hydra`` key dropped).

    ``check`` first runs every check ``pasim`` runs on its command line (a one-line
    ``InputError`` naming the key); callers that replace parts of the config afterwards
    validate the result themselves (``sim.runs.config.validate``). A composition error is
    reported as ``<where>: <Hydra's message on one line>``.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from sim.runs.build import to_dict
    from sim.runs.config import CONFIG_DIR, check_command_line

    if check:
        check_command_line(list(overrides))
    try:
        with warnings.catch_warnings(), initialize_config_dir(
                config_dir=str(CONFIG_DIR), version_base="1.3", job_name="pasim"):
            warnings.simplefilter("ignore")
            return to_dict(hydra_compose(config_name="config", overrides=list(overrides)))
    except InputError:
        raise
    except Exception as err:  # noqa: BLE001 - any composition failure is the user's input
        message = " ".join(str(err).split()) or repr(err)
        raise InputError(f"{where}: {message}") from None
