"""The baseline store: the registry's `Store` protocol over an rdflib in-memory Dataset.

The REST figures compare the same app, the same routes and the same services over two stores:
Oxigraph on disk (ours) and rdflib in memory (the baseline), so the ratio is the store's doing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from registry.config import Settings
from registry.services.registry import Registry
from registry.store import open_store
from registry.store.base import Row, Store, Triple, inline_bindings


def _nt(term: Node) -> str:
    return term.n3()


class RdflibStore:
    """A `Store` over one rdflib Dataset whose default graph is the union of the named graphs."""

    in_process = True

    def __init__(self) -> None:
        self.ds = Dataset(default_union=True)

    def _g(self, name: str) -> Graph:
        # a Graph over the dataset's store, without registering the name as a graph
        return Graph(store=self.ds.store, identifier=URIRef(name))

    def deferred_sync(self, *, early: bool = False) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # in memory: nothing to sync

    def replace_graphs(self, graphs: Mapping[str, Iterable[Triple]], *,
                       holding: Mapping[str, Iterable[Triple]] | None = None) -> None:
        for name, triples in graphs.items():
            g = self._g(name)
            g.remove((None, None, None))
            for t in triples:
                g.add(t)

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        g = self._g(graph)
        for t in triples:
            g.add(t)

    def graph(self, graph: str) -> list[Triple]:
        return list(self._g(graph).triples((None, None, None)))

    def has_graph(self, graph: str) -> bool:
        return next(iter(self._g(graph).triples((None, None, None))), None) is not None

    def select(self, query: str, bindings: Mapping[str, Node] | None = None, *,
               graphs: list[str] | None = None) -> list[Row]:
        if graphs is not None:
            raise NotImplementedError("the baseline store does not limit queries to graphs")
        res = self.ds.query(inline_bindings(query, bindings, _nt))
        names = [str(v) for v in res.vars or []]
        rows: list[Row] = []
        for r in res:
            rows.append({n: r[n] for n in names if r[n] is not None})  # type: ignore[index]
        return rows

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        return bool(self.ds.query(inline_bindings(query, bindings, _nt)).askAnswer)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Triple]:
        return list(self.ds.query(inline_bindings(query, bindings, _nt)))  # type: ignore[arg-type]

    def bulk_load(self, path: Path, fmt: str, progress: Callable[[int], None] | None = None) -> int:
        before = len(self.ds)
        self.ds.parse(str(path), format=fmt)
        return len(self.ds) - before

    def dump(self, out: Path) -> int:
        self.ds.serialize(str(out), format="nquads")
        return len(self.ds)

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node]]:
        for s, p, o, g in self.ds.quads((None, None, None, None)):
            yield s, p, o, g.identifier if isinstance(g, Graph) else g  # type: ignore[misc]

    def graph_names(self) -> list[str]:
        return sorted({str(c.identifier) for c in self.ds.graphs() if isinstance(c.identifier, URIRef) and len(c)})

    def copy_graphs(self, names: Iterable[str], into: Store, *, atomic: bool = True) -> int:
        if into is self:
            raise ValueError("a store cannot be copied into itself")
        graphs = {name: self.graph(name) for name in names}
        into.replace_graphs(graphs)
        return sum(len(t) for t in graphs.values())

    def scratch(self) -> Store:
        return open_store("memory")

    def snapshot(self, target: Path) -> None:
        copy = open_store("memory")
        self.copy_graphs(self.graph_names(), copy)
        copy.snapshot(target)
        copy.close()

    def flush(self) -> None:
        pass

    def identity(self) -> str:
        return f"rdflib-memory-{id(self):x}"

    def write_mark(self) -> int | None:
        """None: the baseline keeps nothing it read."""
        return None

    def close(self) -> None:
        pass


def open_rdflib_registry(nquads: Path, settings: Settings | None = None) -> Registry:
    """`open_registry`, with an rdflib store holding `nquads` in place of Oxigraph: the services are
    wired exactly as the app wires them (whatever they become), only the store differs."""
    from registry.services import registry as service

    store = RdflibStore()
    store.bulk_load(nquads, "nquads")
    original = service.open_store
    service.open_store = lambda location, **_: store  # type: ignore[assignment, return-value]
    try:
        return service.open_registry(settings or Settings(data="memory"))
    finally:
        service.open_store = original
