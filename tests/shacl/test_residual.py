"""Shapes outside the compiled subset are validated by pySHACL: a local shape using sh:in, sh:or and
sh:qualifiedValueShape, in a copy of the resource folders (REGISTRY_RESOURCES_DIR), is enforced on the
write path (422 naming the field) and by `registry validate` over a bulk-loaded store, with the same
results as pySHACL over the whole store."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SH
from typer.testing import CliRunner

import shacl_oracle
from conftest import Api
from helpers import ROOT, assert_problem
from registry import namespaces as ns
from registry.cli.main import app
from registry.config import Settings
from registry.domain.model import KINDS, RecordKind
from registry.resources import Resources
from registry.services.ingest.loader import SYSTEM, write_all
from registry.services.registry import Registry, open_registry
from registry.shacl import residual
from registry.shacl.compiler import Compiler

SHP = "https://w3id.org/gov-data-registry/shapes#"
LOCAL_RULES = """
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix shp:  <https://w3id.org/gov-data-registry/shapes#> .
@prefix reg:  <https://w3id.org/gov-data-registry/ns#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct:  <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix theme: <https://w3id.org/gov-data-registry/vocab/theme/> .

shp:LocalDatasetRules a sh:NodeShape ;
    sh:targetClass dcat:Dataset ;
    sh:property [ sh:path dct:title ; sh:minLength 3 ; sh:message "title must be three characters at least" ] ;
    sh:property [ sh:path dcat:theme ; sh:in ( theme:health theme:transport theme:justice ) ;
        sh:message "themes must be one of: health, transport, justice" ] ;
    sh:property [ sh:path dct:license ;
        sh:or ( [ sh:nodeKind sh:IRI ] [ sh:datatype xsd:string ; sh:pattern "^(CC|OGL)-" ] ) ;
        sh:message "licence must be the IRI of its document, or a CC- or OGL- licence" ] ;
    sh:property [ sh:path prov:wasDerivedFrom ;
        sh:qualifiedValueShape [
            sh:property [ sh:path reg:sensitivity ;
                          sh:hasValue <https://w3id.org/gov-data-registry/vocab/sensitivity/high> ] ] ;
        sh:qualifiedMaxCount 1 ;
        sh:message "derived_from may name one highly sensitive dataset at most" ] .
"""
MESSAGES = {"themes": "themes must be one of: health, transport, justice",
            "licence": "licence must be the IRI of its document, or a CC- or OGL- licence",
            "derived_from": "derived_from may name one highly sensitive dataset at most"}


@pytest.fixture(scope="module")
def resources_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of ontology/, shapes/ and sparql/, with the local shape added to shapes/."""
    root = tmp_path_factory.mktemp("resources")
    for folder in ("ontology", "shapes", "sparql"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "shapes" / "local-rules.ttl").write_text(LOCAL_RULES, encoding="utf-8")
    return root


@pytest.fixture
def local_registry(resources_dir: Path) -> Iterator[Registry]:
    reg = open_registry(Settings(data="memory", resources_dir=resources_dir))
    yield reg
    reg.close()


def org(rid: str = "moh") -> dict[str, Any]:
    return {"id": rid, "name": "Ministry of Health", "kind": "ministry"}


def dataset(rid: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rid, "title": f"Dataset {rid}", "publisher": "moh", "access": "non-public", "sensitivity": "high",
        "personal_information": True, "personal_data_categories": ["health"],
        "steward": {"name": "Health Data Steward", "email": "steward.moh@example.org"},
        "themes": ["health"], "licence": "OGL-Ontario"}
    data.update(changes)
    return data


def base_records() -> list[tuple[RecordKind, dict[str, Any]]]:
    """An organisation and three highly sensitive datasets, all conforming."""
    return [(KINDS["organization"], org()), *((KINDS["dataset"], dataset(r)) for r in ("claims", "visits", "labs"))]


def test_the_compiler_leaves_only_the_constraints_it_cannot_compile(resources_dir: Path) -> None:
    shapes = Resources(resources_dir).shapes()
    partition = Compiler(shapes).partition()
    assert partition.rest is not None
    shape = URIRef(SHP + "LocalDatasetRules")
    assert set(partition.rest.subjects(SH.targetClass, None)) == {shape}
    left = {partition.rest.value(p, SH.path) for p in partition.rest.objects(shape, SH.property)}
    assert left == {ns.DCAT.theme, ns.DCTERMS.license, ns.PROV.wasDerivedFrom}
    assert any("minLength" in c.query or "STRLEN" in c.query for c in partition.checks
               if c.shape == str(shape)), "the title rule of the same shape is compiled"
    assert len(partition.checks) > 100
    assert Compiler(Resources().shapes()).partition().rest is None, "our own shapes compile whole"


@pytest.mark.parametrize(("changes", "field", "value"), [
    ({"themes": ["health", "weather"]}, "themes", "weather"),
    ({"licence": "MIT"}, "licence", "MIT"),
    ({"derived_from": ["claims", "visits"]}, "derived_from", None),
], ids=["sh:in", "sh:or", "sh:qualifiedValueShape"])
def test_a_write_breaking_a_local_shape_is_422_naming_the_field(local_registry: Registry, changes: dict[str, Any],
                                                                field: str, value: str | None) -> None:
    write_all(local_registry, base_records(), SYSTEM)
    api = Api(local_registry)
    try:
        body = assert_problem(api.client.post("/datasets", json=dataset("new", **changes), headers=api.auth()), 422)
        violations = body["violations"]
        assert {v["field"] for v in violations} == {field}, violations
        (v,) = violations
        assert v["severity"] == "Violation" and v["sourceShape"] == SHP + "LocalDatasetRules"
        assert v["focusNode"] == str(local_registry.iris.record("dataset", "new"))
        assert v["message"] == MESSAGES[field]
        if value is not None:
            assert v["value"] == value
        assert api.client.get("/datasets/new", headers=api.auth()).status_code == 404
    finally:
        api.close()


def test_a_conforming_write_passes(local_registry: Registry) -> None:
    write_all(local_registry, base_records(), SYSTEM)
    api = Api(local_registry)
    try:
        for data in (dataset("a", licence="https://www.ontario.ca/page/open-government-licence-ontario"),
                     dataset("b", themes=["transport", "justice"], derived_from=["claims"]),
                     dataset("c", sensitivity="low", derived_from=["claims"]),
                     dataset("d", derived_from=["claims", "c"])):
            r = api.client.post("/datasets", json=data, headers=api.auth())
            assert r.status_code == 201, r.text
        assert local_registry.records.validate_all() == []
    finally:
        api.close()


def bulk_load_bad(reg: Registry) -> dict[str, str]:
    """Conforming records through the write path, then bad ones past it (as a bulk load could);
    returns the field each bad record breaks, by its IRI."""
    write_all(reg, base_records(), SYSTEM)
    bad = {"bad-theme": ({"themes": ["weather"]}, "themes"), "bad-licence": ({"licence": "MIT"}, "licence"),
           "bad-sources": ({"derived_from": ["claims", "visits", "labs"]}, "derived_from")}
    k = KINDS["dataset"]
    for rid, (changes, _field) in bad.items():
        rg = k.to_rdf(k.model.model_validate(dataset(rid, **changes)), reg.iris)
        pub, res = reg.iris.graphs("dataset", rid)
        reg.store.replace_graphs({pub: list(rg.public), res: list(rg.restricted)})
    return {str(reg.iris.record("dataset", rid)): field for rid, (_c, field) in bad.items()}


def test_registry_validate_reports_a_bulk_loaded_record_breaking_a_local_shape(tmp_path: Path,
                                                                               resources_dir: Path) -> None:
    data = tmp_path / "store"
    reg = open_registry(Settings(data=str(data), resources_dir=resources_dir))
    try:
        expected = bulk_load_bad(reg)
    finally:
        reg.close()
    result = CliRunner().invoke(app, ["validate", "--data", str(data)],
                                env={"REGISTRY_RESOURCES_DIR": str(resources_dir)})
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert not report["conforms"]
    assert {(v["focusNode"], v["field"]) for v in report["violations"]} == set(expected.items())
    assert all(v["sourceShape"] == SHP + "LocalDatasetRules" and v["message"] for v in report["violations"])
    # without the local shape, the same store conforms
    plain = CliRunner().invoke(app, ["validate", "--data", str(data)], env={"REGISTRY_RESOURCES_DIR": str(ROOT)})
    assert plain.exit_code == 0, plain.output


def test_whole_store_results_equal_pyshacl_in_small_batches(local_registry: Registry,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Validated a few focus nodes at a time, each batch over the graphs around it, the store gives
    what pySHACL gives over all of it at once."""
    bulk_load_bad(local_registry)
    monkeypatch.setattr(residual, "BATCH", 2)
    validator = local_registry.validator
    g = Graph()
    for s, p, o, graph in local_registry.store.quads():
        if "/graph/reference/" not in str(graph) and "/graph/system/" not in str(graph):
            g.add((s, p, o))
    fields: dict[Any, str] = {}
    for kind in KINDS.values():
        fields.update(kind.fields)
    logging.disable(logging.WARNING)
    try:
        oracle = shacl_oracle.validate(validator, shacl_oracle.data_graph(validator, g), None, fields)
        found = local_registry.records.validate_all()
    finally:
        logging.disable(logging.NOTSET)

    def key(v: Any) -> tuple[Any, ...]:
        return (v.severity, v.focus_node, v.path, v.field, v.message, v.value)
    assert {key(v) for v in found} == {key(v) for v in oracle}
    assert len([v for v in found if v.field in MESSAGES]) == 3
