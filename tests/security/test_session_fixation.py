"""Session fixation: signing in always makes a new session id; an id chosen before (by the browser, or by
an attacker who planted it) is never the signed-in one and names nothing afterwards; an id the server did
not make is never adopted."""

from __future__ import annotations

from typing import Any

from conftest import Api
from workspace import COOKIE, Browser


def test_signing_in_makes_a_new_session_id(world_api: Api) -> None:
    browser = Browser(world_api.client.app)
    browser.get("/workspace/sign-in")
    before = browser.session
    assert before
    r = browser.post("/workspace/sign-in", {"token": world_api.token_for("privacy-officer")})
    assert r.status_code == 303
    after = browser.session
    assert after and after != before
    # the id from before signing in is gone: it does not open the workspace
    for path in ("/workspace", "/workspace/audit"):
        assert _with(world_api, before, path).status_code == 303


def _with(api: Api, sid: str | None, path: str) -> Any:
    """A request that names the session `sid` in its cookie, as a planted cookie would."""
    browser = Browser(api.client.app)
    return browser.client.get(path, headers={"Cookie": f"{COOKIE}={sid}"})


def test_an_id_the_server_did_not_make_is_not_adopted(world_api: Api) -> None:
    r = _with(world_api, "attacker-chosen-id", "/workspace/sign-in")
    assert r.status_code == 200
    given = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    assert given != "attacker-chosen-id", "a new id, not the one the browser came with"
    assert _with(world_api, "attacker-chosen-id", "/workspace").status_code == 303


def test_signing_in_again_replaces_the_session(world_api: Api) -> None:
    browser = Browser(world_api.client.app).sign_in(world_api.token_for("steward", "moh"))
    first = browser.session
    browser.get("/workspace/sign-in")
    browser.post("/workspace/sign-in", {"token": world_api.token_for("privacy-officer")})
    assert browser.session != first
    assert _with(world_api, first, "/workspace").status_code == 303
