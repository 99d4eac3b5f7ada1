"""GET of a record and of a list answered below the router (api/record_reads.py) get the answers the routes
give: the same status, headers and bytes for each request, every representation, role and error included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from conftest import Api, world
from helpers import CASEBOOK, world_api_and_routes
from registry.api import create_app
from registry.api.deps import TokenCheck
from registry.api.record_reads import RecordReads, asks_share_check, claimed, list_query
from registry.api.records import MAX_Q, PAGE
from registry.domain.model import KINDS

RDF = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
RETIRED = "collision-summary"


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[Api, TestClient]]:
    """The app as served, and the same app over the same registry without RecordReads (the routes answer);
    one dataset retired, so that lists with and without the retired differ."""
    with world_api_and_routes(RecordReads) as (served, routed):
        assert served.client.delete(f"/datasets/{RETIRED}", headers=served.auth()).status_code == 204
        yield served, routed


def test_the_served_app_answers_reads_below_the_router_inside_token_check(clients: tuple[Api, TestClient]) -> None:
    served, routed = clients
    kinds = [m.cls for m in served.client.app.user_middleware]  # type: ignore[attr-defined]
    assert kinds.index(TokenCheck) < kinds.index(RecordReads), "TokenCheck is outside: it runs first"
    assert RecordReads not in [m.cls for m in routed.app.user_middleware]  # type: ignore[attr-defined]


def _callers(api: Api) -> list[dict[str, str]]:
    return [{}, api.auth("admin"), api.auth("privacy-officer"), api.auth("steward", "moh"),
            {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}]


def _one_record_requests(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    """GET (and HEAD) of each record of the world, as each caller, in each representation; odd ids and paths."""
    ids = [(kind, record["id"]) for kind, records in world().items() for record in records]
    out: list[tuple[str, str, dict[str, Any]]] = []
    for collection, rid in ids:
        for caller in _callers(api):
            out.append(("GET", f"/{collection}/{rid}", {"headers": caller}))
        out += [("GET", f"/{collection}/{rid}", {"headers": {"Accept": media}}) for media in RDF]
    some = "/datasets/ohip-claims"
    out += [("GET", some, {"headers": {"Accept": media, **api.auth("privacy-officer")}}) for media in RDF]
    out += [("GET", some, {"params": {"format": fmt}}) for fmt in ("json", "jsonld", "ttl", "nt", "rdf", "html", "xx")]
    out += [("GET", some, {"headers": {"Accept": accept}}) for accept in (
        "text/html", "text/html;q=0.1, application/json", "image/png", "*/*", "application/json;q=0, text/turtle",
        "text/html, application/xhtml+xml, */*;q=0.8", ",,;q=x", "")]
    out += [("GET", f"/datasets/{RETIRED}", {"headers": caller}) for caller in _callers(api)[:3]]
    out += [("GET", path, {}) for path in (
        "/datasets/no-such", "/datasets/NO SUCH", "/datasets/%C3%A9", "/datasets/a.b", "/datasets/ohip-claims%0A",
        "/datasets/ohip-claims%00", "/datasets/ohip-claims/", "/datasets/ohip%2Fclaims", "/Datasets/ohip-claims",
        "/authorities/x", "/datasets/" + "x" * 5000, "/organizations/ohip-claims", "/agreements/moh")]
    out += [("HEAD", some, {}), ("POST", some, {}), ("DELETE", some, {})]
    return out


def _list_requests(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    """Lists: counts, pages, searches and filters as each caller; every spelling FastAPI reads otherwise."""
    queries: list[Any] = [
        {}, {"publisher": "moh", "limit": 1}, {"publisher": "moh", "limit": "1", "offset": "0"},
        {"publisher": "no-such", "limit": 1}, {"publisher": ""}, {"q": "claims"}, {"q": "claims", "limit": 2, "offset": 1},
        {"q": "x" * MAX_Q}, {"q": "x" * (MAX_Q + 1)}, {"q": ""}, {"include_retired": "true"},
        {"include_retired": "false"}, {"include_retired": "1"}, {"include_retired": "yes"}, {"include_retired": ""},
        {"access": "restricted"}, {"sensitivity": "high", "limit": 3}, {"colour": "red"}, {"theme": "x", "keyword": "y"},
        {"limit": 0}, {"limit": 100_000}, {"limit": 100_001}, {"limit": 99_999}, {"limit": "01"}, {"limit": "1.0"},
        {"limit": " 1"}, {"limit": "+1"}, {"limit": "abc"}, {"limit": ""}, {"limit": "1_0"}, {"offset": -1},
        {"offset": 10_000_000}, {"offset": 10_000_001}, {"offset": "00"}, {"offset": 3}, {"format": "json"},
        {"format": "html"}, {"format": "ttl"}, [("limit", "1"), ("limit", "2")], [("publisher", "moh"), ("publisher", "mto")],
    ]
    out: list[tuple[str, str, dict[str, Any]]] = []
    for collection in world():
        out += [("GET", f"/{collection}", {"params": q}) for q in queries]
        out += [("GET", f"/{collection}", {"params": {"limit": 2}, "headers": caller}) for caller in _callers(api)]
    out += [("GET", "/datasets", {"params": {"publisher": "moh", "limit": 1}, "headers": {"Accept": accept}})
            for accept in ("text/html", "text/turtle", "image/png")]
    out += [("GET", "/agreements", {"params": {"status": "draft"}, "headers": api.auth("privacy-officer")}),
            ("GET", "/organizations", {"params": {"kind": "x"}}), ("HEAD", "/datasets", {}), ("GET", "/datasets/", {})]
    return out


def _share_check_requests(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    """POST /share-checks: every casebook proposal (every decision and reason) as each caller; proposals
    as of a date, with unknown records, of the wrong shape; bodies of every kind a client may send."""
    proposals = [case["proposal"] for case in json.loads((CASEBOOK / "cases.json").read_text())]
    some = proposals[0]
    officer = api.auth("privacy-officer")
    out: list[tuple[str, str, dict[str, Any]]] = [("POST", "/share-checks", {"json": p, "headers": officer})
                                                  for p in proposals]
    out += [("POST", "/share-checks", {"json": p, "headers": caller}) for p in proposals[:6] for caller in _callers(api)]
    out += [("POST", "/share-checks", {"json": {**some, **change}, "headers": officer}) for change in (
        {"as_of": "2024-01-01T00:00:00Z"}, {"as_of": "1999-01-01"}, {"as_of": "x"}, {"provider": "no-such"},
        {"datasets": ["no-such", some["datasets"][0]]}, {"datasets": []}, {"purpose": "no-such"}, {"date": "2025-13-01"},
        {"deidentified": "yes"}, {"extra": 1}, {"recipient": some["provider"]})]
    bodies: list[tuple[bytes, str]] = [
        (b'{"datasets": [', "application/json"), (b"", "application/json"), (b"[]", "application/json"),
        (b"null", "application/json"), (json.dumps(some).encode(), "application/problem+json"),
        (json.dumps(some).encode(), "text/plain"), (json.dumps(some).encode(), "application/json; charset=utf-8"),
        (json.dumps(some).encode(), ""), (b"x" * 3_000_000, "application/json"), (b"\xff\xfe", "application/json"),
        (b'{"datasets": ["a\\u0000"]}', "application/json")]
    out += [("POST", "/share-checks", {"content": body, "headers": {**officer, "Content-Type": ct}})
            for body, ct in bodies]
    out += [("POST", "/share-checks", {"content": bodies[0][0], "headers": caller}) for caller in _callers(api)]
    out += [("POST", "/share-checks?x=1", {"json": some, "headers": officer}),
            ("POST", "/share-checks/", {"json": some, "headers": officer}), ("PUT", "/share-checks", {"json": some})]
    return out


#: what differs between two checks of one proposal: the check's id and when it was asked
_CHECK_ID = re.compile(rb"sc-[0-9]{8}t[0-9]{6}-[0-9a-f]{8}")
_ASKED_AT = re.compile(rb'"requested_at":"[^"]*"')


def _seen(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    if response.request.url.path.startswith("/share-checks") and response.status_code == 201:
        body = _ASKED_AT.sub(b'"requested_at":"-"', _CHECK_ID.sub(b"sc-id", response.content))
        headers = [(k, _CHECK_ID.sub(b"sc-id", v.encode()).decode()) for k, v in response.headers.multi_items()]
        return response.status_code, sorted(headers), body
    return response.status_code, sorted(response.headers.multi_items()), response.content


def _compare(clients: tuple[Api, TestClient], requests: list[tuple[str, str, dict[str, Any]]]) -> set[int]:
    served, routed = clients
    statuses = set()
    for method, path, kwargs in requests:
        fast = _seen(served.client.request(method, path, follow_redirects=False, **kwargs))
        slow = _seen(routed.request(method, path, follow_redirects=False, **kwargs))
        assert fast == slow, (method, path, kwargs)
        statuses.add(fast[0])
    return statuses


def test_each_read_of_a_record_is_answered_as_the_route_answers_it(clients: tuple[Api, TestClient]) -> None:
    assert _compare(clients, _one_record_requests(clients[0])) >= {200, 401, 404, 405}


def test_each_list_is_answered_as_the_route_answers_it(clients: tuple[Api, TestClient]) -> None:
    assert _compare(clients, _list_requests(clients[0])) >= {200, 307, 400, 401, 422}


def test_each_share_check_is_answered_as_the_route_answers_it(clients: tuple[Api, TestClient]) -> None:
    served, _ = clients
    decisions = {served.client.post("/share-checks", json=case["proposal"], headers=served.auth("privacy-officer")
                                    ).json()["decision"] for case in json.loads((CASEBOOK / "cases.json").read_text())}
    assert decisions == {"permitted", "conditional", "not_permitted"}
    assert _compare(clients, _share_check_requests(clients[0])) >= {201, 307, 400, 401, 405, 413, 415, 422}


class _Unrouted:
    """Innermost middleware of a test app: what reaches it would be routed; a share check's POST is refused."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/share-checks":
            await PlainTextResponse("routed", status_code=599)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def test_a_share_check_is_answered_below_the_router(clients: tuple[Api, TestClient]) -> None:
    served, _ = clients
    app = create_app(registry=served.registry)
    app.user_middleware.append(Middleware(_Unrouted))
    with TestClient(app) as client:
        proposal = json.loads((CASEBOOK / "cases.json").read_text())[0]["proposal"]
        asked = client.post("/share-checks", json=proposal, headers=served.auth("privacy-officer"))
        assert asked.status_code == 201, asked.text
        assert client.get("/share-checks", headers=served.auth("privacy-officer")).status_code == 200


