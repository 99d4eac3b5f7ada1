"""Reading N-Quads as the store holds them (store/nquads.py): each line read gives the quad the store gives
back once the same line is bulk-loaded, and a line is taken by its text for a graph only when no parser
could read it as another."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Literal

from registry.store.nquads import QuadReader, common_lines, graph_of, graphs_of
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


#: lines the pattern reads (the common form) and lines it leaves to the parser, each as hostile as N-Quads allows
LINES = [
    *(f"{S} {P} {obj} {G} ." for obj in OBJECTS),
    f'{S} {P} "Donn\u00e9es de sant\u00e9 \u2014 \u6771\u4eac \U0001f3e5" {G} .',  # UTF-8 as written, not escaped
    f'{S} {P} "x"@FR-ca {G} .', f'{S} {P} "x"@fr {G} .', f'{S} {P} "y"@FR-CA {G} .', f'{S} {P} "1"@en {G} .',
    f'{S} {P} "x"@en-Latn-US {G} .',
    f'{S} {P} "{"long " * 30_000}"@en {G} .',
    f'{S} {P} "x"^^<{XSD}string> {G} .', f'{S} {P} ""^^<http://a.example/dt> {G} .',
    f'{S} {P} "2010-04-03"^^<{XSD}date> {G} .', f'{S} {P} "01"^^<{XSD}integer> {G} .',
    f"<HTTP://A.example/%7e/x?y=1#z> {P} <urn:x:%C3%A9> {G} .", f"{S} {P} <http://a.example/\u00e9t\u00e9> {G} .",
    f'{S} {P} "tab\there, <angle> and # hash" {G} .', f'{S} {P} "ends in a dot ." {G} .',
    f"_:b1 {P} _:b2 {G} .", f"{S} {P} _:b2 {G} .", f"{S} {P} <http://a.example/o> _:g .",
    f"{S}  {P} <http://a.example/o> {G} .", f"{S}\t{P}\t<http://a.example/o>\t{G} .",
    f"{S} {P} <http://a.example/o> {G}.", f"{S} {P} <http://a.example/o> {G} . # a comment",
    f'{S} {P} "x" <http://a.example/r/restricted> . # {G} .', "# only a comment",
    f'{S} {P} "a\\tb" {G} .', f"{S} {P} <http://a.example/o\\u0041> {G} .",
]


@pytest.mark.parametrize("line", LINES)
def test_lines_read_by_their_text_give_what_the_parser_gives(line: str) -> None:
    data = line.encode()
    assert list(QuadReader().read_lines([data])) == list(QuadReader().read(data + b"\n"))


@pytest.mark.parametrize("line", [x for x in LINES if "_:" not in x])
def test_lines_read_by_their_text_give_what_the_store_holds(line: str) -> None:
    data = line.encode()
    store = ox.Store()
    store.bulk_load(input=data + b"\n", format=ox.RdfFormat.N_QUADS)
    held = [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), q.graph_name.value) for q in store]
    got = list(QuadReader().read_lines([data]))
    assert got == held
    assert [tuple(type(t) for t in q) for q in got] == [tuple(type(t) for t in q) for q in held]
    assert [_slots(q[2]) for q in got] == [_slots(q[2]) for q in held]  # a literal made without its constructor


def _slots(term: object) -> tuple[object, ...]:
    """All an rdflib literal holds (its equality leaves out its value and whether it is ill-typed)."""
    if not isinstance(term, Literal):
        return (term,)
    return (str(term), term.language, term.datatype, term.value, term.ill_typed, type(term.value))


@pytest.mark.parametrize("some", [LINES, [x for x in LINES if "\\" not in x and "_:" not in x and "#" not in x]])
def test_many_lines_read_by_their_text_give_what_the_parser_gives_in_order(some: list[str]) -> None:
    lines = [x.encode() for x in some * 3]
    reader = QuadReader()  # its caches of terms are used again from the second round on
    got, parsed = list(reader.read_lines(lines)), list(QuadReader().read(b"\n".join(lines) + b"\n"))
    assert got == parsed
    assert [_slots(q[2]) for q in got] == [_slots(q[2]) for q in parsed]


@pytest.mark.parametrize("bad", [
    f"{S} {P} <http://a:b/o> {G} .".encode(),  # a port that is no number: the pattern takes it, not the store
    f'{S} {P} "caf\xe9" {G} .'.encode("latin-1"),  # not UTF-8
    f'{S} {P} "x"@en-- {G} .'.encode(),
])
def test_a_line_the_parser_refuses_is_refused_by_it_or_read_whole_for_a_load_that_fails(bad: bytes) -> None:
    """A line the pattern takes and the parser refuses is refused by the store's own load of it (which then
    fails, so nothing read in the pass is kept); one the pattern does not take is the parser's to refuse."""
    with pytest.raises(SyntaxError):
        ox.Store().bulk_load(input=bad + b"\n", format=ox.RdfFormat.N_QUADS)
    try:
        got = list(QuadReader().read_lines([bad]))
    except SyntaxError:
        return
    assert len(got) == 1 and str(got[0][2]).startswith("http://a:b/")


