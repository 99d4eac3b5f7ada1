"""N-Quads read into rdflib terms as the Oxigraph store gives them back once bulk-loaded, for the indexes
built in the bulk load's own pass (projections/bulk.py): pyoxigraph's parser, then typed literals of XML
Schema in the form the store keeps them ("01"^^xsd:int comes back as "1"^^xsd:integer). Lines of the common
form (IRIs and literals without escapes, no blank node) are read by a pattern, each term made once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from registry.store.terms import from_ox

#: subject, predicate, object and the graph's name
Quad = tuple[Node, Node, Node, str]
#: subject, predicate and object
Triple = tuple[Node, Node, Node]

XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD = XSD.encode()
_STRING = XSD + "string"
_XSD_STRING = _STRING.encode()
#: the inside of an IRI written without escapes (a \\u escape could hide a "/restricted" from a reading of
#: the text)
_IRI = re.compile(rb"[^\x00-\x20<>\"{}|^`\\]+")
#: what a comment after a statement starts with (found also inside some literals and IRIs: harmless)
COMMENT = re.compile(rb"\.[ \t]*#")
#: the graph's name of each line `graph_of` reads, found in many lines at once
_SIMPLE_LINE = re.compile(rb"^[<_][^\n]* <([^\x00-\x20<>\"{}|^`\\]+)> \.$", re.MULTILINE)
#: lexical forms the store keeps as they are, by datatype (valid and canonical, or not valid at all and so
#: kept as text); any other XML Schema literal is put through a scratch store once
_AS_IS = {
    XSD + "boolean": re.compile(r"true|false"),
    XSD + "integer": re.compile(r"0|-?[1-9][0-9]{0,17}"),
    XSD + "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
}
#: a line of the common form: subject, predicate, object (an IRI, or a literal's text with its language or
#: datatype) and graph, IRIs with a scheme and without escapes, one space apart; any other line is parsed.
#: What this takes and a parser refuses (an IRI with a bad port...) the store's own load refuses too
_TERM_IRI = rb'<([A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|^`\\]*)>'
_LINE = re.compile(_TERM_IRI + b" " + _TERM_IRI + rb' (?:' + _TERM_IRI
                   + rb'|"([^"\\\n\r]*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*)|\^\^'
                   + _TERM_IRI + rb')?) ' + _TERM_IRI + rb" \.")
#: the same, for each line of many at once
_LINES = re.compile(b"^" + _LINE.pattern + b"$", re.MULTILINE)
#: a line's parts as `_LINE` finds them: subject, predicate, object IRI, literal text, language, datatype, graph
#: (b"" for a part the line has not)
Parts = tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes]
#: literals kept in the cache of stored forms at most (then it starts again)
MAX_CACHED = 100_000
#: literals read by their text are kept for the next line only up to this length (dates, codes, numbers
#: come again; a title or a description seldom does, and would hold memory)
CACHED_LITERAL_BYTES = 64
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
    if not _IRI.fullmatch(g) or COMMENT.search(line):
        return None
    return g


def graphs_of(data: bytes) -> tuple[list[bytes], list[bytes]] | None:
    """The lines of `data` (whole lines) and the graph's name of each as `graph_of` reads it, found by one
    pattern over them, when every line is in the simple form (as our exports write them); None otherwise."""
    if COMMENT.search(data) is not None:
        return None
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    graphs: list[bytes] = _SIMPLE_LINE.findall(data)  # at most one a line: one for each line, or some missing
    return (lines, graphs) if len(graphs) == len(lines) else None


def text_literal(text: str, language: str | None) -> Literal:
    """rdflib's ``Literal(text, lang=language)`` (a language tag already checked and in the form the store
    keeps it), made without its constructor, which converts the text to a value and back (a title or a
    description is met once: no cache saves it): the same text, language, datatype, value and ill-typed flag."""
    node = str.__new__(Literal, text)
    node._language = language
    node._datatype = None
    node._value = text
    node._ill_typed = None
    return node


def common_lines(data: bytes) -> tuple[list[bytes], list[Parts]] | None:
    """The lines of `data` (whole lines) and the parts of each (`Parts`) found by one pattern over them, when
    every line has the common form (as our exports write them); None otherwise. A line's graph is its
    parts' last, as `graph_of` reads it."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    parts: list[Parts] = _LINES.findall(data)  # at most one a line: one for each line, or some missing
    return (lines, parts) if len(parts) == len(lines) else None


