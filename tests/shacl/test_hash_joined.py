"""compiler.hash_joined: a SHACL-SPARQL select's top-level triple patterns as one sub-select each (so that
Oxigraph joins them by hashing, not by a lookup per solution) give exactly the rows of the select as written:
on random data for every form it rewrites, and on the registry's own constraints over broken records. What
it cannot read plainly it leaves as it is."""

from __future__ import annotations

import logging
import random
from collections import Counter
from typing import Any

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from registry.services.registry import Registry
from registry.shacl.compiler import Compiler, _as_minus, hash_joined, plan, portable_paths
from registry.store.oxigraph import OxigraphStore
from test_shacl_sparql import load_broken

EX = "http://example.org/"
PROLOGUE = f"PREFIX ex: <{EX}>\nPREFIX xsd: <{XSD}>"

#: every form the rewrite reads: `;` and `,` lists, constants in each place, a variable twice in one
#: pattern, BIND before and after, FILTER, MINUS, OPTIONAL, UNION branches and VALUES beside the run
REWRITTEN = [
    "SELECT ?this ?value WHERE { ?this ex:p ?value ; ex:q ?other . }",
    "SELECT ?this ?value WHERE { ?this ex:p ?value , ?other . FILTER (?other != ?value) }",
    "SELECT ?this ?value ?path WHERE { BIND(ex:p AS ?path) ?this ex:p ?value ; ex:r true . ?value ex:q ?z }",
    "SELECT ?this WHERE { ?this ex:r false ; ex:p ?v . ?v ex:q ?w . BIND(?w AS ?x) FILTER (?x != ex:n1) }",
    "SELECT ?this ?value WHERE { ?this ex:p ?value . ?value ex:p ?this MINUS { ?this ex:q ?value } }",
    "SELECT ?this ?value WHERE { ?this ex:p ?this ; ex:q ?value }",
    "SELECT ?this ?value WHERE { ?this a ex:T ; ex:p ?value OPTIONAL { ?value ex:q ?o } FILTER (!BOUND(?o)) }",
    'SELECT ?this ?value WHERE { ?this ex:s "a"@en ; ex:s ?value . ?this ex:s "b"^^xsd:string }',
    "SELECT ?this ?value WHERE { ?this <http://example.org/p> ?value ; <http://example.org/q> ex:n2 . }",
    "SELECT ?this ?value WHERE { { ?this ex:q ?value } UNION { ?this ex:r ?value } ?this ex:p ?a ; ex:p ?b "
    "FILTER (?a != ?b) }",
    "SELECT ?this ?value WHERE { ?this ex:p ?value . ?value ex:q ?this . VALUES ?this { ex:n1 ex:n2 ex:n3 } }",
    "SELECT ?this WHERE { ?this ex:r true ; ex:q ex:n2 }",
    "SELECT DISTINCT ?this WHERE { ?this ex:p ?v ; ex:p ?w . FILTER NOT EXISTS { ?v ex:q ?w } }",
]

#: what it leaves as it is: blank nodes, paths, numbers, one triple pattern, patterns only in nested groups
LEFT = [
    "SELECT ?this WHERE { ?this ex:p [ ex:q ?v ] }",
    "SELECT ?this WHERE { ?this ex:p _:b . _:b ex:q ?v }",
    "SELECT ?this WHERE { ?this ex:p/ex:q ?v . ?v ex:r ?w }",
    "SELECT ?this WHERE { ?this ex:p ?_step0 . ?_step0 ex:p* ?this }",
    "SELECT ?this WHERE { ?this ^ex:p ?v ; ex:q ?w }",
    "SELECT ?this WHERE { ?this ex:p 1.5 ; ex:q ?w }",
    "SELECT ?this WHERE { ?this ex:p 2 ; ex:q ?w }",
    'SELECT ?this WHERE { ?this ex:p """long""" ; ex:q ?w }',
    "SELECT ?this WHERE { ?this ex:p ?v . BIND(?v AS ?w) }",
    "SELECT ?this WHERE { { ?this ex:p ?v ; ex:q ?w } UNION { ?this ex:r ?v } }",
    "SELECT ?this WHERE { ?this ex:p ?v FILTER EXISTS { ?v ex:q ?w ; ex:r ?x } }",
    "SELECT ?this WHERE { ?this ex:p ex:n1 . ex:n2 ex:q ex:n3 }",
    "SELECT ?this WHERE { GRAPH ?g { ?this ex:p ?v ; ex:q ?w } }",
    "SELECT ?this (COUNT(*) AS ?n) WHERE { ?this ex:p ?v } GROUP BY ?this",
]


