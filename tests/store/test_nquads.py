"""Reading N-Quads as the store holds them (store/nquads.py): each line read gives the quad the store gives
back once the same line is bulk-loaded, and a line is taken by its text for a graph only when no parser
could read it as another."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.store.nquads import QuadReader, graph_of
from registry.store.terms import from_ox

XSD = "http://www.w3.org/2001/XMLSchema#"
S, P, G = "<http://a.example/s>", "<http://a.example/p>", "<http://a.example/g>"
OBJECTS = [
    f'"01"^^<{XSD}integer>', f'"007"^^<{XSD}int>', f'"-0"^^<{XSD}integer>', f'"99999999999999999999"^^<{XSD}integer>',
    f'"2010-4-3"^^<{XSD}date>', f'"2010-04-03"^^<{XSD}date>', f'"2010-02-30"^^<{XSD}date>', f'"0000-01-01"^^<{XSD}date>',
    f'"2010-04-03+00:00"^^<{XSD}date>', f'"1"^^<{XSD}boolean>', f'"true"^^<{XSD}boolean>', f'"1.50"^^<{XSD}decimal>',
    f'"P1Y12M"^^<{XSD}duration>', f'"2001-01-01T00:00:00.500+00:00"^^<{XSD}dateTime>', f'"1e0"^^<{XSD}double>',
    f'"abc"^^<{XSD}integer>', f'"x"^^<{XSD}string>', f'"x"^^<{XSD}token>', '"x"@EN-gb', '"x"^^<http://a.example/dt>',
    '"a\\"b\\\\c\\n\\u00e9"', "<http://a.example/o\\u0041>", '""',
]


@pytest.mark.parametrize("obj", OBJECTS)
def test_a_line_reads_as_the_store_holds_it(obj: str) -> None:
    line = f"{S} {P} {obj} {G} .\n".encode()
    store = ox.Store()
    store.bulk_load(input=line, format=ox.RdfFormat.N_QUADS)
    (held,) = [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), q.graph_name.value) for q in store]
    assert list(QuadReader().read(line)) == [held]


@pytest.mark.parametrize(("line", "graph"), [
    (f"{S} {P} <http://a.example/o> {G} .", b"http://a.example/g"),
    (f'{S} {P} "x \\" <http://a.example/y> ." {G} .', b"http://a.example/g"),
    (f"_:b1 {P} _:b2 {G} .", b"http://a.example/g"),
    # a comment, or a graph hidden behind an escape, or other spacing: only a parser reads these
    (f'{S} {P} "x" <http://a.example/r/restricted> . # {G} .', None),
    (f'{S} {P} "x" <http://a.example/r/restricted> .#{G} .', None),
    (f'{S} {P} "x" <http://a.example/g\\u002Frestricted> .', None),
    (f"# {S} {P} <http://a.example/o> {G} .", None),
    (f'{S} {P} "a <b>"\t{G} .', None),
    (f"{S}  {P} <http://a.example/o> {G} . ", None),
    (f"{S} {P} <http://a.example/o> .", b"http://a.example/o"),  # no graph: the load refuses it
])
def test_a_graph_is_read_from_the_text_only_in_the_simple_form(line: str, graph: bytes | None) -> None:
    assert graph_of(line.encode()) == graph
