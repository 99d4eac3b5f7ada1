"""Roles on every route: a matrix over the app's real routes (those of the OpenAPI document and the HTML
pages) and every role, token expiry and revocation over HTTP, the /tokens routes, and the rate limit.

Every route must be declared in EXPECTED with what each role gets: a new route without a declaration
fails `test_every_route_is_declared`, so nobody adds one without deciding who may call it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Api
from helpers import WORLD_FILE, assert_problem, load_json, record, record_quads, world_nquads
from registry.api import create_app
from registry.config import Settings
from registry.services.registry import Registry, open_registry
from workspace import matrix_call

WORLD = load_json(WORLD_FILE)
ROLES = ("anonymous", "other-steward", "steward", "privacy-officer", "admin")
#: role -> (token role, organisation); the steward is moh's (which publishes the records acted on), the
#: other steward mto's
TOKEN_OF = {"other-steward": ("steward", "mto"), "steward": ("steward", "moh"),
            "privacy-officer": ("privacy-officer", None), "admin": ("admin", None)}
HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what a browser sends


# --------------------------------------------------------------------------------- who gets what
def everyone(status: int) -> dict[str, tuple[int, ...]]:
    return dict.fromkeys(ROLES, (status,))


def only(ok: int, *roles: str) -> dict[str, tuple[int, ...]]:
    """`ok` for `roles`, 401 for anonymous callers and 403 for every other role."""
    return {r: (ok,) if r in roles else (401,) if r == "anonymous" else (403,) for r in ROLES}


def writers(ok: int) -> dict[str, tuple[int, ...]]:
    """Record writes: a token, and for a steward a record of its own organisation (moh's here)."""
    return {**only(ok, "steward", "privacy-officer", "admin"), "other-steward": (403,)}


PUBLIC = everyone(200)
OFFICERS = only(200, "privacy-officer", "admin")

#: (method, path, "api" or "html") -> role -> the statuses it may get
EXPECTED: dict[tuple[str, str, str], dict[str, tuple[int, ...]]] = {
    ("GET", "/health", "api"): PUBLIC,
    ("GET", "/context.jsonld", "api"): PUBLIC,
    ("GET", "/authorities", "api"): PUBLIC,
    ("GET", "/authorities/{aid}", "api"): PUBLIC,
    ("GET", "/purposes", "api"): PUBLIC,
    ("GET", "/stats", "api"): PUBLIC,  # counts of public facts
    ("GET", "/stats/{kind}/{facet}", "api"): PUBLIC,
    ("GET", "/ontology", "api"): PUBLIC,
    ("GET", "/sparql", "api"): PUBLIC,
    ("POST", "/sparql", "api"): PUBLIC,
    ("GET", "/reports/flows", "api"): PUBLIC,
    ("GET", "/catalog", "api"): PUBLIC,
    ("GET", "/datasets/{rid}/lineage", "api"): PUBLIC,
    ("GET", "/datasets/{rid}/impact", "api"): PUBLIC,
    ("POST", "/api/v1/lineage", "api"): {**only(201, "steward", "admin"), "other-steward": (201,)},
    ("POST", "/share-checks", "api"): only(201, "steward", "other-steward", "privacy-officer", "admin"),
    ("GET", "/share-checks", "api"): OFFICERS,
    ("GET", "/share-checks/{check_id}", "api"): OFFICERS,
    # the ledger: moh's steward holds the recipient moh-idiu of dsa-moh-idiu-2024 (its unit) and its provider
    ("POST", "/agreements/{aid}/disposals", "api"): writers(201),
    ("GET", "/agreements/{aid}/disposals", "api"): writers(200),
    ("GET", "/agreements/{aid}/disposals/{did}", "api"): writers(200),
    ("GET", "/disposals/overdue", "api"): OFFICERS,
    ("GET", "/audit", "api"): OFFICERS,
    ("GET", "/audit/verify", "api"): OFFICERS,
    ("GET", "/tokens", "api"): only(200, "admin"),
    ("POST", "/tokens", "api"): only(201, "admin"),
    ("DELETE", "/tokens/{token_id}", "api"): only(204, "admin"),
    # the HTML pages: the public view, whoever asks
    ("GET", "/", "html"): PUBLIC,
    ("GET", "/search", "html"): PUBLIC,
    ("GET", "/transparency", "html"): PUBLIC,
    ("GET", "/authorities", "html"): PUBLIC,
    ("GET", "/authorities/{rid}", "html"): PUBLIC,
    ("GET", "/catalog", "html"): PUBLIC,  # the catalogue's landing page
    ("GET", "/sitemap.xml", "html"): PUBLIC,  # for search engines: XML, outside the OpenAPI document
    ("GET", "/static/{path}", "html"): PUBLIC,
}
for _c in ("datasets", "organizations", "agreements"):
    EXPECTED |= {
        ("GET", f"/{_c}", "api"): PUBLIC,
        ("GET", f"/{_c}/{{rid}}", "api"): PUBLIC,
        ("POST", f"/{_c}", "api"): writers(201),
        ("PUT", f"/{_c}/{{rid}}", "api"): writers(200),
        ("DELETE", f"/{_c}/{{rid}}", "api"): writers(204),
        ("GET", f"/{_c}", "html"): PUBLIC,
        ("GET", f"/{_c}/{{rid}}", "html"): PUBLIC,
    }
#: the workspace (api/workspace*.py): without a session a browser is sent to the sign-in page (303); a form
#: that works answers 303 (to the page that shows what it did) or, when it shows a secret once, 201
SIGN_IN_FIRST = {"anonymous": (303,)}


def signed_in(ok: int, *roles: str) -> dict[str, tuple[int, ...]]:
    """`ok` for the signed-in `roles`, 403 for the other signed-in roles, 303 (to sign in) without a session."""
    return {r: (ok,) if r in roles else (303,) if r == "anonymous" else (403,) for r in ROLES}


WS_ALL = ("steward", "other-steward", "privacy-officer", "admin")
WS_OWN = ("steward", "privacy-officer", "admin")  # acting on records of moh's
WS_OFFICERS = ("privacy-officer", "admin")
EXPECTED |= {
    ("GET", "/workspace/sign-in", "html"): PUBLIC,
    ("POST", "/workspace/sign-in", "html"): {**everyone(303), "anonymous": (401,)},  # the token refused
    ("GET", "/workspace/sign-in/link", "html"): PUBLIC,
    ("POST", "/workspace/sign-in/link", "html"): {**everyone(303), "anonymous": (401,)},  # no such link
    ("POST", "/workspace/sign-out", "html"): everyone(303),
    ("GET", "/workspace", "html"): signed_in(200, *WS_ALL),
    ("GET", "/workspace/records", "html"): signed_in(200, *WS_ALL),
    ("GET", "/workspace/review", "html"): signed_in(200, *WS_ALL),
    ("GET", "/workspace/datasets/new", "html"): signed_in(200, *WS_ALL),
    ("POST", "/workspace/datasets/new", "html"): signed_in(303, *WS_OWN),
    ("GET", "/workspace/datasets/{rid}/edit", "html"): signed_in(200, *WS_OWN),
    ("POST", "/workspace/datasets/{rid}/edit", "html"): signed_in(303, *WS_OWN),
    ("GET", "/workspace/agreements/new", "html"): signed_in(200, *WS_ALL),
    ("POST", "/workspace/agreements/new", "html"): signed_in(303, *WS_OWN),
    ("GET", "/workspace/agreements/{rid}/edit", "html"): signed_in(200, *WS_OWN),
    ("POST", "/workspace/agreements/{rid}/edit", "html"): signed_in(303, *WS_OWN),
    ("GET", "/workspace/share-check", "html"): signed_in(200, *WS_ALL),
    ("POST", "/workspace/share-check", "html"): signed_in(200, *WS_ALL),  # the answer, below the form
    ("GET", "/workspace/share-checks", "html"): signed_in(200, *WS_OFFICERS),
    ("GET", "/workspace/approvals", "html"): signed_in(200, *WS_OFFICERS),
    ("POST", "/workspace/agreements/{rid}/status", "html"): signed_in(303, *WS_OFFICERS),
    ("GET", "/workspace/deadlines", "html"): signed_in(200, *WS_OFFICERS),
    ("GET", "/workspace/audit", "html"): signed_in(200, *WS_OFFICERS),
    ("GET", "/workspace/organizations", "html"): signed_in(200, *WS_OFFICERS),
    ("GET", "/workspace/organizations/{rid}/legal-status", "html"): signed_in(200, *WS_OFFICERS),
    ("POST", "/workspace/organizations/{rid}/legal-status", "html"): signed_in(303, *WS_OFFICERS),
    ("GET", "/workspace/tokens", "html"): signed_in(200, "admin"),
    ("POST", "/workspace/tokens", "html"): signed_in(201, "admin"),  # the new token's secret, shown once
    ("POST", "/workspace/tokens/{token_id}/revoke", "html"): signed_in(303, "admin"),
    ("POST", "/workspace/tokens/{token_id}/link", "html"): signed_in(201, "admin"),  # the link, shown once
}
#: every page again under /en and /fr, in that language
for _lang in ("en", "fr"):
    EXPECTED |= {(m, f"/{_lang}{p}", w): roles for (m, p, w), roles in list(EXPECTED.items())
                 if w == "html" and not p.startswith(("/static/", "/en/", "/fr/", "/sitemap"))}
    EXPECTED[("GET", f"/{_lang}/sparql", "html")] = PUBLIC
#: served by FastAPI itself, outside the app's own routes
SKIPPED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def app_routes() -> set[tuple[str, str, str]]:
    """(method, path, api|html) of every route of the real app: those of its OpenAPI document, and the
    pages left out of it."""
    import fastapi.routing

    app = create_app(Settings(data="memory"))
    walk = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI >= 0.16x: included routers nest
    routes = list(walk(app.routes)) if walk else list(app.routes)
    found = set()
    for r in routes:
        path = getattr(r, "path", None)
        if path is None or path in SKIPPED:
            continue
        where = "api" if getattr(r, "include_in_schema", True) else "html"
        for method in sorted(getattr(r, "methods", None) or ()):
            if method != "HEAD":
                found.add((method, path.replace("{path:path}", "{path}"), where))
    spec_paths = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert spec_paths == {(m, p) for m, p, w in found if w == "api"}, "the OpenAPI document and the routes agree"
    return found


def test_every_route_is_declared() -> None:
    found = app_routes()
    assert found - set(EXPECTED) == set(), "routes without a declared role matrix"
    assert set(EXPECTED) - found == set(), "declared routes the app does not have"


# ------------------------------------------------------------------------------------- the world
def fresh_registry(**settings: Any) -> Registry:
    """The casebook world in memory, loaded the way `registry load` bulk-loads N-Quads."""
    from registry.services.ingest.loader import load_file

    reg = open_registry(Settings(data="memory", openlineage_publisher="mof", **settings))
    load_file(reg, world_nquads())
    return reg


@pytest.fixture
def wapi() -> Iterator[Api]:
    reg = fresh_registry()
    a = Api(reg)
    a.lenient = TestClient(a.client.app, raise_server_exceptions=False)  # type: ignore[attr-defined]
    try:
        yield a
    finally:
        a.close()
        reg.close()


def sample(collection: str, rid: str, **changes: Any) -> dict[str, Any]:
    """A record of moh's (the steward's organisation) of each kind; agreements as drafts."""
    if collection == "datasets":
        data = record(WORLD, "datasets", "ohip-claims")
    elif collection == "agreements":
        data = {**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "status": "draft"}
    else:
        data = {"id": rid, "name": "A unit of the Ministry of Health", "kind": "agency", "parent": "moh"}
    return {**data, "id": rid, **changes}


def seed(api: Api, collection: str, rid: str) -> str:
    """Write a record as the command line would (an admin), for a role to act on."""
    from registry.domain.model import KINDS
    from registry.services.ingest.loader import SYSTEM

    kind = next(k for k in KINDS.values() if k.collection == collection)
    api.registry.records.write(kind, sample(collection, rid), SYSTEM, create=True)
    return rid


def lineage_event(name: str) -> dict[str, Any]:
    import uuid

    return {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/matrix",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "matrix", "name": f"job.{name}"},
            "inputs": [{"namespace": "db", "name": f"in.{name}"}], "outputs": [{"namespace": "db", "name": f"out.{name}"}]}


CHECK = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
         "date": "2025-06-01"}
