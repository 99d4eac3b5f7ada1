"""The transparency register carried from one computation to the next (services/reports/register_parts.py:
only the parts a changed record touches are made again): after a write of each kind its answers, the JSON
and the English and French pages on two dates, are those made from scratch from the same records."""

from __future__ import annotations

from typing import Any

from conftest import Api
from registry.domain.model import KINDS
from registry.services.ingest.loader import SYSTEM, write_all

HTML = {"Accept": "text/html"}
#: within the casebook's agreements, and after most of them ended (the flow no agreement covers)
DATES = ("2025-02-01", "2026-01-01")


def answers(api: Api) -> list[Any]:
    out: list[Any] = []
    for on in DATES:
        out.append(api.client.get("/reports/flows", params={"on": on, "limit": 1000}).json())
        for lang in ("en", "fr"):
            page = api.client.get(f"/{lang}/transparency", params={"on": on}, headers=HTML)
            assert page.status_code == 200
            out.append(page.text)
    return out


def carried_equals_fresh(api: Api) -> list[Any]:
    """The answers carried from the last computation, and made again from scratch: equal; the carried."""
    carried = answers(api)
    api.registry.register.rebuild()  # nothing kept: the facts read again, every part made again
    assert answers(api) == carried
    return carried


def write(api: Api, kind: str, data: dict[str, Any]) -> list[Any]:
    write_all(api.registry, [(KINDS[kind], data)], SYSTEM)
    return carried_equals_fresh(api)


def read(api: Api, kind: str, rid: str) -> dict[str, Any]:
    data, _etag = api.registry.records.read(KINDS[kind], rid, full=True)
    return data


def test_a_write_of_each_kind_changes_the_carried_register_as_a_computation_from_scratch(world_api: Api) -> None:
    api = world_api
    start = write(api, "dataset", {  # a personal-information flow no agreement covers (mccss -> mof)
        "id": "mof-linkage", "title": "Finance linkage", "publisher": "mof", "access": "non-public",
        "sensitivity": "high", "personal_information": True, "retention": "P1Y",
        "steward": {"name": "S", "email": "s@example.org"}, "derived_from": ["ow-caseload"],
        "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-05-01"}})
    assert start[3]["personal_information_flows_without_agreement"]["total"], "a flow no agreement covers"
    # agreements: new (covering the flow), parties changed, status changed, retired
    new = {"id": "dsa-w-new", "title": "Caseload to finance", "provider": "mccss", "recipient": "mof",
           "datasets": ["ow-caseload"], "purposes": ["audit"], "legal_basis": ["fippa-42-1-e"],
           "valid_from": "2024-01-01", "valid_until": "2026-12-31", "status": "active"}
    after = write(api, "agreement", new)
    assert after[0]["total"] == start[0]["total"] + 1
    assert not after[3]["personal_information_flows_without_agreement"]["total"], "the new agreement covers it"
    assert write(api, "agreement", {**new, "recipient": "mof", "provider": "moh"})[0]["by_pair"] != after[0]["by_pair"]
    write(api, "agreement", {**read(api, "agreement", "dsa-moh-mto-2024"), "status": "suspended"})
    api.registry.records.retire(KINDS["agreement"], "dsa-w-new", SYSTEM)
    assert carried_equals_fresh(api)[0]["total"] == start[0]["total"] - 1
    # datasets: a new derived one, one retitled, one retired
    write(api, "dataset", {"id": "w-derived", "title": "Derived by W", "publisher": "mof", "access": "non-public",
                           "sensitivity": "high", "personal_information": True, "retention": "P1Y",
                           "steward": {"name": "S", "email": "s@example.org"}, "derived_from": ["ohip-claims"],
                           "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-06-01"}})
    retitled = write(api, "dataset", {**read(api, "dataset", "ohip-claims"), "title": "Claims (retitled)"})
    assert "Claims (retitled)" in retitled[1] and "Claims (retitled)" in retitled[2]
    api.registry.records.retire(KINDS["dataset"], "w-derived", SYSTEM)
    carried_equals_fresh(api)
    # an organisation renamed
    renamed = write(api, "organization", {**read(api, "organization", "moh"), "name": "Health (renamed)"})
    assert "Health (renamed)" in str(renamed[0]) and "Health (renamed)" in renamed[4]
