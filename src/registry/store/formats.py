"""Reading and writing RDF and SPARQL answers with Oxigraph's parsers and serialisers: the media types
`/sparql` offers for each kind of answer, and N-Triples read back as rdflib triples."""

from __future__ import annotations

import json

import pyoxigraph as ox

from registry.store.base import Triple
from registry.store.terms import from_ox

#: media type -> result format, for SELECT; the first is the default
_SOLUTIONS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
#: the same, for ASK
_BOOLEAN: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
#: media type -> RDF format, for CONSTRUCT and DESCRIBE; the first is the default
_GRAPH: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}

#: the media types offered for each kind of answer, the default first
SOLUTION_MEDIA = tuple(_SOLUTIONS)
BOOLEAN_MEDIA = tuple(_BOOLEAN)
GRAPH_MEDIA = tuple(_GRAPH)


def solutions_as(results_json: bytes, media: str) -> bytes:
    """SPARQL JSON results (of a SELECT) in one of `SOLUTION_MEDIA`, written by Oxigraph's serialisers."""
    return _results_as(results_json, _SOLUTIONS[media])


def boolean_as(value: bool, media: str) -> bytes:
    """An ASK answer in one of `BOOLEAN_MEDIA`."""
    return _results_as(json.dumps({"head": {}, "boolean": value}).encode(), _BOOLEAN[media])


def _results_as(results_json: bytes, fmt: ox.QueryResultsFormat) -> bytes:
    if fmt == ox.QueryResultsFormat.JSON:
        return results_json
    out = ox.parse_query_results(results_json, format=ox.QueryResultsFormat.JSON).serialize(format=fmt)
    return out if isinstance(out, bytes) else b""


def triples_as(ntriples: bytes, media: str, prefixes: dict[str, str] | None = None) -> bytes:
    """N-Triples in one of `GRAPH_MEDIA`; `prefixes` are declared in Turtle and RDF/XML."""
    fmt = _GRAPH[media]
    if fmt == ox.RdfFormat.N_TRIPLES:
        return ntriples
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    kept = prefixes if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    out = ox.serialize(triples, format=fmt, prefixes=kept)
    return out if isinstance(out, bytes) else b""


def parse_ntriples(text: str | bytes) -> list[Triple]:
    """N-Triples as rdflib triples (SyntaxError when they are not valid)."""
    return [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
            for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]


def is_iri(text: str) -> bool:
    """Whether `text` is an absolute IRI an RDF store takes as a graph name."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True