DISPOSAL = {"datasets": ["ohip-claims"], "date": "2024-06-01", "method": "secure-destruction",
            "attested_by": {"name": "A. Attester", "email": "attester@example.org"}}
SAMPLE_IDS = {"datasets": "ohip-claims", "organizations": "moh-idiu", "agreements": "dsa-moh-idiu-2024"}


@dataclass
class Call:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


def call_for(api: Api, route: tuple[str, str, str], who: str) -> Call:
    """The request `who` sends on a route, after making what it acts on (a record, a check, a token)."""
    method, path, where = route
    headers = {"Accept": HTML_ACCEPT} if where == "html" else {"Accept": "application/json"}
    js = {"Content-Type": "application/json"}
    tag = f"m-{who}"
    collection = path.split("/")[1]
    if collection in ("en", "fr"):  # a page in one language: the same call under its prefix
        bare = call_for(api, (method, path[3:], where), who)
        return Call(bare.method, f"/{collection}{bare.url}", bare.headers, bare.body)
    if collection == "workspace":  # signed in as `who` (a session cookie), the form with its CSRF token
        token = api.token_for(*TOKEN_OF[who]) if who in TOKEN_OF else None
        url, ws_headers, body = matrix_call(api, path, method, token, sample, seed, tag)
        return Call(method, url, ws_headers, body)
    if path == "/static/{path}":
        return Call(method, "/static/site.css", headers)
    if path == "/stats/{kind}/{facet}":
        return Call(method, "/stats/dataset/publisher", headers)
    if path == "/search":
        return Call(method, "/search?q=health", headers)
    if path == "/sparql":
        if method == "GET":
            return Call(method, "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D", {})
        return Call(method, "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"query=ASK+%7B%7D")
    if path in ("/authorities/{aid}", "/authorities/{rid}"):
        return Call(method, "/authorities/fippa-part-3.1", headers)
    if path.endswith(("/lineage", "/impact")) and method == "GET":
        return Call(method, path.replace("{rid}", "linked-health-social"), headers)
    if path == "/api/v1/lineage":
        return Call(method, path, js, json.dumps(lineage_event(who)).encode())
    if path == "/share-checks" and method == "POST":
        return Call(method, path, js, json.dumps(CHECK).encode())
    if path == "/share-checks/{check_id}":
        from registry.services.ingest.loader import SYSTEM

        check_id = api.registry.share_checks.run(CHECK, SYSTEM)["id"]
        return Call(method, f"/share-checks/{check_id}", headers)
    if path.startswith("/agreements/{aid}/disposals"):
        url = path.replace("{aid}", "dsa-moh-idiu-2024")
        if method == "POST":
            return Call(method, url, js, json.dumps(DISPOSAL).encode())
        if "{did}" in path:
            from registry.services.disposals import Disposals
            from registry.services.ingest.loader import SYSTEM

            did = Disposals(api.registry).record("dsa-moh-idiu-2024", DISPOSAL, SYSTEM)[0]["id"]
            url = url.replace("{did}", did)
        return Call(method, url, headers)
    if path == "/tokens" and method == "POST":
        return Call(method, path, js, json.dumps({"role": "privacy-officer", "days": 1}).encode())
    if path == "/tokens/{token_id}":
        token_id, _secret = api.registry.tokens.create("privacy-officer")
        return Call(method, f"/tokens/{token_id}", headers)
    if collection in SAMPLE_IDS and path.endswith("{rid}"):
        if method == "GET":
            return Call(method, f"/{collection}/{SAMPLE_IDS[collection]}", headers)
        rid = seed(api, collection, tag)
        if method == "PUT":
            changed = sample(collection, rid, **({"name": "Renamed"} if collection == "organizations" else
                                                 {"title": "Renamed"}))
            return Call(method, f"/{collection}/{rid}", js, json.dumps(changed).encode())
        return Call(method, f"/{collection}/{rid}", headers)
    if collection in SAMPLE_IDS and method == "POST":
        return Call(method, path, js, json.dumps(sample(collection, tag)).encode())
    return Call(method, path, headers)


def send(api: Api, call: Call, token: str | None) -> Any:
    headers = dict(call.headers)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    api.lenient.cookies.clear()  # type: ignore[attr-defined]  # a workspace call names its session itself
    workspace = "/workspace" in call.url.split("?")[0]
    return api.lenient.request(call.method, call.url, headers=headers, content=call.body,  # type: ignore[attr-defined]
                               follow_redirects=not workspace)


ROUTES = sorted(EXPECTED)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p} ({w})" for m, p, w in ROUTES])
def test_each_role_gets_what_it_should(wapi: Api, route: tuple[str, str, str]) -> None:
    """Each role gets its declared status, never a 5xx; a refusal is problem+json and writes nothing; and
    a token that is not known, has expired or was revoked is 401 (never the anonymous view)."""
    reg = wapi.registry
    _id, expired = reg.tokens.create("admin", expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    revoked_id, revoked = reg.tokens.create("admin")
    reg.tokens.revoke(revoked_id)
    call = call_for(wapi, route, "bad-tokens")
    before = record_quads(reg)
    for token, why in (("dsr_not-a-real-token", "not known"), (expired, "expired"), (revoked, "revoked")):
        r = send(wapi, call, token)
        body = assert_problem(r, 401)
        assert why in body["detail"]
        assert r.headers["www-authenticate"].lower().startswith("bearer")
    assert record_quads(reg) == before, "a refused token wrote something"

    tokens = {who: None if who == "anonymous" else wapi.token_for(*TOKEN_OF[who]) for who in ROLES}
    for who in ROLES:
        call = call_for(wapi, route, who)
        refused = min(EXPECTED[route][who]) >= 400
        before = record_quads(reg) if refused else set()
        r = send(wapi, call, tokens[who])
        assert r.status_code < 500, f"{who}: {r.status_code} {r.text[:500]}"
        assert r.status_code in EXPECTED[route][who], f"{who}: {r.status_code} {r.text[:500]}"
        if r.status_code >= 400:
            assert_problem(r, r.status_code)
            assert record_quads(reg) == before, f"{who} was refused but something changed"
        if r.status_code == 401:
            assert r.headers["www-authenticate"].lower().startswith("bearer")
        if route[2] == "html" and r.status_code == 200 and route[1] not in ("/static/{path}", "/sitemap.xml"):
            assert r.headers["content-type"].startswith("text/html")


# ------------------------------------------------------------------------- who sees restricted fields
#: dataset -> its publisher's organisation tree: moh's steward owns ohip-claims (moh) and
#: linked-health-social (moh-idiu, a unit of moh); mto's steward owns road-collisions
VISIBLE = {
    "anonymous": set(),
    "other-steward": {"road-collisions", "collision-summary", "driver-licences"},
    "steward": {"ohip-claims", "linked-health-social", "health-social-deid"},
    "privacy-officer": {d["id"] for d in WORLD["datasets"]},
    "admin": {d["id"] for d in WORLD["datasets"]},
}


@pytest.mark.parametrize("who", ROLES)
def test_restricted_fields_by_role(wapi: Api, who: str) -> None:
    """Privacy officers and admins read every record's restricted fields, a steward those of its own
    organisation and its units only (the records it may write), an anonymous caller none: in one
    record, in lists, in RDF and in lineage."""
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {wapi.token_for(*TOKEN_OF[who])}"}
    c = wapi.client
    seen = {d["id"] for d in WORLD["datasets"]
            if "steward" in c.get(f"/datasets/{d['id']}", headers=headers).json()}
    assert seen == VISIBLE[who]
    listed = c.get("/datasets", params={"limit": 100}, headers=headers).json()["items"]
    assert {d["id"] for d in listed if "steward" in d} == VISIBLE[who]
    ttl = c.get("/datasets/ohip-claims", headers={**headers, "Accept": "text/turtle"}).text
    assert ("steward.moh@example.org" in ttl) == ("ohip-claims" in VISIBLE[who])
    nodes = c.get("/datasets/health-social-deid/lineage", headers=headers).json()["nodes"]
    assert {n["id"] for n in nodes if "personal_information" in n} == {n["id"] for n in nodes} & VISIBLE[who]
    downstream = c.get("/datasets/ohip-claims/impact", headers=headers).json()["downstream"]
    assert {n["id"] for n in downstream if "personal_information" in n} == {n["id"] for n in downstream} & VISIBLE[who]
    # agreements: the conditions are restricted; moh's steward sees those of moh's agreements
    agreement = c.get("/agreements/dsa-mcu-mof-2024", headers=headers).json()
    assert ("conditions" in agreement) == (who in ("privacy-officer", "admin"))


def test_a_steward_reads_its_record_changes_it_and_sends_it_back_whole(wapi: Api) -> None:
    """What a steward reads of its own record is all of it: sent back with a change, nothing is lost."""
    h = wapi.auth("steward", "moh")
    got = wapi.client.get("/datasets/ohip-claims", headers=h)
    data = got.json()
    data["title"] = "OHIP claims, renamed by their steward"
    r = wapi.client.put("/datasets/ohip-claims", json=data, headers={**h, "If-Match": got.headers["etag"]})
    assert r.status_code == 200, r.text
    after = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth()).json()
    assert after["steward"] == record(WORLD, "datasets", "ohip-claims")["steward"]
    assert after["retention"] == record(WORLD, "datasets", "ohip-claims")["retention"]


