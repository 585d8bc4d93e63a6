"""The engine: the adoption model itself, with no Hydra, no England and no levers.

A :class:`~sim.engine.network.Network` (a sparse adjacency and a node table) goes in; the
model draws thresholds and seeds, then advances every agent at once on arrays, one sparse
product a step (``model``), with its Mesa agents as a view (``agents``), its random numbers
from named, counter-based streams (``streams``) and an independent per-agent reference
implementation for tests (``reference``). Imports only ``sim.errors``.
"""
