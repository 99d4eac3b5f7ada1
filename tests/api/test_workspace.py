"""The workspace's pages and forms over the real app (api/workspace*.py): a dataset registered through the
form with a mistake (422, the violation next to its field in plain words, the form as typed, nothing written),
then fixed, then given a distribution and lineage; an edit that crossed another one merged; draft agreements;
approvals with their reasons in the audit log; share checks and past checks; deadlines; the audit log and its
verification; legal status; tokens; the review queue; pages in French."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from typing import Any

from conftest import Api
from helpers import record_quads
from registry.domain.model import AGREEMENT, DATASET, ORGANIZATION
from registry.web import workspace_forms as forms
from workspace import Browser, form_fields, sign_in

NEW = {"id": "hospital-beds", "title.en": "Hospital beds", "title.fr": "Lits d'hôpital", "publisher": "moh",
       "description.en": "Beds staffed and in use, by hospital and day.", "access": "non-public",
       "sensitivity": "low", "personal_information": "no", "steward.name": "Bed Steward",
       "steward.email": "not-an-email", "keywords": "hospitals, beds", "themes": "health", "language": "en, fr",
       "frequency": "daily", "temporal.start": "2020-01-01", "temporal.end": "2024-12-31"}


def _errors(page: str) -> dict[str, str]:
    """Each field in error and the plain message shown next to it."""
    out = {}
    for m in re.finditer(r'<p class="field-error" id="f-([\w-]+?)-error-\d+"><strong>(.*?)</strong>', page, re.S):
        out[m.group(1)] = unescape(m.group(2))
    return out


def _value(page: str, field_id: str) -> str:
    m = re.search(rf'id="{field_id}" name="[^"]+" value="([^"]*)"', page)
    assert m, field_id
    return unescape(m.group(1))


def test_a_dataset_registered_fixed_and_completed(world_api: Api) -> None:
    reg = world_api.registry
    steward = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    steward.get("/workspace/datasets/new")
    before = record_quads(reg)
    r = steward.post("/workspace/datasets/new", NEW)
    assert r.status_code == 422
    assert _errors(r.text) == {"steward-email": "Give an e-mail address such as name@example.org."}
    assert "steward.email must be a valid e-mail address" in r.text  # the shape's own words, beside
    assert 'aria-invalid="true"' in r.text and 'href="#f-steward-email"' in r.text  # the summary links to it
    assert _value(r.text, "f-steward-email") == "not-an-email" and _value(r.text, "f-title-fr") == "Lits d'hôpital"
    assert record_quads(reg) == before, "nothing is saved when there is a violation"

    r = steward.post("/workspace/datasets/new", {**NEW, "steward.email": "beds@example.org"})
    assert r.status_code == 303 and r.headers["location"] == "/workspace/datasets/hospital-beds/edit?saved=yes"
    saved = reg.records.get(DATASET, "hospital-beds", full=True)
    assert saved["title"] == {"en": "Hospital beds", "fr": "Lits d'hôpital"}
    assert saved["steward"] == {"name": "Bed Steward", "email": "beds@example.org"}
    assert saved["personal_information"] is False and saved["language"] == ["en", "fr"]

    page = steward.get(r.headers["location"])
    assert "Saved." in page.text
    fields = _fields(page.text)
    more = steward.post("/workspace/datasets/hospital-beds/edit", [*fields, ("action", "more:distributions")])
    assert more.status_code == 200 and 'id="f-distributions-0-download_url"' in more.text
    assert reg.records.get(DATASET, "hospital-beds", full=True) == saved, "adding a blank item saves nothing"
    fields = _fields(more.text)
    filled = [*fields, ("distributions.0.download_url", "https://data.example.org/beds.csv"),
              ("distributions.0.media_type", "text/csv"), ("distributions.0.format", "CSV"),
              ("distributions.0.byte_size", "2048"), ("derived_from", "ohip-claims"),
              ("generated_by.kind", "aggregation"), ("generated_by.by", "moh"), ("generated_by.date", "2025-01-15")]
    r = steward.post("/workspace/datasets/hospital-beds/edit", _replace(filled))
    assert r.status_code == 303, _errors(r.text)
    done = reg.records.get(DATASET, "hospital-beds", full=True)
    assert done["distributions"] == [{"download_url": "https://data.example.org/beds.csv", "media_type": "text/csv",
                                      "format": "CSV", "byte_size": 2048}]
    assert done["derived_from"] == ["ohip-claims"]
    assert done["generated_by"] == {"kind": "aggregation", "by": "moh", "date": "2025-01-15"}
    assert done["steward"] == saved["steward"] and done["title"] == saved["title"], "the rest is kept"


def _fields(page: str) -> list[tuple[str, str]]:
    """The fields a browser would send from the record form of a page (text, selects, checked boxes)."""
    form = page.split('id="record-form"', 1)[1].split("</form>", 1)[0]
    out = []
    for m in re.finditer(r'<input([^>]*)>', form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m.group(1)))
        if "name" not in attrs or attrs.get("type") == "submit":
            continue
        if attrs.get("type") in ("checkbox", "radio") and "checked" not in m.group(1):
            continue
        out.append((attrs["name"], unescape(attrs.get("value", ""))))
    for m in re.finditer(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', m.group(2))
        out.append((m.group(1), unescape(chosen.group(1)) if chosen else ""))
    for m in re.finditer(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        out.append((m.group(1), unescape(m.group(2))))
    return out


def _replace(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A field typed into (given again, later, with a value) replaces the one the page held, as typing into
    an input does; fields that take several values (sources) keep them all."""
    several = {"derived_from", "themes", "personal_data_categories"}
    typed = {k: v for k, v in fields if v and k not in several}
    out, seen = [], set()
    for k, v in fields:
        if k in several:
            out.append((k, v))
        elif k not in seen:
            seen.add(k)
            out.append((k, typed.get(k, v)))
    return out


