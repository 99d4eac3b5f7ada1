"""No restricted field reaches a workspace page a role may not read: another organisation's steward sees
no steward, retention or personal-information flag of moh's records on any page it can open (the share-check
answer withholds them as the API does), a token's secret is shown once and never listed, and pages of other
roles give nothing away."""

from __future__ import annotations

from conftest import Api
from workspace import sign_in

#: restricted values of moh's records in the casebook world
SECRETS = ("steward.moh@example.org", "Health Data Steward", "steward.idiu@example.org", "Integration Steward")


def test_another_stewards_pages_hold_no_restricted_field(world_api: Api) -> None:
    mto = sign_in(world_api.client.app, world_api.token_for("steward", "mto"))
    seen = []
    for path in ("/workspace", "/workspace/records", "/workspace/review", "/workspace/datasets/new",
                 "/workspace/agreements/new", "/workspace/share-check", "/workspace/datasets/ohip-claims/edit",
                 "/fr/workspace/records"):
        seen.append(mto.get(path).text)
    mto.get("/workspace/share-check")
    answer = mto.post("/workspace/share-check", {"datasets": "linked-health-social", "provider": "moh-idiu",
                                                  "recipient": "mof", "purpose": "program-evaluation"})
    assert answer.status_code == 200
    seen.append(answer.text)
    assert "withheld" in answer.text
    for text in seen:
        for secret in SECRETS:
            assert secret not in text
    # moh's own steward reads them (the control: the check above can fail)
    moh = sign_in(world_api.client.app, world_api.token_for("steward", "moh"))
    assert "steward.moh@example.org" in moh.get("/workspace/datasets/ohip-claims/edit").text


def test_a_tokens_secret_is_shown_once(world_api: Api) -> None:
    admin = sign_in(world_api.client.app, world_api.token_for("admin"))
    admin.get("/workspace/tokens")
    made = admin.post("/workspace/tokens", {"role": "steward", "org": "moh", "days": "30"})
    assert made.status_code == 201
    secret = made.text.split('id="made-token" readonly value="')[1].split('"')[0]
    assert secret.startswith("dsr_")
    listing = admin.get("/workspace/tokens").text
    assert secret not in listing
    for token in world_api.tokens.values():
        assert token not in listing
    assert world_api.client.get("/datasets", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
