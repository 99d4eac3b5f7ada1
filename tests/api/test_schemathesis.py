"""Schemathesis against the app's own OpenAPI document (bounded, deterministic): no generated request,
valid or not, is ever answered with a server error, and every error answer is problem+json. Regression
tests for what it found are named after each finding, below."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from registry.api import create_app
from registry.config import Settings
from registry.services.registry import Registry, open_registry

#: examples per operation and mode (about 50 runs): the suite's run stays under half a minute on two cores;
#: FUZZ_EXAMPLES=500 in the environment digs deeper by hand
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
#: the OpenAPI document, of an app that needs no store to describe itself
SPEC = create_app(Settings(data="memory")).openapi()


def _cases() -> list[Any]:
    """Every operation with valid requests; with invalid ones too where something can be invalid (a typed
    query parameter or a body: any string is a valid path segment)."""
    out = []
    for path, ops in sorted(SPEC["paths"].items()):
        for method, op in sorted(ops.items()):
            label = f"{method.upper()} {path}"
            out.append(pytest.param(label, GenerationMode.POSITIVE, id=f"{label} valid"))
            typed = [q for q in op.get("parameters", []) if q["in"] == "query" and q.get("schema", {}).get("type")
                     not in (None, "string")]
            if typed or "requestBody" in op:
                out.append(pytest.param(label, GenerationMode.NEGATIVE, id=f"{label} invalid"))
    return out


def _registry() -> Registry:
    from helpers import world_nquads
    from registry.services.ingest.loader import load_file

    reg = open_registry(Settings(data="memory", rate_per_minute=0, openlineage_publisher="mof"))
    load_file(reg, world_nquads())
    return reg


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Any, dict[str, str]]]:
    """One app over the casebook world for the whole module (what the fuzzer writes stays written)."""
    reg = _registry()
    app = create_app(registry=reg)
    with TestClient(app):  # runs the lifespan: the app's state (registry, limiter) stays set for the calls
        role = os.environ.get("FUZZ_ROLE", "admin")  # FUZZ_ROLE=steward (of moh) or privacy-officer by hand
        token = reg.tokens.create(role, "moh" if role == "steward" else None)[1]
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        yield schema, {"Authorization": f"Bearer {token}"}
    reg.close()


def problem_json_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx and 5xx answer is RFC 9457 problem+json (an HTML page when HTML was asked for)."""
    if response.status_code >= 400 and (case.query or {}).get("format") != "html":
        media = response.headers.get("content-type", [""])
        media = media[0] if isinstance(media, list) else media
        assert media.split(";")[0] == "application/problem+json", (response.status_code, media)
        body = response.json()
        assert body["status"] == response.status_code and body["title"] and body["detail"]
    return None


@pytest.mark.parametrize(("label", "mode"), _cases())
def test_no_server_error(live: tuple[Any, dict[str, str]], label: str, mode: GenerationMode) -> None:
    """Requests the document allows (valid) and requests it forbids (invalid), with an admin token."""
    schema, headers = live
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[checks.not_a_server_error, problem_json_errors,
                                                 checks.response_schema_conformance])

    run()


# ------------------------------------------------------------------------ regressions, one per finding
def test_sparql_protocol_graph_that_is_not_an_iri(live: tuple[Any, dict[str, str]]) -> None:
    """Found once the document declared the protocol's parameters: a default-graph-uri or named-graph-uri
    that is no IRI (here a number, as the fuzzer sent) was a 500; it is a 400 problem now, GET and POST."""
    schema, headers = live
    client = TestClient(schema.app)
    for r in (client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "-1.175494351e-38"}, headers=headers),
              client.post("/sparql?named-graph-uri=a%20b", content=b"query=ASK+%7B%7D", headers={
                  **headers, "Content-Type": "application/x-www-form-urlencoded"})):
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "IRI" in r.json()["detail"]


def test_the_document_declares_what_the_routes_read() -> None:
    """The fuzzer reaches only what the document declares: list filters, `format`, the SPARQL protocol's
    parameters (it found nothing there until they were declared)."""
    params = {(path, method): {p["name"] for p in op.get("parameters", [])}
              for path, ops in SPEC["paths"].items() for method, op in ops.items()}
    assert {"publisher", "access", "keyword", "sensitivity", "format", "limit", "q"} <= params[("/datasets", "get")]
    assert {"provider", "recipient", "dataset", "status", "legal_basis", "purpose"} <= params[("/agreements", "get")]
    assert {"kind", "parent"} <= params[("/organizations", "get")]
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= params[("/sparql", "get")]
    assert {"default-graph-uri", "named-graph-uri"} <= params[("/sparql", "post")]
