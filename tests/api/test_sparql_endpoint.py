"""/sparql's queries answered below the router (api/sparql_endpoint.py) get the answers the routes give:
the same status, headers and body for each request, errors and roles included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Api
from helpers import world_api_and_routes
from registry.api.deps import TokenCheck
from registry.api.sparql_endpoint import SparqlEndpoint

SELECT = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
          "SELECT ?d ?t WHERE { ?d a dcat:Dataset ; dct:title ?t } ORDER BY ?d ?t LIMIT 20")
ASK = "PREFIX dcat: <http://www.w3.org/ns/dcat#> ASK { ?d a dcat:Dataset }"
CONSTRUCT = ("PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
             "CONSTRUCT { ?d dct:title ?t } WHERE { ?d a dcat:Dataset ; dct:title ?t }")
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
HEADERS = ("content-type", "vary", "x-registry-view", "cache-control", "www-authenticate", "retry-after", "allow")


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[Api, TestClient]]:
    """The app as served, and the same app over the same registry without SparqlEndpoint (the routes answer)."""
    with world_api_and_routes(SparqlEndpoint) as both:
        yield both


def test_the_served_app_answers_queries_below_the_router_inside_token_check(
        clients: tuple[Api, TestClient]) -> None:
    served, routed = clients
    kinds = [m.cls for m in served.client.app.user_middleware]  # type: ignore[attr-defined]
    assert kinds.index(TokenCheck) < kinds.index(SparqlEndpoint), "TokenCheck is outside: it runs first"
    assert SparqlEndpoint not in [m.cls for m in routed.app.user_middleware]  # type: ignore[attr-defined]


def _requests(api: Api) -> list[tuple[str, dict[str, Any]]]:
    json_ = {"Accept": "application/sparql-results+json"}
    return [
        ("GET", {"params": {"query": SELECT}, "headers": json_}),
        ("GET", {"params": {"query": SELECT, "format": "tsv"}}),
        ("GET", {"params": {"query": SELECT}, "headers": {"Accept": "text/csv"}}),
        ("POST", {"data": {"query": SELECT}, "headers": {"Accept": "application/sparql-results+xml"}}),
        ("POST", {"content": SELECT.encode(), "headers": {"Content-Type": DIRECT, **json_}}),
        ("POST", {"content": SELECT.encode(), "headers": {"Content-Type": f"{DIRECT}; charset=UTF-8", **json_}}),
        ("POST", {"data": {"query": ASK}, "headers": json_}),
        ("GET", {"params": {"query": CONSTRUCT}, "headers": {"Accept": "application/n-triples"}}),
        ("GET", {"params": {"query": SELECT, "default-graph-uri": "urn:x:none"}, "headers": json_}),
        # roles: the view, and the headers of a signed-in answer
        ("GET", {"params": {"query": SELECT}, "headers": {**json_, **api.auth("privacy-officer")}}),
        ("POST", {"data": {"query": SELECT}, "headers": {**json_, **api.auth("admin")}}),
        ("GET", {"params": {"query": ASK}, "headers": api.auth("steward", "moh")}),
        # errors
        ("GET", {"params": {"query": ASK}, "headers": {"Authorization": "Bearer nope"}}),
        ("GET", {"params": {"update": "CLEAR ALL"}}),
        ("GET", {"params": [("query", ASK), ("query", ASK)]}),
        ("GET", {"params": {"query": "SELECT * WHERE { ?s ?p }"}}),
        ("GET", {"params": {"query": "SELECT * { SERVICE <http://example.org/> { ?s ?p ?o } }"}}),
        ("GET", {"params": {"query": SELECT}, "headers": {"Accept": "image/png"}}),
        ("GET", {"params": {"query": ASK, "named-graph-uri": "not an iri"}}),
        ("POST", {"content": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}),
        ("POST", {"data": {"update": "CLEAR ALL"}}),
        ("POST", {"data": {"other": "x"}}),
        ("POST", {"content": ASK.encode(), "headers": {"Content-Type": "text/plain"}}),
        ("POST", {"content": b"", "headers": {}}),
        ("POST", {"content": ASK.encode(), "headers": {"Content-Type": f"{DIRECT}; charset=latin-1"}}),
        ("POST", {"content": b"ASK {} \xff", "headers": {"Content-Type": DIRECT}}),
        ("POST", {"content": ASK.encode(), "params": {"query": ASK}, "headers": {"Content-Type": DIRECT}}),
        ("POST", {"content": b"x" * 1_000_001, "headers": {"Content-Type": DIRECT}}),
        # what stays with the router: the service description, the page, other methods and paths
        ("GET", {"headers": {"Accept": "text/turtle"}}),
        ("GET", {"headers": {"Accept": "text/html"}}),
        ("PUT", {"content": ASK.encode(), "headers": {"Content-Type": DIRECT}}),
        ("DELETE", {}),
    ]


def _seen(response: Any) -> tuple[int, dict[str, str], Any]:
    headers = {h: response.headers[h] for h in HEADERS if h in response.headers}
    media = response.headers.get("content-type", "")
    if "json" in media:
        body: Any = json.loads(response.content)
    elif "n-triples" in media:
        body = sorted(response.text.splitlines())
    else:
        body = response.content
    return response.status_code, headers, body


def test_each_request_is_answered_as_the_routes_answer_it(clients: tuple[Api, TestClient]) -> None:
    served, routed = clients
    statuses = set()
    for method, kwargs in _requests(served):
        fast = _seen(served.client.request(method, "/sparql", **kwargs))
        slow = _seen(routed.request(method, "/sparql", **kwargs))
        assert fast == slow, (method, kwargs.get("params"), kwargs.get("headers"))
        statuses.add(fast[0])
    assert statuses >= {200, 400, 401, 403, 405, 406, 413, 415}
