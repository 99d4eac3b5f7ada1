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
#: the same, by kind of answer (SELECT, ASK, CONSTRUCT or DESCRIBE)
OFFERED = {"solutions": SOLUTION_MEDIA, "boolean": BOOLEAN_MEDIA, "triples": GRAPH_MEDIA}


#: the prefixes a graph answer declares in Turtle and RDF/XML
ANSWER_PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "odrl": "http://www.w3.org/ns/odrl/2/",
    "org": "http://www.w3.org/ns/org#", "prov": "http://www.w3.org/ns/prov#", "reg": "https://w3id.org/gov-data-registry/ns#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def solutions_as(results_tsv: bytes, media: str) -> bytes:
    """SPARQL TSV results (of a SELECT: one line a row, so they can be counted as they are written) in one
    of `SOLUTION_MEDIA`, written by Oxigraph's serialisers."""
    fmt = _SOLUTIONS[media]
    if fmt == ox.QueryResultsFormat.TSV:
        return results_tsv
    out = ox.parse_query_results(results_tsv, format=ox.QueryResultsFormat.TSV).serialize(format=fmt)
    return out if isinstance(out, bytes) else b""


def boolean_as(value: bool, media: str) -> bytes:
    """An ASK answer in one of `BOOLEAN_MEDIA`."""
    results = ox.parse_query_results(json.dumps({"head": {}, "boolean": value}).encode(),
                                    format=ox.QueryResultsFormat.JSON)
    out = results.serialize(format=_BOOLEAN[media])
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
