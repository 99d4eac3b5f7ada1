"""Issue 14, finding 5: a steward must not give an organisation legal status.

A steward could create or update an organisation of its own as a data integration unit designated under
FIPPA Part III.1, or as a prescribed entity, and the legal-basis engine then trusted it. Legal status
(`kind` data-integration-unit or prescribed-entity, `designated_under`, and `governed_by` /
`designation_reference` once the model has them) is set or changed only by privacy officers and admins,
whatever the body's form (JSON, JSON-LD, Turtle): a steward gets 403 naming the field and nothing is
written. A steward still writes plain organisations of its own, and the other fields of a unit whose
legal status it leaves as it stands.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import RDF, URIRef

from conftest import Api
from helpers import assert_problem, record_quads

BASE = "https://registry.example.org"
NS = "https://w3id.org/gov-data-registry/"
STEWARD = ("steward", "moh")
GRANTORS = ["privacy-officer", "admin"]

# ------------------------------------------------------------------------------ bodies, three forms


def as_json(org: dict[str, Any], claim_unit: bool = False) -> tuple[str, str]:
    return json.dumps(org), "application/json"  # JSON has no type of its own to claim


def as_jsonld(org: dict[str, Any], claim_unit: bool = False) -> tuple[str, str]:
    """`claim_unit`: the body types the organisation reg:DataIntegrationUnit whatever its kind."""
    types = ["org:Organization"]
    if org.get("kind") == "data-integration-unit" or claim_unit:
        types += ["reg:DataIntegrationUnit", "org:OrganizationalUnit"]
    doc: dict[str, Any] = {
        "@context": f"{BASE}/context.jsonld",
        "@id": f"{BASE}/organization/{org['id']}",
        "@type": types,
        "dct:identifier": org["id"],
        "skos:prefLabel": org["name"],
        "reg:orgKind": {"@id": f"{NS}vocab/org-kind/{org['kind']}"},
        "reg:jurisdiction": "Ontario",
    }
    if org.get("parent"):
        doc["org:subOrganizationOf"] = {"@id": f"{BASE}/organization/{org['parent']}"}
    if org.get("unit_kind"):
        doc["reg:unitKind"] = {"@id": f"{NS}vocab/unit-kind/{org['unit_kind']}"}
    if org.get("designated_under"):
        doc["reg:designatedUnder"] = [{"@id": f"{NS}authority/{a}"} for a in org["designated_under"]]
    if org.get("governed_by"):
        doc["reg:governedBy"] = [{"@id": f"{NS}vocab/statute/{x}"} for x in org["governed_by"]]
    if org.get("designation_reference"):
        doc["reg:designationReference"] = org["designation_reference"]
    return json.dumps(doc), "application/ld+json"


def as_turtle(org: dict[str, Any], claim_unit: bool = False) -> tuple[str, str]:
    types = ["org:Organization"]
    if org.get("kind") == "data-integration-unit" or claim_unit:
        types += ["reg:DataIntegrationUnit", "org:OrganizationalUnit"]
    lines = [
        "@prefix org: <http://www.w3.org/ns/org#> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        f"@prefix reg: <{NS}ns#> .",
        f"<{BASE}/organization/{org['id']}> a {', '.join(types)} ;",
        f'    dct:identifier "{org["id"]}" ; skos:prefLabel "{org["name"]}" ; reg:jurisdiction "Ontario" ;',
        f"    reg:orgKind <{NS}vocab/org-kind/{org['kind']}> ;",
    ]
    if org.get("parent"):
        lines.append(f"    org:subOrganizationOf <{BASE}/organization/{org['parent']}> ;")
    if org.get("unit_kind"):
        lines.append(f"    reg:unitKind <{NS}vocab/unit-kind/{org['unit_kind']}> ;")
    for a in org.get("designated_under", []):
        lines.append(f"    reg:designatedUnder <{NS}authority/{a}> ;")
    for x in org.get("governed_by") or []:
        lines.append(f"    reg:governedBy <{NS}vocab/statute/{x}> ;")
    if org.get("designation_reference"):
        lines.append(f"    reg:designationReference \"{org['designation_reference']}\" ;")
    lines[-1] = lines[-1].rstrip(" ;") + " ."
    return "\n".join(lines), "text/turtle"


FORMS = {"json": as_json, "jsonld": as_jsonld, "turtle": as_turtle}


def send(api: Api, method: str, org: dict[str, Any], form: str, who: tuple[str, ...],
         claim_unit: bool = False) -> Any:
    body, media = FORMS[form](org, claim_unit)
    path = "/organizations" if method == "POST" else f"/organizations/{org['id']}"
    return api.client.request(method, path, content=body, headers={**api.auth(*who), "Content-Type": media})


def stored(api: Api, rid: str) -> dict[str, Any] | None:
    """The organisation as the store holds it (not through the API)."""
    reg = api.registry
    kind = reg.records.kind("organization")
    if not reg.records.exists(kind, rid):
        return None
    return reg.records.get(kind, rid, full=True)


def facts(api: Api, rid: str) -> tuple[str | None, set[str]]:
    """What the legal-basis engine believes about an organisation: its kind and designations."""
    org = api.registry.share_checks.engine._orgs([rid]).get(rid)
    assert org is not None
    return org.kind, set(org.designations)


def refused(api: Api, response: Any, fields: set[str], before: set[Any]) -> None:
    body = assert_problem(response, 403)
    named = set(body.get("fields", []))
    assert fields <= named, body
    for f in fields:
        assert f in body["detail"], body
    assert record_quads(api.registry) == before, "nothing is written"


# ---------------------------------------------------------------------------------------- create
NEW_DIU = {"id": "moh-own-diu", "name": "A unit the steward designates itself", "kind": "data-integration-unit",
           "parent": "moh", "unit_kind": "ministry", "designated_under": ["fippa-part-3.1"]}
NEW_PE = {"id": "moh-own-pe", "name": "A prescribed entity of the steward's making", "kind": "prescribed-entity",
          "parent": "moh"}
NEW_DESIGNATED_AGENCY = {"id": "moh-own-agency", "name": "An agency designated by its steward", "kind": "agency",
                         "parent": "moh", "designated_under": ["fippa-part-3.1"]}
PLAIN = {"id": "moh-analytics", "name": "Analytics branch", "kind": "agency", "parent": "moh"}

CREATES = [
    pytest.param(NEW_DIU, {"kind", "designated_under"}, id="diu"),
    pytest.param(NEW_PE, {"kind"}, id="prescribed-entity"),
    pytest.param(NEW_DESIGNATED_AGENCY, {"designated_under"}, id="designated-agency"),
    pytest.param({**PLAIN, "id": "moh-own-custodian", "governed_by": ["fippa", "phipa"]}, {"governed_by"},
                 id="custodian"),
    pytest.param({**PLAIN, "id": "moh-own-reference", "designation_reference": "O. Reg. 329/04, s. 18(1)"},
                 {"designation_reference"}, id="designation-reference"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("org", "fields"), CREATES)
def test_a_steward_cannot_create_an_organisation_with_legal_status(world_api: Api, form: str,
                                                                   org: dict[str, Any], fields: set[str]) -> None:
    world_api.auth(*STEWARD)  # the token first: making it is a write of its own
    before = record_quads(world_api.registry)
    refused(world_api, send(world_api, "POST", org, form, STEWARD), fields, before)
    assert stored(world_api, org["id"]) is None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("who", GRANTORS)
@pytest.mark.parametrize(("org", "_fields"), CREATES)
def test_officers_and_admins_create_organisations_with_legal_status(world_api: Api, form: str, who: str,
                                                                    org: dict[str, Any], _fields: Any) -> None:
    r = send(world_api, "POST", org, form, (who,))
    assert r.status_code == 201, r.text
    got = stored(world_api, org["id"])
    assert got is not None and got["kind"] == org["kind"]
    assert got.get("designated_under", []) == org.get("designated_under", [])
    assert facts(world_api, org["id"]) == (org["kind"], set(org.get("designated_under", [])))


@pytest.mark.parametrize("form", FORMS)
def test_a_steward_still_creates_a_plain_organisation_of_its_own(world_api: Api, form: str) -> None:
    r = send(world_api, "POST", PLAIN, form, STEWARD)
    assert r.status_code == 201, r.text
    assert stored(world_api, PLAIN["id"])["kind"] == "agency"  # type: ignore[index]


# ---------------------------------------------------------------------------------------- update
DIU = {"id": "moh-idiu", "name": "Ministry of Health Inter-Ministerial Data Integration Unit",
       "kind": "data-integration-unit", "parent": "moh", "unit_kind": "inter-ministerial",
       "designated_under": ["fippa-part-3.1"]}
MOH = {"id": "moh", "name": "Ministry of Health", "kind": "ministry", "parent": None}

def with_plain_unit(api: Api) -> None:
    assert api.client.post("/organizations", json=PLAIN, headers=api.auth()).status_code == 201


UPDATES = [
    pytest.param({**MOH, "kind": "prescribed-entity"}, {"kind"}, id="ministry-to-prescribed-entity"),
    pytest.param({**PLAIN, "kind": "data-integration-unit", "unit_kind": "ministry",
                  "designated_under": ["fippa-part-3.1"]}, {"kind", "designated_under"}, id="agency-to-diu"),
    pytest.param({**PLAIN, "kind": "prescribed-entity"}, {"kind"}, id="agency-to-prescribed-entity"),
    pytest.param({**PLAIN, "designated_under": ["phipa-45"]}, {"designated_under"},
                 id="designate-an-agency"),
    pytest.param({**DIU, "designated_under": ["fippa-part-3.1", "phipa-45"]}, {"designated_under"},
                 id="add-designation"),
    pytest.param({**DIU, "kind": "prescribed-entity", "unit_kind": None}, {"kind"}, id="diu-to-prescribed-entity"),
    pytest.param({**DIU, "kind": "agency", "unit_kind": None, "designated_under": []},
                 {"kind", "designated_under"}, id="drop-legal-status"),
    pytest.param({**MOH, "governed_by": ["fippa"]}, {"governed_by"}, id="no-longer-a-custodian"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(("org", "fields"), UPDATES)
def test_a_steward_cannot_change_legal_status(world_api: Api, form: str, org: dict[str, Any],
                                              fields: set[str]) -> None:
    with_plain_unit(world_api)
    was, was_facts = stored(world_api, org["id"]), facts(world_api, org["id"])
    world_api.auth(*STEWARD)
    before = record_quads(world_api.registry)
    refused(world_api, send(world_api, "PUT", org, form, STEWARD), fields, before)
    assert stored(world_api, org["id"]) == was
    assert facts(world_api, org["id"]) == was_facts


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("who", GRANTORS)
@pytest.mark.parametrize(("org", "_fields"), UPDATES)
def test_officers_and_admins_change_legal_status(world_api: Api, form: str, who: str, org: dict[str, Any],
                                                 _fields: Any) -> None:
    with_plain_unit(world_api)
    r = send(world_api, "PUT", org, form, (who,))
    assert r.status_code == 200, r.text
    got = stored(world_api, org["id"])
    assert got is not None and got["kind"] == org["kind"]
    assert facts(world_api, org["id"]) == (org["kind"], set(org.get("designated_under") or []))


@pytest.mark.parametrize("form", FORMS)
def test_a_steward_updates_other_fields_of_a_unit_leaving_its_legal_status(world_api: Api, form: str) -> None:
    renamed = {**DIU, "name": "The unit, renamed by its ministry's steward", "unit_kind": "ministry"}
    r = send(world_api, "PUT", renamed, form, STEWARD)
    assert r.status_code == 200, r.text
    got = stored(world_api, "moh-idiu")
    assert got is not None and got["name"] == renamed["name"] and got["unit_kind"] == "ministry"
    assert facts(world_api, "moh-idiu") == ("data-integration-unit", {"fippa-part-3.1"})


@pytest.mark.parametrize("form", FORMS)
def test_the_default_statute_of_a_kind_is_no_legal_status(world_api: Api, form: str) -> None:
    """A steward may state what the kind implies anyway (an agency is governed by FIPPA)."""
    r = send(world_api, "POST", {**PLAIN, "governed_by": ["fippa"]}, form, STEWARD)
    assert r.status_code == 201, r.text
    assert stored(world_api, PLAIN["id"])["governed_by"] == ["fippa"]  # type: ignore[index]


def test_a_steward_changes_a_plain_kind_of_its_own(world_api: Api) -> None:
    """Kinds that are no legal status (ministry, agency, ...) stay the steward's to set."""
    assert send(world_api, "POST", PLAIN, "json", STEWARD).status_code == 201
    r = send(world_api, "PUT", {**PLAIN, "kind": "research-institution"}, "json", STEWARD)
    assert r.status_code in (200, 422), r.text  # 422 only if the vocabulary lacks the kind
    r = send(world_api, "PUT", {**PLAIN, "kind": "ministry"}, "json", STEWARD)
    assert r.status_code == 200, r.text


