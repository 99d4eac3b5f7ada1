"""The shapes compiled to SPARQL give exactly pySHACL's results (the oracle) on every fixture, and the
merged queries of whole-store validation give exactly the results of the checks run one by one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

import shacl_oracle
from conftest import ROOT, load_world
from registry.config import Settings
from registry.domain.model import KINDS
from registry.errors import Violation
from registry.namespaces import DCAT, DCTERMS, REG, XSD
from registry.services.registry import Registry, open_registry
from registry.shacl import compiler as shacl_sparql
from registry.shacl.compiler import Compiler, Unsupported, execute, plan
from registry.store.base import inline_rows
from registry.store.oxigraph import OxigraphStore
from registry.store.terms import nt

BROKEN: list[tuple[str, dict[str, Any]]] = [
    ("dataset", {"id": "bad1", "title": "", "publisher": "nope", "access": "secret", "personal_information": False,
                 "personal_data_categories": ["healthx"], "retention": "P7Y",
                 "steward": {"name": "", "email": "bad"}, "generated_by": {"kind": "magic", "by": "zzz"},
                 "keywords": [""]}),
    ("dataset", {"id": "bad4", "title": "x", "publisher": "moh", "access": "public", "sensitivity": "low",
                 "personal_information": True, "derived_from": ["bad4"], "generated_by": {"kind": "linkage"}}),
    ("dataset", {"id": "bad6"}),
    ("agreement", {"id": "bad2", "title": "t", "provider": "moh", "recipient": "mto",
                   "datasets": ["ohip-claims", "zzz"], "purposes": ["research", "nopurpose"],
                   "legal_basis": ["fippa-part-3.1", "nolaw"], "valid_from": "2025-01-01",
                   "valid_until": "2024-01-01", "status": "weird",
                   "conditions": {"deidentify_before_use": False, "onward_disclosure": True}}),
    ("agreement", {"id": "bad7", "provider": "moh", "recipient": "moh"}),
    ("organization", {"id": "bad3", "name": "x", "kind": "data-integration-unit", "parent": "bad3"}),
    ("organization", {"id": "bad5", "kind": "alien"}),
]


def fields() -> dict[Any, str]:
    out: dict[Any, str] = {}
    for kind in KINDS.values():
        out.update(kind.fields)
    return out


def key(v: Violation) -> tuple[Any, ...]:
    return (v.severity, v.focus_node, v.path, v.field, v.message, v.value)


def both(reg: Registry) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """(pySHACL on the whole store loaded into rdflib, the compiled checks run inside the store)."""
    g = oracle_graph(reg)
    logging.disable(logging.WARNING)  # rdflib logs ill-typed literals (with a traceback that pytest keeps)
    try:
        oracle = shacl_oracle.validate(reg.validator, g, None, fields())
        compiled = reg.records.validate_all()
    finally:
        logging.disable(logging.NOTSET)
    return {key(v) for v in oracle}, {key(v) for v in compiled}


def record_triples(reg: Registry) -> list[tuple[Any, Any, Any]]:
    prefix = reg.iris.base + "/graph/"
    return [(s, p, o) for s, p, o, graph in reg.store.quads()
            if str(graph).startswith(prefix) and "/system/" not in str(graph) and "/reference/" not in str(graph)]


def oracle_graph(reg: Registry) -> Graph:
    """The reference data and every record graph of the store, as one rdflib graph for pySHACL."""
    return shacl_oracle.data_graph(reg.validator, record_triples(reg))


@pytest.fixture
def reg() -> Registry:
    r = open_registry(Settings(data="memory"))
    yield r
    r.close()


def test_world_and_demo_conform_in_both(reg: Registry) -> None:
    load_world(reg)
    load_world(reg, json.loads((ROOT / "src/registry/data/demo-ontario.json").read_text()))
    oracle, compiled = both(reg)
    assert compiled == oracle
    assert all(k[0] == "Warning" for k in compiled)


def load_broken(reg: Registry) -> None:
    """The world, with the BROKEN records and a few ill-formed values beside it."""
    load_world(reg)
    for kind, data in BROKEN:  # written past the write path, as a bulk load could
        k = KINDS[kind]
        rg = k.to_rdf(k.model.model_validate(data), reg.iris)
        pub, res = reg.iris.graphs(kind, data["id"])
        reg.store.replace_graphs({pub: list(rg.public), res: list(rg.restricted)})
    s = reg.iris.record("dataset", "road-collisions")
    g = reg.iris.public_graph("dataset", "road-collisions")
    reg.store.replace_graphs({g: reg.store.graph(g) + [
        (s, DCTERMS.title, Literal("a second title")),
        (s, DCTERMS.issued, Literal("2020-13-45", datatype=XSD.date)),
        (s, REG.retentionPeriod, Literal("7 years", datatype=XSD.duration)),
    ]})
    # one text per language: a typed title, an IRI for a description, two French titles; and the same
    # on a distribution of the dataset (every branch of the text check, on both shapes that hold it)
    s = reg.iris.record("dataset", "ohip-claims")
    g = reg.iris.public_graph("dataset", "ohip-claims")
    d = URIRef(f"{s}/distribution/broken")
    reg.store.replace_graphs({g: reg.store.graph(g) + [
        (s, DCTERMS.title, Literal(5)), (s, DCTERMS.description, URIRef("https://example.org/text")),
        (s, DCTERMS.title, Literal("Titre", lang="fr")), (s, DCTERMS.title, Literal("Autre titre", lang="fr")),
        (s, DCAT.distribution, d), (d, RDF.type, DCAT.Distribution),
        (d, DCAT.accessURL, URIRef("https://example.org/data.csv")),
        (d, DCTERMS.title, Literal("a", lang="en")), (d, DCTERMS.title, Literal("b", lang="en")),
        (d, DCTERMS.description, Literal("2020-01-01", datatype=XSD.date)),
    ]})


#: what load_broken breaks of the per-language text check: (focus node's id suffix, value)
TEXTS = {("ohip-claims", "5"), ("ohip-claims", "https://example.org/text"), ("ohip-claims", "Titre"),
         ("ohip-claims", "Autre titre"), ("ohip-claims/distribution/broken", "a"),
         ("ohip-claims/distribution/broken", "b"), ("ohip-claims/distribution/broken", "2020-01-01")}


def test_broken_records_give_the_same_results(reg: Registry) -> None:
    load_broken(reg)
    oracle, compiled = both(reg)
    assert compiled == oracle
    assert len([k for k in compiled if k[0] == "Violation"]) > 25
    base = str(reg.iris.record("dataset", ""))
    texts = {(k[1].removeprefix(base), k[5]) for k in compiled if k[4].startswith("title and description give")}
    assert TEXTS <= texts


#: titles and descriptions put on datasets of the world for the per-language text check, and what it
#: reports of them: (dataset, path, value)
TEXT_CASES: dict[str, tuple[list[Any], list[Any]]] = {
    "ohip-claims": ([Literal("a", lang="en"), Literal("b", lang="en")],  # two texts in one language
                    [Literal("x", lang="fr"), Literal("y", lang="fr"), Literal("z", lang="en")]),
    "ow-caseload": ([Literal("Data", lang="en"), Literal("Data", lang="fr")],  # one text in two languages
                    [Literal("d"), Literal("d", lang="en")]),  # a plain text and an English one are apart
    "osap-loans": ([Literal("p"), Literal("q")],  # two plain texts
                   [URIRef("https://example.org/text"), Literal("n")]),  # an IRI is no text
    "road-collisions": ([Literal(5), Literal("x", datatype=XSD.normalizedString)],  # typed, not texts
                        [Literal("2020-01-01", datatype=XSD.date)]),
    "collision-summary": ([Literal("t", lang="en")], [Literal("u")]),  # the same in two graphs (below)
}
TEXT_FOUND = {("ohip-claims", "title", "a"), ("ohip-claims", "title", "b"), ("ohip-claims", "description", "x"),
              ("ohip-claims", "description", "y"), ("osap-loans", "title", "p"), ("osap-loans", "title", "q"),
              ("osap-loans", "description", "https://example.org/text"),
              ("road-collisions", "title", "5"), ("road-collisions", "title", "x"),
              ("road-collisions", "description", "2020-01-01")}


def test_one_text_per_language_is_found_in_each_way_as_pyshacl_finds_it(reg: Registry) -> None:
    """The per-language text check of datasets (a value that is not a text; two values in one language)
    gives pySHACL's results, in each merged form, on titles and descriptions breaking it in each way and
    on ones that keep it."""
    load_world(reg)
    for ds, (titles, descriptions) in TEXT_CASES.items():
        s = reg.iris.record("dataset", ds)
        pub, res = reg.iris.graphs("dataset", ds)
        kept = [t for t in reg.store.graph(pub) if not (t[0] == s and t[1] in (DCTERMS.title, DCTERMS.description))]
        added = [(s, DCTERMS.title, v) for v in titles] + [(s, DCTERMS.description, v) for v in descriptions]
        graphs = {pub: kept + added}
        if ds == "collision-summary":  # one value held in two graphs is one value
            graphs[res] = reg.store.graph(res) + added
        reg.store.replace_graphs(graphs)
    oracle, compiled = both(reg)
    assert compiled == oracle
    base = str(reg.iris.record("dataset", ""))

    def texts(found: Iterable[tuple[Any, ...]]) -> set[tuple[str, str, str]]:
        return {(k[1].removeprefix(base), k[2].rsplit("/", 1)[-1], k[5]) for k in found
                if k[4].startswith("title and description give")}
    assert texts(compiled) == TEXT_FOUND
    per_check, *merged = forms(reg.store, reg.validator.compiled())
    assert all(m == per_check for m in merged)
    assert texts(per_check) == TEXT_FOUND


def test_the_write_path_check_of_each_record_equals_pyshacl_on_it(reg: Registry) -> None:
    """The write path runs only the checks of a record's own classes, bound to its own nodes: per
    record, that gives what pySHACL gives about the record and its nodes on the same data."""
    load_broken(reg)
    triples = record_triples(reg)
    logging.disable(logging.WARNING)
    try:
        oracle = shacl_oracle.validate(reg.validator, oracle_graph(reg), None, fields())
        records = sorted({s for s, p, _o in triples if p == RDF.type and (k := reg.iris.split(s)) and k[0] in KINDS
                          and "/" not in k[1]}, key=str)
        assert len(records) > 20
        reported = 0
        for iri in records:
            own = (str(iri), str(iri) + "/")
            expected = {key(v) for v in oracle if v.focus_node == own[0] or v.focus_node.startswith(own[1])}
            assert {key(v) for v in reg.validator.check(triples, [iri], fields())} == expected, iri
            reported += len(expected)
        assert reported > 25, "the broken records are reported"
    finally:
        logging.disable(logging.NOTSET)


def test_a_shape_feature_outside_the_subset_is_refused() -> None:
    shapes = Graph().parse(ROOT / "shapes" / "common.ttl")
    for f in (ROOT / "shapes").glob("*.ttl"):
        shapes.parse(f)
    prop = next(shapes.objects(None, SH.property))
    shapes.add((prop, SH.uniqueLang, Literal(True)))
    with pytest.raises(Unsupported):
        Compiler(shapes).compile()


def test_compiled_checks_are_plain_sparql_selects(reg: Registry) -> None:
    checks = reg.validator.compiled()
    assert len(checks) > 100
    assert all(isinstance(c, shacl_sparql.Check) and "SELECT" in c.query for c in checks)


# ------------------------------------------------------------------------- merged queries
def forms(store: object, checks: list[shacl_sparql.Check]) -> list[list[tuple[Any, ...]]]:
    """The results of the checks one query each (the reference), merged starting from the
    constraints wherever a check can, merged keeping each check's focus-first form, and merged
    starting from the constraints with every test of values made on each distinct value once."""
    every = {c.part.tested for c in checks if c.part is not None and c.part.tested}
    logging.disable(logging.WARNING)
    try:
        return [[key(v) for v in found] for found in (
            shacl_sparql.run(store, checks, {}, merge=False),
            execute(store, checks, plan(checks, None), {}),
            execute(store, checks, plan(checks, {}), {}),
            execute(store, checks, plan(checks, None, every), {}),
        )]
    finally:
        logging.disable(logging.NOTSET)


def test_merged_queries_give_the_results_of_the_checks_one_by_one(reg: Registry) -> None:
    load_broken(reg)
    checks = reg.validator.compiled()
    per_check, fast, focus_first, grouped = forms(reg.store, checks)
    assert fast == per_check  # the same violations, in the same order
    assert focus_first == per_check
    assert grouped == per_check
    assert len({k[4] for k in per_check if k[0] == "Violation"}) > 25  # many different violations
    parts = [c.part for c in checks if c.part is not None]
    assert any(p.fast and p.joined for p in parts) and any(p.fast and not p.joined for p in parts)
    batches, alone = plan(checks, shacl_sparql.class_sizes(reg.store, checks))
    # merged: fewer queries than checks' queries (up to BRANCHES branches in one; at 2, 131 for 247)
    assert alone == [] and len(batches) * 3 < len({c.query for c in checks}) * 2


def test_a_check_whose_query_was_rewritten_runs_on_its_own(reg: Registry) -> None:
    """The write path binds ?this in a check's query (a VALUES block): it must not be merged as the
    part made for the unbound query."""
    load_broken(reg)
    bad = str(reg.iris.record("dataset", "bad6"))
    checks = [replace(c, query=c.query.replace("WHERE {", f"WHERE {{ VALUES ?this {{ <{bad}> }}", 1))
              for c in reg.validator.compiled()]
    batches, alone = plan(checks, None)
    assert batches == [] and len(alone) == len(checks)
    found = shacl_sparql.run(reg.store, checks, {})
    assert found and {v.focus_node for v in found} == {bad}


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex: sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
ex:ThingShape sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:p ; sh:minCount 2 ; sh:maxCount 3 ; sh:datatype xsd:integer ; sh:message "p" ] ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:minLength 3 ; sh:pattern "^[A-Z]" ; sh:nodeKind sh:Literal ] ;
    sh:property [ sh:path ex:start ; sh:lessThanOrEquals ex:end ; sh:message "start after end" ] ;
    sh:property [ sh:path ex:kind ; sh:hasValue ex:K1 ; sh:message "kind" ] ;
    sh:property [ sh:path ex:part ; sh:node ex:PartShape ; sh:message "part" ] ;
    sh:sparql [ sh:message "big p" ; sh:select "SELECT $this ?value WHERE { $this ex:p ?value . FILTER (?value > 10) }" ] ;
    sh:sparql [ sh:message "no p, bound first" ;
        sh:select "SELECT $this ?value WHERE { BIND($this AS ?value) OPTIONAL { $this ex:p ?z } FILTER (!BOUND(?z)) }" ] ;
    sh:sparql [ sh:message "shares a part" ; sh:select '''SELECT $this ?value ?path WHERE {
        BIND(ex:part AS ?path) $this ex:part ?value . ?o ex:part ?value . FILTER (?o != $this) }''' ] ;
    sh:sparql [ sh:message "start without p" ;
        sh:select "SELECT $this ?value WHERE { $this ex:start ?value . FILTER NOT EXISTS { $this ex:p ?n } }" ] ;
    sh:sparql [ sh:message "p of a kind no part has" ;
        sh:select "SELECT $this ?value WHERE { $this ex:kind ?value FILTER NOT EXISTS { ?x ex:kind ?value . ?y ex:part ?x } }" ] ;
    sh:sparql [ sh:message "p while anything has a q" ;
        sh:select "SELECT $this ?value WHERE { $this ex:p ?value . FILTER NOT EXISTS { ?y ex:q ?z } }" ] .
ex:PartShape
    sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:message "q" ] ;
    sh:property [ sh:path ex:r ; sh:class ex:Thing ; sh:nodeKind sh:IRI ; sh:message "r" ] ;
    sh:property [ sh:path ex:s ; sh:minCount 2 ; sh:maxCount 2 ; sh:message "s" ] ;
    sh:property [ sh:path ex:kind ; sh:hasValue ex:K2 ] ;
    sh:property [ sh:path ex:child ; sh:node ex:ChildShape ; sh:message "child" ] .
ex:ChildShape
    sh:property [ sh:path ex:z ; sh:maxCount 1 ; sh:datatype xsd:date ; sh:message "z" ] ;
    sh:property [ sh:path ex:name ; sh:minLength 2 ] .
ex:OtherShape sh:targetClass ex:Other ;
    sh:property [ sh:path ex:p ; sh:maxCount 1 ] ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:pattern "^o" ] .
"""

DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:t1 a ex:Thing ; ex:p 1, 2 ; ex:name "Alpha" ; ex:kind ex:K1 ; ex:start 1 ; ex:end 2 ;
    ex:part [ ex:q 1 ; ex:s 1, 2 ; ex:kind ex:K2 ; ex:r ex:t2 ; ex:child [ ex:z "2020-01-01"^^xsd:date ; ex:name "ok" ] ] .
ex:t2 a ex:Thing ; ex:p 1 ; ex:name "al", ex:alpha, _:n ; ex:start 3 ; ex:end 2, 5 ; ex:kind ex:K2 ;
    ex:part ex:shared .
ex:t3 a ex:Thing, ex:Other ; ex:p 1, 2, 3, 40, "5" ; ex:name "Beta"@en, "" ; ex:kind ex:K1, ex:K3 ; ex:part ex:shared, ex:t1 .
ex:t4 a ex:Thing ; ex:start "a" ; ex:end 1 .
ex:shared ex:s 1 ; ex:r "x", ex:nothing, _:b ; ex:kind ex:K1 ;
    ex:child [ ex:z "2020-02-30"^^xsd:date, "2020-01-01" ; ex:name "x" ], [ ex:z 3 ] .
ex:t1 ex:q 1 ; ex:s 1, 2 ; ex:kind ex:K2 .
ex:o1 a ex:Other ; ex:p 1, 2 ; ex:name "other", "nope" .
ex:o2 a ex:Other ; ex:p 1 .
[] a ex:Other ; ex:p 1, 2 ; ex:name "other" .
"""


def test_merged_queries_agree_on_shapes_with_every_supported_feature() -> None:
    shapes = Graph().parse(data=SHAPES, format="turtle")
    checks = Compiler(shapes).compile()
    data = Graph().parse(data=DATA, format="turtle")
    store = OxigraphStore(None)
    store.add_to_graph("http://example.org/g1", [t for t in data if t[1] != RDF.type])
    store.add_to_graph("http://example.org/g2", [t for t in data if t[1] == RDF.type])
    # one value in two graphs is one value: ex:o2 keeps its sh:maxCount 1, ex:o1 (two values) breaks it
    o1, o2, p = (URIRef(f"http://example.org/{n}") for n in ("o1", "o2", "p"))
    store.add_to_graph("http://example.org/g3", [(o2, p, Literal(1)), (o1, p, Literal(1))])
    per_check, fast, focus_first, grouped = forms(store, checks)
    too_many = {k[1] for k in fast if k[4] == "breaks a rule on http://example.org/p"}
    assert str(o1) in too_many and str(o2) not in too_many
    assert any(not k.startswith("http") for k in too_many), "a blank node in breach is found too"
    assert fast == per_check
    assert focus_first == per_check
    assert grouped == per_check
    assert len(per_check) > 30
    messages = {k[4] for k in per_check}
    assert {"p", "start after end", "kind", "part", "q", "r", "s", "child", "z", "big p", "no p, bound first",
            "shares a part", "start without p", "p of a kind no part has"} <= messages
    assert "p while anything has a q" not in messages
    minus = {c.message for c in checks if c.part and c.part.fast and "MINUS {" in c.part.fast and c.path is None}
    assert minus == {"start without p", "p of a kind no part has"}
    # a body that reads ?this before binding it keeps the focus pattern in front
    sparql = {c.message: c.part for c in checks if c.part and c.path is None}
    assert sparql["big p"].fast and sparql["shares a part"].fast and sparql["no p, bound first"].fast is None
    # with counts, a class that is a small user of a path starts from its focus nodes there
    sizes = {"<http://example.org/Thing>": 1000, "<http://example.org/Other>": 10}
    batches, _ = plan(checks, sizes)
    other = "\n".join(b.query for b in batches if "<http://example.org/Other> ." in b.query)
    assert "?this a <http://example.org/Other> . ?this <http://example.org/p>" in other
    assert execute(store, checks, (batches, []), {}) == shacl_sparql.run(store, checks, {}, merge=False)
    # a class too small to scan a path for tests each distinct value of it once where its values repeat
    every = {c.part.tested for c in checks if c.part is not None and c.part.tested}
    batches, _ = plan(checks, {"<http://example.org/Thing>": 1000, "<http://example.org/Other>": 100}, every)
    other = "\n".join(b.query for b in batches if b.target == "<http://example.org/Other>")
    assert "?_g0 <http://example.org/name> ?v0 } GROUP BY ?v0" in other
    assert execute(store, checks, (batches, []), {}) == shacl_sparql.run(store, checks, {}, merge=False)


def test_the_write_paths_queries_of_a_few_checks_find_each_violation_alone_and_together() -> None:
    """The write path binds the checks of a record's classes to its nodes and runs a few of a class's
    bound queries as one UNION (`by_class`): bound to each node alone and to all of them at once, that
    gives exactly what the bound queries give one by one, and each node's violations alone are among
    them together."""
    shapes = Graph().parse(data=SHAPES, format="turtle")
    checks = Compiler(shapes).compile()
    data = Graph().parse(data=DATA, format="turtle")
    store = OxigraphStore(None)
    store.add_to_graph("http://example.org/g", list(data))
    focus: dict[str, list[URIRef]] = {}
    for s, _p, o in data.triples((None, RDF.type, None)):
        if isinstance(s, URIRef):
            focus.setdefault(f"<{o}>", []).append(s)

    def found(nodes: dict[str, list[URIRef]]) -> list[tuple[Any, ...]]:
        mine = [c for c in checks if c.part is not None and c.part.target in nodes]
        queries = [inline_rows(c.query, ["this"], [[n] for n in sorted(nodes[c.part.target])], nt)
                   for c in mine if c.part is not None]
        batches, alone = shacl_sparql.by_class(mine, queries)
        assert alone == [] and {b.target for b in batches} == set(nodes)
        assert all(len(b.branches) <= shacl_sparql.BOUND_BRANCHES for b in batches)
        assert len(batches) < len(set(queries)) and any(len(b.branches) > 1 for b in batches)
        one_by_one = shacl_sparql.run(store, [replace(c, query=q) for c, q in zip(mine, queries, strict=True)], {},
                                      merge=False)
        together = execute(store, mine, (batches, alone), {}, None, queries, workers=1)
        assert together == one_by_one
        return [key(v) for v in together]

    alone = {n: found({c: [n] for c, ns in focus.items() if n in ns}) for ns in focus.values() for n in ns}
    every = found(focus)
    assert [n for n, ks in alone.items() if not ks] == [URIRef("http://example.org/t1")], "the others break rules"
    assert set(every) == {k for ks in alone.values() for k in ks}
    assert {k[4] for k in every} >= {"p", "start after end", "kind", "part", "q", "r", "s", "big p", "shares a part",
                                      "start without p", "p of a kind no part has"}


@pytest.mark.parametrize("select", [
    "SELECT $this ?value WHERE { BIND($this AS ?value) $this ex:p ?x }",
    "SELECT $this WHERE { OPTIONAL { $this ex:p ?x } }",
    "SELECT $this WHERE { ?x ex:p ?y MINUS { $this ex:q ?y } }",
    "SELECT $this WHERE { ?x ex:p ?y FILTER NOT EXISTS { $this ex:q ?y } }",
    "SELECT ?x WHERE { $this ex:p ?x }",
    "SELECT $this (COUNT(?x) AS ?n) WHERE { $this ex:p ?x } GROUP BY $this",
    "SELECT $this WHERE { $this ex:p ?x } LIMIT 1",
    "SELECT $this WHERE { { SELECT ?x WHERE { ?x ex:p ?y } } FILTER (?x = $this) }",
])
def test_a_sparql_constraint_that_needs_this_bound_first_keeps_its_focus_pattern(select: str) -> None:
    assert shacl_sparql._joinable("PREFIX ex: <http://example.org/>", select.replace("$this", "?this")) is None


@pytest.mark.parametrize("select", [
    "SELECT $this ?value WHERE { $this ex:p ?value . BIND($this AS ?v2) FILTER NOT EXISTS { $this ex:q ?value } }",
    "SELECT DISTINCT $this WHERE { BIND(ex:p AS ?path) $this ex:p ?x OPTIONAL { $this ex:q ?y } MINUS { $this ex:r ?x } }",
    "SELECT * WHERE { $this ex:p+ $this }",
    "SELECT $this WHERE { $this ex:p ?x } VALUES ?x { 1 }",
])
def test_a_sparql_constraint_that_binds_this_first_is_merged_without_it(select: str) -> None:
    assert shacl_sparql._joinable("PREFIX ex: <http://example.org/>", select.replace("$this", "?this")) is not None


@pytest.mark.parametrize(("select", "minus"), [
    ("SELECT $this WHERE { $this ex:p ?x FILTER NOT EXISTS { $this ex:q ?x } }", True),
    ("SELECT $this WHERE { BIND(ex:p AS ?path) $this ex:p ?x . FILTER NOT EXISTS { ?x ex:q ?y . ?y ex:r $this } }", True),
    # nothing shared: NOT EXISTS asks about the whole graph, MINUS would remove nothing
    ("SELECT $this WHERE { $this ex:p ?x FILTER NOT EXISTS { ?y ex:q ?z } }", False),
    # a shared variable not bound in every solution
    ("SELECT $this WHERE { $this ex:p ?x OPTIONAL { $this ex:r ?y } FILTER NOT EXISTS { $this ex:q ?y } }", False),
    ("SELECT $this WHERE { $this ex:p ?x FILTER NOT EXISTS { $this ex:q ?x FILTER (?x > 1) } }", False),
    ("SELECT $this WHERE { { $this ex:p ?x FILTER NOT EXISTS { $this ex:q ?x } } UNION { $this ex:r ?x } }", False),
    ("SELECT $this WHERE { $this ex:p ?x FILTER (!BOUND(?x) || NOT EXISTS { $this ex:q ?x }) }", False),
])
def test_not_exists_becomes_minus_only_where_it_means_the_same(select: str, minus: bool) -> None:
    body = select.replace("$this", "?this")
    out = shacl_sparql._as_minus("PREFIX ex: <http://example.org/>", body)
    assert ("MINUS" in out) == minus
    assert ("NOT EXISTS" in out) != minus


VALUE_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
ex:TShape sh:targetClass ex:T ;
    sh:property [ sh:path ex:v ; sh:minLength 3 ; sh:pattern "^[A-Z]" ; sh:datatype xsd:string ; sh:message "v" ] ;
    sh:property [ sh:path ex:w ; sh:nodeKind sh:IRI ; sh:pattern "^http" ; sh:message "w" ] ;
    sh:property [ sh:path ex:part ; sh:node ex:PShape ; sh:message "part" ] .
ex:PShape sh:property [ sh:path ex:v ; sh:minLength 10 ; sh:datatype xsd:date ; sh:message "inner" ] .
"""

