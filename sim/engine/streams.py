"""Random streams: every random number a replicate uses, keyed by what it is for.

Common random numbers (CRN) make two lever settings comparable replicate by replicate: the
difference between them is the levers' effect, not a different roll of the dice. That holds
only if no draw depends on another draw having happened, so every consumer has its own key:

- ``stream(seed, name)``: an independent generator per named use (``"thresholds"``,
  ``"seeding"``, each lever's name). Whether a lever reads the thresholds early (as
  ``complex_centrality`` placement does) or the model draws them itself, they are the same.
- ``AgentDraws``: the per-agent decisions of a step (adopt above threshold, noise,
  spontaneous adoption, lapse). Agent i's uniform at step t for a decision is a pure function
  of (seed, decision, t, i) -- a counter-based generator in the manner of Philox, here
  SplitMix64's output function over the counter (t, i) -- so it does not depend on which
  other agents are candidates that step. A lever that changes one part of the network leaves
  every other agent's draws unchanged (the standard of Starsim and Vivarium).

Only the agents that face a decision are hashed, so a step costs O(candidates), not O(n)
per decision, and a decision that is off costs nothing.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

#: the per-agent random decisions of a step, in the order the step takes them
DECISIONS = ("adopt", "noise", "spontaneous", "lapse")

_GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment (2^64 / golden ratio)
_MASK = (1 << 64) - 1
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # SplitMix64's output multipliers


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one named use of randomness in one replicate."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def _mix_scalar(z: int) -> int:
    z &= _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function, in place on a uint64 array (products wrap mod 2^64)."""
    t = z >> _S30
    z ^= t
    z *= np.uint64(_M1)
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= np.uint64(_M2)
    np.right_shift(z, _S31, out=t)
    z ^= t
    return z


class AgentDraws:
    """Per-agent uniforms in [0, 1) keyed by (replicate seed, decision, step, agent)."""

    def __init__(self, seed: int, n: int) -> None:
        state = np.random.SeedSequence([int(seed), zlib.crc32(b"agent draws")])
        keys = state.generate_state(len(DECISIONS), np.uint64)
        self._keys = {d: int(k) for d, k in zip(DECISIONS, keys, strict=True)}
        #: the decisions' keys in ``DECISIONS`` order, for the compiled step (``step_key``)
        self.base_keys = np.asarray(keys, dtype=np.uint64)
        # agent i's counter, i.e. SplitMix64's state after i + 1 increments
        self._counter = (np.arange(n, dtype=np.uint64) + np.uint64(1)) * np.uint64(_GOLDEN)

    def uniforms(self, decision: str, step: int, agents: np.ndarray | None = None) -> np.ndarray:
        """The uniform of each agent in ``agents`` (node indices; all when None) for
        ``decision`` at ``step``: the same number whoever else is asked with it."""
        key = self.step_key(decision, step)
        z = self._counter + key if agents is None else self._counter[agents] + key
        return hashed_uniforms(z)

    def step_key(self, decision: str, step: int) -> np.uint64:
        """What ``decision`` at ``step`` adds to every agent's counter before hashing: with
        the counters (``counter``), enough to draw for many replicates at once
        (``sim.engine.batch``), each number equal to the one ``uniforms`` gives."""
        return np.uint64(_mix_scalar(self._keys[decision] + (int(step) + 1) * _GOLDEN))

    @property
    def counter(self) -> np.ndarray:
        """Agent i's counter (the same for every seed: the seed is in the key)."""
        return self._counter


def pick(rng: np.random.Generator, items: np.ndarray) -> Any:
    """``rng.choice(items)`` -- the same draw, the same generator state after -- without
    its argument checks, which cost 5x the draw in a lever that picks every week."""
    return items[rng.integers(0, items.shape[0])]


def choice_cdf(p: np.ndarray) -> np.ndarray:
    """The cumulative distribution ``rng.choice(..., p=p)`` draws from, for ``pick_weighted``."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf


def pick_weighted(rng: np.random.Generator, items: np.ndarray, cdf: np.ndarray) -> Any:
    """``rng.choice(items, p=p)`` with ``cdf = choice_cdf(p)``: the same draw and state."""
    return items[cdf.searchsorted(rng.random(), side="right")]


def hashed_uniforms(z: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from counters plus keys (``z`` is overwritten)."""
    return (mix(z) >> _S11) * (1.0 / (1 << 53))
