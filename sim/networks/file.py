"""A user's own stakeholder network, from GraphML or a CSV edge list plus a node table.

Real stakeholder lists are messy, so the loader checks everything and says exactly what is
wrong (one ``InputError`` naming the field) rather than failing later inside the model.
Repairs follow the same rule as ``Network.from_networkx`` (see ``sim.engine.network``): a tie listed
more than once is merged (keeping its largest weight), a self-loop or a zero weight is
dropped, each warned once. Nodes without ties are kept, with a warning: they are real
stakeholders who simply never get exposure. docs/file_networks.md describes the format.

Direction: ``directed=True`` reads a row (source=i, target=j) as "i named j", so j's
adoption reinforces i (``adjacency[i, j] = w``); ``None`` (the default) takes GraphML's own
declaration and reads a CSV as undirected; ``False`` makes every tie mutual.

GraphML: http://graphml.graphdrawing.org/ (Brandes et al. 2002, "GraphML progress report",
Graph Drawing, LNCS 2265), read with networkx. Weighted undirected ties follow the network
model of Centola & Macy (2007), American Journal of Sociology 113(3).
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from sim.engine.network import Network, check_weights, warn_once, warn_repairs
from sim.errors import InputError
from sim.networks._checks import choice, pair_key, unique_keys

FORMATS = ("auto", "graphml", "csv")
#: the levels of the health system (national and regional bodies are "the centre")
LEVELS = ("national", "regional", "system", "local")
_SUFFIXES = {".graphml": "graphml", ".xml": "graphml", ".csv": "csv"}
_INT = re.compile(r"^[+-]?\d+$")


def file(
    path: str,
    format: str = "auto",
    nodes: str | None = None,
    source: str = "source",
    target: str = "target",
    weight: str | None = "weight",
    id_column: str = "id",
    directed: bool | None = None,
) -> Network:
    """Load a network from ``path`` (GraphML, or a CSV edge list with an optional node table).

    ``format="auto"`` decides by extension (.graphml/.xml or .csv). A CSV edge list has one
    tie per row in columns ``source`` and ``target`` and, if present, ``weight`` (missing
    column ``weight`` or ``weight=None``: every tie weighs 1). ``nodes`` is an optional CSV
    node table keyed by ``id_column``; its other columns (kind, sector, deprivation ...)
    become node attributes, and every edge must refer to a node in it. GraphML carries its
    node attributes itself. ``directed``: see the module docstring.

    Node order is the node table's (or the GraphML file's), otherwise first appearance in
    the edge list. The original ids go to the ``label`` column (as ints when they all are),
    unless the node table has its own ``label`` column, which is kept and the ids stay in
    ``id_column``.
    """
    p = _existing(path, "network.path")
    fmt = choice(format, "network.format", FORMATS)
    if directed is not None and not isinstance(directed, bool):
        raise InputError(f"network.directed: must be true, false or null (got {directed!r})")
    if fmt == "auto":
        fmt = _SUFFIXES.get(p.suffix.lower(), "")
        if not fmt:
            raise InputError(
                f"network.format: cannot tell the format of '{p.name}' from its extension "
                "(.graphml, .xml or .csv); set network.format to graphml or csv"
            )
    if fmt == "graphml":
        if nodes is not None:
            raise InputError(
                "network.nodes: a node table is only read with a CSV edge list; GraphML "
                "carries node attributes itself (leave network.nodes null)"
            )
        ids, attrs, src, tgt, w, declared = _read_graphml(p, weight)
        where, noun = "network.path", "node attribute"
    else:
        src, tgt, w = _read_edges_csv(p, source, target, weight)
        ids, attrs = (None, None) if nodes is None else _read_node_table(nodes, id_column)
        declared = False
        where, noun = "network.nodes", "column"
    directed = declared if directed is None else directed

    ids, u, v = _node_indices(ids, src, tgt)
    n = len(ids)
    table = _node_table(ids, attrs, id_column, _id_locator(fmt, src, tgt, id_column))
    _check_attributes(table, where, noun)  # every error before any repair is warned
    u, v, w = _repair(n, u.astype(np.int64), v.astype(np.int64), w, directed, p)

    _warn_isolated(n, u, v, ids, where, p)
    return Network.from_edges(
        n, u, v, w, nodes=table, name=p.stem, directed=directed,
        meta={"path": str(p), "format": fmt, "directed": directed},
    )


def _node_indices(ids: np.ndarray | None, src: np.ndarray, tgt: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids and each tie's two node indices: in the node table's order, or (without
    one) in order of first appearance in the edge list."""
    if ids is None:  # order of first appearance in the edge list
        ids = pd.unique(np.column_stack([src, tgt]).ravel())
        u = pd.Index(ids).get_indexer(src)
        v = pd.Index(ids).get_indexer(tgt)
    else:
        index = pd.Index(ids)
        u, v = index.get_indexer(src), index.get_indexer(tgt)
        unknown = np.flatnonzero((u < 0) | (v < 0))
        if unknown.size:
            i = unknown[0]
            name = src[i] if u[i] < 0 else tgt[i]
            raise InputError(
                f"network.nodes: edge refers to unknown node '{name}' (not in the node table)"
            )
    return ids, u, v


