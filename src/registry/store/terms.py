"""Conversions between rdflib and pyoxigraph terms."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store term {term!r}")


def nt(term: Node) -> str:
    """A term in N-Triples syntax, as a query binds it (to_ox refuses what is not valid RDF). For an IRI
    this is the same for every backend; literals bound for a remote store go through its codec."""
    return str(to_ox(term))


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


#: terms already converted: the same predicates, classes, records, codes and dates come back again and
#: again, and an rdflib term costs microseconds to build (a Literal parses its value); kept bounded
_TERMS: dict[object, Node] = {}
_MAX_TERMS = 200_000


def from_ox(term: object) -> Node:
    node = _TERMS.get(term)
    if node is None:
        if len(_TERMS) > _MAX_TERMS:
            _TERMS.clear()
        node = _TERMS[term] = _convert(term)
    return node


def _convert(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unexpected term {term!r}")
