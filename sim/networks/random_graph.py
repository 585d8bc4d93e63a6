"""Erdős–Rényi random graphs: the no-clustering baseline for complex contagion.

In a random graph neighbours rarely share neighbours, so reinforcement from several
adopting contacts is rare; comparing with a clustered network of the same mean degree is
the core contrast of Centola & Macy (2007) and Centola (2010).

(The module is not called ``random.py`` so that it cannot be mistaken for the standard
library module; the network is registered as ``"random"``.)

- Erdős, P. & Rényi, A. (1959). On random graphs I. Publicationes Mathematicae 6, 290-297.
- Gilbert, E. N. (1959). Random graphs. Annals of Mathematical Statistics 30(4), 1141-1144.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.network import Network
from sim.networks._checks import integer, number, rng, unique_keys


def random(n: int, mean_degree: float, seed: int | None = None) -> Network:
    """G(n, p) with p = mean_degree / (n - 1), so the expected mean degree is ``mean_degree``.

    Built without enumerating the n(n-1)/2 pairs: the number of ties is drawn from
    Binomial(n(n-1)/2, p), then that many distinct pairs are drawn uniformly (random pairs,
    self-loops and repeats dropped, topped up, then a uniform subset of the right size).
    Given its number of ties, G(n, p) is uniform over graphs with that many ties, so this is
    exactly G(n, p). 10^6 nodes with mean degree 8 take about a second.
    """
    n = integer(n, "network.n", minimum=1)
    z = number(mean_degree, "network.mean_degree", 0.0, float(n - 1))
    gen = rng(seed)
    nodes = pd.DataFrame({"label": np.arange(n)})
    meta = {"mean_degree": z}
    pairs = n * (n - 1) // 2
    m = int(gen.binomial(pairs, z / (n - 1))) if n > 1 else 0
    if 2 * m > pairs:  # dense: enumerate the pairs and leave out a uniform subset
        iu, iv = np.triu_indices(n, 1)
        keep = np.ones(pairs, dtype=bool)
        keep[gen.choice(pairs, size=pairs - m, replace=False)] = False
        u, v = iu[keep], iv[keep]
    else:
        keys = np.empty(0, dtype=np.int64)
        while keys.size < m:
            # expected fraction of draws that are new pairs, given the pairs already drawn
            fresh = (1.0 - keys.size / pairs) * (1.0 - 1.0 / n)
            draw = int((m - keys.size) / fresh * 1.05) + 16
            a = gen.integers(0, n, size=draw)
            b = gen.integers(0, n, size=draw)
            ok = a != b
            a, b = a[ok], b[ok]
            keys = unique_keys(np.concatenate([keys, np.minimum(a, b) * n + np.maximum(a, b)]))
        if keys.size > m:
            keys = gen.choice(keys, size=m, replace=False)
        u, v = keys // n, keys % n
    return Network.from_edges(n, u, v, nodes=nodes, name="random", meta=meta, simple=True)
