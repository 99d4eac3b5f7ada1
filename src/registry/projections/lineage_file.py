"""The lineage graph kept in a file beside an on-disk store (``{data}.lineage``), so a start loads it in
seconds instead of reading every dataset from the store. One file: a header line (JSON: format, the
store's identity, the audit position the graph holds, counts, a digest of the rest), then the dataset
ids (JSON), a byte of flags and a kind number per node, and the edges as pairs of node numbers, in the
layout of projections/kept_file.py; a file of another format, another store, a digest that does not match
or a short read is not used (the graph is rebuilt)."""

from __future__ import annotations

import json
import logging
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path

from registry.domain.lineage import LineageGraph
from registry.projections import kept_file
from registry.projections.base import Head
from registry.store.base import Store

log = logging.getLogger("registry")

MAGIC = b"registry-lineage\n"
#: bumped when the layout changes: a file of another format is rebuilt
FORMAT = 1
PI, RETIRED = 1, 2
#: the file's name is the store's folder's and this (`lineage_path`)
SUFFIX = ".lineage"


@dataclass(frozen=True)
class Saved:
    graph: LineageGraph
    position: Head


def lineage_path(store: Store) -> Path | None:
    """``{data}.lineage`` beside an on-disk Oxigraph store opened for writing (`kept_file.beside`)."""
    return kept_file.beside(store, SUFFIX)


def save(path: Path, graph: LineageGraph, position: Head, source: str) -> None:
    """Write the graph and the position it holds, for the store named `source` (`Store.identity`)."""
    g = graph.g
    ids = list(g.nodes)
    number = {d: i for i, d in enumerate(ids)}
    kinds: list[str | None] = [None]
    kind_number: dict[str | None, int] = {None: 0}
    flags = bytearray(len(ids))
    kind_of = array("H", bytes(2 * len(ids)))
    for i, d in enumerate(ids):
        attrs = g.nodes[d]
        flags[i] = (PI if attrs.get("pi") else 0) | (RETIRED if attrs.get("retired") else 0)
        k = attrs.get("kind")
        if k not in kind_number:
            kind_number[k] = len(kinds)
            kinds.append(k)
        kind_of[i] = kind_number[k]
    edges = array("I")
    for s, t in g.edges:  # by source, each source's successors in the order they were added
        edges.append(number[s])
        edges.append(number[t])
    parts = [json.dumps(ids, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), bytes(flags),
             _little(kind_of), _little(edges)]
    kept_file.write(path, MAGIC, {"format": FORMAT, "source": source, "seq": position.seq, "hash": position.hash,
                                  "nodes": len(ids), "edges": len(edges) // 2, "kinds": kinds}, parts)


def load(path: Path, source: str) -> Saved | None:
    """The graph kept in `path` for the store named `source`, or None when there is none to trust."""
    found = kept_file.read(path, MAGIC, lambda h: h.get("format") == FORMAT and h.get("source") == source,
                           "lineage")
    if found is None:
        return None
    header, parts = found
    try:
        return Saved(_graph(parts, header), Head(int(header["seq"]), str(header["hash"])))
    except (ValueError, KeyError, TypeError, IndexError) as e:
        log.warning("the lineage file %s cannot be read, rebuilding it: %s", path, e)
        return None


forget = kept_file.forget


def _graph(parts: list[bytes], header: dict[str, object]) -> LineageGraph:
    ids = json.loads(parts[0])
    flags = parts[1]
    kind_of, edges = array("H"), array("I")
    kind_of.frombytes(parts[2])
    edges.frombytes(parts[3])
    if sys.byteorder != "little":
        kind_of.byteswap()
        edges.byteswap()
    kinds = header["kinds"]
    n = int(header["nodes"])  # type: ignore[call-overload]
    if not isinstance(ids, list) or not isinstance(kinds, list) or len(ids) != n or len(flags) != n \
            or len(kind_of) != n or len(edges) != 2 * int(header["edges"]):  # type: ignore[call-overload]
        raise ValueError("the counts do not match")
    lg = LineageGraph()
    lg.g.add_nodes_from((str(d), {"pi": bool(flags[i] & PI), "kind": kinds[kind_of[i]],
                                  "retired": bool(flags[i] & RETIRED)}) for i, d in enumerate(ids))
    lg.g.add_edges_from((ids[edges[i]], ids[edges[i + 1]]) for i in range(0, len(edges), 2))
    return lg


def _little(a: array[int]) -> bytes:
    if sys.byteorder == "little":
        return a.tobytes()
    b = array(a.typecode, a)
    b.byteswap()
    return b.tobytes()
