"""One-time sign-in links: only the hash of a link's secret is kept (the secret is in no graph of the store);
a link signs in once, never after 15 minutes, never for a token revoked since; opening it (GET) does not
spend it; issuing and using it are audit entries; only admins issue links."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

from conftest import Api
from registry.services import sessions as sessions_module
from workspace import Browser, sign_in


def _issue(api: Api, token_id: str) -> str:
    admin = sign_in(api.client.app, api.token_for("admin"))
    admin.get("/workspace/tokens")
    r = admin.post(f"/workspace/tokens/{token_id}/link", {})
    assert r.status_code == 201, r.text[:500]
    url = re.search(r'id="made-link" readonly value="([^"]+)"', r.text)
    assert url, r.text[:2000]
    return url.group(1).replace("&amp;", "&")


def _use(api: Api, url: str) -> tuple[Browser, int]:
    browser = Browser(api.client.app)
    parts = urlparse(url)
    page = browser.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    key = parse_qs(parts.query)["key"][0]
    r = browser.post("/workspace/sign-in/link", {"key": key})
    return browser, r.status_code


def test_a_link_signs_in_once(world_api: Api) -> None:
    reg = world_api.registry
    token_id, _secret = reg.tokens.create("steward", "moh")
    url = _issue(world_api, token_id)
    key = parse_qs(urlparse(url).query)["key"][0]
    # only its hash is kept
    assert not any(key in str(q) for q in reg.store.quads())
    # opening the page does not spend it (a mail scanner, a preview)
    Browser(world_api.client.app).get(urlparse(url).path + "?" + urlparse(url).query)
    browser, status = _use(world_api, url)
    assert status == 303
    home = browser.get("/workspace")
    assert home.status_code == 200 and "moh" in home.text
    _again, status = _use(world_api, url)
    assert status == 401, "a link works once"
    actions = [(e["action"], e["record"].rsplit("/", 1)[-1]) for e in world_api.client.get(
        "/audit", headers=world_api.auth()).json()["items"]]
    assert ("sign-in-link", token_id) in actions and ("sign-in-by-link", token_id) in actions


def test_a_link_expires(world_api: Api) -> None:
    token_id, _secret = world_api.registry.tokens.create("privacy-officer")
    url = _issue(world_api, token_id)
    sessions = world_api.client.app.state.sessions
    start = dt.datetime.now(dt.UTC)
    sessions.now = lambda: start + sessions_module.LINK_LIFETIME + dt.timedelta(seconds=1)
    _browser, status = _use(world_api, url)
    assert status == 401


def test_a_link_for_a_token_revoked_since_is_refused(world_api: Api) -> None:
    reg = world_api.registry
    token_id, _secret = reg.tokens.create("privacy-officer")
    url = _issue(world_api, token_id)
    reg.tokens.revoke(token_id)
    browser, status = _use(world_api, url)
    assert status == 401
    assert browser.get("/workspace").status_code == 303


def test_no_link_for_a_revoked_or_unknown_token_and_only_admins_issue_them(world_api: Api) -> None:
    reg = world_api.registry
    token_id, _secret = reg.tokens.create("privacy-officer")
    reg.tokens.revoke(token_id)
    admin = sign_in(world_api.client.app, world_api.token_for("admin"))
    admin.get("/workspace/tokens")
    assert admin.post(f"/workspace/tokens/{token_id}/link", {}).status_code == 401
    assert admin.post("/workspace/tokens/000000000000/link", {}).status_code == 404
    officer = sign_in(world_api.client.app, world_api.token_for("privacy-officer"))
    live, _ = reg.tokens.create("steward", "moh")
    assert officer.post(f"/workspace/tokens/{live}/link", {}).status_code == 403
