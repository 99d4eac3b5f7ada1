"""The write path's validation (ShaclValidator.check): each check's query bound to a record's nodes from
halves cut once gives the text `inline_rows` gives, and many validations in a row, across the renewals
of the scratch store, give the same results and leave only the reference data behind."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from registry.domain.model import KINDS, RecordKind
from registry.domain.model.common import RecordGraphs
from registry.errors import Violation
from registry.services.registry import Registry
from registry.shacl import validator as validation
from registry.shacl.compiler import by_class
from registry.store.base import Triple, inline_rows
from registry.store.oxigraph import OxigraphStore
from registry.store.terms import nt

BROKEN = {"id": "bad1", "title": "", "publisher": "nope", "access": "secret", "personal_information": False,
          "personal_data_categories": ["healthx"], "retention": "P7Y", "steward": {"name": "", "email": "bad"},
          "generated_by": {"kind": "magic", "by": "zzz"}, "keywords": [""]}


def key(v: Violation) -> tuple[Any, ...]:
    return (v.severity, v.focus_node, v.path, v.field, v.message, v.value)


VALID = {"id": "fine", "title": "Fine", "description": "A fine dataset.", "publisher": "nope",
         "steward": {"name": "S", "email": "s@example.org"}, "access": "public", "sensitivity": "low",
         "personal_information": False, "retention": "P7Y", "keywords": ["a"], "issued": "2025-01-15",
         "generated_by": {"kind": "extraction", "by": "zzz", "date": "2025-01-15"}}


def left_out(registry: Registry, monkeypatch: pytest.MonkeyPatch, kind: RecordKind, rg: RecordGraphs,
             triples: list[Triple], marker: str, cleared: object) -> tuple[list[dict[str, Any]], int]:
    """The violations of `triples` as the write path finds them, required to be those found with `marker` (a
    field of Check) set to `cleared` on every check; and how many more checks run then."""
    v = registry.validator
    sizes: list[int] = []
    bindable, bound_plan = v.bindable, v.bound_plan
    with monkeypatch.context() as m:
        m.setattr(v, "bound_plan", lambda chosen, rows: (sizes.append(len(chosen)), bound_plan(chosen, rows))[1])
        v._plans.clear()
        found = [vars(x) for x in v.check(triples, [rg.iri], kind.fields)]
        m.setattr(v, "bindable", lambda t: [(dataclasses.replace(c, **{marker: cleared}), h) for c, h in bindable(t)])
        v._plans.clear()
        assert [vars(x) for x in v.check(triples, [rg.iri], kind.fields)] == found
    v._plans.clear()
    return found, sizes[1] - sizes[0] if len(sizes) == 2 else 0


def test_a_check_bound_from_its_halves_is_the_query_inline_rows_binds(registry: Registry) -> None:
    v = registry.validator
    nodes = [URIRef("https://example.org/a"), URIRef("https://example.org/b")]
    bound = 0
    for target in v.by_target():
        for c, (head, tail) in v.bindable(target):
            for rows in ([[nodes[0]]], [[n] for n in nodes]):
                assert head + " ".join(f"({nt(n)})" for (n,) in rows) + tail == inline_rows(c.query, ["this"], rows, nt)
            bound += 1
    assert bound == len(v.compiled()) > 100


def test_validations_across_renewals_of_the_scratch_store_give_the_same_results(registry: Registry) -> None:
    kind = KINDS["dataset"]
    rg = kind.to_rdf(kind.model.model_validate(BROKEN), registry.iris)
    triples = [*rg.public, *rg.restricted]
    v = registry.validator
    first = {key(x) for x in v.check(triples, [rg.iri], kind.fields)}
    assert len({k for k in first if k[0] == "Violation"}) > 5
    stores = set()
    for _ in range(2 * validation.RENEW + 2):
        assert {key(x) for x in v.check(triples, [rg.iri], kind.fields)} == first
        stores.add(id(v._scratch))
        quads = list(v._scratch.quads())
        assert {str(g) for *_t, g in quads} == {validation.REFERENCE} and len(quads) == len(v.reference)
    assert len(stores) >= 2, "a fresh scratch store took over"


def test_a_check_skipped_for_a_predicate_the_data_lacks_finds_nothing(registry: Registry) -> None:
    """The write path skips a check that reads a predicate (`Check.needs`) neither the record nor the
    reference data uses: run anyway over the same data, each such check finds nothing; what is missing
    (sh:minCount) is still found."""
    kind = KINDS["dataset"]
    v = registry.validator
    rg = kind.to_rdf(kind.model.model_validate(BROKEN), registry.iris)
    triples = [*rg.public, *rg.restricted]
    present = {f"<{p}>" for _s, p, _o in [*triples, *v.reference]}
    store = OxigraphStore(None)
    store.add_to_graph("urn:x-test:data", [*triples, *v.reference])
    types = {str(o) for s, p, o in triples if p == RDF.type and str(s).startswith(str(rg.iri))}
    skipped = [c for t in types for c in v.by_target().get(t, []) if c.needs and not present.issuperset(c.needs)]
    assert len(skipped) > 5
    for c in skipped:
        assert store.select(inline_rows(c.query, ["this"], [[rg.iri]], nt)) == [], c.message
    # what is missing is found: a dataset with nothing but its id breaks each sh:minCount 1 of the dataset
    bare = kind.to_rdf(kind.model.model_validate({"id": "bare"}), registry.iris)
    found = {x.message.split(" (")[0] for x in v.check([*bare.public, *bare.restricted], [bare.iri], kind.fields)}
    assert {"title is required", "publisher is required and must be a registered organisation",
            "steward is required, with a name and a valid e-mail address",
            "personal_information is required: true or false"} <= found


def test_a_plan_made_once_and_bound_is_the_plan_of_the_bound_queries(registry: Registry) -> None:
    """bound_plan makes the write path's plan once for a choice of checks, with a slot row in place of the
    focus nodes' rows, and puts each class's rows in its place: the same batches (query texts, tags,
    branches, targets) and lone queries as `by_class` makes of the queries bound to the rows themselves,
    for one node or several, one class or several, every check of a class or some of them."""
    v = registry.validator
    targets = sorted(t for t in v.by_target() if t)
    assert len(targets) >= 3
    nodes = [URIRef(f"https://example.org/r{i}") for i in range(4)]
    compared = 0
    for k in range(len(targets)):
        chosen_targets = [targets[k], targets[(k + 1) % len(targets)]]
        for pick in (lambda i: True, lambda i: i % 2 == 0, lambda i: i % 3 == 1):
            rows = {t: " ".join(f"({nt(n)})" for n in nodes[: 1 + (j + k) % 4]) for j, t in enumerate(chosen_targets)}
            chosen = tuple((t, i) for t in chosen_targets for i in range(len(v.bindable(t))) if pick(i))
            for _twice in range(2):  # made, then from the kept plans
                checks, (batches, alone), queries = v.bound_plan(chosen, rows)
                expected = [f"{head}{rows[t]}{tail}" for t, i in chosen for _c, (head, tail) in [v.bindable(t)[i]]]
                assert checks == [v.bindable(t)[i][0] for t, i in chosen]
                assert queries == expected
                want_batches, want_alone = by_class(checks, expected)
                assert alone == want_alone
                assert batches == want_batches
                compared += len(batches)
    assert compared > 20


def test_checks_of_a_record_run_with_plans_kept_give_the_results_of_fresh_plans(registry: Registry) -> None:
    """A write validated with a plan kept from an earlier record (another record, other nodes) finds what
    a validator that keeps no plans finds, byte for byte."""
    kind = KINDS["dataset"]
    v = registry.validator
    bodies = [BROKEN, {**BROKEN, "id": "bad2", "steward": {"name": "x", "email": "x@example.org"}},
              {"id": "bare"}, {**BROKEN, "id": "bad3", "keywords": ["a", "b"], "personal_data_categories": []}]
    for body in bodies * 2:
        rg = kind.to_rdf(kind.model.model_validate(body), registry.iris)
        triples = [*rg.public, *rg.restricted]
        kept = v.check(triples, [rg.iri], kind.fields)
        v._plans.clear()
        fresh = v.check(triples, [rg.iri], kind.fields)
        assert [vars(x) for x in kept] == [vars(x) for x in fresh] and kept


def test_a_max_count_check_left_out_for_a_predicate_no_node_repeats_finds_nothing(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write path leaves out a sh:maxCount check (`Part.capped`) of a predicate of which no node has two
    triples in the validation's data: for records as they are and with a second value of each such
    predicate on a node that has one (the record or a node of its own), the violations are those found
    with no check left out, and each second value is found."""
    kind = KINDS["dataset"]
    v = registry.validator
    capped = {c.part.capped for cs in v.by_target().values() for c in cs if c.part is not None and c.part.capped}
    assert len(capped) > 10
    valid = {"id": "fine", "title": "Fine", "description": "A fine dataset.", "publisher": "nope",
             "steward": {"name": "S", "email": "s@example.org"}, "access": "public", "sensitivity": "low",
             "personal_information": False, "retention": "P7Y", "keywords": ["a"],
             "generated_by": {"kind": "extraction", "by": "zzz", "date": "2025-01-15"}}
    seconds = 0
    for body in (BROKEN, valid):
        rg = kind.to_rdf(kind.model.model_validate(body), registry.iris)
        base = [*rg.public, *rg.restricted]
        variants = [base]
        for s, p, o in base:
            if f"<{p}>" in capped and str(s).startswith(str(rg.iri)):
                second = Literal(f"{o} again") if isinstance(o, Literal) else URIRef(f"{o}-again")
                variants.append([*base, (s, p, second)])
        for triples in variants:
            left_out = [vars(x) for x in v.check(triples, [rg.iri], kind.fields)]
            with monkeypatch.context() as m:
                m.setattr(v, "repeated", lambda _t: capped)
                assert [vars(x) for x in v.check(triples, [rg.iri], kind.fields)] == left_out
            if triples is not base:
                s, p, second = triples[-1]
                alone = {(x["focus_node"], x["path"]) for x in left_out} - {
                    (x.focus_node, x.path) for x in v.check(base, [rg.iri], kind.fields)}
                if (str(s), str(p)) in alone:
                    seconds += 1
    assert seconds >= 8


