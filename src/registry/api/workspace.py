"""The workspace for stewards, privacy officers and admins (/workspace, /en/workspace, /fr/workspace):
signing in (a bearer token, or a one-time link an admin issued) and out, the home page, and the pages of
each role (workspace_records.py, workspace_officer.py, workspace_admin.py), all included here."""

from __future__ import annotations

from typing import Any

from fastapi.responses import RedirectResponse, Response

from registry.api import workspace_admin, workspace_officer, workspace_records  # noqa: F401 - they register pages
from registry.api.workspace_frame import WRITERS, Ws, local_path, page, refuse, router, wants_problem
from registry.errors import Unauthorized

#: what the sign-in page may say about the session that ended
WHY = ("ended", "revoked", "expired", "signed-out")


def _hit(ws: Ws) -> None:
    """A refused sign-in counts against the client's address, as a refused bearer token does (api/deps.py)."""
    client = ws.request.client
    ws.request.app.state.limiter.hit("ip:" + (client.host if client else "unknown"))


def _refused(ws: Ws, refused: Unauthorized, template: str, **context: Any) -> Response:
    """A sign-in refused (401): the form again, saying so (problem+json for a client that asks for it); it
    counts against the client's address."""
    _hit(ws)
    if wants_problem(ws.request):
        return refuse(ws, refused)
    return ws.render(template, status=401, refused=True, **context)


def _pre_session(ws: Ws) -> None:
    """The session of a browser not signed in yet, for the CSRF token of the sign-in form."""
    if ws.session is None:
        ws.new_sid, ws.session = ws.sessions.start()


@page("/sign-in", roles=None, signed_in=False)
def sign_in_page(ws: Ws) -> Response:
    _pre_session(ws)
    why = ws.request.query_params.get("why", "")
    return ws.render("sign_in.html", title=ws.title("sign-in"), why=why if why in WHY else "",
                     next=local_path(ws.request.query_params.get("next", "")) or "")


@page("/sign-in", methods=("POST",), roles=None, signed_in=False)
def sign_in(ws: Ws) -> Response:
    try:
        ws.new_sid, ws.session = ws.sessions.sign_in(ws.registry.tokens, ws.value("token"), ws.sid)
    except Unauthorized as refused:
        return _refused(ws, refused, "sign_in.html", title=ws.title("sign-in"), why="",
                        next=local_path(ws.value("next")) or "")
    return RedirectResponse(local_path(ws.value("next")) or ws.link("/workspace"), status_code=303)


@page("/sign-in/link", roles=None, signed_in=False)
def link_page(ws: Ws) -> Response:
    """A sign-in link opens this page; the form on it signs in (a GET never spends the link: mail scanners
    and previews open links too)."""
    _pre_session(ws)
    key = ws.request.query_params.get("key", "")
    return ws.render("link.html", title=ws.title("link"), key=key[:200], refused=not key)


@page("/sign-in/link", methods=("POST",), roles=None, signed_in=False)
def sign_in_by_link(ws: Ws) -> Response:
    try:
        ws.new_sid, ws.session = ws.sessions.redeem(ws.registry.tokens, ws.value("key"), ws.sid)
    except Unauthorized as refused:
        return _refused(ws, refused, "link.html", title=ws.title("link"))
    return ws.redirect("/workspace")


@page("/sign-out", methods=("POST",), roles=WRITERS)
def sign_out(ws: Ws) -> Response:
    ws.sessions.end(ws.sid)
    ws.drop_cookie = True
    return ws.redirect("/workspace/sign-in", why="signed-out")


@page("", roles=WRITERS)
def home(ws: Ws) -> Response:
    return ws.render("home.html", title=ws.title("home"))


__all__ = ["router"]
