"""The world: what turns a network into the health system a strategist acts on.

Mechanisms (coherence, alignment, lapse, per-type thresholds and rates, ``mechanisms``),
time-varying external influence (``external``), the levers a plan pulls (``levers``: convening,
shared goals, champions, events, data) and the England outcomes of a run (``outcomes``).
``build.build_model`` assembles them into an engine model. Imports the engine and networks.
"""