class QuadReader:
    """Reads N-Quads text into quads of rdflib terms. Not for threads: one reader per pass."""

    def __init__(self) -> None:
        self._scratch = ox.Store()
        self._stored: dict[ox.Literal, Node] = {}
        self._iris: dict[bytes, URIRef] = {}
        self._literals: dict[tuple[bytes, bytes, bytes], Node] = {}
        self._languages: dict[bytes, str] = {}  # a language tag as written -> as the store keeps it

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

    def read_lines(self, lines: list[bytes]) -> Iterator[Quad]:
        """The quads of whole lines (without their line ends), in order, as `read` gives them: a line of the
        common form is read by its text, any other by the parser (which raises SyntaxError where it does)."""
        found = _LINES.findall(b"\n".join(lines))  # at most one a line: one for each, or some missing
        if len(found) != len(lines):
            yield from self._read_each(lines)
            return
        yield from self.read_parts(lines, found)

    def read_parts(self, lines: list[bytes], parts: list[Parts]) -> Iterator[Quad]:
        """`read_lines`, given the parts of each line as `common_lines` found them."""
        for i, groups in enumerate(parts):
            try:
                quad = self._quad(*groups)
            except (UnicodeDecodeError, ValueError):  # not UTF-8, a bad language tag: the parser's to say
                yield from self.read(lines[i] + b"\n")
            else:
                yield quad

    def read_triples(self, lines: list[bytes], parts: list[Parts]) -> list[Triple]:
        """The triples of `read_parts`, one for each line, without the graph's name (for a run of lines of one
        graph: read in one go, with no generator resumed for each line). Raises SyntaxError where it does."""
        triple = self._triple
        try:
            return [triple(s, p, o, value, lang, datatype) for s, p, o, value, lang, datatype, _g in parts]
        except (UnicodeDecodeError, ValueError):  # a line for the parser: each read as `read_parts` reads it
            return [(s, p, o) for s, p, o, _g in self.read_parts(lines, parts)]

    def _read_each(self, lines: list[bytes]) -> Iterator[Quad]:
        for line in lines:
            m = _LINE.fullmatch(line)
            quad = None
            if m is not None:
                try:
                    quad = self._quad(*m.groups(b""))
                except (UnicodeDecodeError, ValueError):
                    quad = None
            if quad is None:
                yield from self.read(line + b"\n")
            else:
                yield quad

    def _quad(self, s: bytes, p: bytes, o: bytes, value: bytes, lang: bytes, datatype: bytes, g: bytes) -> Quad:
        """The quad of a line's parts (b"" for a part the line has not: an IRI is never empty)."""
        return (*self._triple(s, p, o, value, lang, datatype), g.decode("utf-8"))

    def _triple(self, s: bytes, p: bytes, o: bytes, value: bytes, lang: bytes, datatype: bytes) -> Triple:
        """The triple of a line's parts (those of `_quad` but the graph's name)."""
        iris = self._iris  # the terms met before, most of them (a call saved on each)
        obj = iris.get(o) if o else self._literals.get((value, lang, datatype))
        if obj is None:
            if o:
                obj = self._iri(o)
            else:
                obj = self._literal(value, lang, datatype)
                if len(value) <= CACHED_LITERAL_BYTES:
                    if len(self._literals) >= MAX_CACHED:
                        self._literals.clear()
                    self._literals[(value, lang, datatype)] = obj
        return iris.get(s) or self._iri(s), iris.get(p) or self._iri(p), obj

    def _literal(self, value: bytes, lang: bytes, datatype: bytes) -> Node:
        text = value.decode("utf-8")
        if lang:
            language = self._languages.get(lang)
            if language is None:  # the tag checked and put in the form the store keeps, once
                node = from_ox(ox.Literal(text, language=lang.decode("ascii")))
                if len(self._languages) >= MAX_CACHED:
                    self._languages.clear()
                self._languages[lang] = node.language  # type: ignore[attr-defined]
                return node
            return text_literal(text, language)
        if not datatype or datatype == _XSD_STRING:
            return text_literal(text, None)
        literal = ox.Literal(text, datatype=ox.NamedNode(datatype.decode("utf-8")))
        return self._as_stored(literal) if datatype.startswith(_XSD) else from_ox(literal)

    def _iri(self, text: bytes) -> URIRef:
        node = self._iris.get(text)
        if node is None:
            if len(self._iris) >= MAX_CACHED:
                self._iris.clear()
            # URIRef's own check of the text (a warning for what it thinks invalid) is what `_TERM_IRI` took
            node = self._iris[text] = str.__new__(URIRef, text.decode("utf-8"))
        return node

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