def test_legal_status_is_the_same_whatever_the_order_of_designations(world_api: Api) -> None:
    """Comparing with the stored record is by value: the same designations in another order, or a DIU's
    write-back of what it read (read-only fields included), is no change."""
    h = world_api.auth(*STEWARD)
    got = world_api.client.get("/organizations/moh-idiu", headers=h).json()
    got["designated_under"] = list(reversed(got["designated_under"]))
    got["name"] = "Renamed once more"
    r = world_api.client.put("/organizations/moh-idiu", json=got, headers=h)
    assert r.status_code == 200, r.text


# --------------------------------------------------------------- typed a data integration unit by kind only
# A record's RDF type is what SPARQL users, the ontology and any rule reading types see. An organisation is
# typed reg:DataIntegrationUnit (and org:OrganizationalUnit) only when its kind is data-integration-unit:
# `unit_kind` on any other kind is refused (422 naming the field, for every role: the SHACL shapes), and a
# JSON-LD or Turtle body that types an organisation of another kind reg:DataIntegrationUnit is read for its
# fields, not its types (the stored type follows `kind`), so the claim is dropped.
UNIT_TYPES = (URIRef(f"{NS}ns#DataIntegrationUnit"), URIRef("http://www.w3.org/ns/org#OrganizationalUnit"))