def test_a_min_count_check_left_out_for_nodes_that_meet_it_finds_nothing(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write path leaves out a sh:minCount 1 check of the record's own nodes (`Check.lacks`) when each
    of its focus nodes has a triple of the predicate in the validation's data. Each such check, run anyway,
    finds nothing over a node with the triple, and finds the node once the triple is taken out; for records
    as they are and with each such triple taken out (of every kind), the violations are those found with no
    check left out, and each triple taken out is reported."""
    v = registry.validator
    lacking = [c for cs in v.by_target().values() for c in cs if c.lacks]
    assert len(lacking) > 10
    for c in lacking:  # the marker is right: the check finds a node exactly when it lacks the predicate
        assert "?this" in c.query and c.focus == "this", c.message
        node = URIRef("https://example.org/n")
        target = c.part.target if c.part is not None else ""
        store = OxigraphStore(None)
        store.add_to_graph("urn:x-test:data", [(node, RDF.type, URIRef(target.strip("<>"))), *v.reference])
        found = store.select(inline_rows(c.query, ["this"], [[node]], nt))
        assert [r["this"] for r in found] == [node], c.message
        store.add_to_graph("urn:x-test:data", [(node, URIRef(c.lacks.strip("<>")), Literal("x"))])
        assert store.select(inline_rows(c.query, ["this"], [[node]], nt)) == [], c.message
    samples = [(KINDS["dataset"], body) for body in (BROKEN, VALID, {"id": "bare"})]
    samples += [(KINDS["organization"], {"id": "org1", "name": "An organisation", "kind": "ministry"}),
                (KINDS["organization"], {"id": "org2"})]
    taken_out = skipped = 0
    for kind, body in samples:
        rg = kind.to_rdf(kind.model.model_validate(body), registry.iris)
        base = [*rg.public, *rg.restricted]
        required = {c.lacks for c in lacking}
        variants = [(base, None)] + [([t for t in base if t[:2] != (s, p)], (s, p)) for s, p, _o in base
                                     if f"<{p}>" in required and str(s).startswith(str(rg.iri))]
        for triples, gone in variants:
            with_marker, more = left_out(registry, monkeypatch, kind, rg, triples, "lacks", "")
            skipped += more
            if gone is not None and any(c.lacks == f"<{gone[1]}>" and gone[0] == rg.iri for c in lacking):
                reported = {(x["focus_node"], x["path"]) for x in with_marker}
                if (str(gone[0]), str(gone[1])) in reported:
                    taken_out += 1
    assert skipped > 20 and taken_out >= 5


def test_a_check_left_out_when_each_value_has_the_triple_it_looks_for_finds_nothing(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write path leaves out a check of a triple `?value q o` each value of a predicate of the record's
    own nodes must have (`Check.unmet`: a sh:class, a vocabulary's concept) when the validation's data give
    every such value that triple. Each such check, run anyway, finds the node whose value lacks the triple
    and nothing once it has it; for records as they are (with the records they reference) and with each
    such triple taken out, the violations are those found with no check left out."""
    v = registry.validator
    unmet = [c for cs in v.by_target().values() for c in cs if c.unmet]
    assert len(unmet) > 5
    node, value = URIRef("https://example.org/n"), URIRef("https://example.org/v")
    for c in unmet:
        p, q, o = (URIRef(x[1:-1]) for x in c.unmet)
        target = c.part.target if c.part is not None else ""
        store = OxigraphStore(None)
        store.add_to_graph("urn:x-test:data", [(node, RDF.type, URIRef(target.strip("<>"))), (node, p, value)])
        found = store.select(inline_rows(c.query, ["this"], [[node]], nt))
        assert {r["this"] for r in found} == {node}, c.message
        store.add_to_graph("urn:x-test:data", [(value, q, o)])
        assert store.select(inline_rows(c.query, ["this"], [[node]], nt)) == [], c.message
    org = {"id": "pub", "name": "Publisher", "kind": "ministry"}
    src = {"id": "src", "title": "Source", "publisher": "pub", "steward": {"name": "S", "email": "s@example.org"},
           "access": "public", "sensitivity": "low", "personal_information": False, "retention": "P7Y"}
    context = []
    for kind, body in ((KINDS["organization"], org), (KINDS["dataset"], src)):
        context += kind.to_rdf(kind.model.model_validate(body), registry.iris).public
    body = {**src, "id": "derived", "derived_from": ["src"], "access": "restricted", "sensitivity": "medium",
            "generated_by": {"kind": "extraction", "by": "pub", "date": "2025-01-15"}}
    skipped = 0
    for kind, data in ((KINDS["dataset"], body), (KINDS["dataset"], BROKEN)):
        rg = kind.to_rdf(kind.model.model_validate(data), registry.iris)
        base = [*rg.public, *rg.restricted, *context]
        looked_for = {(URIRef(c.unmet[1][1:-1]), URIRef(c.unmet[2][1:-1])) for c in unmet}
        variants = [base] + [[t for t in base if t != (s, q, o)] for s, q, o in base if (q, o) in looked_for]
        for triples in variants:
            skipped += left_out(registry, monkeypatch, kind, rg, triples, "unmet", ())[1]
    assert skipped > 5


VALUES = [Literal("2025-01-15", datatype=XSD.date), Literal("2025-13-15", datatype=XSD.date),
          Literal("-12025-01-31Z", datatype=XSD.date), Literal("2025-01-15+05:00", datatype=XSD.date),
          Literal("2025-01-15", datatype=XSD.dateTime), Literal("2025-01-15"), Literal("2025-01-15", lang="en"),
          Literal("P7Y", datatype=XSD.duration), Literal("P", datatype=XSD.duration), Literal("PT1H", datatype=XSD.duration),
          Literal("P1YT", datatype=XSD.duration), Literal("P1.5Y", datatype=XSD.duration), Literal("P7Y"),
          Literal("true", datatype=XSD.boolean), Literal("0", datatype=XSD.boolean), Literal("yes", datatype=XSD.boolean),
          Literal("12", datatype=XSD.integer), Literal("", datatype=XSD.string), Literal(""), Literal("a"),
          Literal("a", lang="fr"), Literal("Ünïcode text"), Literal("two\nlines"), Literal("2025-01-15\n", datatype=XSD.date),
          Literal("٢٠٢٥-01-15", datatype=XSD.date), URIRef("https://example.org/x"), URIRef("urn:x"), BNode("b1")]


def test_a_check_of_values_left_out_when_each_value_passes_its_tests_finds_nothing(
        registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write path leaves out a check of each value's form (`Check.tests`: sh:minLength, sh:datatype with
    its lexical forms, sh:nodeKind) when every value it would read passes its tests. For each such check and
    each of a set of varied values (of every datatype, language, IRIs, blank nodes, forms good and bad,
    text Python's regular expressions might read otherwise), `ValueTests.fails` says what the check's query
    finds, or that it cannot tell; and records as they are and with each value replaced by each of those
    values give the violations found with no check left out."""
    v = registry.validator
    tested = [c for cs in v.by_target().values() for c in cs if c.tests is not None]
    assert len(tested) > 10 and any(c.tests.hop for c in tested if c.tests is not None)
    node, middle = URIRef("https://example.org/n"), URIRef("https://example.org/m")
    decided = 0
    for c in tested:
        assert c.tests is not None
        target = c.part.target if c.part is not None else ""
        path = URIRef(c.tests.path[1:-1])
        for value in VALUES:
            triples = [(node, RDF.type, URIRef(target.strip("<>")))]
            if c.tests.hop:
                triples += [(node, URIRef(c.tests.hop[1:-1]), middle), (middle, path, value)]
            else:
                triples.append((node, path, value))
            store = OxigraphStore(None)
            store.add_to_graph("urn:x-test:data", triples)
            found = bool(store.select(inline_rows(c.query, ["this"], [[node]], nt)))
            fails = c.tests.fails(value)
            if fails is not None:
                assert fails == found, (c.message, value)
                decided += 1
    assert decided > 20 * len(tested)
    paths = {URIRef(c.tests.path[1:-1]) for c in tested if c.tests is not None}
    skipped = 0
    for kind, body in ((KINDS["dataset"], VALID), (KINDS["dataset"], BROKEN),
                       (KINDS["organization"], {"id": "org1", "name": "An organisation", "kind": "ministry"})):
        rg = kind.to_rdf(kind.model.model_validate(body), registry.iris)
        base = [*rg.public, *rg.restricted]
        variants = [base] + [[*base[:i], (s, p, value), *base[i + 1:]] for i, (s, p, _o) in enumerate(base)
                             if p in paths for value in VALUES[::3]]
        for triples in variants:
            skipped += left_out(registry, monkeypatch, kind, rg, triples, "tests", None)[1]
    assert skipped > 50
