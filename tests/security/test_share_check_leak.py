"""Share checks as an oracle: a steward of one ministry asks the legal-basis engine about another
ministry's datasets and agreements. The answer keeps the decision and every reason and condition
code, but not what the same token cannot read on the records themselves: an agreement's terms
(de-identification, onward disclosure, retention), a dataset's personal-information flag and the
lineage path that carries personal information. A steward of the owning organisation, privacy
officers and admins see the whole answer, and the stored check stays whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Api
from helpers import world_api

#: the keys that hold a dataset's personal-information flag or path anywhere in an answer
PI_KEYS = {"personal_information", "inherited_from", "path", "effective_personal_information",
           "personal_information_path"}
#: a retention no other record of the world uses, so finding it anywhere is a leak
RETENTION = "P9Y4M"
#: words that only the messages stating an agreement's terms use
TERMS = ("9 years", "4 months", RETENTION, "forbids", "does not allow", "limits retention", "de-identify the data",
         "may not disclose", "requires the information to be de-identified")

DATE = {"date": "2025-06-01", "deidentified": False, "onward_disclosure": False}
#: (name, proposal, the organisation whose records it quotes)
PROPOSALS = [
    ("conditions", {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                    "purpose": "program-evaluation"}, "moh"),
    ("onward-disclosure", {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                           "purpose": "program-evaluation", "onward_disclosure": True}, "moh"),
    ("authority-condition", {"datasets": ["leak-claims"], "provider": "moh", "recipient": "moh-idiu",
                             "purpose": "program-evaluation"}, "moh"),
    ("inherited", {"datasets": ["leak-summary"], "provider": "moh", "recipient": "mof",
                   "purpose": "program-evaluation"}, "moh"),
    ("inherited-other-ministry", {"datasets": ["ow-extract"], "provider": "mccss", "recipient": "mto",
                                  "purpose": "service-delivery"}, "mccss"),
    ("no-agreement", {"datasets": ["ohip-claims", "leak-claims"], "provider": "moh", "recipient": "mof",
                      "purpose": "program-evaluation"}, "moh"),
    ("leaving-unit", {"datasets": ["linked-health-social"], "provider": "moh-idiu", "recipient": "mof",
                      "purpose": "program-evaluation"}, "moh"),
    ("statute", {"datasets": ["shelter-usage"], "provider": "toronto",
                 "recipient": "mof", "purpose": "program-planning"}, "toronto"),
    ("finding", {"datasets": ["driver-licences"], "provider": "mto", "recipient": "mof", "purpose": "audit"}, "mto"),
    ("as-of", {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
               "purpose": "program-evaluation", "as_of": "2100-01-01T00:00:00Z"}, "moh"),
]
#: the ids that only a path of personal information through lineage names, by case
PATH_ONLY = {"inherited": "leak-claims", "inherited-other-ministry": "ow-caseload"}


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with world_api() as a:
        admin = a.auth("admin")
        base = {"description": "test data", "publisher": "moh", "keywords": ["test"], "access": "non-public",
                "sensitivity": "high", "steward": {"name": "Leak Steward", "email": "leak.steward@example.org"},
                "personal_data_categories": ["health"], "retention": "P11Y", "issued": "2020-01-01"}
        for body in (
            {**base, "id": "leak-claims", "title": "Leak claims", "personal_information": True},
            {**base, "id": "leak-summary", "title": "Leak summary", "personal_information": False,
             "personal_data_categories": [], "derived_from": ["leak-claims"],
             "generated_by": {"kind": "aggregation", "by": "moh", "date": "2024-01-01"}},
        ):
            r = a.client.post("/datasets", json=body, headers=admin)
            assert r.status_code == 201, r.text
        # no finding of its own: the authority's condition (s. 42(1)(c): record the finding) is the one that
        # attaches
        r = a.client.post("/agreements", headers=admin, json={
            "id": "dsa-leak", "title": "Leak claims to the unit", "provider": "moh", "recipient": "moh-idiu",
            "datasets": ["leak-claims"], "purposes": ["program-evaluation"], "legal_basis": ["fippa-42-1-c"],
            "valid_from": "2024-01-01", "valid_until": "2026-12-31", "status": "active",
            "conditions": {"deidentify_before_use": False, "onward_disclosure": False, "retention": RETENTION}})
        assert r.status_code == 201, r.text
        yield a


def ask(api: Api, proposal: dict[str, Any], role: str, org: str | None = None) -> dict[str, Any]:
    r = api.client.post("/share-checks", json={**DATE, **proposal}, headers=api.auth(role, org))
    assert r.status_code == 201, r.text
    return dict(r.json())


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """What the engine said, without who asked, when, and the check's id."""
    return {k: v for k, v in body.items() if k not in ("id", "requested_by", "requested_at")}


