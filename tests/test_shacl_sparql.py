"""The shapes compiled to SPARQL give exactly pySHACL's results (the oracle) on every fixture."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SH

from conftest import ROOT, load_world
from registry import shacl_sparql
from registry.config import Settings
from registry.errors import Violation
from registry.model import KINDS
from registry.namespaces import DCTERMS, REG, XSD
from registry.service import Registry, open_registry
from registry.shacl_sparql import Compiler, Unsupported

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
    g = reg.validator.data_graph()
    prefix = reg.iris.base + "/graph/"
    for s, p, o, graph in reg.store.quads():
        if str(graph).startswith(prefix) and "/system/" not in str(graph) and "/reference/" not in str(graph):
            g.add((s, p, o))
    logging.disable(logging.WARNING)  # rdflib logs ill-typed literals
    try:
        oracle = reg.validator.validate(g, None, fields())
    finally:
        logging.disable(logging.NOTSET)
    compiled = reg.records.validate_all()
    return {key(v) for v in oracle}, {key(v) for v in compiled}


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


def test_broken_records_give_the_same_results(reg: Registry) -> None:
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
    oracle, compiled = both(reg)
    assert compiled == oracle
    assert len([k for k in compiled if k[0] == "Violation"]) > 25


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
