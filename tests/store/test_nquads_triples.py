"""A run of lines of the common form read in one go (`QuadReader.read_triples`, for a record's graph in the
bulk load's pass): the triples `read_parts` gives for the same lines, term for term, whichever line needs
the parser, and SyntaxError where `read_parts` raises it."""

from __future__ import annotations

import pytest

from registry.store.nquads import Parts, QuadReader, common_lines
from store.test_nquads import LINES, XSD, _slots

S, P, G = "<http://a.example/s>", "<http://a.example/p>", "<http://a.example/g>"
#: lines of the common form, with values the store keeps in another form and language tags in any case
COMMON = [line for line in LINES if not any(x in line for x in ("_:", "\\", "#", "  ", "\t", f"{G}."))] + [
    f'{S} {P} "x"@EN-gb {G} .', f'{S} {P} "x"@i-klingon {G} .', f'{S} {P} "x"@ZH-min-NAN {G} .',
    f'{S} {P} "007"^^<{XSD}int> {G} .', f'{S} {P} "a long text {"x" * 200}" {G} .',
]


def _parts(lines: list[str]) -> tuple[list[bytes], list[Parts]]:
    found = common_lines(("\n".join(lines) + "\n").encode())
    assert found is not None
    return found


@pytest.mark.parametrize("extra", [
    [],
    [f'{S} {P} "x"@abcdefghi {G} .'],  # a tag the parser refuses: the run is read line by line, and refused
])
def test_a_run_read_in_one_go_gives_the_triples_of_each_line(extra: list[str]) -> None:
    lines, parts = _parts(COMMON * 2 + extra + COMMON)
    reader = QuadReader()
    try:
        each = [(s, p, o) for s, p, o, _g in QuadReader().read_parts(lines, parts)]
    except SyntaxError:
        with pytest.raises(SyntaxError):
            reader.read_triples(lines, parts)
        return
    got = reader.read_triples(lines, parts)
    assert got == each
    assert [tuple(type(t) for t in x) for x in got] == [tuple(type(t) for t in x) for x in each]
    assert [_slots(x[2]) for x in got] == [_slots(x[2]) for x in each]
    assert reader.read_triples(lines, parts) == each  # again, from the reader's caches


def test_a_line_not_utf8_in_a_run_is_refused_as_the_parser_refuses_it() -> None:
    good = f"{S} {P} <http://a.example/o> {G} .".encode()
    bad = f'{S} {P} "caf\xe9" {G} .'.encode("latin-1")
    found = common_lines(b"\n".join([good, bad, good]) + b"\n")
    assert found is not None
    with pytest.raises(SyntaxError):
        QuadReader().read_triples(*found)