def codes(body: dict[str, Any], part: str) -> set[str]:
    return {x["code"] for x in body[part]}


@pytest.mark.parametrize(("name", "proposal", "owner"), PROPOSALS, ids=[p[0] for p in PROPOSALS])
def test_a_steward_of_another_organisation_gets_the_decision_and_codes_but_no_restricted_value(
        api: Api, name: str, proposal: dict[str, Any], owner: str) -> None:
    officer = ask(api, proposal, "privacy-officer")
    steward = ask(api, proposal, "steward", "mof")
    text = json.dumps(steward)
    assert steward["decision"] == officer["decision"]
    assert codes(steward, "reasons") == codes(officer, "reasons")
    assert codes(steward, "conditions") == codes(officer, "conditions")
    assert not keys(steward) & PI_KEYS, keys(steward) & PI_KEYS
    for term in TERMS:
        assert term not in text, term
    if name in PATH_ONLY:
        assert PATH_ONLY[name] not in text
    said = {r["message"] for r in officer["reasons"] + officer["conditions"]}
    for item in steward["reasons"] + steward["conditions"]:
        assert item["message"].strip()
        if item.get("withheld"):
            assert item["message"].startswith("withheld: ")
            assert set(item) <= {"code", "message", "withheld", "dataset", "agreement", "remedy"}, item
        else:
            assert item["message"] in said  # a message kept is the officer's, word for word
    for d in steward["datasets"]:
        assert d["withheld"] is True
        assert set(d) == {"id", "title", "access", "withheld"}
    assert [d["id"] for d in steward["datasets"]] == [d["id"] for d in officer["datasets"]]
    assert steward["basis"] == officer["basis"]
    # whatever was withheld was there to withhold: the officer's answer shows it
    if name == "conditions":
        assert any("3 years" in c["message"] for c in officer["conditions"])
    if name == "authority-condition":
        assert RETENTION in json.dumps(officer)
        assert any(c.get("authority") for c in officer["conditions"])
    if name in PATH_ONLY:
        assert PATH_ONLY[name] in json.dumps(officer)


@pytest.mark.parametrize(("name", "proposal", "owner"), PROPOSALS, ids=[p[0] for p in PROPOSALS])
def test_a_steward_of_the_owner_sees_the_whole_answer(api: Api, name: str, proposal: dict[str, Any],
                                                      owner: str) -> None:
    officer = ask(api, proposal, "privacy-officer")
    assert answer(ask(api, proposal, "steward", owner)) == answer(officer)
    assert answer(ask(api, proposal, "admin")) == answer(officer)
    assert "withheld" not in json.dumps(officer)


def test_a_steward_of_a_unit_sees_the_units_datasets_but_not_its_parents_agreement_terms(api: Api) -> None:
    """moh-idiu is a unit of moh: its steward reads its own datasets, not moh's agreements."""
    proposal = {"datasets": ["linked-health-social"], "provider": "moh-idiu", "recipient": "univ-research",
                "purpose": "research"}
    unit = ask(api, proposal, "steward", "moh-idiu")
    assert answer(unit) == answer(ask(api, proposal, "privacy-officer"))
    terms = ask(api, PROPOSALS[0][1], "steward", "moh-idiu")  # the recipient of moh's agreement
    assert all(c.get("withheld") for c in terms["conditions"]) and terms["conditions"]
    assert "3 years" not in json.dumps(terms)


def test_the_recorded_check_stays_whole_for_privacy_officers(api: Api) -> None:
    steward = ask(api, PROPOSALS[2][1], "steward", "mof")
    officer = api.client.get(f"/share-checks/{steward['id']}", headers=api.auth("privacy-officer"))
    assert officer.status_code == 200
    assert RETENTION in officer.text and "withheld" not in officer.text
    assert answer(officer.json()) == answer(ask(api, PROPOSALS[2][1], "privacy-officer"))
    for path in (f"/share-checks/{steward['id']}", "/share-checks"):
        assert api.client.get(path, headers=api.auth("steward", "mof")).status_code == 403