# ------------------------------------------------------------------------- expiry and revocation
def test_a_token_stops_working_when_it_expires(wapi: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.services import auth

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _id, secret = wapi.registry.tokens.create("privacy-officer", expires=now + dt.timedelta(days=1))
    h = {"Authorization": f"Bearer {secret}"}
    assert wapi.client.get("/audit", headers=h).status_code == 200
    monkeypatch.setattr(auth, "_now", lambda: now + dt.timedelta(days=1, seconds=-1))
    assert wapi.client.get("/audit", headers=h).status_code == 200, "still valid a second before"
    monkeypatch.setattr(auth, "_now", lambda: now + dt.timedelta(days=1))
    body = assert_problem(wapi.client.get("/audit", headers=h), 401)
    assert "expired" in body["detail"]
    # an expired token is never taken for an anonymous caller, even on public reads
    assert_problem(wapi.client.get("/datasets", headers=h), 401)


def test_tokens_over_http(wapi: Api) -> None:
    """An admin makes, lists and revokes tokens on a running server; revocation is at once."""
    c, admin = wapi.client, wapi.auth()
    made = c.post("/tokens", json={"role": "steward", "org": "moh", "days": 30}, headers=admin)
    assert made.status_code == 201, made.text
    new = made.json()
    assert new["token"].startswith("dsr_") and new["role"] == "steward" and new["org"] == "moh"
    assert made.headers["location"] == f"/tokens/{new['id']}"
    expires = dt.datetime.fromisoformat(new["expires"])
    assert dt.timedelta(days=29) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
    h = {"Authorization": f"Bearer {new['token']}"}
    assert c.post("/datasets", json=sample("datasets", "by-new-token"), headers=h).status_code == 201

    listed = c.get("/tokens", headers=admin)
    assert new["token"] not in listed.text and "hash" not in listed.text.lower()
    entry = next(t for t in listed.json()["items"] if t["id"] == new["id"])
    assert entry["role"] == "steward" and entry["org"] == "moh" and entry["revoked"] is None

    assert c.delete(f"/tokens/{new['id']}", headers=admin).status_code == 204
    assert "revoked" in assert_problem(c.get("/datasets", headers=h), 401)["detail"]
    assert next(t for t in c.get("/tokens", headers=admin).json()["items"] if t["id"] == new["id"])["revoked"]
    assert c.delete(f"/tokens/{new['id']}", headers=admin).status_code == 204, "revoking again is harmless"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"role": "emperor"}, 422, "role"),
    ({"role": "steward"}, 422, "org"),
    ({"role": "steward", "org": "no-such-org"}, 422, "org"),
    ({"role": "steward", "org": "x> } ; DROP ALL #"}, 422, "org"),
    ({"role": "admin", "days": 0}, 422, "days"),
    ({"role": "admin", "days": -5}, 422, "days"),
    ({"role": "admin", "days": 10**30}, 422, "days"),
    ({"role": "admin", "days": "soon"}, 422, "days"),
    ({"role": "admin", "colour": "red"}, 422, "colour"),
    (["admin"], 400, None),
])
def test_refused_token_requests(wapi: Api, body: Any, status: int, field: str | None) -> None:
    admin = wapi.auth()
    before = record_quads(wapi.registry)
    problem = assert_problem(wapi.client.post("/tokens", json=body, headers=admin), status)
    if field:
        assert field in {v["field"] for v in problem["violations"]}
    assert record_quads(wapi.registry) == before


