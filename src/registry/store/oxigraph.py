"""Oxigraph (pyoxigraph), on disk or in memory: the embedded default store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Node

from registry.store.base import Row, Triple, inline_bindings
from registry.store.terms import from_ox, to_ox


def _nt(term: Node) -> str:
    return str(to_ox(term))


class OxigraphStore:
    """A `Store` over one pyoxigraph database (a folder), or in memory when `path` is None."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
        else:
            self._store = ox.Store()
        self.path = path

    # ---------------------------------------------------------------- writes
    def replace_graphs(self, graphs: Mapping[str, Iterable[Triple]]) -> None:
        # One SPARQL update is one Oxigraph transaction: all graphs change, or none.
        parts: list[str] = []
        inserts: list[str] = []
        for g, triples in graphs.items():
            gname = _nt(_uri(g))
            parts.append(f"DROP SILENT GRAPH {gname}")
            body = " .\n".join(f"{_nt(s)} {_nt(p)} {_nt(o)}" for s, p, o in triples)
            if body:
                inserts.append(f"GRAPH {gname} {{\n{body} .\n}}")
        if inserts:
            parts.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
        if parts:
            self._store.update(" ;\n".join(parts))

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        g = ox.NamedNode(graph)
        self._store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples)  # type: ignore[arg-type]

    # ----------------------------------------------------------------- reads
    def graph(self, graph: str) -> list[Triple]:
        g = ox.NamedNode(graph)
        return [
            (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
            for q in self._store.quads_for_pattern(None, None, None, g)
        ]

    def has_graph(self, graph: str) -> bool:
        return bool(self._store.contains_named_graph(ox.NamedNode(graph)))

    def _run(self, query: str, bindings: Mapping[str, Node] | None, graphs: list[str] | None = None) -> object:
        query = inline_bindings(query, bindings, _nt)
        if graphs is None:
            return self._store.query(query, use_default_graph_as_union=True)
        named = [ox.NamedNode(g) for g in graphs]
        return self._store.query(query, default_graph=named, named_graphs=named)  # type: ignore[arg-type]

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, graphs: list[str] | None = None
    ) -> list[Row]:
        res = self._run(query, bindings, graphs)
        variables = [v.value for v in res.variables]  # type: ignore[attr-defined]
        rows: list[Row] = []
        for sol in res:  # type: ignore[attr-defined]
            row: Row = {}
            for name in variables:
                val = sol[name]
                if val is not None:
                    row[name] = from_ox(val)
            rows.append(row)
        return rows

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        return bool(self._run(query, bindings))

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Triple]:
        return [
            (from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
            for t in self._run(query, bindings)  # type: ignore[attr-defined]
        ]

    # ------------------------------------------------------------------ bulk
    def bulk_load(self, path: Path, fmt: str) -> int:
        formats = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
        before = len(self._store)
        self._store.bulk_load(path=str(path), format=formats[fmt])
        return len(self._store) - before

    def dump(self, out: Path) -> int:
        self._store.dump(output=str(out), format=ox.RdfFormat.N_QUADS)
        return len(self._store)

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node]]:
        for q in self._store:
            yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), from_ox(q.graph_name)

    def raw(self) -> ox.Store:
        """The underlying pyoxigraph store (the public SPARQL endpoint and benchmarks use it)."""
        return self._store

    def close(self) -> None:
        self._store.flush()
        del self._store


def _uri(g: str) -> Node:
    from rdflib import URIRef

    return URIRef(g)
