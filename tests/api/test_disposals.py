"""The retention and disposal ledger over HTTP (the real app over the casebook world): shares recorded as
share checks get a due date, recipients record disposals (POST /agreements/{id}/disposals), privacy officers
list what is overdue (GET /disposals/overdue), the transparency register counts them per recipient, and no
detail of a disposal reaches anyone else (the register, /sparql).

The ledger's agreement, dsa-ledger-2020, runs in 2020-2022 with a retention of one year, so every date of
these tests is long past (a disposal may not be dated in the future): moh discloses OHIP claims to its unit
moh-idiu. Its shares: A on 2020-02-29 (due 2021-02-28), B on 2021-03-15 (due 2022-03-15), C on 2022-06-01
(due 2023-06-01)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from conftest import Api
from helpers import WORLD_FILE, assert_problem, load_json, record, record_quads, violation_fields
from registry.domain.model import KINDS
from registry.services.ingest.loader import SYSTEM

WORLD = load_json(WORLD_FILE)
LEDGER = "dsa-ledger-2020"
URL = f"/agreements/{LEDGER}/disposals"
EMAIL = "zq-attester@example.org"  # in no other record: a leak of the attestation is easy to find
DISPOSAL = {"datasets": ["ohip-claims"], "date": "2021-02-28", "method": "secure-destruction",
            "attested_by": {"name": "Zq Attester", "email": EMAIL}, "note": "shredded and wiped"}


@pytest.fixture
def ledger(world_api: Api) -> Api:
    """The casebook world and dsa-ledger-2020 (active, retention P1Y), written as the command line would."""
    agreement = {**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "id": LEDGER, "title": "Claims to the unit, 2020",
                 "valid_from": "2020-01-01", "valid_until": "2022-12-31",
                 "notice": {"url": "https://www.ontario.ca/page/data-integration-notices", "published": "2019-12-01"},
                 "conditions": {"deidentify_before_use": True, "onward_disclosure": False, "retention": "P1Y"}}
    world_api.registry.records.write(KINDS["agreement"], agreement, SYSTEM, create=True)
    return world_api


def share(api: Api, date: str, datasets: tuple[str, ...] = ("ohip-claims",), **proposal: Any) -> dict[str, Any]:
    """A share check of moh to moh-idiu by a privacy officer: the registry's record of a share."""
    body = {"datasets": list(datasets), "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
            "date": date, **proposal}
    r = api.client.post("/share-checks", json=body, headers=api.auth("privacy-officer"))
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


def dispose(api: Api, date: str, *, who: tuple[str, str | None] = ("steward", "moh-idiu"), **changes: Any) -> Any:
    return api.client.post(URL, json={**DISPOSAL, "date": date, **changes}, headers=api.auth(*who))