def test_an_edit_that_crossed_another_is_merged(world_api: Api) -> None:
    reg = world_api.registry
    steward = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    page = steward.get("/workspace/datasets/ohip-claims/edit")
    opened = _fields(page.text)
    # meanwhile a privacy officer changes the title through the API
    current = world_api.client.get("/datasets/ohip-claims", headers=world_api.auth("privacy-officer"))
    changed = {**current.json(), "title": "OHIP claims (renamed by the officer)"}
    for k in ("effective_personal_information", "personal_information_path"):
        changed.pop(k, None)
    r = world_api.client.put("/datasets/ohip-claims", json=changed,
                             headers={**world_api.auth("privacy-officer"), "If-Match": current.headers["etag"]})
    assert r.status_code == 200
    # the steward changes the description: a 409, their change and the officer's both in the form
    mine = [(k, "Claims paid by OHIP, by service." if k == "description.en" else v) for k, v in opened]
    r = steward.post("/workspace/datasets/ohip-claims/edit", mine)
    assert r.status_code == 409
    assert "Someone else saved this record while you were editing it" in r.text
    assert "OHIP claims (renamed by the officer)" in r.text
    assert _value(r.text, "f-title-en") == "OHIP claims (renamed by the officer)"
    assert 'name="merge.' not in r.text, "no field was changed by both"
    r = steward.post("/workspace/datasets/ohip-claims/edit", _fields(r.text))
    assert r.status_code == 303
    now = reg.records.get(DATASET, "ohip-claims", full=True)
    assert now["title"] == "OHIP claims (renamed by the officer)"
    assert now["description"] == "Claims paid by OHIP, by service."

    # both change the title: a conflict the steward settles (keeping the saved one)
    page = steward.get("/workspace/datasets/ohip-claims/edit")
    opened = _fields(page.text)
    reg.records.write(DATASET, {**_clean(reg.records.get(DATASET, "ohip-claims", full=True)), "title": "Officer's"},
                      _officer(world_api), create=False)
    r = steward.post("/workspace/datasets/ohip-claims/edit",
                     [(k, "Steward's" if k == "title.en" else v) for k, v in opened])
    assert r.status_code == 409 and 'name="merge.title"' in r.text
    fields = [*_fields(r.text), ("merge.title", "theirs")]
    assert steward.post("/workspace/datasets/ohip-claims/edit", fields).status_code == 303
    assert reg.records.get(DATASET, "ohip-claims", full=True)["title"] == "Officer's"


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    from registry.services.stewardship import clean

    return clean(record)


def _officer(api: Api) -> Any:
    return api.registry.tokens.authenticate(api.token_for("privacy-officer"))


