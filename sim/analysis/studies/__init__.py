"""Validation studies: the model against five published results on complex contagion.

Each study is a module with ``run`` (a tidy table, one row per run), ``figure`` and
``findings``, registered here by name; ``pasim-validate <name>`` runs one and
writes its table, figure and findings into ``results/validation/<name>/``. The matching
``experiments/<name>/README.md`` sets the published result beside ours.
"""

from __future__ import annotations

from sim.analysis.studies import (
    bridge_width_validation,
    centola_macy_2007,
    clustered_vs_random,
    noisy_thresholds,
    watts_2002,
)
from sim.analysis.studies.common import Study

STUDIES: dict[str, Study] = {
    module.STUDY.name: module.STUDY
    for module in (centola_macy_2007, bridge_width_validation, watts_2002, noisy_thresholds,
                   clustered_vs_random)
}

__all__ = ["STUDIES", "Study"]