def _warn_isolated(n: int, u: np.ndarray, v: np.ndarray, ids: np.ndarray, where: str,
                   p: Path) -> None:
    """Nodes without ties are kept (they can still adopt spontaneously); say so once."""
    isolated = np.flatnonzero(np.bincount(np.concatenate([u, v]), minlength=n) == 0)
    if isolated.size:
        shown = ", ".join(f"'{ids[i]}'" for i in isolated[:5])
        more = f" and {isolated.size - 5} more" if isolated.size > 5 else ""
        warn_once(
            f"{where}: {isolated.size} node(s) have no ties ({shown}{more}); they are kept "
            "but will never be exposed",
            str(p),
        )


# ----------------------------------------------------------------------------------------
# readers


def _existing(path: object, field: str) -> Path:
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise InputError(f"{field}: must be a file path (got {path!r})")
    p = Path(path).expanduser()
    if p.is_dir():
        raise InputError(f"{field}: is a directory, not a file: {p}")
    if not p.is_file():
        raise InputError(f"{field}: file not found: {p}")
    return p


def _read_graphml(
    p: Path, weight: str | None
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, bool]:
    try:
        graph = nx.read_graphml(p)
    except Exception as err:  # any parse failure is the same user error
        detail = " ".join(str(err).split()) or type(err).__name__
        raise InputError(f"network.path: not valid GraphML ({detail}): {p}") from None
    if graph.number_of_nodes() == 0:
        raise InputError(f"network.path: the graph has no nodes: {p}")
    ids = np.array([str(x) for x in graph.nodes], dtype=object)
    attrs = pd.DataFrame.from_records([graph.nodes[x] for x in graph.nodes])
    edges = list(graph.edges(data=True))
    if not edges:
        raise InputError(f"network.path: the graph has no ties: {p}")
    src = np.array([str(a) for a, _, _ in edges], dtype=object)
    tgt = np.array([str(b) for _, b, _ in edges], dtype=object)
    if weight is None or not any(weight in d for _, _, d in edges):
        if weight not in (None, "weight"):
            raise InputError(
                f"network.weight: no edge of the graph has attribute '{weight}'; "
                "set network.weight to an edge attribute, or null for unweighted ties"
            )
        w = np.ones(len(edges))
    else:
        missing = [(a, b) for a, b, d in edges if weight not in d]
        if missing:
            a, b = missing[0]
            raise InputError(
                f"network.weight: edge '{a}'-'{b}' has no '{weight}' attribute ("
                f"{len(missing)} of {len(edges)} edges lack it); give every edge a weight or "
                "set network.weight to null"
            )
        # typed by the file's <key attr.type=...>: a string weight is a mistake in the file
        w = check_weights([d[weight] for _, _, d in edges], "network.weight",
                          f"edge attribute '{weight}'",
                          lambda i: f"edge '{src[i]}'-'{tgt[i]}'")
    return ids, attrs, src, tgt, w, graph.is_directed()