def typed_unit(api: Api, rid: str) -> bool:
    """Whether any graph of the store types the organisation a (data integration) unit."""
    iri = URIRef(f"{BASE}/organization/{rid}")
    return any(q[0] == iri and q[1] == RDF.type and q[2] in UNIT_TYPES for q in record_quads(api.registry))


def refused_unit_kind(api: Api, response: Any, before: set[Any]) -> None:
    body = assert_problem(response, 422)
    assert "unit_kind" in {v.get("field") for v in body.get("violations", [])}, body
    assert record_quads(api.registry) == before, "nothing is written"


AGENCY_WITH_UNIT_KIND = {**PLAIN, "unit_kind": "inter-ministerial"}
# the attack, body by body: a unit kind on an agency, typed a unit or not
UNIT_CLAIMS = [pytest.param(AGENCY_WITH_UNIT_KIND, False, id="unit-kind"),
               pytest.param(AGENCY_WITH_UNIT_KIND, True, id="unit-kind-and-type")]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("who", [STEWARD, ("privacy-officer",), ("admin",)], ids=lambda w: w[0])
@pytest.mark.parametrize(("org", "claim_unit"), UNIT_CLAIMS)
def test_unit_kind_on_an_organisation_that_is_no_unit_is_refused(world_api: Api, form: str, who: tuple[str, ...],
                                                                 org: dict[str, Any], claim_unit: bool) -> None:
    world_api.auth(*who)
    before = record_quads(world_api.registry)
    refused_unit_kind(world_api, send(world_api, "POST", org, form, who, claim_unit), before)
    assert stored(world_api, org["id"]) is None


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("who", [STEWARD, ("privacy-officer",), ("admin",)], ids=lambda w: w[0])
@pytest.mark.parametrize(("org", "claim_unit"), UNIT_CLAIMS)
def test_unit_kind_is_not_added_to_an_organisation_that_is_no_unit(world_api: Api, form: str, who: tuple[str, ...],
                                                                   org: dict[str, Any], claim_unit: bool) -> None:
    with_plain_unit(world_api)
    was = stored(world_api, org["id"])
    world_api.auth(*who)
    before = record_quads(world_api.registry)
    refused_unit_kind(world_api, send(world_api, "PUT", org, form, who, claim_unit), before)
    assert stored(world_api, org["id"]) == was
    assert not typed_unit(world_api, org["id"])


