"""Bearer tokens (issue 14, finding 12): a token that is unknown, expired or revoked is 401 on every route
the app serves, those FastAPI adds itself (/docs, /openapi.json, /redoc, /docs/oauth2-redirect) and paths no
route matches included; and making or revoking a token, over HTTP or on the command line, is an entry of
the audit chain that names the token, its role and organisation and who acted, never the token or its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef
from typer.testing import CliRunner

from conftest import Api
from helpers import assert_problem
from registry.namespaces import REG
from registry.services.registry import Registry

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: paths of the app beside its declared routes: FastAPI's own, a static file, and paths no route matches
EXTRA = ["/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/static/site.css", "/no-such-path",
         "/datasets/x/y/z"]


def bad_tokens(registry: Registry) -> dict[str, str]:
    """why -> a token the app must refuse for that reason (the word its 401 detail uses)."""
    _id, expired = registry.tokens.create("admin", expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    revoked_id, revoked = registry.tokens.create("admin")
    registry.tokens.revoke(revoked_id)
    return {"not known": "dsr_" + "A" * 43, "expired": expired, "revoked": revoked}


def every_request(api: Api) -> list[tuple[str, str]]:
    """(method, path) of every route of the app (whatever added it), with its parameters filled in."""
    import fastapi.routing

    found: set[tuple[str, str]] = set()
    routes = api.client.app.routes  # type: ignore[attr-defined]
    walk = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI >= 0.16x: included routers nest
    for route in list(walk(routes)) if walk else routes:
        path = re.sub(r"\{[^}:]+:path\}", "site.css", getattr(route, "path", ""))
        path = re.sub(r"\{[^}]+\}", "x", path)
        for method in getattr(route, "methods", None) or {"GET"}:
            found.add((method, path or "/"))
    found |= {("GET", p) for p in EXTRA}
    assert {("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/redoc"), ("POST", "/tokens")} <= found
    return sorted(found)


def test_a_bad_token_is_401_on_every_route(api: Api) -> None:
    tokens = bad_tokens(api.registry)
    requests = every_request(api)
    assert len(requests) > 40
    for method, path in requests:
        for why, token in tokens.items():
            for accept in ("application/json", HTML):
                r = api.client.request(method, path, headers={"Authorization": f"Bearer {token}", "Accept": accept},
                                       content=b"{}" if method in ("POST", "PUT") else None)
                assert r.status_code == 401, (method, path, why, r.status_code, r.text[:200])
                assert r.headers["www-authenticate"].lower().startswith("bearer")
                if method == "HEAD":  # no body
                    continue
                body = assert_problem(r, 401)
                assert why in body["detail"], (method, path, body)
                assert r.headers["www-authenticate"].lower().startswith("bearer")
                assert "SwaggerUI" not in r.text and '"paths"' not in r.text and "Redoc" not in r.text


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token dsr_x", "bearer  "])
def test_a_malformed_authorization_header_is_401_on_the_documentation(api: Api, header: str) -> None:
    for path in ("/docs", "/openapi.json", "/redoc"):
        assert_problem(api.client.get(path, headers={"Authorization": header}), 401)


def test_the_documentation_still_answers_anonymous_and_valid_callers(api: Api) -> None:
    for headers in ({}, api.auth(), api.auth("privacy-officer")):
        assert api.client.get("/openapi.json", headers=headers).json()["openapi"]
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            r = api.client.get(path, headers=headers)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_a_refused_token_counts_against_the_address_on_the_documentation_too() -> None:
    """Guessing tokens on /docs is rate-limited like anywhere else."""
    from fastapi.testclient import TestClient

    from registry.api import create_app
    from registry.config import Settings
    from registry.services.registry import open_registry

    reg = open_registry(Settings(data="memory", rate_per_minute=3))
    try:
        with TestClient(create_app(registry=reg)) as c:
            for i in range(3):
                assert_problem(c.get("/docs", headers={"Authorization": f"Bearer dsr_guess-{i}"}), 401)
            assert_problem(c.get("/openapi.json", headers={"Authorization": "Bearer dsr_guess-3"}), 429)
    finally:
        reg.close()


# ------------------------------------------------------------------------------------ the audit chain
def token_id_of(api: Api, secret: str) -> str:
    token_id = api.registry.tokens.authenticate(secret).token_id
    assert token_id is not None
    return token_id


def audit(api: Api) -> dict[str, Any]:
    r = api.client.get("/audit", params={"limit": 1000}, headers=api.auth())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def assert_secret_not_logged(registry: Registry, secret: str, token_id: str) -> None:
    """Neither the token nor its hash is anywhere but in the token's own graph."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    token_graph = registry.iris.system_graph(f"token/{token_id}")
    for s, p, o, g in registry.store.quads():
        if str(g) != token_graph:
            for term in (s, p, o):
                assert secret not in str(term) and digest not in str(term), (s, p, o, g)