def _read_csv(p: Path, field: str, what: str, dtype: dict[str, type]) -> pd.DataFrame:
    """Read a CSV file; a row with more fields than the header is an error naming it.

    ``index_col=False``: otherwise pandas takes an over-long first row as a sign that the
    first column is an index, shifts every column and blames a valid line later.
    """
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(p, dtype=dtype, skipinitialspace=True, index_col=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"{field}: {what} is empty: {p}") from None
    except pd.errors.ParserError as err:
        raise _overlong_row(p, field, what) or _unreadable(p, field, what, err) from None
    except (UnicodeDecodeError, ValueError) as err:
        detail = " ".join(str(err).split())
        raise InputError(f"{field}: {what} is not a readable CSV file ({detail}): {p}") from None
    except OSError as err:  # permissions, a file removed while reading ...
        raise InputError(f"{field}: cannot read {what} ({err.strerror or err}): {p}") from None
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in record):
        raise _overlong_row(p, field, what) or InputError(f"{field}: {what} has rows that do "
                                                          f"not match its header: {p}")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _overlong_row(p: Path, field: str, what: str) -> InputError | None:
    """The first row with more fields than the header (only read after pandas failed)."""
    with open(p, newline="", encoding="utf-8", errors="replace") as handle:
        rows = csv.reader(handle, skipinitialspace=True)
        header = len(next(rows, []))
        for row in rows:
            if len(row) > header:
                return InputError(
                    f"{field}: line {rows.line_num} of {what} has {len(row)} fields but the "
                    f"header has {header}; remove the extra fields or name them in the header"
                    f": {p}")
    return None


def _unreadable(p: Path, field: str, what: str, err: Exception) -> InputError:
    detail = " ".join(str(err).split())
    return InputError(f"{field}: {what} is not a readable CSV file ({detail}): {p}")


