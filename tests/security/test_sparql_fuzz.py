"""A grammar-based SPARQL fuzzer (hypothesis, bounded and seeded): queries built from the grammar's
pieces, nested, chained and mangled with the lexer tricks that once got past the scanner. Whatever
comes, the server stays up and answers below 500, or 503 (busy, timed out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Api
from helpers import assert_problem, fresh_world_registry
from registry.config import Settings

pytestmark = pytest.mark.slow

IRIS = ["<http://www.w3.org/ns/dcat#Dataset>", "dcat:Dataset", "dct:title", "<urn:x>", "ex:a\\#", "ex:b\\.c",
        "<http://127.0.0.1:9/sparql>", "rdf:type", "a"]
VARS = ["?s", "?p", "?o", "?x", "$y"]
LITERALS = ['"x"', "'''a\"b'''", '"e"@en', '"1"^^xsd:integer', "1", "-2.5", "true", '"\\u0053ERVICE"']
TRICKS = ["# }", "#\n", "\\#", "\\u007B", "\\u007D", "\n", "\t", "\\", "'", '"', "<", ">"]
PREFIXES = ("PREFIX ex: <http://example.org/> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
            "PREFIX dct: <http://purl.org/dc/terms/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
            "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> ")

term = st.sampled_from(IRIS + VARS + LITERALS)
path = st.recursive(st.sampled_from(IRIS[:4] + ["a"]),
                    lambda p: st.one_of(st.tuples(p, st.sampled_from(["/", "|"]), p).map(" ".join),
                                        st.tuples(st.sampled_from(["^", "!"]), p).map("".join),
                                        st.tuples(p, st.sampled_from(["*", "+", "?"])).map(lambda t: f"({t[0]}){t[1]}")),
                    max_leaves=6)
expr = st.recursive(st.one_of(term, st.just("BOUND(?x)")),
                    lambda e: st.one_of(st.tuples(e, st.sampled_from(["||", "&&", "=", "<", "+", "*", "-", "/"]), e)
                                        .map(" ".join),
                                        st.tuples(st.sampled_from(["!", "-", "+"]), e).map("".join),
                                        e.map(lambda x: f"({x})"),
                                        st.tuples(st.sampled_from(["STR", "LANG", "REGEX", "CONCAT", "IF", "COALESCE"]),
                                                  st.lists(e, min_size=1, max_size=3))
                                        .map(lambda t: f"{t[0]}({', '.join(t[1])})")),
                    max_leaves=8)
triple = st.tuples(term, st.one_of(term, path), term).map(lambda t: " ".join(t) + " .")
group = st.recursive(
    triple,
    lambda g: st.one_of(
        st.lists(g, min_size=1, max_size=3).map(lambda xs: "{ " + " ".join(xs) + " }"),
        st.tuples(g, g).map(lambda t: f"{{ {t[0]} }} UNION {{ {t[1]} }}"),
        g.map(lambda x: f"OPTIONAL {{ {x} }}"),
        g.map(lambda x: f"MINUS {{ {x} }}"),
        g.map(lambda x: f"GRAPH ?g {{ {x} }}"),
        g.map(lambda x: f"FILTER NOT EXISTS {{ {x} }}"),
        g.map(lambda x: f"SERVICE SILENT <http://127.0.0.1:9/sparql> {{ {x} }}"),
        expr.map(lambda x: f"FILTER({x})"),
        expr.map(lambda x: f"BIND({x} AS ?b{abs(hash(x)) % 7})"),
        st.just("VALUES ?x { <urn:a> 1 UNDEF }"),
        g.map(lambda x: f"{{ SELECT * WHERE {{ {x} }} LIMIT 3 }}"),
    ),
    max_leaves=10,
)
head = st.sampled_from(["SELECT * WHERE", "SELECT DISTINCT ?s WHERE", "ASK", "CONSTRUCT WHERE", "DESCRIBE ?s WHERE",
                        "SELECT (COUNT(*) AS ?n) WHERE", "select reduced ?o from <urn:g> where"])
tail = st.sampled_from(["", " LIMIT 5", " ORDER BY ?s LIMIT 2", " GROUP BY ?s", " OFFSET 1 LIMIT 1"])


@st.composite
def queries(draw: st.DrawFn) -> str:
    body = draw(st.lists(group, min_size=1, max_size=3))
    q = PREFIXES + draw(head) + " { " + " ".join(body) + " }" + draw(tail)
    # mangle: lexer tricks and chains repeated many times, at random places
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(q)))
        piece = draw(st.one_of(st.sampled_from(TRICKS), st.tuples(st.sampled_from(["!", "(", "{", "+", "|| true"]),
                                                                  st.integers(1, 4000)).map(lambda t: t[0] * t[1])))
        q = q[:at] + piece + q[at:]
    return q


@pytest.fixture(scope="module")
def fuzz_api() -> Iterator[Api]:
    reg = fresh_world_registry()
    reg.settings = Settings(data="memory", sparql_timeout_seconds=3, rate_per_minute=0)
    a = Api(reg)
    yield a
    a.close()
    reg.close()


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(query=queries(), officer=st.booleans(), direct=st.booleans())
def test_any_query_is_answered_below_500(fuzz_api: Api, query: str, officer: bool, direct: bool) -> None:
    headers = fuzz_api.auth("privacy-officer") if officer else {}
    if direct:
        r = fuzz_api.client.post("/sparql", content=query.encode(),
                                 headers={"Content-Type": "application/sparql-query", **headers})
    else:
        r = fuzz_api.client.post("/sparql", data={"query": query}, headers=headers)
    assert r.status_code < 500 or r.status_code == 503, (r.status_code, r.text[:500], query[:500])
    if r.status_code >= 400:
        assert_problem(r, r.status_code)
    assert fuzz_api.client.get("/health").status_code == 200