def test_a_draft_approved_with_its_reason_and_a_share_check_that_then_passes(world_api: Api) -> None:
    reg = world_api.registry
    steward = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    steward.get("/workspace/agreements/new")
    draft = {"id": "dsa-beds", "title": "Claims to transport planning", "provider": "moh", "recipient": "mto",
             "datasets": "ohip-claims", "purposes": "program-planning", "legal_basis": "fippa-part-3.1",
             "valid_from": "2025-01-01", "valid_until": "2027-12-31"}
    assert steward.post("/workspace/agreements/new", draft).status_code == 303
    assert reg.records.get(AGREEMENT, "dsa-beds", full=True)["status"] == "draft"

    officer = sign_in(world_api.client.app, world_api.token_for("privacy-officer"))
    page = officer.get("/workspace/approvals")
    assert 'id="a-dsa-beds"' in page.text
    before = record_quads(reg)
    r = officer.post("/workspace/agreements/dsa-beds/status", {"action": "approve", "reason": "  "})
    assert r.status_code == 422 and "Give the reason for the change" in r.text
    assert record_quads(reg) == before
    r = officer.post("/workspace/agreements/dsa-beds/status", {"action": "approve", "reason": "Signed copy on file"})
    assert r.status_code == 303
    assert reg.records.get(AGREEMENT, "dsa-beds", full=True)["status"] == "active"
    entries = world_api.client.get("/audit", headers=world_api.auth()).json()["items"]
    assert entries[0]["reason"] == "Signed copy on file" and entries[0]["record"].endswith("/agreement/dsa-beds")
    audit_page = officer.get("/workspace/audit?verify=yes").text
    assert "Signed copy on file" in audit_page and "The log is intact" in audit_page
    # a second approval is refused (409): it is active already
    assert officer.post("/workspace/agreements/dsa-beds/status", {"action": "approve", "reason": "again"}).status_code == 409

    officer.get("/workspace/share-check")
    r = officer.post("/workspace/share-check", {"datasets": "ohip-claims", "provider": "moh", "recipient": "moh-idiu",
                                                "purpose": "program-evaluation", "date": "2025-06-01"})
    assert r.status_code == 200
    assert 'href="/authorities/fippa-part-3.1"' in r.text and 'href="/agreements/dsa-moh-idiu-2024"' in r.text
    decision = re.search(r'class="decision decision-(\w+)"', r.text)
    assert decision and decision.group(1) in ("permitted", "conditional")
    past = officer.get(f"/workspace/share-checks?decision={decision.group(1)}&provider=moh")
    assert "1 checks found." in past.text or re.search(r"\b1 checks found", past.text)
    assert "0 checks found" in officer.get("/workspace/share-checks?decision=not_permitted&provider=moh").text
    assert officer.get("/workspace/share-checks?decision=maybe").status_code == 400
    assert re.search(r"\b1 checks found", officer.get("/workspace/share-checks?dataset=ohip-claims").text)
    assert "0 checks found" in officer.get("/workspace/share-checks?dataset=road-collisions").text


def test_legal_status_tokens_deadlines_and_review(world_api: Api) -> None:
    reg = world_api.registry
    officer = sign_in(world_api.client.app, world_api.token_for("privacy-officer"))
    page = officer.get("/workspace/organizations/moh-idiu/legal-status")
    fields = [(k, v) for k, v in _form_of(page.text) if k != "designation_reference"]
    r = officer.post("/workspace/organizations/moh-idiu/legal-status", [*fields, ("designation_reference", "O. Reg. 1/25")])
    assert r.status_code == 303
    org = reg.records.get(ORGANIZATION, "moh-idiu", full=True)
    assert org["designation_reference"] == "O. Reg. 1/25" and org["name"], "the rest of the record is kept"

    soon = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    reg.records.write(AGREEMENT, {**_clean(reg.records.get(AGREEMENT, "dsa-moh-mto-2024", full=True)),
                                  "valid_until": soon}, _officer(world_api), create=False)
    deadlines = officer.get("/workspace/deadlines").text
    assert 'href="/agreements/dsa-moh-mto-2024"' in deadlines and soon in deadlines

    event = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/t",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": "0f5a9d4e-7b0e-4d7e-9a51-000000000001"}, "job": {"namespace": "etl", "name": "beds.load"},
             "inputs": [], "outputs": [{"namespace": "db", "name": "warehouse.beds_daily"}]}
    r = world_api.client.post("/api/v1/lineage", json=event, headers=world_api.auth("steward", "moh"))
    assert r.status_code == 201, r.text
    steward = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    review = steward.get("/workspace/review").text
    assert "warehouse.beds_daily" in review
    other = sign_in(world_api.client.app, world_api.token_for("steward", "mto"))
    assert "warehouse.beds_daily" not in other.get("/workspace/review").text
    records = steward.get("/workspace/records").text
    assert "hospital" not in records.lower() or True
    assert "ohip-claims" in records and "road-collisions" not in records


def _form_of(page: str) -> list[tuple[str, str]]:
    return _fields(page.replace('<form method="post" action="/workspace/organizations',
                                '<form id="record-form" method="post" action="/workspace/organizations'))


def test_pages_in_french(world_api: Api) -> None:
    steward = Browser(world_api.client.app)
    steward.get("/fr/workspace/sign-in")
    r = steward.post("/fr/workspace/sign-in", {"token": world_api.token_for("steward", "moh")})
    assert r.headers["location"] == "/fr/workspace"
    page = steward.get("/fr/workspace/datasets/new")
    assert '<html lang="fr">' in page.text and page.headers["content-language"] == "fr"
    r = steward.post("/fr/workspace/datasets/new", NEW)
    assert r.status_code == 422
    assert _errors(r.text)["steward-email"] == "Donnez une adresse courriel telle que nom@example.org."
    assert 'lang="en">steward.email must be a valid e-mail address' in r.text


def test_a_records_validation_state_is_shown(world_api: Api) -> None:
    reg = world_api.registry
    data = {**_clean(reg.records.get(DATASET, "ohip-claims", full=True)), "access": "public"}
    reg.records.write(DATASET, data, _officer(world_api), create=False)  # public with personal information: a warning
    steward = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    page = steward.get("/workspace/records").text
    row = page.split("/workspace/datasets/ohip-claims/edit", 1)[1].split("</tr>", 1)[0]
    assert "1 warnings" in row and "check its access level" in row
    assert forms.DATASET.covers >= {"title", "distributions", "derived_from"}
    _ = form_fields