@pytest.mark.parametrize("token_id", ["000000000000", "no-such-token", "x%3E%20%7D%20%3B%20DROP%20ALL%20%23", "A" * 300])
def test_revoking_an_unknown_token_is_404(wapi: Api, token_id: str) -> None:
    before = record_quads(wapi.registry)
    assert_problem(wapi.lenient.delete(f"/tokens/{token_id}", headers=wapi.auth()), 404)  # type: ignore[attr-defined]
    assert record_quads(wapi.registry) == before


# ------------------------------------------------------------------------------------- rate limit
def test_the_rate_limit_is_per_token_and_covers_every_route() -> None:
    reg = fresh_registry(rate_per_minute=5)
    api = Api(reg)
    try:
        c = api.client
        officer, admin = api.auth("privacy-officer"), api.auth()
        for path in ("/datasets", "/catalog", "/", "/static/site.css", "/health"):
            assert c.get(path, headers=officer).status_code == 200
        r = c.get("/reports/flows", headers=officer)
        problem = assert_problem(r, 429)
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert "5 requests a minute" in problem["detail"]
        assert c.get("/datasets", headers=admin).status_code == 200, "another token has its own budget"
        # anonymous callers share one budget per client address, pages included
        for _ in range(5):
            assert c.get("/search?q=x").status_code == 200
        assert_problem(c.get("/datasets/ohip-claims"), 429)
    finally:
        api.close()
        reg.close()


def test_refused_tokens_count_against_the_address() -> None:
    """Guessing tokens is rate-limited like anonymous reads: each refused token is a hit on the address."""
    reg = fresh_registry(rate_per_minute=5)
    api = Api(reg)
    try:
        for i in range(5):
            assert_problem(api.client.get("/datasets", headers={"Authorization": f"Bearer dsr_guess-{i}"}), 401)
        assert_problem(api.client.get("/datasets", headers={"Authorization": "Bearer dsr_guess-5"}), 429)
        assert_problem(api.client.get("/datasets"), 429)  # the same address, anonymous
        assert api.client.get("/datasets", headers=api.auth()).status_code == 200, "a good token has its own budget"
    finally:
        api.close()
        reg.close()
