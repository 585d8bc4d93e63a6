"""How much memory a network will take, and how much the machine has, before building it.

The estimate is deliberately on the high side: a network is built as edge arrays, sorted and
turned into a sparse matrix (both directions of every tie), and the model keeps a handful of
per-agent arrays and a node table. Measured peaks (``benchmarks/latest.md``: a 10^6-node
k=8 ring takes ~300-400 MiB) sit below the estimate (~620 MiB), so the check refuses only
what cannot work, never what the benchmark shows to be fine.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: bytes per stored tie direction while building (int64 ends + float64 weight, sorted copy)
BYTES_PER_TIE_END = 40
#: bytes per agent (state arrays, thresholds, exposure, the node table)
BYTES_PER_NODE = 300


def _ties(net: Mapping[str, Any]) -> tuple[float, float, tuple[str, ...]] | None:
    """(nodes, undirected ties, the keys that set them) of a synthetic network."""
    name = net.get("name")
    number = (int, float)
    if name in ("ring_lattice", "small_world"):
        n, k = net.get("n"), net.get("k")
        if isinstance(n, number) and isinstance(k, number):
            return n, n * k / 2, ("network.n", "network.k")
    if name == "random":
        n, degree = net.get("n"), net.get("mean_degree")
        if isinstance(n, number) and isinstance(degree, number):
            return n, n * degree / 2, ("network.n", "network.mean_degree")
    if name == "clustered":
        c, s = net.get("clusters"), net.get("size")
        if isinstance(c, number) and isinstance(s, number):
            degree = net.get("internal_degree") if net.get("internal") == "ring" else s - 1
            degree = degree if isinstance(degree, number) else s - 1
            width = net.get("width") if isinstance(net.get("width"), number) else 0
            return c * s, c * (s * degree / 2 + width * width), ("network.clusters",
                                                                 "network.size")
    if name == "networkx" and isinstance(net.get("n"), number):
        n = net["n"]
        degree = next((net[k] for k in ("k", "m", "d") if isinstance(net.get(k), number)), 8)
        return n, n * degree / 2, ("network.n",)
    return None


def estimate_network_memory(net: Mapping[str, Any]) -> tuple[int, tuple[str, ...]] | None:
    """Bytes a synthetic network and its model need, and the keys that decide it (None when
    only building tells, e.g. a file or England)."""
    found = _ties(net)
    if found is None:
        return None
    nodes, ties, keys = found
    return int(2 * ties * BYTES_PER_TIE_END + nodes * BYTES_PER_NODE), keys


def _cgroup_free() -> int | None:
    """Memory left under this process's cgroup (v2) limit, if it has one."""
    limit, usage = Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")
    try:
        text = limit.read_text().strip()
        if text == "max":
            return None
        return max(0, int(text) - int(usage.read_text().strip()))
    except (OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes this process could still allocate: the kernel's MemAvailable, or the cgroup's
    remaining allowance if smaller (None where neither can be read)."""
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    if not found and hasattr(os, "sysconf"):
        with contextlib.suppress(ValueError, OSError):
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    cgroup = _cgroup_free()
    if cgroup is not None:
        found.append(cgroup)
    return min(found) if found else None


def format_bytes(count: float) -> str:
    """``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return f"{count:,.1f} PiB"