@pytest.mark.parametrize("lines", [
    [line for line in LINES if graph_of(line.encode()) is not None],
    LINES,
    [f"{S} {P} <http://a.example/o> {G} .", "", f"{S} {P} <http://a.example/o> {G} ."],
    [f"{S} {P} <http://a.example/o> {G} .\r", f"{S} {P} <http://a.example/o> {G} ."],
    [f"{S} {P} <http://a.example/o> <http://a.example/g2> ."] * 3,
])
@pytest.mark.parametrize("end", ["\n", ""])
def test_the_graphs_of_many_lines_are_those_of_each_line(lines: list[str], end: str) -> None:
    data = ("\n".join(lines) + end).encode()
    each = [graph_of(line) for line in data.split(b"\n")[: len(lines)]]
    found = graphs_of(data)
    if None in each:
        assert found is None
    else:
        assert found == (data.split(b"\n")[: len(lines)], each)


@pytest.mark.parametrize(("lines", "common"), [
    ([line for line in LINES if not any(x in line for x in ("_:", "\\", "#", "  ", "\t", f"{G}."))], True),
    (LINES, False),
    ([f"{S} {P} <http://a.example/o> {G} .", "", f"{S} {P} <http://a.example/o> {G} ."], False),
    ([f"{S} {P} <http://a.example/o> {G} .\r", f"{S} {P} <http://a.example/o> {G} ."], False),
    ([f'{S} {P} "a . # b" {G} .', f'{S} {P} "x"@fr {G} .'] * 2, True),
    ([f'{S} {P} "x" {G} .', f'{S} {P} "x" <http://a.example/r/restricted> . # {G} .'], False),
])
@pytest.mark.parametrize("end", ["\n", ""])
def test_the_parts_of_many_lines_in_the_common_form_read_as_each_line(lines: list[str], common: bool,
                                                                      end: str) -> None:
    """One pattern over a slice gives each line's parts only when every line has the common form; then the
    graph is the parser's (and `graph_of`'s where it reads one), and the quads those the parser gives."""
    data = ("\n".join(lines) + end).encode()
    each = data.split(b"\n")[: len(lines)]
    found = common_lines(data)
    if not common:
        assert found is None
        return
    assert found is not None
    got_lines, parts = found
    assert got_lines == each
    parsed = list(QuadReader().read(b"\n".join(each) + b"\n"))
    assert [q[6].decode() for q in parts] == [quad[3] for quad in parsed]
    assert all(graph_of(line) in (None, q[6]) for line, q in zip(each, parts, strict=True))
    quads = list(QuadReader().read_parts(got_lines, parts))
    assert quads == parsed
    assert [_slots(q[2]) for q in quads] == [_slots(q[2]) for q in QuadReader().read_lines(each)]


def test_a_line_not_utf8_among_lines_of_the_common_form_is_refused_as_the_parser_refuses_it() -> None:
    good = f"{S} {P} <http://a.example/o> {G} .".encode()
    bad = f'{S} {P} "caf\xe9" {G} .'.encode("latin-1")
    with pytest.raises(SyntaxError):
        list(QuadReader().read(b"\n".join([good, bad, good]) + b"\n"))
    with pytest.raises(SyntaxError):
        list(QuadReader().read_lines([good, bad, good]))