def random_store(seed: int) -> OxigraphStore:
    """Nodes, types, IRIs and literals of several kinds on a few predicates, spread over graphs (a triple
    sometimes in two), so that every join has matches, repeats and misses."""
    rnd = random.Random(seed)
    nodes = [URIRef(f"{EX}n{i}") for i in range(12)]
    objects: list[Any] = [*nodes, Literal(True), Literal(False), Literal("a", lang="en"), Literal("b"),
                          Literal("b", lang="fr"), Literal(3), URIRef(f"{EX}T")]
    store = OxigraphStore(None)
    for g in range(3):
        triples = []
        for _ in range(rnd.randint(20, 60)):
            p = rnd.choice("pqrs")
            o = rnd.choice(objects if p in "rs" else nodes)
            triples.append((rnd.choice(nodes), URIRef(EX + p), o))
        triples += [(n, RDF.type, URIRef(f"{EX}T")) for n in rnd.sample(nodes, 4)]
        store.add_to_graph(f"{EX}g{g}", triples)
    return store


def rows(store: Any, query: str) -> Counter[tuple[tuple[str, str], ...]]:
    return Counter(tuple(sorted((k, v.n3()) for k, v in row.items())) for row in store.select(query))


@pytest.mark.parametrize("select", REWRITTEN)
def test_a_rewritten_select_finds_the_same_rows_on_random_data(select: str) -> None:
    joined = hash_joined(select)
    assert joined != select and joined.count("{ SELECT ") >= 2
    found = 0
    for seed in range(12):
        store = random_store(seed)
        before = rows(store, f"{PROLOGUE}\n{select}")
        assert rows(store, f"{PROLOGUE}\n{joined}") == before, (seed, joined)
        found += sum(before.values())
    assert found > 0, "the data never matches: the test would prove nothing"


@pytest.mark.parametrize("select", LEFT)
def test_what_is_not_plainly_read_is_left_as_it_is(select: str) -> None:
    assert hash_joined(select) == select


def test_the_registrys_constraints_find_the_same_rows_joined_by_hash(registry: Registry) -> None:
    """Every SHACL-SPARQL constraint of the shapes, as written and rewritten, over the world with broken
    records: the same rows; and the rewrite is what the compiled checks of the whole store run."""
    reg = registry
    load_broken(reg)
    shapes = reg.validator.shapes
    prologue = Compiler(shapes).prefixes
    fast = {c.part.fast for c in reg.validator.compiled() if c.part is not None and c.part.fast}
    rewritten = matched = 0
    logging.disable(logging.WARNING)
    try:
        for constraint in shapes.objects(None, SH.sparql):
            body = portable_paths(str(shapes.value(constraint, SH.select)).replace("$this", "?this"))
            written = _as_minus(prologue, body)  # the compiled form, then the rewrite
            joined = hash_joined(written)
            if joined == written:
                continue
            rewritten += 1
            assert any(joined in f for f in fast), body
            before = rows(reg.store, f"{prologue}\n{body}")
            assert rows(reg.store, f"{prologue}\n{joined}") == before, body
            matched += bool(before)
    finally:
        logging.disable(logging.NOTSET)
    assert rewritten >= 10 and matched >= 5, (rewritten, matched)


def test_a_hash_joined_check_runs_in_a_query_of_its_own(registry: Registry) -> None:
    """Oxigraph's hash tables hold a slot for every variable of the query: a hash-joined form is not merged
    with other checks' branches (whose variables would widen each solution it keeps)."""
    checks = registry.validator.compiled()
    hashed = {i for i, c in enumerate(checks) if c.part is not None and c.part.hashed}
    assert len(hashed) >= 10
    batches, _alone = plan(checks, None)
    seen: set[int] = set()
    for b in batches:
        members = {i for branch in b.branches for i in branch}
        if members & hashed:
            assert len(b.branches) == 1 and hashed_form(checks, b) in b.query
            seen |= members
    assert seen >= hashed


def hashed_form(checks: list[Any], batch: Any) -> str:
    part = checks[batch.branches[0][0]].part
    assert part is not None and part.fast is not None
    return part.fast