def overdue(api: Api, as_of: str, **params: Any) -> dict[str, Any]:
    r = api.client.get("/disposals/overdue", params={"as_of": as_of, **params}, headers=api.auth("privacy-officer"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def counts(api: Api, on: str) -> dict[str, Any]:
    r = api.client.get("/reports/flows", params={"on": on})  # anonymous
    assert r.status_code == 200, r.text
    return {c["recipient"]: c for c in r.json()["disposals_by_recipient"]}


# ------------------------------------------------------------------------------------------ the flow
def test_a_share_is_due_a_year_after_and_overdue_the_day_after(ledger: Api) -> None:
    check = share(ledger, "2020-02-29")
    assert check["decision"] in ("permitted", "conditional")
    assert overdue(ledger, "2021-02-28")["total"] == 0  # due that day: not overdue yet
    body = overdue(ledger, "2021-03-01")
    assert body["total"] == 1 and body["as_of"] == "2021-03-01"
    assert body["items"] == [{"agreement": LEDGER, "provider": "moh", "recipient": "moh-idiu",
                              "datasets": ["ohip-claims"], "share_date": "2020-02-29", "retention": "P1Y",
                              "due_date": "2021-02-28", "days_overdue": 1, "checks": [check["id"]]}]
    assert overdue(ledger, "2022-02-28")["items"][0]["days_overdue"] == 365
    assert overdue(ledger, "2020-02-28")["total"] == 0  # asked before the share: no share yet


def test_the_whole_flow_on_time_late_and_overdue(ledger: Api) -> None:
    a, b, c = share(ledger, "2020-02-29"), share(ledger, "2021-03-15"), share(ledger, "2022-06-01")
    r = dispose(ledger, "2021-02-28")  # A on its due date: on time
    assert r.status_code == 201, r.text
    recorded = r.json()
    assert r.headers["location"] == f"{URL}/{recorded['id']}" and r.headers["etag"]
    assert {k: recorded[k] for k in DISPOSAL} == DISPOSAL
    assert recorded["agreement"] == LEDGER and recorded["recipient"] == "moh-idiu"
    assert "moh-idiu" in recorded["recorded_by"] and recorded["recorded_on"]
    assert dispose(ledger, "2022-03-16").status_code == 201  # B the day after its due date: late

    body = overdue(ledger, "2023-06-02")
    assert [(s["share_date"], s["days_overdue"]) for s in body["items"]] == [("2022-06-01", 1)]
    assert body["items"][0]["checks"] == [c["id"]]
    late = body["late"]
    assert late["total"] == 1
    assert late["items"] == [{"agreement": LEDGER, "provider": "moh", "recipient": "moh-idiu",
                              "datasets": ["ohip-claims"], "share_date": "2021-03-15", "retention": "P1Y",
                              "due_date": "2022-03-15", "disposed_on": "2022-03-16", "days_late": 1,
                              "checks": [b["id"]]}]
    assert a["id"] not in json.dumps(body)  # on time: in neither list
    assert overdue(ledger, "2023-06-01")["total"] == 0  # C is due that day

    # the agreement's ledger, for its parties
    listed = ledger.client.get(URL, headers=ledger.auth("steward", "moh-idiu")).json()
    assert listed["total"] == 2 and [d["date"] for d in listed["items"]] == ["2021-02-28", "2022-03-16"]
    one = ledger.client.get(f"{URL}/{recorded['id']}", headers=ledger.auth("privacy-officer"))
    assert one.status_code == 200 and one.json() == recorded and one.headers["etag"] == r.headers["etag"]
    again = ledger.client.get(f"{URL}/{recorded['id']}", headers={**ledger.auth("privacy-officer"),
                                                                   "If-None-Match": one.headers["etag"]})
    assert again.status_code == 304

    # the register: counts per recipient, as anyone reads them
    assert counts(ledger, "2023-06-02")["moh-idiu"] == {
        "recipient": "moh-idiu", "recipient_name": "Ministry of Health Inter-Ministerial Data Integration Unit",
        "on_time": 1, "late": 1, "overdue": 1}
    assert counts(ledger, "2023-06-01")["moh-idiu"]["overdue"] == 0


def test_a_disposal_on_a_leap_days_due_date_and_the_day_after(ledger: Api) -> None:
    share(ledger, "2020-02-29")  # due 2021-02-28: there is no 2021-02-29
    assert dispose(ledger, "2021-03-01").status_code == 201
    body = overdue(ledger, "2021-06-01")
    assert body["total"] == 0 and [s["days_late"] for s in body["late"]["items"]] == [1]


def test_the_checks_of_one_share_are_one_share_and_refusals_are_none(ledger: Api) -> None:
    first, second = share(ledger, "2020-02-29"), share(ledger, "2020-02-29")
    refused = share(ledger, "2020-02-29", onward_disclosure=True)
    assert refused["decision"] == "not_permitted"
    outside = share(ledger, "2019-06-01")  # before the agreement: not permitted either
    assert outside["decision"] == "not_permitted"
    body = overdue(ledger, "2022-01-01")
    assert body["total"] == 1 and body["items"][0]["checks"] == sorted([first["id"], second["id"]])


def test_a_share_under_an_agreement_without_retention_is_never_due(ledger: Api) -> None:
    """dsa-mto-idiu-2025 names no retention period: its shares have no disposal due date."""
    body = {"datasets": ["driver-licences"], "provider": "mto", "recipient": "moh-idiu", "purpose": "program-planning",
            "date": "2025-02-01"}
    r = ledger.client.post("/share-checks", json=body, headers=ledger.auth("privacy-officer"))
    assert r.status_code == 201 and r.json()["decision"] in ("permitted", "conditional"), r.text
    share(ledger, "2020-02-29")  # beside one that is due
    assert [s["agreement"] for s in overdue(ledger, "9999-12-31")["items"]] == [LEDGER]


def test_only_a_page_of_the_overdue(ledger: Api) -> None:
    for day in ("2020-03-01", "2020-03-02", "2020-03-03"):
        share(ledger, day)
    body = overdue(ledger, "2022-01-01", limit=2, offset=1)
    assert body["total"] == 3 and (body["limit"], body["offset"]) == (2, 1)
    assert [s["share_date"] for s in body["items"]] == ["2020-03-02", "2020-03-03"]  # most overdue first


def test_the_overdue_list_defaults_to_today_and_refuses_a_bad_date(ledger: Api) -> None:
    share(ledger, "2020-02-29")
    r = ledger.client.get("/disposals/overdue", headers=ledger.auth("admin"))
    assert r.status_code == 200 and r.json()["total"] == 1  # today is after 2021-02-28
    for bad in ("2021-02-30", "yesterday", "2021-02-28T12:30:00"):
        assert_problem(ledger.client.get("/disposals/overdue", params={"as_of": bad}, headers=ledger.auth()), 422)
    assert_problem(ledger.client.get("/disposals/overdue", params={"limit": 0}, headers=ledger.auth()), 422)


# ---------------------------------------------------------------------------------------------- roles
@pytest.mark.parametrize(("who", "status"), [
    (("steward", "moh-idiu"), 201),  # the recipient's steward
    (("steward", "moh"), 201),  # the steward of the ministry above the unit (a steward's scope)
    (("privacy-officer", None), 201),
    (("admin", None), 201),
    (("steward", "mto"), 403),  # another organisation's
    (("steward", "toronto"), 403),
])
def test_who_records_a_disposal(ledger: Api, who: tuple[str, str | None], status: int) -> None:
    ledger.token_for(*who)  # made before: a token is a write of its own
    before = record_quads(ledger.registry)
    r = dispose(ledger, "2021-02-28", who=who)
    if status == 201:
        assert r.status_code == 201, r.text
    else:
        assert_problem(r, status)
        assert record_quads(ledger.registry) == before


def test_the_providers_steward_reads_but_does_not_record(world_api: Api) -> None:
    """dsa-mccss-idiu-2024: mccss discloses to moh-idiu; mccss is no organisation above the unit."""
    url = "/agreements/dsa-mccss-idiu-2024/disposals"
    body = {**DISPOSAL, "datasets": ["ow-caseload"], "date": "2024-06-01"}
    mccss, unit, other = (world_api.auth("steward", o) for o in ("mccss", "moh-idiu", "toronto"))
    before = record_quads(world_api.registry)
    assert_problem(world_api.client.post(url, json=body, headers=mccss), 403)
    assert record_quads(world_api.registry) == before
    assert world_api.client.post(url, json=body, headers=unit).status_code == 201
    assert world_api.client.get(url, headers=mccss).json()["total"] == 1
    assert world_api.client.get(url, headers=unit).json()["items"][0]["attested_by"]["email"] == EMAIL
    for headers, status in ((other, 403), ({}, 401)):
        assert_problem(world_api.client.get(url, headers=headers), status)
        got = world_api.client.get(f"{url}/{world_api.client.get(url, headers=unit).json()['items'][0]['id']}",
                                   headers=headers)
        assert_problem(got, status)


def test_anonymous_callers_and_stewards_get_no_overdue_list(ledger: Api) -> None:
    share(ledger, "2020-02-29")
    assert_problem(ledger.client.get("/disposals/overdue"), 401)
    assert_problem(ledger.client.post(URL, json=DISPOSAL), 401)
    for org in ("moh", "moh-idiu"):
        assert_problem(ledger.client.get("/disposals/overdue", headers=ledger.auth("steward", org)), 403)


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("changes", "fields"), [
    ({"datasets": ["no-such-dataset"]}, {"datasets"}),  # unknown: neither registered nor the agreement's
    ({"datasets": ["road-collisions"]}, {"datasets"}),  # registered, not under the agreement
    ({"datasets": []}, {"datasets"}),
    ({"date": "2999-01-01"}, {"date"}),  # in the future
    ({"date": "2019-12-31"}, {"date"}),  # before the agreement's valid_from
    ({"date": "2021-02-30"}, {"date"}),
    ({"date": None}, {"date"}),
    ({"method": "burning"}, {"method"}),
    ({"method": "Secure Destruction"}, {"method"}),
    ({"attested_by": None}, {"attested_by"}),
    ({"attested_by": {"name": "", "email": EMAIL}}, {"attested_by", "attested_by.name"}),  # the node, and why
    ({"attested_by": {"name": "X", "email": "not an address"}}, {"attested_by.email"}),
    ({"attested_by": {"name": "X", "email": "a<b>@example.org"}}, {"attested_by.email"}),
    ({"note": ""}, {"note"}),
    ({"recorded_by": "someone else"}, {"recorded_by"}),  # the registry's to set
    ({"id": "dp-chosen"}, {"id"}),
])
def test_bad_disposals_are_422_naming_the_field_and_write_nothing(ledger: Api, changes: dict[str, Any],
                                                                  fields: set[str]) -> None:
    unit = ledger.auth("steward", "moh-idiu")
    before = record_quads(ledger.registry)
    body = {**DISPOSAL, **changes}
    r = ledger.client.post(URL, json={k: v for k, v in body.items() if v is not None}, headers=unit)
    problem = assert_problem(r, 422)
    assert violation_fields(problem) == fields
    assert record_quads(ledger.registry) == before


def test_a_disposal_on_the_agreements_first_day_is_accepted(ledger: Api) -> None:
    assert dispose(ledger, "2020-01-01").status_code == 201


@pytest.mark.parametrize(("body", "headers", "status"), [
    (b'{"datasets": [', {"Content-Type": "application/json"}, 400),
    (b"", {"Content-Type": "application/json"}, 400),
    (b"[]", {"Content-Type": "application/json"}, 400),
    (b'"disposed"', {"Content-Type": "application/json"}, 400),
    (json.dumps(DISPOSAL).encode(), {"Content-Type": "text/turtle"}, 415),
])
def test_unreadable_bodies_are_4xx_and_write_nothing(ledger: Api, body: bytes, headers: dict[str, str],
                                                     status: int) -> None:
    before = record_quads(ledger.registry)
    assert_problem(ledger.client.post(URL, content=body, headers={**headers, **ledger.auth()}), status)
    assert record_quads(ledger.registry) == before


def test_an_unknown_agreement_or_disposal_is_404(ledger: Api) -> None:
    before = record_quads(ledger.registry)
    for path in ("/agreements/no-such-agreement/disposals", "/agreements/Bad%20Id/disposals"):
        assert_problem(ledger.client.post(path, json=DISPOSAL, headers=ledger.auth()), 404)
        assert_problem(ledger.client.get(path, headers=ledger.auth()), 404)
    assert record_quads(ledger.registry) == before
    assert_problem(ledger.client.get(f"{URL}/dp-nothing", headers=ledger.auth()), 404)
    # a disposal is found only under its own agreement
    did = dispose(ledger, "2021-02-28").json()["id"]
    assert_problem(ledger.client.get(f"/agreements/dsa-moh-idiu-2024/disposals/{did}", headers=ledger.auth()), 404)


def test_if_match_names_the_agreement_as_the_caller_read_it(ledger: Api) -> None:
    unit = ledger.auth("steward", "moh-idiu")
    etag = ledger.client.get(f"/agreements/{LEDGER}", headers=unit).headers["etag"]
    before = record_quads(ledger.registry)
    r = ledger.client.post(URL, json=DISPOSAL, headers={**unit, "If-Match": '"an-older-state"'})
    assert_problem(r, 412)
    assert record_quads(ledger.registry) == before
    assert ledger.client.post(URL, json=DISPOSAL, headers={**unit, "If-Match": etag}).status_code == 201
    # the agreement changes: the ETag read before no longer matches
    agreement = ledger.client.get(f"/agreements/{LEDGER}", headers=ledger.auth()).json()
    changed = ledger.client.put(f"/agreements/{LEDGER}", json={**agreement, "title": "Renamed"}, headers=ledger.auth())
    assert changed.status_code == 200, changed.text
    assert_problem(ledger.client.post(URL, json=DISPOSAL, headers={**unit, "If-Match": etag}), 412)


def test_if_match_may_name_the_agreement_as_read_in_any_form(ledger: Api) -> None:
    """A caller who reads the public part only is given one tag for the JSON form and another for the RDF
    forms (the JSON one from the catalogue index's form): either names the agreement as it is now, and neither
    once it changed."""
    unit = ledger.auth("steward", "moh-idiu")
    tags = {ledger.client.get(f"/agreements/{LEDGER}", headers={**unit, "Accept": media}).headers["etag"]
            for media in ("application/json", "text/turtle")}
    assert len(tags) == 2, tags
    for tag in tags:
        assert ledger.client.post(URL, json=DISPOSAL, headers={**unit, "If-Match": tag}).status_code == 201, tag
    agreement = ledger.client.get(f"/agreements/{LEDGER}", headers=ledger.auth()).json()
    changed = ledger.client.put(f"/agreements/{LEDGER}", json={**agreement, "title": "Renamed"}, headers=ledger.auth())
    assert changed.status_code == 200, changed.text
    for tag in tags:
        assert_problem(ledger.client.post(URL, json=DISPOSAL, headers={**unit, "If-Match": tag}), 412)


def test_a_disposal_is_an_audited_record_of_its_own(ledger: Api) -> None:
    reg = ledger.registry
    ledger.token_for("steward", "moh-idiu")  # a token is an audited write of its own
    head = reg.audit.head().seq
    did = dispose(ledger, "2021-02-28").json()["id"]
    assert reg.audit.head().seq == head + 1
    entry = reg.audit.entry(head + 1)
    assert entry is not None and (entry.action, entry.kind, entry.id) == ("create", "disposal", did)
    assert reg.store.graph(reg.iris.public_graph("disposal", did)) == []  # no public graph at all
    assert reg.store.graph(reg.iris.restricted_graph("disposal", did))
    assert reg.audit.verify().ok


# ------------------------------------------------------------------------------------------ no leaks
def test_the_register_shows_counts_never_details(ledger: Api) -> None:
    share(ledger, "2020-02-29")
    did = dispose(ledger, "2021-03-01").json()["id"]  # late
    share(ledger, "2021-06-01")  # overdue from 2022-06-02
    c = ledger.client
    body = c.get("/reports/flows", params={"on": "2022-07-01"})
    section = body.json()["disposals_by_recipient"]
    assert section == [{"recipient": "moh-idiu",
                        "recipient_name": "Ministry of Health Inter-Ministerial Data Integration Unit",
                        "on_time": 0, "late": 1, "overdue": 1}]
    assert "ohip-claims" not in json.dumps(section) and "2021" not in json.dumps(section)
    html = c.get("/transparency", params={"on": "2022-07-01"}, headers={"Accept": "text/html"})
    rows = list(csv.DictReader(io.StringIO(c.get("/reports/flows", params={"on": "2022-07-01", "format": "csv"}).text)))
    unit_rows = [r for r in rows if r["recipient_id"] == "moh-idiu"]
    assert unit_rows and all((r["recipient_disposals_late"], r["recipient_disposals_overdue"]) == ("1", "1")
                             for r in unit_rows)
    assert "Disposal of shared data" in html.text
    for answer in (body.text, html.text, json.dumps(rows)):
        for detail in (EMAIL, "Zq Attester", "shredded", did, "2021-03-01", "secure-destruction"):
            assert detail not in answer


def test_a_disposal_is_never_visible_on_sparql_anonymously(ledger: Api) -> None:
    dispose(ledger, "2021-02-28")
    query = ("PREFIX reg: <https://w3id.org/gov-data-registry/ns#> "
             "SELECT ?d ?p ?o WHERE { { ?d a reg:Disposal } UNION { ?d ?p ?o FILTER(CONTAINS(STR(?o), \"zq-attester\")) } }")
    accept = {"Accept": "application/sparql-results+json"}
    for headers in ({}, ledger.auth("steward", "moh-idiu")):  # a steward queries the public view too
        r = ledger.client.get("/sparql", params={"query": query}, headers={**accept, **headers})
        assert r.status_code == 200, r.text
        assert r.json()["results"]["bindings"] == []
    officer = ledger.client.get("/sparql", params={"query": query}, headers={**accept, **ledger.auth("privacy-officer")})
    assert officer.status_code == 200 and officer.json()["results"]["bindings"]
