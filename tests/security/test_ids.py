"""Ids that are almost ids: a trailing newline (Python's `$` matches before one), CR LF, NUL, Unicode
lookalikes, dot segments, huge ones. Every route that takes an id, in its path or in its body, answers
them with a 4xx (problem+json on the API), never a 5xx, and writes nothing.

The routes are read from the real app (`app.routes`), so a route added later is walked too; an id in a
body is found by its shape (every string of a valid body that is itself an id or a code)."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from helpers import PROBLEM, WORLD_FILE, load_json, record, record_quads, world_api
from workspace import COOKIE, sign_in

WORLD = load_json(WORLD_FILE)
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: a whole id or code, as the registry spells them (what the bad ids below imitate)
ID_SHAPE = re.compile(r"[a-z0-9][a-z0-9.-]*")


def bad_ids(good: str) -> dict[str, str]:
    """Spellings of `good` that no id is: name -> value."""
    return {
        "newline": good + "\n",
        "crlf": good + "\r\n",
        "cr": good + "\r",
        "nul-inside": good[:2] + "\x00" + good[2:],
        "nul-end": good + "\x00",
        "cyrillic-o": good.replace("o", "\u043e") if "o" in good else "\u043e" + good,
        "unicode-hyphen": good.replace("-", "\u2010") if "-" in good else good + "\u2010",
        "line-separator": good + "\u2028",
        "dot-dot": "..",
        "dot-dot-slash": "../" + good,
        "very-long": good + "a" * 5000,
    }


#: bad ids that an input model strips back to the good id (leading and trailing whitespace, U+2028 included,
#: is trimmed from every text field of a body): the request may succeed, as for the good id, but must never
#: fail with a 5xx. In a path nothing is trimmed: there they are 4xx like the others
STRIPPED = {"newline", "crlf", "cr", "line-separator"}


# ---------------------------------------------------------------------------------------- routes
def app_routes(app: Any) -> list[tuple[str, str, bool]]:
    """(method, path, in the API) of every route of the app, nested routers included."""
    import fastapi.routing

    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    found = set()
    for r in list(walk(app.routes)) if walk else list(app.routes):
        path = getattr(r, "path", None)
        if path is None or path in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"):
            continue
        for method in getattr(r, "methods", None) or ():
            if method != "HEAD":
                found.add((method, path, bool(getattr(r, "include_in_schema", True))))
    return sorted(found)


@pytest.fixture(scope="module")
def wapi() -> Iterator[Any]:
    with world_api() as api:
        yield api


def good_id(api: Any, path: str, param: str) -> str:
    """A real id for a path parameter, so that each bad id imitates something that exists."""
    collection = path.split("/")[1]
    if param == "rid":
        return {"datasets": "ohip-claims", "organizations": "moh-idiu", "agreements": "dsa-moh-idiu-2024"}.get(
            collection, "ohip-claims")
    if param == "check_id":
        from registry.services.ingest.loader import SYSTEM

        return str(api.registry.share_checks.run(CHECK, SYSTEM)["id"])
    if param == "token_id":
        return api.registry.tokens.create("privacy-officer")[0]  # type: ignore[no-any-return]
    if param == "aid":
        return "fippa-part-3.1"
    if param.startswith("path"):  # /static/{path:path}
        return "site.css"
    return "ohip-claims"  # a parameter added later: still walked


CHECK = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
         "date": "2025-06-01"}


def record_body(collection: str) -> dict[str, Any]:
    rid = {"datasets": "ohip-claims", "organizations": "moh-idiu", "agreements": "dsa-moh-idiu-2024"}[collection]
    return record(WORLD, collection, rid)


def lineage_event() -> dict[str, Any]:
    return {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/ids",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "ids", "name": "ids.job"},
            "inputs": [{"namespace": "db", "name": "ids.in"}], "outputs": [{"namespace": "db", "name": "ids.out"}]}


#: a valid body for each route that reads one (a route added later without one fails `test_every_body_route`)
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/share-checks"): lambda: copy.deepcopy(CHECK),
    ("POST", "/tokens"): lambda: {"role": "steward", "org": "moh", "days": 1},
    ("POST", "/api/v1/lineage"): lineage_event,
    ("POST", "/sparql"): None,  # a query, not ids: tests/api/test_sparql*.py
    ("POST", "/agreements/{aid}/disposals"): lambda: {
        "datasets": ["ohip-claims"], "date": "2024-06-01", "method": "secure-destruction",
        "attested_by": {"name": "A. Attester", "email": "attester@example.org"}},
}
#: the record a route's path names, where it names one the body does not
PATH_IDS = {"{aid}": "dsa-moh-idiu-2024"}
for _c in ("datasets", "organizations", "agreements"):
    BODIES[("POST", f"/{_c}")] = lambda c=_c: record_body(c)
    BODIES[("PUT", f"/{_c}/{{rid}}")] = lambda c=_c: record_body(c)


#: fields of free text whose values may look like ids (tests/security/test_xml_characters.py covers text)
TEXT_FIELDS = {"keywords"}


def id_leaves(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where a body holds an id or a code: every string that has the shape of one, outside TEXT_FIELDS."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in TEXT_FIELDS:
                continue
            yield from id_leaves(v, (*where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from id_leaves(v, (*where, i))
    elif isinstance(value, str) and ID_SHAPE.fullmatch(value):
        yield where


def replaced(body: Any, where: tuple[Any, ...], value: str) -> Any:
    out = copy.deepcopy(body)
    target = out
    for k in where[:-1]:
        target = target[k]
    target[where[-1]] = value
    return out


def leaf(body: Any, where: tuple[Any, ...]) -> Any:
    for k in where:
        body = body[k]
    return body


def in_path(value: str) -> str:
    """`value` as one path segment: every reserved character escaped, dots too (so that no client or server
    takes `..` for a dot segment before the route sees it)."""
    return quote(value, safe="").replace(".", "%2E")


def check_answer(r: Any, api_route: bool, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    if api_route and r.status_code >= 400:
        assert r.headers["content-type"].split(";")[0] == PROBLEM, f"{what}: {r.headers['content-type']}"
        body = r.json()
        assert body["status"] == r.status_code and body["title"] and body["detail"], what


# ----------------------------------------------------------------------------------- path ids
def the_app() -> Any:
    from registry.api import create_app
    from registry.config import Settings

    return create_app(Settings(data="memory"))


PATH_ROUTES = [r for r in app_routes(the_app()) if "{" in r[1]]


def test_routes_with_ids_are_found() -> None:
    """The walk below covers the routes it should (so that it cannot silently cover none)."""
    paths = {p for _m, p, _a in PATH_ROUTES}
    for expected in ("/datasets/{rid}", "/organizations/{rid}", "/agreements/{rid}", "/datasets/{rid}/lineage",
                     "/datasets/{rid}/impact", "/share-checks/{check_id}", "/tokens/{token_id}",
                     "/authorities/{aid}"):
        assert expected in paths


@pytest.mark.parametrize("route", PATH_ROUTES, ids=[f"{m} {p} ({'api' if a else 'html'})" for m, p, a in PATH_ROUTES])
def test_bad_ids_in_the_path(wapi: Any, route: tuple[str, str, bool]) -> None:
    """Each bad spelling of a real id, in each path parameter of each route, by each kind of caller: a
    4xx (problem+json on the API), never a 5xx, and nothing written."""
    method, path, api_route = route
    params = re.findall(r"\{([^}]+)\}", path)  # "rid", "path:path", ...
    goods = {p: good_id(wapi, path, p) for p in params}
    callers = [("admin", wapi.auth("admin"))] + ([("anonymous", {})] if method == "GET" else [])
    accepts = ["application/json", "text/turtle", "application/rdf+xml"] if api_route else [HTML_ACCEPT]
    client = wapi.lenient
    if "/workspace/" in path:  # the workspace reads a session, not a bearer token: an admin's, signed in
        browser = sign_in(wapi.client.app, wapi.token_for("admin"))
        callers, client = [("admin", {"Cookie": f"{COOKIE}={browser.session}"})], browser.client
    before = record_quads(wapi.registry)
    for name in bad_ids("x"):
        url = re.sub(r"\{([^}]+)\}", lambda m, name=name: in_path(bad_ids(goods[m.group(1)])[name]), path)
        body = None
        if (method, path) in BODIES and BODIES[(method, path)] is not None:
            body = BODIES[(method, path)]()
            if "id" in body:  # the body names the same (bad) id as the URL
                body["id"] = bad_ids(body["id"])[name]
        for who, headers in callers:
            for accept in accepts if method == "GET" else accepts[:1]:
                r = client.request(method, url, headers={**headers, "Accept": accept},
                                   content=json.dumps(body).encode() if body is not None else None)
                what = f"{method} {url[:120]!r} as {who}, Accept {accept}"
                check_answer(r, api_route, what)
                assert r.status_code >= 400, f"{what}: a bad id answered {r.status_code}"
    assert record_quads(wapi.registry) == before, f"{method} {path} wrote something for a bad id"


# ----------------------------------------------------------------------------------- body ids
def test_every_body_route_has_a_body() -> None:
    """A route that reads a body is declared in BODIES, so its ids are walked below."""
    readers = {(m, p) for m, p, api_route in app_routes(the_app()) if api_route and m in ("POST", "PUT")}
    assert readers - set(BODIES) == set(), "routes with a body and no sample body here"


BODY_ROUTES = sorted(k for k, v in BODIES.items() if v is not None)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_bad_ids_in_the_body(wapi: Any, route: tuple[str, str]) -> None:
    """Each id or code of a valid body, spelled badly in each way: a 4xx with problem+json (or, for
    whitespace that input models trim, what the good id gets), never a 5xx; nothing written."""
    method, path = route
    sample = BODIES[route]()
    leaves = list(id_leaves(sample))
    assert leaves, f"{path}: the sample body names no id"
    before = record_quads(wapi.registry)
    for where in leaves:
        good = leaf(sample, where)
        for name, bad in bad_ids(good).items():
            body = replaced(sample, where, bad)
            if path == "/api/v1/lineage":
                body["run"]["runId"] = str(uuid.uuid4())
            url = path.replace("{rid}", in_path(bad if where == ("id",) else str(sample.get("id"))))
            for name_in_path, rid in PATH_IDS.items():
                url = url.replace(name_in_path, rid)
            r = wapi.lenient.request(method, url, headers={**wapi.auth("admin"), "Content-Type": "application/json",
                                                           "Accept": "application/json"},
                                     content=json.dumps(body).encode())
            what = f"{method} {path} with {'.'.join(map(str, where))} = {bad[:60]!r}"
            check_answer(r, True, what)
            if name not in STRIPPED and route[1] != "/api/v1/lineage":
                assert r.status_code >= 400, f"{what}: accepted ({r.status_code})"
            after = record_quads(wapi.registry)
            if name not in STRIPPED:
                assert after == before or route[1] == "/api/v1/lineage", f"{what}: something was written"
            before = after


def test_an_id_is_checked_whole() -> None:
    """The one check every id read from a URL or a body goes through (`$` would let a final newline in)."""
    from registry.iris import is_slug

    assert is_slug("ohip-claims") and is_slug("fippa-part-3.1")
    for name, bad in bad_ids("ohip-claims").items():
        assert not is_slug(bad), name