@pytest.mark.parametrize("form", ["jsonld", "turtle"])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_steward_typing_its_agency_a_unit_stores_an_agency(world_api: Api, form: str, method: str) -> None:
    """The type a body claims is not what is stored: the record's kind decides it."""
    if method == "PUT":
        with_plain_unit(world_api)
    r = send(world_api, method, PLAIN, form, STEWARD, claim_unit=True)
    assert r.status_code in (200, 201), r.text
    assert not typed_unit(world_api, PLAIN["id"])
    assert stored(world_api, PLAIN["id"])["kind"] == "agency"  # type: ignore[index]
    assert facts(world_api, PLAIN["id"]) == ("agency", set())


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("org", [NEW_DESIGNATED_AGENCY, {**NEW_PE, "designated_under": ["phipa-45"]}],
                         ids=["designated-agency", "designated-prescribed-entity"])
def test_a_designation_does_not_make_an_organisation_a_unit(world_api: Api, form: str, org: dict[str, Any]) -> None:
    """An admin designates an organisation of another kind (a prescribed entity under PHIPA s. 45): it is
    stored with its designation, and it is no data integration unit, whatever the body claims."""
    r = send(world_api, "POST", org, form, ("admin",), claim_unit=True)
    assert r.status_code == 201, r.text
    assert not typed_unit(world_api, org["id"])
    assert facts(world_api, org["id"]) == (org["kind"], set(org["designated_under"]))
    assert stored(world_api, org["id"])["designated_under"] == org["designated_under"]  # type: ignore[index]


@pytest.mark.parametrize("form", FORMS)
def test_a_unit_is_still_typed_a_unit(world_api: Api, form: str) -> None:
    assert send(world_api, "POST", NEW_DIU, form, ("admin",)).status_code == 201
    assert typed_unit(world_api, NEW_DIU["id"])
    assert stored(world_api, NEW_DIU["id"])["unit_kind"] == "ministry"  # type: ignore[index]


def test_the_store_holds_no_unit_of_another_kind(world_api: Api) -> None:
    """Data that reaches the store without the write path (a bulk N-Quads load) is held to the same rule
    when the store is validated: a reg:DataIntegrationUnit of another kind, or a unit kind on another kind,
    is reported."""
    reg = world_api.registry
    iri = URIRef(f"{BASE}/organization/moh")
    reg.store.add_to_graph(reg.iris.public_graph("organization", "moh"), [
        (iri, RDF.type, UNIT_TYPES[0]),
        (iri, URIRef(f"{NS}ns#unitKind"), URIRef(f"{NS}vocab/unit-kind/ministry"))])
    found = {(v.focus_node, v.field) for v in reg.records.validate_all() if v.severity == "Violation"}
    assert {(str(iri), "kind"), (str(iri), "unit_kind")} <= found, found
