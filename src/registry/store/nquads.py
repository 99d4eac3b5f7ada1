"""N-Quads read into rdflib terms as the Oxigraph store gives them back once bulk-loaded, for the indexes
built in the bulk load's own pass (projections/bulk.py): pyoxigraph's parser, then typed literals of XML
Schema in the form the store keeps them ("01"^^xsd:int comes back as "1"^^xsd:integer)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
from rdflib.term import Node

from registry.store.terms import from_ox

#: subject, predicate, object and the graph's name
Quad = tuple[Node, Node, Node, str]

XSD = "http://www.w3.org/2001/XMLSchema#"
_STRING = XSD + "string"
#: the inside of an IRI written without escapes (a \\u escape could hide a "/restricted" from a reading of
#: the text)
_IRI = re.compile(rb"[^\x00-\x20<>\"{}|^`\\]+")
#: what a comment after a statement starts with (found also inside some literals and IRIs: harmless)
_COMMENT = re.compile(rb"\.[ \t]*#")
#: lexical forms the store keeps as they are, by datatype (valid and canonical, or not valid at all and so
#: kept as text); any other XML Schema literal is put through a scratch store once
_AS_IS = {
    XSD + "boolean": re.compile(r"true|false"),
    XSD + "integer": re.compile(r"0|-?[1-9][0-9]{0,17}"),
    XSD + "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}
#: literals kept in the cache of stored forms at most (then it starts again)
MAX_CACHED = 100_000
_S, _P = ox.NamedNode("urn:x-registry:s"), ox.NamedNode("urn:x-registry:p")


def graph_of(line: bytes) -> bytes | None:
    """The graph name of an N-Quads line, as written between its < and >, when the line has the simple
    form our exports write: a term at its start, ``<graph> .`` at its very end (one space before each),
    the graph's IRI without escapes, and no comment; None for any other line (blank, a comment, other
    spacing, a blank-node graph...), which only a parser reads. A valid line of that form states a quad in
    that graph (a triple in the default graph is refused by the load itself)."""
    if line[-3:] != b"> ." or line[:1] not in (b"<", b"_"):
        return None
    k = line.rfind(b" <", 0, len(line) - 3)
    if k < 0:
        return None
    g = line[k + 2 : -3]
    if not _IRI.fullmatch(g) or _COMMENT.search(line):
        return None
    return g


class QuadReader:
    """Reads N-Quads text into quads of rdflib terms. Not for threads: one reader per pass."""

    def __init__(self) -> None:
        self._scratch = ox.Store()
        self._stored: dict[ox.Literal, Node] = {}

    def read(self, data: bytes) -> Iterator[Quad]:
        """The quads of `data` (whole lines), in order. Raises SyntaxError where pyoxigraph's parser does.
        Blank nodes come out with the labels written (the store gives bulk-loaded ones new labels)."""
        for q in ox.parse(input=data, format=ox.RdfFormat.N_QUADS):
            o = q.object
            g = q.graph_name
            name = g.value if isinstance(g, ox.NamedNode) else str(g)
            if isinstance(o, ox.Literal) and o.datatype.value.startswith(XSD):
                yield from_ox(q.subject), from_ox(q.predicate), self._as_stored(o), name
            else:
                yield from_ox(q.subject), from_ox(q.predicate), from_ox(o), name

    def _as_stored(self, literal: ox.Literal) -> Node:
        """A typed literal as the store gives it back (it keeps numbers, dates and the like as values)."""
        node = self._stored.get(literal)
        if node is not None:
            return node
        datatype = literal.datatype.value
        form = _AS_IS.get(datatype)
        if datatype == _STRING or (form is not None and form.fullmatch(literal.value)):
            node = from_ox(literal)
        else:
            self._scratch.add(ox.Quad(_S, _P, literal))
            try:
                node = from_ox(next(iter(self._scratch.quads_for_pattern(_S, _P, None))).object)
            finally:
                self._scratch.clear()
        if len(self._stored) >= MAX_CACHED:
            self._stored.clear()
        self._stored[literal] = node
        return node
