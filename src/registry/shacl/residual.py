"""The shapes the compiler leaves over (such as `sh:or`, `sh:in`, `sh:qualifiedValueShape`), validated
by pySHACL: on the write path over the record, the records it references and the reference data; over a
whole store a batch of focus nodes at a time, each batch with the graphs around it. Results are the
same Violations the compiled checks give."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from registry.errors import Violation
from registry.shacl.compiler import OTHER_TARGETS, implicit_targets, shape_name
from registry.store.base import Store, Triple, inline_rows
from registry.store.terms import nt

#: focus nodes validated together over a whole store, and how many hops of record graphs around them
#: each batch reads (a record's graphs, those of the records it references, and theirs)
BATCH = 200
HOPS = 2

_T = TypeVar("_T")
_GRAPHS_OF = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


class Residual:
    """pySHACL over the shapes graph `rest` (Partition.rest); `shapes`, the whole shapes graph, names
    the shapes in results; `reference`, the vocabularies and authorities every validation sees."""

    def __init__(self, rest: Graph, shapes: Graph, reference: Graph) -> None:
        self.rest = rest
        self.shapes = shapes
        self.reference = reference
        self.classes = {o for o in rest.objects(None, SH.targetClass) if isinstance(o, URIRef)}
        self.classes |= {s for s in implicit_targets(rest) if isinstance(s, URIRef)}
        self.targets_others = any(True for p in OTHER_TARGETS for _ in rest.triples((None, p, None)))
        self._subjects = set(reference.subjects())
        # the data pySHACL reads: the reference data, and each validation's triples for its time (copying
        # the reference data into a graph of its own would cost more than the validation)
        self._data = Graph()
        for t in reference:
            self._data.add(t)
        self._lock = threading.Lock()  # one validation at a time over `_data` (pySHACL also writes to `rest`)

    # ---------------------------------------------------------------- the write path
    def applies(self, types: Iterable[Node]) -> bool:
        """Whether a record whose nodes have these types meets any of the shapes."""
        return self.targets_others or any(t in self.classes for t in types)

    def check(self, triples: Iterable[Triple], records: Sequence[Node], fields: dict[URIRef, str]) -> list[Violation]:
        """The results about `records` and their own nodes (`{record}/...`) of validating `triples` (the
        records and what they reference) with the reference data."""
        return self._validate(triples, records, fields)

    # ---------------------------------------------------------------- a whole store
    def check_store(self, store: Store, fields: dict[URIRef, str], graphs: list[str] | None = None) -> list[Violation]:
        """Every focus node of the shapes in `store`, validated BATCH at a time, each batch over the
        record graphs within HOPS of it and the reference data (never the whole store in memory)."""
        found: dict[tuple[Any, ...], Violation] = {}
        for batch in _chunks(sorted(self._focus_nodes(store, graphs), key=str), BATCH):
            for v in self.check(self._around(store, batch, graphs), batch, fields):
                found.setdefault((v.severity, v.focus_node, v.path, v.message, v.value, v.source_shape), v)
        return list(found.values())

    def _focus_nodes(self, store: Store, graphs: list[str] | None) -> set[Node]:
        nodes: set[Node] = set()
        for cls in sorted(self.classes, key=str):
            nodes |= {r["this"] for r in store.select("SELECT DISTINCT ?this WHERE { ?this a ?c }", {"c": cls},
                                                      graphs=graphs)}
        nodes |= set(self.rest.objects(None, SH.targetNode))
        for p in self.rest.objects(None, SH.targetSubjectsOf):
            nodes |= {r["this"] for r in store.select("SELECT DISTINCT ?this WHERE { ?this ?p ?o }", {"p": p},
                                                      graphs=graphs)}
        for p in self.rest.objects(None, SH.targetObjectsOf):
            nodes |= {r["this"] for r in store.select("SELECT DISTINCT ?this WHERE { ?s ?p ?this }", {"p": p},
                                                      graphs=graphs)}
        return {n for n in nodes if not isinstance(n, Literal)}

    def _around(self, store: Store, nodes: Sequence[Node], graphs: list[str] | None) -> list[Triple]:
        """The graphs holding triples about `nodes`, then those about the nodes they name, HOPS times
        (a class is not followed, nor a node the reference data describes)."""
        triples: list[Triple] = []
        read: set[str] = set()
        seen = set(nodes)
        frontier = [n for n in nodes if isinstance(n, URIRef)]
        for _ in range(HOPS + 1):
            names: set[str] = set()
            for chunk in _chunks(frontier, BATCH):
                query = inline_rows(_GRAPHS_OF, ["s"], [[n] for n in chunk], nt)
                names |= {str(r["g"]) for r in store.select(query, graphs=graphs)}
            new: list[Triple] = []
            for name in sorted(names - read):
                new += store.graph(name)
            read |= names
            triples += new
            frontier = []
            for _s, p, o in new:
                if isinstance(o, URIRef) and p != RDF.type and o not in seen and o not in self._subjects:
                    seen.add(o)
                    frontier.append(o)
            if not frontier:
                break
        return triples

    # ---------------------------------------------------------------- pySHACL
    def _validate(self, triples: Iterable[Triple], records: Sequence[Node], fields: dict[URIRef, str]) -> list[Violation]:
        from pyshacl import validate  # imported once a shape needs it: it takes a good part of a second

        with self._lock:
            added = [t for t in set(triples) if t not in self._data]
            for t in added:
                self._data.add(t)
            try:
                _conforms, report, _text = validate(self._data, shacl_graph=self.rest, inference="none",
                                                    allow_warnings=True, allow_infos=True)
            finally:
                for t in added:
                    self._data.remove(t)
        own = {str(r) for r in records}
        nested = tuple(o + "/" for o in own)
        top = [r for r in report.objects(None, SH.result)
               if (f := str(report.value(r, SH.focusNode))) in own or f.startswith(nested)]
        return [self._violation(report, r, fields) for r in _with_details(report, top, self.shapes)]

    def _violation(self, report: Graph, r: Node, fields: dict[URIRef, str]) -> Violation:
        path = report.value(r, SH.resultPath)
        value = report.value(r, SH.value)
        message = report.value(r, SH.resultMessage)
        severity = report.value(r, SH.resultSeverity)
        return Violation(
            focus_node=str(report.value(r, SH.focusNode)),
            path=str(path) if isinstance(path, URIRef) else None,
            field=fields.get(path) if isinstance(path, URIRef) else None,
            message=str(message) if message is not None else "breaks a rule",
            severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
            source_shape=shape_name(self.shapes, report.value(r, SH.sourceShape)),
            value=str(value) if value is not None and not isinstance(value, BNode) else None,
        )


def _with_details(report: Graph, results: list[Node], shapes: Graph) -> list[Node]:
    """The results, and the nested results (sh:detail) of shapes that carry a message of their own, such
    as a steward's e-mail inside the dataset's steward (as the compiled checks report them)."""
    found: list[Node] = []
    todo = list(results)
    while todo:
        r = todo.pop()
        found.append(r)
        todo += [d for d in report.objects(r, SH.detail)
                 if shapes.value(report.value(d, SH.sourceShape), SH.message) is not None]
    return found


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