def test_making_and_revoking_a_token_over_http_are_audit_entries(world_api: Api) -> None:
    c, admin = world_api.client, world_api.auth()
    admin_id = token_id_of(world_api, world_api.token_for("admin"))
    head = world_api.registry.audit.head().seq

    made = c.post("/tokens", json={"role": "steward", "org": "moh", "days": 30}, headers=admin)
    assert made.status_code == 201, made.text
    new = made.json()
    record = str(world_api.registry.iris.record("token", new["id"]))
    body = audit(world_api)
    assert body["total"] == head + 1
    entry = body["items"][0]
    assert entry["action"] == "create" and entry["record"] == record
    assert entry["agent"] == f"token {admin_id} (admin)"
    assert entry["role"] == "steward" and entry["org"] == "moh"

    assert c.delete(f"/tokens/{new['id']}", headers=admin).status_code == 204
    body = audit(world_api)
    assert body["total"] == head + 2
    entry = body["items"][0]
    assert entry["action"] == "revoke" and entry["record"] == record and entry["agent"] == f"token {admin_id} (admin)"
    assert entry["role"] == "steward" and entry["org"] == "moh"
    assert entry["before_hash"] == body["items"][1]["after_hash"] != entry["after_hash"]

    assert c.delete(f"/tokens/{new['id']}", headers=admin).status_code == 204
    assert audit(world_api)["total"] == head + 2, "revoking a revoked token changes nothing, and logs nothing"
    for text in (json.dumps(audit(world_api)), c.get("/audit/verify", headers=admin).text):
        assert new["token"] not in text and hashlib.sha256(new["token"].encode()).hexdigest() not in text
    assert_secret_not_logged(world_api.registry, new["token"], new["id"])
    verified = c.get("/audit/verify", headers=admin).json()
    assert verified["ok"] is True and verified["entries_checked"] == head + 2


def test_an_unrevoked_token_breaks_the_chain(api: Api) -> None:
    """Taking a revocation back behind the registry's back (editing the token's graph) is found."""
    reg = api.registry
    token_id, _secret = reg.tokens.create("admin")
    reg.tokens.revoke(token_id)
    assert api.client.get("/audit/verify", headers=api.auth()).json()["ok"] is True
    graph = reg.iris.system_graph(f"token/{token_id}")
    reg.store.replace_graphs({graph: [t for t in reg.store.graph(graph) if t[1] != REG.revoked]})
    report = api.client.get("/audit/verify", headers=api.auth()).json()
    assert report["ok"] is False
    assert report["first_broken"]["record"] == str(URIRef(reg.iris.record("token", token_id)))


def cli(*args: str) -> Any:
    from registry.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_making_and_revoking_a_token_on_the_command_line_are_audit_entries(tmp_path: Path) -> None:
    from registry.config import Settings
    from registry.services.registry import open_registry

    store = str(tmp_path / "store")
    made = cli("token", "create", "--role", "privacy-officer", "--days", "3", "--data", store)
    assert made.exit_code == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    token_id = re.search(r"token ([0-9a-f]{12})", made.stderr).group(1)  # type: ignore[union-attr]
    assert cli("token", "revoke", token_id, "--data", store).exit_code == 0
    verified = cli("audit", "verify", "--data", store)
    assert verified.exit_code == 0, verified.stdout
    assert json.loads(verified.stdout)["entries_checked"] == 2
    reg = open_registry(Settings(data=store))
    try:
        items, total = reg.audit.entries(limit=10)
        assert total == 2
        assert [(e["action"], e["agent"], e["role"], e.get("org")) for e in items] == [
            ("revoke", "token cli (admin)", "privacy-officer", None), ("create", "token cli (admin)", "privacy-officer", None)]
        assert {e["record"] for e in items} == {str(reg.iris.record("token", token_id))}
        assert_secret_not_logged(reg, secret, token_id)
    finally:
        reg.close()


def test_a_kept_token_is_refused_as_soon_as_it_is_revoked_expires_or_the_store_is_reloaded(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A token found is kept by its hash (projections/token_cache.py) so that the store is not queried for it
    on every request: a revocation, its expiry and a bulk load (which writes no audit entry) each end it at
    once, whatever was kept."""
    import registry.services.auth as auth

    reg, c = api.registry, api.client
    revoked_id, revoked = reg.tokens.create("admin")
    expiring_id, expiring = reg.tokens.create("admin", expires=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    for secret in (revoked, expiring):
        assert c.get("/audit", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert reg.tokens.cache.get(hashlib.sha256(secret.encode()).hexdigest()) is not None, "kept"

    reg.tokens.revoke(revoked_id)
    answer = c.get("/audit", headers={"Authorization": f"Bearer {revoked}"})
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]

    assert c.get("/audit", headers={"Authorization": f"Bearer {expiring}"}).status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    monkeypatch.setattr(auth, "_now", lambda: later)
    answer = c.get("/audit", headers={"Authorization": f"Bearer {expiring}"})
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]
    monkeypatch.undo()

    # a token's graph removed behind the registry's back, then a bulk load's invalidation: not kept past it
    assert c.get("/audit", headers={"Authorization": f"Bearer {expiring}"}).status_code == 200
    reg.store.replace_graphs({reg.iris.system_graph(f"token/{expiring_id}"): []})
    reg.follower.invalidate()
    answer = c.get("/audit", headers={"Authorization": f"Bearer {expiring}"})
    assert answer.status_code == 401 and "not known" in answer.json()["detail"]


def test_a_guessed_token_is_not_kept(api: Api) -> None:
    """Only tokens found are kept: guesses cannot fill the registry's memory."""
    for n in range(50):
        guess = f"dsr_{n:043d}"
        assert api.client.get("/audit", headers={"Authorization": f"Bearer {guess}"}).status_code == 401
        assert api.registry.tokens.cache.get(hashlib.sha256(guess.encode()).hexdigest()) is None
