"""A steward acts only for its own organisation, through the workspace's forms as through the API: it
cannot register or change another organisation's records, approve an agreement (a form that sends a status
anyway changes none), set an organisation's legal status, or reach officers' and admins' pages. Each
refusal writes nothing."""

from __future__ import annotations

from conftest import Api
from helpers import record_quads
from registry.domain.model import AGREEMENT, DATASET
from registry.web import workspace_forms as forms
from workspace import form_fields, sign_in


def test_a_steward_cannot_write_for_another_organisation(world_api: Api) -> None:
    reg = world_api.registry
    mto = sign_in(world_api.client.app, world_api.token_for("steward", "mto"))
    before = record_quads(reg)
    mto.get("/workspace/datasets/new")
    data = {"id": "mto-for-moh", "title.en": "Not theirs", "publisher": "moh", "access": "public",
            "sensitivity": "low", "personal_information": "no", "steward.name": "X", "steward.email": "x@example.org"}
    assert mto.post("/workspace/datasets/new", data).status_code == 403
    assert mto.get("/workspace/datasets/ohip-claims/edit").status_code == 403
    record, etag = reg.records.read(DATASET, "ohip-claims", full=True)
    fields = form_fields(forms.values_of(forms.DATASET, {**record, "title": "Taken over"}))
    r = mto.post("/workspace/datasets/ohip-claims/edit", [*fields, ("etag", etag), ("base", "{}")])
    assert r.status_code == 403
    for path in ("/workspace/approvals", "/workspace/organizations", "/workspace/organizations/moh/legal-status",
                 "/workspace/tokens", "/workspace/audit", "/workspace/share-checks", "/workspace/deadlines"):
        assert mto.get(path).status_code == 403, path
    assert mto.post("/workspace/agreements/dsa-mcu-mof-2024/status", {"action": "approve", "reason": "x"}).status_code == 403
    assert mto.post("/workspace/organizations/mto/legal-status", {"kind": "data-integration-unit"}).status_code == 403
    assert record_quads(reg) == before


def test_a_stewards_draft_stays_a_draft(world_api: Api) -> None:
    """The draft form has no status; a status sent with it anyway is not read."""
    reg = world_api.registry
    moh = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    moh.get("/workspace/agreements/new")
    draft = {"id": "moh-draft", "title": "Draft", "provider": "moh", "recipient": "mto", "datasets": "ohip-claims",
             "purposes": "program-planning", "legal_basis": "fippa-part-3.1", "valid_from": "2025-01-01",
             "valid_until": "2026-12-31", "status": "active"}
    assert moh.post("/workspace/agreements/new", draft).status_code == 303
    assert reg.records.get(AGREEMENT, "moh-draft", full=True)["status"] == "draft"
    page = moh.get("/workspace/agreements/moh-draft/edit")
    etag = page.text.split('name="etag" value="')[1].split('"')[0]
    r = moh.post("/workspace/agreements/moh-draft/edit", [*form_fields(forms.values_of(
        forms.AGREEMENT, reg.records.get(AGREEMENT, "moh-draft", full=True))), ("etag", etag), ("status", "active")])
    assert r.status_code in (303,), r.text[:300]
    assert reg.records.get(AGREEMENT, "moh-draft", full=True)["status"] == "draft"
