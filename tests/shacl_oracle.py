"""pySHACL, the oracle: what the compiled checks (shacl_sparql.py) of the write path and of
`registry validate` must equal. It validates an rdflib graph with the same shapes and gives its
report as the registry's Violations (with the nested results of shapes that carry a message of
their own, as the registry reports them)."""

from __future__ import annotations

from collections.abc import Iterable

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from registry.errors import Violation
from registry.shacl.validator import ShaclValidator
from registry.store.base import Triple


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


_cache_parsed_sparql()


def data_graph(validator: ShaclValidator, *parts: Iterable[Triple]) -> Graph:
    """The reference data and the given triples, as one rdflib graph."""
    g = Graph()
    for t in validator.reference:
        g.add(t)
    for part in parts:
        for t in part:
            g.add(t)
    return g


def validate(validator: ShaclValidator, data: Graph, records: list[URIRef] | None,
             fields: dict[URIRef, str] | None = None) -> list[Violation]:
    """Every result of pySHACL on `data`, as Violations; with `records`, only those about them and
    their own nodes (`{record}/...`). (pySHACL's focus_nodes option is not used: it skips the
    sh:node constraints of nested nodes.)"""
    _conforms, report, _text = shacl_validate(data, shacl_graph=validator.shapes, inference="none",
                                              allow_warnings=True)
    found = results(report, fields or {}, validator.shapes)
    if records is not None:
        own = tuple(str(r) for r in records)
        found = [v for v in found if v.focus_node in own or v.focus_node.startswith(tuple(o + "/" for o in own))]
    return sorted(found, key=lambda v: (v.severity != "Violation", v.focus_node, v.field or "", v.message))


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
