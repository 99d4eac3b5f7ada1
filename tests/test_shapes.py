"""The SHACL shapes: conforming and non-conforming records, checked field by field and by severity."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef

from helpers import ROOT, WORLD_FILE, fresh_world_registry, load_json, record
from registry import namespaces as ns
from registry.config import Settings
from registry.domain.model import KINDS
from registry.errors import ValidationFailed, Violation
from registry.resources import Resources
from registry.services.ingest.loader import SYSTEM, world_records, write_all
from registry.services.registry import Registry, open_registry
from registry.shacl.validator import ShaclValidator

WORLD = load_json(WORLD_FILE)


@pytest.fixture(scope="module")
def world_reg() -> Iterator[Registry]:
    """The casebook world, shared by the read-only checks of this module (no test writes to it)."""
    reg = fresh_world_registry()
    yield reg
    reg.close()


def check(reg: Registry, kind: str, data: dict[str, Any]) -> list[Violation]:
    """Every result (violations and warnings) of validating `data` as a new or replaced record."""
    k = KINDS[kind]
    try:
        rec = reg.records.parse(k, data)
    except ValidationFailed as e:  # syntax (such as an ISO duration) is checked before the shapes
        return e.violations
    return reg.records.check(k, rec, k.to_rdf(rec, reg.iris))


def fields(found: list[Violation], severity: str = "Violation") -> set[str | None]:
    return {v.field for v in found if v.severity == severity}


def assert_only(found: list[Violation], expected: set[str], severity: str = "Violation") -> None:
    """Exactly these fields break a rule of this severity, each with its own message; a SHACL result also
    names its path and its shape."""
    assert fields(found, severity) == expected, [v.as_json() for v in found]
    for v in found:
        assert v.message and v.message != "breaks a rule"
        assert v.field is not None
        if v.source_shape is not None:
            assert v.path is not None
            assert v.source_shape.startswith("https://w3id.org/gov-data-registry/shapes#")


# ------------------------------------------------------------------------------ organisations
def org(**changes: Any) -> dict[str, Any]:
    data = {"id": "new-org", "name": "New Ministry", "kind": "ministry", "parent": None}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def unit(**changes: Any) -> dict[str, Any]:
    data = {"id": "new-unit", "name": "New unit", "kind": "data-integration-unit", "parent": "moh",
            "unit_kind": "ministry", "designated_under": ["fippa-part-3.1"]}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize("data", [org(), org(parent="moh"), org(kind="agency"), org(kind="external"), unit(),
                                  unit(unit_kind="extra-ministerial")],
                         ids=["ministry", "child", "agency", "external", "unit", "extra-ministerial-unit"])
def test_conforming_organizations(world_reg: Registry, data: dict[str, Any]) -> None:
    assert check(world_reg, "organization", data) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (org(name=...), {"name"}),
        (org(name=""), {"name"}),
        (org(kind=...), {"kind"}),
        (org(kind="ministryy"), {"kind"}),
        (org(kind="inter-ministerial"), {"kind"}),  # a unit kind is not an organisation kind
        (org(parent="no-such-org"), {"parent"}),
        (org(parent="new-org"), {"parent"}),  # its own parent
        (org(id="moh", name="Ministry of Health", parent="moh-idiu"), {"parent"}),  # its unit's child
        (unit(designated_under=[]), {"designated_under"}),
        (unit(designated_under=["no-such-act"]), {"designated_under"}),
        (unit(unit_kind=...), {"unit_kind"}),
        (unit(unit_kind="galactic"), {"unit_kind"}),
        (unit(parent=None), {"parent"}),
        (unit(parent="no-such-org"), {"parent"}),
    ],
    ids=["missing-name", "empty-name", "missing-kind", "bad-kind", "unit-kind-as-kind", "unknown-parent",
         "self-parent", "ancestor-cycle", "unit-without-designation", "unit-unknown-authority",
         "unit-without-unit-kind", "unit-bad-unit-kind", "unit-without-parent", "unit-unknown-parent"],
)
def test_non_conforming_organizations(world_reg: Registry, data: dict[str, Any], expected: set[str]) -> None:
    found = check(world_reg, "organization", data)
    assert_only(found, expected)
    assert fields(found, "Warning") == set()


def test_unit_without_parent_designation_and_unit_kind_reports_all_three(world_reg: Registry) -> None:
    data = {"id": "bare-unit", "name": "Bare unit", "kind": "data-integration-unit"}
    assert_only(check(world_reg, "organization", data), {"parent", "designated_under", "unit_kind"})


# ----------------------------------------------------------------------------------- datasets
def dataset(**changes: Any) -> dict[str, Any]:
    data = record(WORLD, "datasets", "ohip-claims")
    data["id"] = "new-dataset"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def derived(**changes: Any) -> dict[str, Any]:
    data = record(WORLD, "datasets", "health-social-deid")
    data["id"] = "new-derived"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(
    "data",
    [dataset(), derived(), dataset(description=...), dataset(retention=...), dataset(keywords=[]),
     dataset(access="public", personal_information=False, personal_data_categories=[], sensitivity="unclassified"),
     dataset(publisher="moh-idiu"), dataset(retention="P1Y6M2DT3H")],
    ids=["personal", "derived", "no-description", "no-retention", "no-keywords", "open", "unit-publisher",
         "long-duration"],
)
def test_conforming_datasets(world_reg: Registry, data: dict[str, Any]) -> None:
    assert fields(check(world_reg, "dataset", data)) == set()


@pytest.mark.parametrize("field", ["title", "publisher", "steward", "access", "sensitivity", "personal_information"])
def test_each_required_dataset_field(world_reg: Registry, field: str) -> None:
    assert_only(check(world_reg, "dataset", dataset(**{field: ...})), {field})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (dataset(title=""), {"title"}),
        (dataset(access="secret"), {"access"}),
        (dataset(access="open"), {"access"}),
        (dataset(sensitivity="extreme"), {"sensitivity"}),
        (dataset(personal_data_categories=["health", "dna"]), {"personal_data_categories"}),
        (dataset(steward={"name": "A. Steward", "email": "not-an-email"}), {"steward", "steward.email"}),
        (dataset(steward={"name": "A. Steward", "email": "two@@example.org"}), {"steward", "steward.email"}),
        (dataset(steward={"name": "A. Steward", "email": None}), {"steward", "steward.email"}),
        (dataset(steward={"name": None, "email": "a@example.org"}), {"steward", "steward.name"}),
        (dataset(retention="7 years"), {"retention"}),
        (dataset(retention="P"), {"retention"}),
        (dataset(keywords=["ok", ""]), {"keywords"}),
        (dataset(personal_information=False, personal_data_categories=["health"]), {"personal_data_categories"}),
        (dataset(generated_by={"kind": "linkage", "by": "moh", "date": "2024-01-01"}), {"derived_from"}),
        (dataset(publisher="no-such-org"), {"publisher"}),
        (dataset(derived_from=["no-such-dataset"]), {"derived_from"}),
        (dataset(derived_from=["new-dataset"]), {"derived_from"}),  # from itself
        (derived(generated_by={"kind": "magic", "by": "moh-idiu", "date": "2024-07-01"}),
         {"generated_by", "generated_by.kind"}),
        (derived(generated_by={"kind": "linkage", "by": "no-such-org", "date": "2024-07-01"}),
         {"generated_by", "generated_by.by"}),
        (derived(generated_by={"kind": None, "by": "moh-idiu", "date": "2024-07-01"}),
         {"generated_by", "generated_by.kind"}),
    ],
    ids=["empty-title", "bad-access", "access-open", "bad-sensitivity", "bad-category", "bad-email",
         "email-two-ats", "no-email", "no-steward-name", "bad-duration", "empty-duration", "empty-keyword",
         "categories-without-pi", "generated-without-sources", "unknown-publisher", "unknown-source",
         "derived-from-itself", "bad-activity-kind", "unknown-activity-agent", "no-activity-kind"],
)
def test_non_conforming_datasets(world_reg: Registry, data: dict[str, Any], expected: set[str]) -> None:
    assert_only(check(world_reg, "dataset", data), expected)


def test_dataset_warnings(world_reg: Registry) -> None:
    found = check(world_reg, "dataset", dataset(personal_data_categories=[]))
    assert fields(found) == set()
    assert fields(found, "Warning") == {"personal_data_categories"}
    found = check(world_reg, "dataset", dataset(access="public"))
    assert fields(found) == set()
    assert fields(found, "Warning") == {"access"}


def test_lineage_cycle_is_a_violation(world_reg: Registry) -> None:
    """ohip-claims deriving from the linked file, which derives from ohip-claims, closes a cycle."""
    data = record(WORLD, "datasets", "ohip-claims")
    data["derived_from"] = ["health-social-deid"]
    found = check(world_reg, "dataset", data)
    cycle = [v for v in found if v.field == "derived_from"]
    assert cycle and cycle[0].severity == "Violation"
    assert "cycle" in cycle[0].message and "linked-health-social" in cycle[0].message


# --------------------------------------------------------------------------------- agreements
#: the casebook's agreements signed although the recipient is not of the kind the cited authority requires, or
#: its statute does not govern the provider (stored with a warning; the share check flags them)
WARNED = {"dsa-moh-mto-2024", "dsa-idiu-mof-2025", "dsa-mccss-univ-42g", "dsa-toronto-mof-2025"}


def agreement(**changes: Any) -> dict[str, Any]:
    data = record(WORLD, "agreements", "dsa-moh-idiu-2024")
    data["id"] = "new-agreement"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(
    "data",
    [agreement(), agreement(valid_until=...), agreement(valid_from="2026-12-31"), agreement(status="draft"),
     agreement(status="terminated"), agreement(conditions=...), agreement(purposes=["resource-management"])],
    ids=["active", "open-ended", "one-day", "draft", "terminated", "no-conditions", "narrower-purpose"],
)
def test_conforming_agreements(world_reg: Registry, data: dict[str, Any]) -> None:
    assert check(world_reg, "agreement", data) == []


@pytest.mark.parametrize("field", ["title", "provider", "recipient", "datasets", "purposes", "legal_basis",
                                   "valid_from", "status"])
def test_each_required_agreement_field(world_reg: Registry, field: str) -> None:
    assert_only(check(world_reg, "agreement", agreement(**{field: ...})), {field})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (agreement(valid_from="2027-01-01", valid_until="2026-12-31"), {"valid_from"}),
        (agreement(legal_basis=["no-such-act"]), {"legal_basis"}),
        (agreement(legal_basis=["fippa-part-3.1", "no-such-act"]), {"legal_basis"}),
        (agreement(purposes=["world-domination"]), {"purposes"}),
        (agreement(status="signed"), {"status"}),
        (agreement(status="program-evaluation"), {"status"}),  # a purpose, not a status
        (agreement(datasets=["no-such-dataset"]), {"datasets"}),
        (agreement(datasets=["ohip-claims", "no-such-dataset"]), {"datasets"}),
        (agreement(provider="no-such-org"), {"provider"}),
        (agreement(recipient="no-such-org"), {"recipient"}),
        (agreement(datasets=["moh"]), {"datasets"}),  # an organisation is not a dataset
        (agreement(conditions={"retention": "three years"}), {"conditions.retention"}),
    ],
    ids=["from-after-until", "unknown-authority", "one-unknown-authority", "unknown-purpose", "bad-status",
         "purpose-as-status", "unknown-dataset", "one-unknown-dataset", "unknown-provider",
         "unknown-recipient", "org-as-dataset", "bad-retention"],
)
def test_non_conforming_agreements(world_reg: Registry, data: dict[str, Any], expected: set[str]) -> None:
    assert_only(check(world_reg, "agreement", data), expected)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (agreement(recipient="mto"), {"recipient"}),  # not a designated data integration unit
        (agreement(recipient="moh"), {"recipient"}),  # provider and recipient the same
        (agreement(purposes=["research"]), {"purposes"}),  # Part III.1 does not permit research
        # Part III.1 lets the unit collect identifiable data (no de-identification duty) but bars onward disclosure
        (agreement(conditions={"deidentify_before_use": False, "onward_disclosure": True, "retention": "P3Y"}),
         {"conditions.onward_disclosure"}),
        (agreement(datasets=["ow-caseload"]), {"datasets"}),  # not published by the provider
        (agreement(provider="toronto", recipient="moh-idiu", datasets=["shelter-usage"]), {"provider"}),  # MFIPPA
    ],
    ids=["recipient-not-designated", "same-parties", "purpose-not-permitted", "onward-disclosure-barred",
         "dataset-of-another-publisher", "statute-not-governing-the-provider"],
)
def test_agreement_warnings(world_reg: Registry, data: dict[str, Any], expected: set[str]) -> None:
    found = check(world_reg, "agreement", data)
    assert fields(found) == set(), [v.as_json() for v in found]
    assert fields(found, "Warning") == expected
    for v in found:
        assert v.severity == "Warning" and v.message


def test_agreement_with_ineligible_recipient_is_stored_with_warnings() -> None:
    reg = fresh_world_registry()
    try:
        data = agreement(id="dsa-to-mto", recipient="mto")
        result = reg.records.write(KINDS["agreement"], data, SYSTEM, create=True)
        assert result.created
        assert reg.records.exists(KINDS["agreement"], "dsa-to-mto")
        assert {(w.field, w.severity) for w in result.warnings} == {("recipient", "Warning")}
        messages = sorted(w.message for w in result.warnings)
        assert any("designated" in m for m in messages) and any("kind" in m for m in messages)
        assert all(w.value == str(reg.iris.record("organization", "mto")) for w in result.warnings)
    finally:
        reg.close()


def test_a_violation_writes_nothing() -> None:
    reg = fresh_world_registry()
    try:
        before = set(reg.store.quads())
        with pytest.raises(ValidationFailed) as exc:
            reg.records.write(KINDS["agreement"], agreement(status="signed"), SYSTEM, create=True)
        assert {(v.field, v.severity) for v in exc.value.violations} == {("status", "Violation")}
        assert set(reg.store.quads()) == before
    finally:
        reg.close()


# -------------------------------------------------------------------------------- authorities
def _authority_shapes() -> Graph:
    g = Graph()
    for name in ("common.ttl", "authority.ttl"):
        g.parse(ROOT / "shapes" / name, format="turtle")
    return g


def _authority_data() -> Graph:
    g = Graph()
    g.parse(ROOT / "ontology" / "authorities.ttl", format="turtle")
    for f in sorted((ROOT / "ontology" / "vocabularies").glob("*.ttl")):
        g.parse(f, format="turtle")
    return g


def test_every_authority_conforms_to_the_authority_shape() -> None:
    data = _authority_data()
    assert len(set(data.subjects(ns.RDF.type, ns.REG.LegalAuthority))) >= 11
    conforms, _report, text = shacl_validate(data, shacl_graph=_authority_shapes(), inference="none")
    assert conforms, text


def test_the_authority_shape_is_not_vacuous() -> None:
    data = _authority_data()
    a = URIRef(str(ns.AUTHORITY) + "fippa-42-1-c")
    data.remove((a, ns.DCTERMS.source, None))
    data.remove((a, ns.REG.statute, None))
    conforms, report, _text = shacl_validate(data, shacl_graph=_authority_shapes(), inference="none")
    assert not conforms
    SH = "http://www.w3.org/ns/shacl#"
    paths = {str(report.value(r, URIRef(SH + "resultPath")))
             for r in report.subjects(ns.RDF.type, URIRef(SH + "ValidationResult"))
             if report.value(r, URIRef(SH + "focusNode")) == a}
    assert paths == {str(ns.DCTERMS.source), str(ns.REG.statute)}


def test_every_authority_named_in_the_api_contract_is_in_the_catalogue() -> None:
    api_md = (ROOT.parent / "shared" / "API.md").read_text(encoding="utf-8")
    section = api_md.split("## Legal authorities", 1)[1].split("## Purposes", 1)[0]
    named = set(re.findall(r"`((?:fippa|phipa|mfippa)-[a-z0-9.-]+)`", section))
    assert len(named) >= 11
    data = _authority_data()
    ids = {str(o) for s in data.subjects(ns.RDF.type, ns.REG.LegalAuthority) for o in data.objects(s, ns.DCTERMS.identifier)}
    assert named <= ids


# -------------------------------------------------------------------------------- whole world
def test_the_casebook_world_loads_with_no_violations(registry: Registry) -> None:
    report = write_all(registry, list(world_records(WORLD)), SYSTEM)
    assert report.created == sum(len(v) for v in WORLD.values())
    assert {w["record"] for w in report.warnings} <= {f"agreement/{a}" for a in WARNED}
    assert {w["severity"] for w in report.warnings} <= {"Warning"}


def test_whole_store_validation_of_the_world(world_reg: Registry) -> None:
    found = world_reg.records.validate_all()
    assert [v.as_json() for v in found if v.severity == "Violation"] == []
    warned = {v.focus_node for v in found}
    assert warned <= {str(world_reg.iris.record("agreement", a)) for a in WARNED}


# ------------------------------------------------------------------------------ regressions
def test_validation_leaves_the_shapes_graph_as_the_files_say() -> None:
    res = Resources()
    expected = set(Resources()._parse(list((res.root / "shapes").glob("*.ttl"))))
    validator = ShaclValidator(res)
    reg = open_registry(Settings(data="memory"))
    try:
        rec = KINDS["organization"].model.model_validate(org())
        rg = KINDS["organization"].to_rdf(rec, reg.iris)
        validator.check(list(rg.public), [rg.iri], {})
    finally:
        reg.close()
    assert len(res.shapes()) == len(expected)
