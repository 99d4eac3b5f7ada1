"""The record model: JSON -> RDF -> JSON round trips, and the split into public and restricted graphs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from rdflib import URIRef

from helpers import DEMO_FILE, WORLD_FILE, load_json, same_record
from registry import namespaces as ns
from registry.domain.model import BY_COLLECTION, KINDS, Iris, RecordKind
from registry.domain.model.common import RecordGraphs
from registry.services.registry import Registry

IRIS = Iris("https://registry.example.org")


def cases(path: Any, label: str) -> list[Any]:
    world = load_json(path)
    return [
        pytest.param(BY_COLLECTION[collection], rec, id=f"{label}-{BY_COLLECTION[collection].name}-{rec['id']}")
        for collection in ("organizations", "datasets", "agreements")
        for rec in world[collection]
    ]


ALL = cases(WORLD_FILE, "world") + cases(DEMO_FILE, "demo")
DATASETS = [c for c in ALL if c.values[0].name == "dataset"]
AGREEMENTS = [c for c in ALL if c.values[0].name == "agreement"]
ORGANIZATIONS = [c for c in ALL if c.values[0].name == "organization"]

#: predicates that carry restricted facts, per kind
RESTRICTED = {
    "dataset": {ns.REG.steward, ns.DCAT.contactPoint, ns.REG.retentionPeriod, ns.REG.containsPersonalInformation,
                ns.DPV.hasPersonalDataCategory, ns.VCARD.fn, ns.VCARD.hasEmail},
    "agreement": {ns.REG.deidentifyBeforeUse, ns.REG.onwardDisclosure, ns.REG.retentionPeriod, ns.ODRL2.duty,
                  ns.ODRL2.prohibition},
    "organization": set(),
}
#: JSON fields only the restricted graph holds
RESTRICTED_FIELDS = {
    "dataset": {"steward", "retention", "personal_information", "personal_data_categories"},
    "agreement": {"conditions"},
    "organization": set(),
}


def to_graphs(kind: RecordKind, data: dict[str, Any]) -> RecordGraphs:
    return kind.to_rdf(kind.model.model_validate(data), IRIS)


def test_the_case_lists_are_not_empty() -> None:
    assert len(DATASETS) >= 8 + 30 and len(AGREEMENTS) >= 4 + 12 and len(ORGANIZATIONS) >= 7 + 19


@pytest.mark.parametrize(("kind", "data"), ALL)
def test_json_rdf_json_round_trip(kind: RecordKind, data: dict[str, Any]) -> None:
    rg = to_graphs(kind, data)
    back = kind.from_rdf(rg.union(), rg.iri, IRIS)
    same_record(data, back)


@pytest.mark.parametrize(("kind", "data"), ALL)
def test_rdf_json_rdf_is_stable(kind: RecordKind, data: dict[str, Any]) -> None:
    """The JSON read back from the graphs builds the same graphs again."""
    rg = to_graphs(kind, data)
    again = to_graphs(kind, {k: v for k, v in kind.from_rdf(rg.union(), rg.iri, IRIS).items() if v is not None})
    assert set(rg.public) == set(again.public)
    assert set(rg.restricted) == set(again.restricted)


def test_round_trip_of_every_optional_field() -> None:
    dataset = {
        "id": "full.dataset-1", "title": "Full", "description": "Every field", "publisher": "moh",
        "steward": {"name": "Zo\u00eb O'Brien", "email": "zoe+data@example.org"},
        "keywords": ["b", "a"], "themes": ["health", "economy"], "access": "restricted", "sensitivity": "medium",
        "personal_information": True, "personal_data_categories": ["identifier", "contact"], "retention": "P1Y6M",
        "issued": "2020-02-29", "modified": "2021-03-01", "derived_from": ["src-b", "src-a"],
        "generated_by": {"kind": "deidentification", "by": "moh-idiu", "date": "2021-03-01"},
    }
    agreement = {
        "id": "dsa-full", "title": "Full", "provider": "moh", "recipient": "moh-idiu", "datasets": ["b", "a"],
        "purposes": ["program-planning", "audit"], "legal_basis": ["fippa-part-3.1", "fippa-42-1-c"],
        "valid_from": "2024-01-01", "valid_until": "2024-01-01", "status": "suspended", "issued": "2023-12-01",
        "conditions": {"deidentify_before_use": False, "onward_disclosure": True, "retention": "P30D"},
    }
    organization = {"id": "unit", "name": "Unit", "kind": "data-integration-unit", "parent": "moh",
                    "unit_kind": "extra-ministerial", "designated_under": ["fippa-part-3.1", "phipa-45"],
                    "jurisdiction": "Canada"}
    for kind, data in ((KINDS["dataset"], dataset), (KINDS["agreement"], agreement),
                       (KINDS["organization"], organization)):
        rg = to_graphs(kind, data)
        same_record(data, kind.from_rdf(rg.union(), rg.iri, IRIS))


def test_round_trip_of_partial_conditions() -> None:
    kind = KINDS["agreement"]
    data = {"id": "dsa-part", "title": "t", "conditions": {"retention": "P3Y"}}
    rg = to_graphs(kind, data)
    same_record(data, kind.from_rdf(rg.union(), rg.iri, IRIS))


def test_instance_iris_follow_the_base() -> None:
    rg = to_graphs(KINDS["dataset"], {"id": "abc", "title": "t"})
    assert rg.iri == URIRef("https://registry.example.org/dataset/abc")
    assert IRIS.public_graph("dataset", "abc") == "https://registry.example.org/graph/dataset/abc"
    assert IRIS.restricted_graph("dataset", "abc") == "https://registry.example.org/graph/dataset/abc/restricted"


# ------------------------------------------------------------------ public / restricted split
def _predicates(triples: Iterable[tuple[Any, Any, Any]]) -> set[Any]:
    return {p for _, p, _ in triples}


@pytest.mark.parametrize(("kind", "data"), ALL)
def test_restricted_facts_are_only_in_the_restricted_graph(kind: RecordKind, data: dict[str, Any]) -> None:
    rg = to_graphs(kind, data)
    assert not (_predicates(rg.public) & RESTRICTED[kind.name]), "a restricted fact leaked into the public graph"
    assert _predicates(rg.restricted) <= RESTRICTED[kind.name] | {ns.RDF.type, ns.ODRL2.action, ns.ODRL2.target,
                                                                  ns.ODRL2.constraint, ns.ODRL2.leftOperand,
                                                                  ns.ODRL2.operator, ns.ODRL2.rightOperand}
    # nothing of the steward (a person) is public, not even its node
    steward = URIRef(f"{rg.iri}/steward")
    assert not any(steward in t for t in rg.public)
    # the restricted graph only speaks of the record and its own nodes
    for s, _, _ in rg.restricted:
        assert str(s) == str(rg.iri) or str(s).startswith(str(rg.iri) + "/")


@pytest.mark.parametrize(("kind", "data"), DATASETS + AGREEMENTS)
def test_restricted_fields_are_absent_from_the_public_view(kind: RecordKind, data: dict[str, Any]) -> None:
    rg = to_graphs(kind, data)
    public = kind.from_rdf(rg.public, rg.iri, IRIS)
    assert not (set(public) & RESTRICTED_FIELDS[kind.name])
    full = kind.from_rdf(rg.union(), rg.iri, IRIS)
    expected = {f for f in RESTRICTED_FIELDS[kind.name] if data.get(f) is not None}
    assert expected <= set(full)
    # everything else reads the same from the public graph alone
    for k, v in public.items():
        assert full[k] == v


@pytest.mark.parametrize(("kind", "data"), DATASETS)
def test_dataset_restricted_graph_holds_steward_retention_and_personal_data(kind: RecordKind,
                                                                          data: dict[str, Any]) -> None:
    rg = to_graphs(kind, data)
    s = rg.iri
    assert (s, ns.REG.containsPersonalInformation, None) in rg.restricted
    assert (s, ns.REG.retentionPeriod, None) in rg.restricted
    assert (s, ns.REG.steward, None) in rg.restricted
    for c in data["personal_data_categories"]:
        assert (s, ns.DPV.hasPersonalDataCategory, ns.PD_CATEGORY[c]) in rg.restricted


@pytest.mark.parametrize(("kind", "data"), AGREEMENTS)
def test_agreement_conditions_are_restricted(kind: RecordKind, data: dict[str, Any]) -> None:
    rg = to_graphs(kind, data)
    s = rg.iri
    cond = data["conditions"]
    assert (s, ns.REG.deidentifyBeforeUse, None) in rg.restricted
    assert (s, ns.REG.onwardDisclosure, None) in rg.restricted
    assert ((s, ns.REG.retentionPeriod, None) in rg.restricted) == (cond["retention"] is not None)
    has_prohibition = (s, ns.ODRL2.prohibition, None) in rg.restricted
    assert has_prohibition == (cond["onward_disclosure"] is False)
    # the public graph still says who shares what, for which purpose and when
    assert (s, ns.ODRL2.assigner, IRIS.record("organization", data["provider"])) in rg.public
    assert (s, ns.ODRL2.assignee, IRIS.record("organization", data["recipient"])) in rg.public
    assert (s, ns.REG.status, None) in rg.public


@pytest.mark.parametrize(("kind", "data"), ORGANIZATIONS)
def test_organizations_have_no_restricted_facts(kind: RecordKind, data: dict[str, Any]) -> None:
    assert len(to_graphs(kind, data).restricted) == 0


# ---------------------------------------------------------------------- through the store
def test_world_round_trips_through_the_store(world_registry: Registry) -> None:
    records = world_registry.records
    world = load_json(WORLD_FILE)
    for collection, items in world.items():
        kind = BY_COLLECTION[collection]
        for data in items:
            same_record(data, records.get(kind, data["id"], full=True))


def test_store_keeps_restricted_triples_in_their_own_graph(world_registry: Registry) -> None:
    store, iris = world_registry.store, world_registry.iris
    for kind_name, rid in (("dataset", "ohip-claims"), ("agreement", "dsa-moh-idiu-2024")):
        pub, res = iris.graphs(kind_name, rid)
        public_preds = {p for _, p, _ in store.graph(pub)}
        restricted_preds = {p for _, p, _ in store.graph(res)}
        assert not public_preds & RESTRICTED[kind_name]
        assert restricted_preds & RESTRICTED[kind_name]
    public_view = world_registry.records.get(KINDS["dataset"], "ohip-claims", full=False)
    assert not set(public_view) & RESTRICTED_FIELDS["dataset"]
    assert not world_registry.store.has_graph(iris.restricted_graph("organization", "moh"))
