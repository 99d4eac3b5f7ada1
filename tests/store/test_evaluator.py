"""The SPARQL evaluator's answers (store/evaluator.py), evaluated in this process on a real store: each
media type is written as Oxigraph writes it for the same query, and the row cap counts rows, whatever
the format, as the answer is written."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.store import formats
from registry.store.evaluator import Job, evaluate

EX = "http://example.org/"
SELECT = f"SELECT ?s ?o ?none WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}nothing> ?none }} }} ORDER BY ?s ?o"


@pytest.fixture
def store() -> ox.Store:
    s = ox.Store()
    g = ox.NamedNode(EX + "g")
    objects = [ox.Literal('line one\nline "two"\ttab', language="en"), ox.Literal("5", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode(EX + "o"), ox.Literal("a,b;c")]
    for i, o in enumerate(objects):
        s.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), o, g))
    s.add(ox.Quad(ox.BlankNode("b0"), ox.NamedNode(EX + "p"), ox.Literal("blank"), g))
    return s


def job(query: str, max_rows: int = 100, **media: str) -> Job:
    return Job(path="", query=query, base_iri=None, union=True, default_graphs=None, named_graphs=None,
               max_rows=max_rows, media=media)


@pytest.mark.parametrize("media", formats.SOLUTION_MEDIA)
def test_solutions_are_written_as_oxigraph_writes_them(store: ox.Store, media: str) -> None:
    out = evaluate(store, job(SELECT, solutions=media))
    direct = store.query(SELECT, use_default_graph_as_union=True)
    assert isinstance(direct, ox.QuerySolutions)
    assert out.kind == "solutions" and out.payload == direct.serialize(format=formats._SOLUTIONS[media])


@pytest.mark.parametrize("media", formats.GRAPH_MEDIA)
def test_triples_are_written_in_the_media_asked_for(store: ox.Store, media: str) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}q> ?o }} WHERE {{ ?s <{EX}p> ?o }}"
    out = evaluate(store, job(query, triples=media))
    assert out.kind == "triples"
    got = {str(t) for t in ox.parse(out.payload, format=formats._GRAPH[media], base_iri=EX) if not isinstance(
        t.subject, ox.BlankNode)}
    assert got == {str(ox.Triple(q.subject, ox.NamedNode(EX + "q"), q.object)) for q in store
                   if not isinstance(q.subject, ox.BlankNode)}


@pytest.mark.parametrize("media", formats.BOOLEAN_MEDIA)
def test_a_boolean_is_written_in_the_media_asked_for(store: ox.Store, media: str) -> None:
    out = evaluate(store, job("ASK { ?s ?p ?o }", boolean=media))
    assert out.kind == "boolean" and out.boolean is True
    assert bool(ox.parse_query_results(out.payload, format=formats._BOOLEAN[media])) is True


@pytest.mark.parametrize("media", formats.SOLUTION_MEDIA)
def test_the_row_cap_counts_rows_in_every_format(store: ox.Store, media: str) -> None:
    # 5 rows, one of them a literal holding a line break and a tab (one row all the same)
    assert evaluate(store, job(SELECT, max_rows=5, solutions=media)).kind == "solutions"
    too_many = evaluate(store, job(SELECT, max_rows=4, solutions=media))
    assert too_many.kind == "too-large" and b"more than 4 rows" in too_many.payload


def test_rows_of_nothing_count_too(store: ox.Store) -> None:
    # rows that bind no variable are rows: the cap counts them, and each format keeps them
    assert evaluate(store, job("SELECT ?none WHERE { ?s ?p ?o }", max_rows=4)).kind == "too-large"
    out = evaluate(store, job("SELECT * WHERE { {} UNION {} }", solutions="application/sparql-results+json"))
    assert out.payload.count(b"{}") == 2


def test_a_triple_answer_over_the_cap_is_refused(store: ox.Store) -> None:
    out = evaluate(store, job("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=4))
    assert out.kind == "too-large"
    assert evaluate(store, job("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=5)).kind == "triples"


def test_a_media_type_not_offered_for_the_answer_fails_cleanly(store: ox.Store) -> None:
    out = evaluate(store, job("ASK {}", boolean="text/csv"))
    assert out.kind == "failed" and b"text/csv" in out.payload