def test_a_not_modified_answer_is_the_routes(clients: tuple[Api, TestClient]) -> None:
    served, _ = clients
    requests = []
    for caller in ({}, served.auth("privacy-officer")):
        for accept in ("application/json", "text/turtle"):
            headers = {"Accept": accept, **caller}
            etag = served.client.get("/datasets/ohip-claims", headers=headers).headers["etag"]
            for match in (etag, f"W/{etag}", f'"other", {etag}', '"other"', "*"):
                requests.append(("GET", "/datasets/ohip-claims", {"headers": {**headers, "If-None-Match": match}}))
    assert 304 in _compare(clients, requests)


def test_the_plain_reads_are_claimed_and_the_rest_left_to_the_router() -> None:
    def scope(path: str, method: str = "GET") -> dict[str, Any]:
        return {"type": "http", "method": method, "path": path, "root_path": ""}

    assert claimed(scope("/datasets/ohip-claims")) == (KINDS["dataset"], "ohip-claims")
    assert claimed(scope("/agreements")) == (KINDS["agreement"], None)
    for path in ("/datasets/a/b", "/datasets/", "/datasets/a\n", "/authorities/x", "/datasets/a/lineage", "/"):
        assert claimed(scope(path)) is None, path
    assert claimed(scope("/datasets/a", "HEAD")) is None
    assert claimed({"type": "lifespan"}) is None
    assert asks_share_check(scope("/share-checks", "POST"))
    for method, path in (("GET", "/share-checks"), ("POST", "/share-checks/"), ("POST", "/share-checks/x"),
                         ("PUT", "/share-checks"), ("POST", "/datasets")):
        assert not asks_share_check(scope(path, method)), (method, path)
    assert not asks_share_check({"type": "lifespan"})

    def query(text: str) -> dict[str, Any] | None:
        return list_query(Request({"type": "http", "query_string": text.encode(), "headers": []}))

    assert query("publisher=moh&limit=1") == {"limit": 1, "offset": 0, "q": None, "include_retired": False}
    assert query("q=claims&offset=20&include_retired=true") == {"limit": PAGE, "offset": 20, "q": "claims",
                                                                 "include_retired": True}
    for text in ("limit=0", "limit=01", "limit=100001", "offset=-1", "include_retired=1", "limit=1&limit=2",
                 "q=" + "x" * (MAX_Q + 1)):
        assert query(text) is None, text
