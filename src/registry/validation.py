"""SHACL on the write path: a record is validated with the graphs it references, not the whole store."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from registry import shacl_sparql
from registry.errors import Violation
from registry.resources import Resources
from registry.shacl_sparql import Check, Compiler
from registry.store.base import Triple, inline_rows
from registry.store.oxigraph import OxigraphStore
from registry.store.terms import to_ox


def _cache_parsed_sparql() -> None:
    """pySHACL hands rdflib the text of each SPARQL constraint on every validation, and rdflib parses
    it again each time (two thirds of a record's validation time). Prepared queries are reusable
    with other bindings (rdflib's prepareQuery), so keep each translated query once per text."""
    from rdflib.plugins.sparql import processor
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    if getattr(processor.SPARQLProcessor.query, "_registry_cached", False):
        return
    original = processor.SPARQLProcessor.query
    prepared: dict[tuple[str, str | None, tuple[tuple[str, str], ...]], object] = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # type: ignore[no-untyped-def]  # noqa: N803
        if isinstance(strOrQuery, str) and len(prepared) < 4096:
            key = (strOrQuery, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
            if key not in prepared:
                prepared[key] = translateQuery(parseQuery(strOrQuery), base, initNs)
            strOrQuery = prepared[key]
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    query._registry_cached = True  # type: ignore[attr-defined]
    processor.SPARQLProcessor.query = query  # type: ignore[method-assign]


_cache_parsed_sparql()


#: the graph of the scratch store that holds the reference data
REFERENCE = "urn:x-registry:validation:reference"


class ShaclValidator:
    """Validates record graphs against `shapes/*.ttl`, with the vocabularies and authorities beside them."""

    def __init__(self, resources: Resources) -> None:
        # a private copy: pySHACL adds a few triples to the shapes graph it is given
        self.shapes = Graph()
        for t in resources.shapes():
            self.shapes.add(t)
        self.reference = resources.reference_data()
        self._compiled: list[Check] | None = None
        self._by_target: dict[str, list[Check]] | None = None
        # the write path's scratch store: the reference data once, each validation's triples in a graph
        # of their own beside it for the time of the validation (so validations may run at once)
        self._scratch = OxigraphStore(None)
        self._scratch.add_to_graph(REFERENCE, self.reference)
        self._serial = itertools.count()

    def compiled(self) -> list[Check]:
        """The shapes as SPARQL checks, for validating a whole store inside the store."""
        if self._compiled is None:
            self._compiled = Compiler(self.shapes).compile()
        return self._compiled

    def check(self, triples: Iterable[Triple], records: list[URIRef], fields: dict[URIRef, str]) -> list[Violation]:
        """Validate records (the write path): `triples` are the records' graphs and the graphs of the
        records they reference. The compiled checks (shacl_sparql.py, tested equal to pySHACL) run
        over those triples and the reference data in a small in-memory store, and only the checks
        whose target class is a type of the records' own nodes (the record and its nodes
        `{record}/...`, such as a dataset's steward), with the focus bound to those nodes. Results
        about the referenced records are not asked for: they are judged when they are written."""
        triples = list(triples)
        own = tuple(str(r) for r in records)
        nested = tuple(o + "/" for o in own)
        focus: dict[str, set[URIRef]] = {}
        for s, p, o in triples:
            if p == RDF.type and isinstance(s, URIRef) and (str(s) in own or str(s).startswith(nested)):
                focus.setdefault(str(o), set()).add(s)
        checks = [replace(c, query=inline_rows(c.query, ["this"], [[n] for n in sorted(nodes)], _nt))
                  for target, nodes in focus.items() for c in self.by_target().get(target, [])]
        graph = f"urn:x-registry:validation:{next(self._serial)}"
        self._scratch.add_to_graph(graph, triples)
        try:
            return shacl_sparql.run(self._scratch, checks, fields, graphs=[REFERENCE, graph])
        finally:
            self._scratch.replace_graphs({graph: []})

    def by_target(self) -> dict[str, list[Check]]:
        """The compiled checks by the class their shape targets."""
        if self._by_target is None:
            by: dict[str, list[Check]] = {}
            for c in self.compiled():
                by.setdefault(_target(c), []).append(c)
            self._by_target = by
        return self._by_target

    def data_graph(self, *parts: Iterable[Triple]) -> Graph:
        g = Graph()
        for t in self.reference:
            g.add(t)
        for part in parts:
            for t in part:
                g.add(t)
        return g

    def validate(
        self,
        data: Graph,
        records: list[URIRef] | None,
        fields: dict[URIRef, str] | None = None,
    ) -> list[Violation]:
        """Every result of validating `data`, as Violations.

        With `records`, only results about those records (and their own nodes, such as a dataset's
        steward) are kept: the graphs of referenced records are there to resolve references, and
        are judged when they are themselves written. (pySHACL's focus_nodes option is not used:
        it skips the sh:node constraints of nested nodes.)
        """
        _conforms, report, _text = shacl_validate(
            data, shacl_graph=self.shapes, inference="none", allow_warnings=True
        )
        found = results(report, fields or {}, self.shapes)
        if records is not None:
            own = tuple(str(r) for r in records)
            found = [v for v in found if v.focus_node in own or v.focus_node.startswith(tuple(o + "/" for o in own))]
        return sorted(found, key=lambda v: (v.severity != "Violation", v.focus_node, v.field or "", v.message))


def _target(c: Check) -> str:
    import re
    m = re.search(r"\?this a <([^>]+)> \.", c.query)
    return m.group(1) if m else ""


def _nt(term: Node) -> str:
    return str(to_ox(term))


def _short(severity: Node | None) -> str:
    return str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"


def _with_details(report: Graph, shapes: Graph) -> list[Node]:
    """Top-level results, plus the nested results (sh:detail) of shapes that carry our own message,
    such as a steward's e-mail inside the dataset's steward."""
    found: list[Node] = []
    todo = list(report.objects(None, SH.result))
    while todo:
        r = todo.pop()
        found.append(r)
        for d in report.objects(r, SH.detail):
            if shapes.value(report.value(d, SH.sourceShape), SH.message) is not None:
                todo.append(d)
    return found


def _shape_name(shape: Node | None, shapes: Graph) -> str | None:
    """The IRI of the shape, or of the named node shape that holds an anonymous property shape."""
    seen = 0
    while shape is not None and not isinstance(shape, URIRef) and seen < 5:
        shape = shapes.value(None, SH.property, shape) or shapes.value(None, SH.sparql, shape)
        seen += 1
    return str(shape) if isinstance(shape, URIRef) else None


def results(report: Graph, fields: dict[URIRef, str], shapes: Graph) -> list[Violation]:
    out: list[Violation] = []
    for r in _with_details(report, shapes):
        path = report.value(r, SH.resultPath)
        value = report.value(r, SH.value)
        message = report.value(r, SH.resultMessage)
        out.append(
            Violation(
                focus_node=str(report.value(r, SH.focusNode)),
                path=str(path) if isinstance(path, URIRef) else None,
                field=fields.get(path) if isinstance(path, URIRef) else None,
                message=str(message) if message is not None else "breaks a rule",
                severity=_short(report.value(r, SH.resultSeverity)),
                source_shape=_shape_name(report.value(r, SH.sourceShape), shapes),
                value=str(value) if value is not None else None,
            )
        )
    return out
