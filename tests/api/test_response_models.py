"""Every JSON answer matches the OpenAPI document's schema for its route and status (the routes'
`response_model`s), read by each role over the casebook world: full and public views of records,
written records with their warnings, share checks as asker and officer, lineage, tokens, audit entries.
The fuzzer (test_schemathesis) reaches few answers that are not errors; these are the answers people get."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from conftest import Api
from helpers import WORLD_FILE, load_json, record, world_api

WORLD = load_json(WORLD_FILE)
DISPOSAL = {"datasets": ["ohip-claims"], "date": "2024-06-01", "method": "return-to-provider",
            "attested_by": {"name": "A. Attester", "email": "attester@example.org"}, "note": "returned"}
CHECK = {"datasets": ["ohip-claims", "linked-health-social"], "provider": "moh", "recipient": "moh-idiu",
         "purpose": "program-evaluation", "date": "2025-06-01"}


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with world_api() as a:
        yield a


def _operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    for template, ops in doc["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in ops:
            op: dict[str, Any] = ops[method.lower()]
            return op
    raise AssertionError(f"{method} {path} is not in the document")


def assert_documented(doc: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The answer validates against the document's schema for its status and media type."""
    responses = _operation(doc, method, path.split("?")[0])["responses"]
    status = str(response.status_code)
    declared = responses.get(status) or responses.get(f"{status[0]}XX")
    assert declared is not None, (method, path, status, sorted(responses))
    media = response.headers["content-type"].split(";")[0]
    schema = declared["content"][media]["schema"]
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json())]
    assert not errors, (method, path, errors[:5])


def calls(api: Api) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(who, method, path, JSON body) of the answers to check, in order (writes make what later calls read)."""
    check_id = api.registry.share_checks.run(CHECK, api.registry.tokens.authenticate(api.token_for("admin")))["id"]
    # a share due for disposal on 2027-07-01 (dsa-moh-idiu-2024 keeps data three years), after the disposal
    # DISPOSAL records: overdue on 2030-01-01
    api.registry.share_checks.run({**CHECK, "datasets": ["ohip-claims"], "date": "2024-07-01"},
                                  api.registry.tokens.authenticate(api.token_for("admin")))
    dataset = {**record(WORLD, "datasets", "ohip-claims"), "id": "rm-claims", "derived_from": ["ohip-claims"]}
    agreement = {**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "id": "rm-dsa", "status": "draft"}
    org = {"id": "rm-unit", "name": "A unit", "kind": "agency", "parent": "moh"}
    event = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/rm",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "rm", "name": "job.rm"},
             "inputs": [{"namespace": "db", "name": "in.rm"}], "outputs": [{"namespace": "db", "name": "out.rm"}]}
    out: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("steward", "POST", "/datasets", dataset),
        ("steward", "PUT", "/datasets/rm-claims", {**dataset, "title": "Renamed"}),
        ("steward", "POST", "/agreements", agreement),
        ("steward", "POST", "/organizations", org),
        ("steward", "POST", "/share-checks", CHECK),
        ("other-steward", "POST", "/share-checks", CHECK),
        ("steward", "POST", "/api/v1/lineage", event),
        ("steward", "POST", "/api/v1/lineage", event),  # the same event again: 200, nothing changed
        ("admin", "POST", "/tokens", {"role": "steward", "org": "moh", "days": 3}),
        ("steward", "POST", "/agreements/dsa-moh-idiu-2024/disposals", DISPOSAL),
    ]
    for who in ("anonymous", "other-steward", "steward", "privacy-officer", "admin"):
        out += [(who, "GET", path, None) for path in (
            "/health", "/stats", "/authorities", "/authorities/fippa-part-3.1", "/purposes",
            "/datasets?limit=100", "/datasets?include_retired=true", "/organizations?limit=100", "/agreements",
            "/datasets/ohip-claims", "/datasets/linked-health-social", "/datasets/rm-claims",
            "/organizations/moh-idiu", "/agreements/dsa-moh-idiu-2024",
            "/datasets/ohip-claims/lineage", "/datasets/health-social-deid/lineage?direction=upstream",
            "/datasets/ohip-claims/lineage?as_of=2030-01-01T00:00:00", "/datasets/ohip-claims/impact",
            "/reports/flows", "/datasets/nothing-here")]
    for who in ("privacy-officer", "admin"):
        out += [(who, "GET", path, None) for path in (
            "/share-checks", f"/share-checks/{check_id}", "/audit?limit=1000", "/audit/verify",
            "/disposals/overdue?as_of=2030-01-01", "/disposals/overdue?as_of=2027-03-01&limit=1")]
    for who in ("steward", "privacy-officer"):
        out += [(who, "GET", "/agreements/dsa-moh-idiu-2024/disposals", None)]
    out += [("admin", "GET", "/tokens", None), ("anonymous", "GET", "/tokens", None),
            ("admin", "POST", "/share-checks", {"datasets": ["nothing"], "provider": "moh", "recipient": "moh-idiu",
                                                "purpose": "audit"})]
    return out


def test_every_answer_is_what_the_document_says(api: Api) -> None:
    doc = api.client.app.openapi()  # type: ignore[attr-defined]
    who_is = {"steward": ("steward", "moh"), "other-steward": ("steward", "mto"),
              "privacy-officer": ("privacy-officer", None), "admin": ("admin", None)}
    for who, method, path, body in calls(api):
        headers = {} if who == "anonymous" else api.auth(*who_is[who])
        r = api.client.request(method, path, json=body, headers={**headers, "Accept": "application/json"})
        assert r.status_code < 500, (who, method, path, r.text)
        assert_documented(doc, method, path, r)


def test_errors_are_documented_as_problems(api: Api) -> None:
    """Every route declares its errors as problem+json (FastAPI's own 422 schema is not what it answers)."""
    doc = api.client.app.openapi()  # type: ignore[attr-defined]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "application/problem+json" in op["responses"]["4XX"]["content"], (method, path)
            assert "422" not in op["responses"], (method, path)
