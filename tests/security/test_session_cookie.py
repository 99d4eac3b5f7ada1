"""The session cookie and the session behind it: HttpOnly, SameSite=Strict, Path=/, Secure when served over
HTTPS (and only then); never cached; signing out, an idle half hour, a revoked or expired token end the
session at the next request, and the browser is sent to sign in again, told why."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Api
from helpers import assert_problem
from registry.services import sessions as sessions_module
from workspace import COOKIE, Browser


def _flags(set_cookie: str) -> set[str]:
    return {part.strip().lower() for part in set_cookie.split(";")[1:]}


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_cookie_flags(world_api: Api, scheme: str) -> None:
    browser = Browser(world_api.client.app, base_url=f"{scheme}://testserver")
    page = browser.get("/workspace/sign-in")
    for answer in (page, browser.post("/workspace/sign-in", {"token": world_api.token_for("admin")})):
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        flags = _flags(cookie)
        assert {"httponly", "samesite=strict", "path=/"} <= flags
        assert ("secure" in flags) == (scheme == "https")
        assert not any(f.startswith(("domain=", "expires=", "max-age=")) for f in flags), "a session cookie, host-only"
    home = browser.get("/workspace")
    assert home.status_code == 200
    assert home.headers["cache-control"] == "no-store" and "Cookie" in home.headers["vary"]


def test_signing_out_ends_the_session_on_the_server(world_api: Api) -> None:
    browser = Browser(world_api.client.app).sign_in(world_api.token_for("privacy-officer"))
    kept = browser.session
    r = browser.post("/workspace/sign-out", {})
    assert r.status_code == 303 and "why=signed-out" in r.headers["location"]
    assert 'max-age=0' in r.headers["set-cookie"].lower() or "expires=" in r.headers["set-cookie"].lower()
    replay = Browser(world_api.client.app).client.get("/workspace/audit", headers={"Cookie": f"{COOKIE}={kept}"})
    assert replay.status_code == 303, "the old cookie names no session"


def test_a_revoked_tokens_session_is_refused_at_once(world_api: Api) -> None:
    reg = world_api.registry
    token_id, secret = reg.tokens.create("steward", "moh")
    browser = Browser(world_api.client.app).sign_in(secret)
    reg.tokens.revoke(token_id)
    r = browser.get("/workspace/records")
    assert r.status_code == 303 and "why=revoked" in r.headers["location"]
    # a form sent in that session does nothing either
    r = browser.post("/workspace/datasets/new", {"id": "after-revocation", "title.en": "x"})
    assert r.status_code == 303
    assert not reg.records.exists(reg.records.kind("dataset"), "after-revocation")
    page = browser.get(r.headers["location"])
    assert "revoked" in page.text
    # and the session is gone for good
    assert browser.get("/workspace").status_code == 303
    # the token itself is refused by the API as well, at once
    assert_problem(world_api.client.get("/datasets", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_an_expired_tokens_session_ends(world_api: Api) -> None:
    reg = world_api.registry
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _id, secret = reg.tokens.create("privacy-officer", expires=now + dt.timedelta(minutes=10))
    browser = Browser(world_api.client.app).sign_in(secret)
    sessions = world_api.client.app.state.sessions
    sessions.now = lambda: now + dt.timedelta(minutes=10, seconds=1)  # well within the idle half hour
    r = browser.get("/workspace/audit")
    assert r.status_code == 303 and "why=expired" in r.headers["location"]


def test_an_idle_session_ends(world_api: Api) -> None:
    browser = Browser(world_api.client.app).sign_in(world_api.token_for("privacy-officer"))
    sessions = world_api.client.app.state.sessions
    start = dt.datetime.now(dt.UTC)
    sessions.now = lambda: start + sessions_module.IDLE - dt.timedelta(seconds=5)
    assert browser.get("/workspace").status_code == 200, "still in use just before the idle limit"
    sessions.now = lambda: start + 2 * sessions_module.IDLE - dt.timedelta(seconds=10)
    assert browser.get("/workspace").status_code == 200, "each request keeps it alive"
    sessions.now = lambda: start + 3 * sessions_module.IDLE
    r = browser.get("/workspace")
    assert r.status_code == 303 and "why=ended" in r.headers["location"]
