"""A sweep job's config composed once per choice of config groups, in every process.

Hydra composes each job of a sweep from scratch where the job runs
(``ConfigLoaderImpl.load_sweep_config``: the defaults list, every config file, then the
overrides), ~0.3 s a job on an idle core. Jobs that differ only in values
(``lever_grid``: 40 jobs, one choice of groups) share all but the last step. ``install()``
wraps ``load_sweep_config`` so that a process composes each choice of groups (and of Hydra's
own overrides) once, then for each job sets its values on a copy with Hydra's own code and
records its overrides in the Hydra node as Hydra does (``hydra.overrides``,
``hydra.job.override_dirname``): the job's config is the one Hydra would compose (tested).
Anything unusual (an error, an override Hydra treats specially) goes to Hydra's own method.
"""

from __future__ import annotations

import copy
from typing import Any

#: (config name, overrides that choose configs) -> the config they compose, per process
_COMPOSED: dict[tuple[str, tuple[str, ...]], Any] = {}


def install() -> None:
    """Wrap Hydra's ``load_sweep_config`` with the cache (once per process)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    original = ConfigLoaderImpl.load_sweep_config
    if getattr(original, "caches_groups", False):
        return

    def load_sweep_config(self: Any, master_config: Any, sweep_overrides: list[str]) -> Any:
        try:
            cfg = compose_job(self, master_config, sweep_overrides)
        except Exception:  # noqa: BLE001 - Hydra's own path reports it in its own words
            cfg = None
        return original(self, master_config, sweep_overrides) if cfg is None else cfg

    load_sweep_config.caches_groups = True  # type: ignore[attr-defined]
    ConfigLoaderImpl.load_sweep_config = load_sweep_config  # type: ignore[method-assign]


def compose_job(loader: Any, master_config: Any, sweep_overrides: list[str]) -> Any:
    """What ``loader.load_sweep_config(master_config, sweep_overrides)`` returns, or None
    when the overrides need Hydra's own path."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
    from hydra._internal.defaults_list import Overrides
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    overrides = [*OmegaConf.to_container(master_config.hydra.overrides.hydra), *sweep_overrides]
    name = master_config.hydra.job.config_name
    # Hydra's own first step: the parsed overrides and the repository they search
    parsed, repository = loader._parse_overrides_and_create_caching_repo(  # noqa: SLF001
        name, overrides)
    if any(o.is_sweep_override() for o in parsed):
        return None
    values = [o for o in Overrides(repository, parsed).config_overrides
              if not o.is_hydra_override()]
    chosen = tuple(o.input_line for o in parsed if all(o is not v for v in values))
    key = (name, chosen)
    if key not in _COMPOSED:
        _COMPOSED[key] = loader.load_configuration(config_name=name, overrides=list(chosen),
                                                   run_mode=RunMode.RUN)
    cfg = copy.deepcopy(_COMPOSED[key])
    ConfigLoaderImpl._apply_overrides_to_config(values, cfg)  # noqa: SLF001
    task = [o for o in parsed if not o.is_hydra_override()]
    cfg.hydra.overrides.hydra = [o.input_line for o in parsed if o.is_hydra_override()]
    cfg.hydra.overrides.task = [o.input_line for o in task]
    dirname = cfg.hydra.job.config.override_dirname
    cfg.hydra.job.override_dirname = get_overrides_dirname(
        overrides=task, kv_sep=dirname.kv_sep, item_sep=dirname.item_sep,
        exclude_keys=dirname.exclude_keys)
    OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
    return cfg
