"""Cross-site request forgery on the workspace's forms: a form sent without its session's CSRF token, with a
wrong one, or with another session's is refused (403) and does nothing; the same form with its own token works."""

from __future__ import annotations

import pytest

from conftest import Api
from helpers import record_quads
from workspace import Browser, sign_in

FORM = {"datasets": "ohip-claims", "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation"}


@pytest.mark.parametrize("csrf", ["", "not-the-token", "OTHER"])
def test_a_form_without_its_sessions_token_is_refused(world_api: Api, csrf: str) -> None:
    app = world_api.client.app
    officer = sign_in(app, world_api.token_for("privacy-officer"))
    other = sign_in(app, world_api.token_for("steward", "moh"))  # another signed-in session, its own token
    sent = other.csrf if csrf == "OTHER" else csrf
    before = record_quads(world_api.registry)
    forms = (("/workspace/share-check", FORM), ("/workspace/sign-out", {}),
             ("/workspace/agreements/dsa-mcu-mof-2024/status", {"action": "approve", "reason": "forged"}))
    for path, data in forms:
        r = officer.post(path, data, csrf=sent)
        assert r.status_code == 403, (path, r.status_code)
        assert "CSRF" in r.text and "Nothing was done" in r.text
        assert officer.get("/workspace").status_code == 200, "the session is still there: sign-out was refused too"
    assert record_quads(world_api.registry) == before, "a refused form wrote something"
    # problem+json for a client that asks for it, naming the field
    r = officer.post("/workspace/share-check", FORM, csrf=sent, headers={"Accept": "application/problem+json"})
    assert r.status_code == 403 and r.json()["field"] == "csrf"


def test_the_sign_in_form_needs_its_token_too(world_api: Api) -> None:
    """Login CSRF: another site cannot sign a browser in as someone else."""
    browser = Browser(world_api.client.app)
    r = browser.post("/workspace/sign-in", {"token": world_api.token_for("admin")}, csrf="")
    assert r.status_code == 403 and browser.get("/workspace").status_code == 303


def test_the_right_token_works(world_api: Api) -> None:
    officer = sign_in(world_api.client.app, world_api.token_for("privacy-officer"))
    r = officer.post("/workspace/share-check", FORM)
    assert r.status_code == 200 and "Answer" in r.text
