"""The admin's page of the workspace: tokens (create one, its secret shown once; revoke one, at once: its
sessions end at their next request) and one-time sign-in links for a token (shown once, good for 15
minutes). The same calls as /tokens (api/tokens.py)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from registry.api.tokens import make_token
from registry.api.workspace_frame import ADMINS, Ws, choices, page
from registry.errors import ValidationFailed
from registry.web import workspace_forms as forms
from registry.web.workspace_forms import Problems


def _tokens_page(ws: Ws, status: int = 200, **context: Any) -> Response:
    spec = forms.TOKEN
    context.setdefault("values", {})
    context.setdefault("problems", Problems())
    return ws.render("tokens.html", status=status, title=ws.title("tokens"), items=ws.registry.tokens.list(),
                     spec=spec, options=choices(ws), plain=lambda n: forms.plain_of(spec, n), **context)


@page("/tokens", methods=("GET", "POST"), roles=ADMINS)
def tokens_page(ws: Ws) -> Response:
    """The tokens; sent, the form makes one and the page shows its secret, this once."""
    if ws.request.method == "GET":
        return _tokens_page(ws, done=ws.request.query_params.get("done", ""))
    values, _blanks = forms.values_from_form(forms.TOKEN, ws.form)
    data = forms.record_of(forms.TOKEN, values)
    try:
        made = make_token(data, ws.caller, ws.registry.tokens, ws.registry.records)
    except ValidationFailed as e:
        return _tokens_page(ws, 422, values=values, problems=forms.problems(forms.TOKEN, e.violations, values))
    return _tokens_page(ws, 201, made=made)


@page("/tokens/{token_id}/revoke", methods=("POST",), roles=ADMINS)
def revoke(ws: Ws, token_id: str) -> Response:
    ws.registry.tokens.revoke(token_id, ws.caller)
    return ws.redirect("/workspace/tokens", done=f"revoked:{token_id}")


@page("/tokens/{token_id}/link", methods=("POST",), roles=ADMINS)
def sign_in_link(ws: Ws, token_id: str) -> Response:
    secret, expires = ws.sessions.issue_link(ws.registry.tokens, token_id, ws.caller)
    origin = str(ws.request.base_url).rstrip("/")
    link = f"{origin}{ws.link('/workspace/sign-in/link')}?key={secret}"
    return _tokens_page(ws, 201, link={"token": token_id, "url": link, "expires": expires.isoformat(timespec="seconds")})
