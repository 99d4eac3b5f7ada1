"""What each kind of caller may query: materialised views of the store, enforced by the store itself.

A view is a second Oxigraph store that holds *only* the graphs its callers may see, copied from the
main store by name (an allow-list, never a deny-list):

- ``public``: the public graph of every record (``{base}/graph/{kind}/{id}``) and the reference
  graphs that describe the vocabulary (ontology, authorities, vocabularies; not the shapes).
- ``officer``: the above and every restricted record graph (``.../restricted``, share checks too).
  Never the system graphs (tokens, audit) nor the history snapshots.

Because a graph that is not allowed is simply not there, no FROM, FROM NAMED, GRAPH ?g, property path
or DESCRIBE can reach it, whatever the query says, and a query costs what it costs on a store of that
size: no list of a million graph names is passed per query (with Oxigraph that costs ~0.5 s per
200,000 names and grows linearly).

Views follow the audit chain: every write of a record or share check appends an audit entry naming
the record (audit.py), so before each query a view reads the chain's head (one tiny graph) and, if it
moved, re-copies the graphs of the records named by the new entries. A view is built on first use by
one pass over the store's named graphs; if the chain went backwards or its hash at the view's
position changed (the store was replaced), the view is rebuilt.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.term import Node

from registry.audit import AuditLog, Head
from registry.model import KINDS
from registry.model.common import Iris
from registry.namespaces import PROV, REG
from registry.store.base import Row, Store, Triple, inline_bindings
from registry.store.terms import from_ox, to_ox

#: reference graphs anyone may query (the shapes are left out: they describe validation, not data)
PUBLIC_REFERENCE = ("ontology", "authorities", "vocabularies")
#: record kinds that have a restricted graph an officer may query, besides the REST record kinds
RESTRICTED_ONLY_KINDS = ("share-check", "openlineage-run")


@dataclass(frozen=True)
class Visibility:
    """Which named graphs a view holds, by name."""

    iris: Iris
    restricted: bool
    extra: frozenset[str] = frozenset()

    def allows(self, graph: str) -> bool:
        if graph in self.extra:
            return True
        prefix = self.iris.base + "/graph/"
        if not graph.startswith(prefix):
            return False
        parts = graph[len(prefix):].split("/")
        if parts[0] == "reference":
            return len(parts) == 2 and parts[1] in PUBLIC_REFERENCE
        if len(parts) == 2 and parts[0] in KINDS and parts[1]:
            return True
        if self.restricted and len(parts) == 3 and parts[2] == "restricted" and parts[1]:
            return parts[0] in KINDS or parts[0] in RESTRICTED_ONLY_KINDS
        return False


class GraphView:
    """One materialised view: an in-memory Oxigraph store of the allowed graphs, kept in step."""

    def __init__(self, name: str, store: Store, iris: Iris, audit: AuditLog, visibility: Visibility) -> None:
        self.name, self.source, self.iris, self.audit, self.visibility = name, store, iris, audit, visibility
        self._lock = threading.Lock()
        self._store: ox.Store | None = None
        self._head: Head | None = None

    # ------------------------------------------------------------------ reading
    def store(self) -> ox.Store:
        """The view's store, brought up to date with the main store first."""
        with self._lock:
            if self._store is None:
                self._rebuild()
            else:
                self._catch_up()
            assert self._store is not None
            return self._store

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """A SELECT over the union of the view's graphs (services that must read only public data)."""
        res = self.store().query(inline_bindings(query, bindings, lambda t: str(to_ox(t))),
                                 use_default_graph_as_union=True)
        names = [v.value for v in res.variables]  # type: ignore[union-attr]
        rows: list[Row] = []
        for sol in res:  # type: ignore[union-attr]
            row: Row = {}
            for i, name in enumerate(names):
                val = sol[i]
                if val is not None:
                    row[name] = from_ox(val)
            rows.append(row)
        return rows

    def graph(self, name: str) -> list[Triple]:
        """The triples of one graph of the view (none when the view does not hold it)."""
        return [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                for q in self.store().quads_for_pattern(None, None, None, ox.NamedNode(name))]

    def construct(self, query: str) -> list[ox.Triple]:
        return list(self.store().query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store().named_graphs() if isinstance(g, ox.NamedNode))

    # ------------------------------------------------------------------ syncing
    def _rebuild(self) -> None:
        head = self.audit.head()
        view = ox.Store()
        view.bulk_extend(self._copy(self._source_graphs()))
        self._store, self._head = view, head

    def _source_graphs(self) -> Iterator[str]:
        raw = getattr(self.source, "raw", None)
        if raw is not None:
            for g in raw().named_graphs():
                if isinstance(g, ox.NamedNode) and self.visibility.allows(g.value):
                    yield g.value
        else:  # any other backend: one pass over its quads to learn the graph names
            seen: set[str] = set()
            for *_, g in self.source.quads():
                name = str(g)
                if name not in seen and self.visibility.allows(name):
                    seen.add(name)
                    yield name

    def _copy(self, graphs: Iterable[str]) -> Iterator[ox.Quad]:
        raw = getattr(self.source, "raw", None)
        for name in graphs:
            g = ox.NamedNode(name)
            if raw is not None:
                yield from raw().quads_for_pattern(None, None, None, g)
            else:
                for s, p, o in self.source.graph(name):
                    yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), g)  # type: ignore[arg-type]

    def _catch_up(self) -> None:
        assert self._store is not None and self._head is not None
        head = self.audit.head()
        if head == self._head:
            return
        if head.seq < self._head.seq or not self._still_there(self._head):
            self._rebuild()
            return
        graphs: set[str] = set()
        for seq in range(self._head.seq + 1, head.seq + 1):
            for _s, p, o in self.source.graph(self.audit.entry_graph(seq)):
                if p == PROV.used:
                    parts = self.iris.split(o)
                    if parts is not None:
                        graphs.update(self.iris.graphs(*parts))
        allowed = sorted(g for g in graphs if self.visibility.allows(g))
        if allowed:
            # one update is one transaction: a query sees each record before or after, never half
            parts = [f"DROP SILENT GRAPH <{name}>" for name in allowed]
            blocks = []
            for name in allowed:
                body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in self._copy([name]))
                if body:
                    blocks.append(f"GRAPH <{name}> {{\n{body}\n}}")
            if blocks:
                parts.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
            self._store.update(" ;\n".join(parts))
        self._head = head

    def _still_there(self, head: Head) -> bool:
        """Is the entry the view last read still the one in the chain (same hash)?"""
        if head.seq == 0:
            return True
        for _s, p, o in self.source.graph(self.audit.entry_graph(head.seq)):
            if p == REG.entryHash:
                return str(o) == head.hash
        return False


class Views:
    """The views of one registry, built on first use: `public` and `officer`."""

    def __init__(self, store: Store, iris: Iris, audit: AuditLog, extra_public: Iterable[str] = ()) -> None:
        extra = frozenset(extra_public)
        self.public = GraphView("public", store, iris, audit, Visibility(iris, restricted=False, extra=extra))
        self.officer = GraphView("officer", store, iris, audit, Visibility(iris, restricted=True, extra=extra))