def _read_edges_csv(
    p: Path, source: str, target: str, weight: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = _read_csv(p, "network.path", "the edge list", {source: str, target: str})
    columns = ", ".join(map(str, frame.columns))
    for field, column in (("network.source", source), ("network.target", target)):
        if column not in frame.columns:
            raise InputError(
                f"{field}: the edge list has no column '{column}' (columns: {columns})"
            )
    if frame.empty:
        raise InputError(f"network.path: the edge list has no ties: {p}")
    ends = []
    for field, column in (("network.source", source), ("network.target", target)):
        ids = frame[column].str.strip()
        bad = np.flatnonzero(ids.isna().to_numpy() | (ids == "").to_numpy())
        if bad.size:
            raise InputError(
                f"{field}: column '{column}' is empty on line {bad[0] + 2} of the edge list "
                f"({bad.size} row(s)); every tie needs both ends"
            )
        ends.append(ids.to_numpy(dtype=object))
    if weight is None or (weight == "weight" and weight not in frame.columns):
        w = np.ones(len(frame))
    elif weight not in frame.columns:
        raise InputError(
            f"network.weight: the edge list has no column '{weight}' (columns: {columns}); "
            "set network.weight to a column, or null for unweighted ties"
        )
    else:
        w = _weights(frame[weight], f"column '{weight}'", lambda i: f"line {i + 2}")
    return ends[0], ends[1], w


def _weights(raw: pd.Series, what: str, locate: Callable[[int], str]) -> np.ndarray:
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        raise InputError(
            f"network.weight: {what} must be a finite number; {locate(bad[0])} has "
            f"{raw.iloc[bad[0]]!r}"
        )
    bad = np.flatnonzero(w < 0)
    if bad.size:
        raise InputError(
            f"network.weight: {what} must not be negative; {locate(bad[0])} has {w[bad[0]]:g}"
        )
    return w


def _read_node_table(nodes: object, id_column: str) -> tuple[np.ndarray, pd.DataFrame]:
    p = _existing(nodes, "network.nodes")
    table = _read_csv(p, "network.nodes", "the node table", {id_column: str})
    if id_column not in table.columns:
        raise InputError(
            f"network.id_column: the node table has no column '{id_column}' (columns: "
            f"{', '.join(map(str, table.columns))})"
        )
    if table.empty:
        raise InputError(f"network.nodes: the node table has no nodes: {p}")
    ids = table[id_column].str.strip()
    bad = np.flatnonzero(ids.isna().to_numpy() | (ids == "").to_numpy())
    if bad.size:
        raise InputError(
            f"network.nodes: column '{id_column}' is empty on line {bad[0] + 2} of the node "
            "table; every node needs an id"
        )
    dup = np.flatnonzero(ids.duplicated().to_numpy())
    if dup.size:
        first = int(np.flatnonzero((ids == ids.iloc[dup[0]]).to_numpy())[0])
        raise InputError(
            f"network.nodes: duplicate id '{ids.iloc[dup[0]]}' in the node table (lines "
            f"{first + 2} and {dup[0] + 2}); ids must be unique"
        )
    return ids.to_numpy(dtype=object), table


# ----------------------------------------------------------------------------------------
# repairs and checks


def _repair(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, directed: bool, p: Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop zero-weight ties and self-loops, count repeated ties (merged by from_edges);
    warned with ``Network.from_networkx``'s words, once each."""
    zero = w == 0
    loop = u == v
    keep = ~zero & ~loop
    u, v, w = u[keep], v[keep], w[keep]
    keys = u * np.int64(n) + v if directed else pair_key(n, u, v)
    repeats = keys.size - unique_keys(keys).size
    warn_repairs("network.path", loops=int(loop.sum()), repeats=repeats,
                 zeros=int((zero & ~loop).sum()), origin=str(p))
    if u.size == 0:
        raise InputError(
            f"network.path: no ties left after dropping self-loops and zero weights: {p}"
        )
    return u, v, w


def _as_labels(ids: np.ndarray, locate: Callable[[str], str]) -> np.ndarray:
    """Ids as ints when every id is an integer written plainly, else as strings.

    An integer id outside 64 bits (10^26) cannot be a node label the tables can hold: an
    error naming where it is, rather than an overflow deep inside NumPy."""
    strings = [str(x) for x in ids]
    if all(_INT.match(s) for s in strings):
        too_big = next((s for s in strings if not -(2**63) <= int(s) < 2**63), None)
        if too_big is not None:
            raise InputError(
                f"{locate(too_big)} is an integer outside the 64-bit range "
                f"(-2^63 to 2^63-1); use smaller integer ids or names"
            )
        ints = np.array([int(s) for s in strings], dtype=np.int64)
        if [str(i) for i in ints] == strings:
            return ints
    return np.array(strings, dtype=object)


def _id_locator(fmt: str, src: np.ndarray, tgt: np.ndarray,
                id_column: str) -> Callable[[str], str]:
    """Where a node id comes from, for an error message: the first edge-list line naming it."""
    def locate(node: str) -> str:
        if fmt == "graphml":
            return f"network.path: node id {node}"
        for field, ends in (("network.source", src), ("network.target", tgt)):
            at = np.flatnonzero(ends == node)
            if at.size:
                return f"{field}: node id {node} on line {at[0] + 2} of the edge list"
        return f"network.nodes: node id {node} in column '{id_column}'"

    return locate


def _node_table(ids: np.ndarray, attrs: pd.DataFrame | None, id_column: str,
                locate: Callable[[str], str]) -> pd.DataFrame:
    labels = _as_labels(ids, locate)
    if attrs is None:
        return pd.DataFrame({"label": labels})
    table = attrs.drop(columns=[id_column], errors="ignore").reset_index(drop=True)
    if "label" in table.columns and id_column != "label":
        table.insert(0, id_column, labels)
        return table[["label", *[c for c in table.columns if c != "label"]]]
    table.insert(0, "label", labels)
    return table


def _check_categories(table: pd.DataFrame, where: str, noun: str) -> None:
    """Sector and level decide which ties are discounted, so a node without one (or with a
    misspelt level, which would silently count as a local organisation) is an error."""
    for column in ("sector", "level"):
        if column not in table.columns:
            continue
        values = table[column]
        blank = values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise InputError(
                f"{where}: {noun} '{column}' is missing for node '{table['label'].iloc[i]}' "
                f"({int(blank.sum())} node(s)); give every node a {column} or drop the {noun}"
            )
        if column == "level":
            wrong = ~values.isin(LEVELS).to_numpy()
            if wrong.any():
                i = int(np.flatnonzero(wrong)[0])
                raise InputError(
                    f"{where}: {noun} 'level' must be one of: {', '.join(LEVELS)}; node "
                    f"'{table['label'].iloc[i]}' has {values.iloc[i]!r} "
                    f"({int(wrong.sum())} node(s) wrong)"
                )


def _check_attributes(table: pd.DataFrame, where: str, noun: str) -> None:
    """Attributes the model reads must be usable: deprivation in [0, 1], influence > 0,
    sector and level given for every node."""
    _check_categories(table, where, noun)
    rules = {
        "deprivation": ("a number from 0 to 1", lambda x: (x >= 0) & (x <= 1)),
        "influence": ("a positive number", lambda x: (x > 0) & np.isfinite(x)),
    }
    for column, (allowed, ok) in rules.items():
        if column not in table.columns:
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~ok(values))  # NaN fails every comparison
        if bad.size:
            i = bad[0]
            raise InputError(
                f"{where}: {noun} '{column}' must be {allowed} for every node; node "
                f"'{table['label'].iloc[i]}' has {table[column].iloc[i]!r} "
                f"({bad.size} node(s) wrong)"
            )
        table[column] = values