VALUE_DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a a ex:T ; ex:v "Abc" ; ex:w <http://example.org/x> .
ex:b a ex:T ; ex:v "Ab", "Abc" .
ex:c a ex:T ; ex:v "abc", "Abc" .
ex:d a ex:T ; ex:v "Abc"@en .
ex:e a ex:T ; ex:v "a"@en, ex:iri, "Ab" ; ex:w "http://example.org/s", <ftp://example.org/x> .
ex:f a ex:T ; ex:v "Abc" ; ex:part ex:p .
ex:p ex:v "2021-02-03"^^xsd:date, "x"^^xsd:date, "2020-01-01", "Abc" .
ex:g ex:v "ab" .
"""


def test_each_test_of_a_value_is_found_alone_and_together_as_pyshacl_finds_it() -> None:
    """A property shape's tests of each value (sh:minLength, sh:pattern, sh:datatype, sh:nodeKind) run as
    one filter: a value failing any one of them, or several, is one result, as pySHACL reports it (with
    the value tested one by one or each distinct value once)."""
    shapes = Graph().parse(data=VALUE_SHAPES, format="turtle")
    data = Graph().parse(data=VALUE_DATA, format="turtle")
    checks = Compiler(shapes).compile()
    store = OxigraphStore(None)
    store.add_to_graph("http://example.org/g", list(data))
    logging.disable(logging.WARNING)
    try:
        oracle = {key(v) for v in shacl_oracle.validate(SimpleNamespace(shapes=shapes), data, None)}  # type: ignore[arg-type]
    finally:
        logging.disable(logging.NOTSET)
    for found in forms(store, checks):
        assert set(found) == oracle
    ex = "http://example.org/"
    assert {(k[1].removeprefix(ex), k[4], k[5]) for k in oracle if k[4] in ("v", "w")} == {
        ("b", "v", "Ab"), ("c", "v", "abc"), ("d", "v", "Abc"), ("e", "v", "a"), ("e", "v", f"{ex}iri"),
        ("e", "v", "Ab"), ("e", "w", "http://example.org/s"), ("e", "w", "ftp://example.org/x")}
    assert {k[5] for k in oracle if k[4] == "inner"} == {"x", "2020-01-01", "Abc"}
