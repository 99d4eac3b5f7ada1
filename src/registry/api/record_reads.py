"""The public reads of records answered below FastAPI's router: an ASGI middleware that claims GET of one
record (/datasets/{id} and the other collections) and GET of a list (/datasets?publisher=...&limit=1), so
that the commonest reads cost no route matching or dependency solving (at a lookup's scale those cost as
much as the read itself). It claims POST /share-checks too, for the same reason (the route is among the
last the router tries: matching and dependencies were about a sixth of a check's CPU at 100k).

It sits inside TokenCheck (the caller is found and counted there, as for every request) and answers with
the routes' own functions (api/records.py, api/share_checks.py): the same representations, ETags, 304s and
errors, a share check's role checked before its body is read. It claims only what it answers as the router
would: a request that prefers HTML (the pages), a path with a control character, a list query whose
parameters FastAPI would read otherwise than plainly (a repeated name, a number or flag in another spelling:
its 422 is the router's), or an app with dependency overrides (tests) goes on to the router.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api import errors
from registry.api.deps import get_caller, require
from registry.api.records import MAX_LIMIT, MAX_OFFSET, MAX_Q, PAGE, list_response, record_response
from registry.api.share_checks import ASKERS, PROPOSAL, check_response
from registry.api.sparql_endpoint import route_path
from registry.api.web import prefers_html
from registry.domain.model import KINDS, RecordKind

COLLECTIONS = {kind.collection: kind for kind in KINDS.values()}
#: the path of POST of a share check
SHARE_CHECKS = "/share-checks"
#: /{collection} or /{collection}/{id}, an id as the routes' `{rid}` reads it (no slash, no control character)
_PATH = re.compile(r"/([a-z]+)(?:/([^/\x00-\x1f\x7f-\x9f]+))?")
#: a list's numbers in the spelling FastAPI reads as they read, and their bounds (any other: the router's)
_NUMBERS = {"limit": (re.compile(r"[1-9][0-9]{0,5}"), MAX_LIMIT),
            "offset": (re.compile(r"0|[1-9][0-9]{0,7}"), MAX_OFFSET)}


def claimed(scope: Scope) -> tuple[RecordKind, str | None] | None:
    """The kind and id (None for a list) of a GET this middleware answers, from its path alone."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    m = _PATH.fullmatch(route_path(scope))
    kind = COLLECTIONS.get(m.group(1)) if m else None
    return (kind, m.group(2)) if m and kind else None


def asks_share_check(scope: Scope) -> bool:
    """Whether the request is POST /share-checks (this middleware answers it)."""
    return scope["type"] == "http" and scope["method"] == "POST" and route_path(scope) == SHARE_CHECKS


def list_query(request: Request) -> dict[str, Any] | None:
    """A list's limit, offset, q and include_retired as the route reads them, or None when the query is not
    plain (the router answers it: its defaults, conversions and 422s)."""
    params = request.query_params
    names = [name for name, _ in params.multi_items()]
    if len(names) != len(set(names)):
        return None
    query: dict[str, Any] = {"limit": PAGE, "offset": 0, "q": params.get("q"), "include_retired": False}
    if query["q"] is not None and len(query["q"]) > MAX_Q:
        return None
    for name, (plain, top) in _NUMBERS.items():
        value = params.get(name)
        if value is not None:
            if not plain.fullmatch(value) or int(value) > top:
                return None
            query[name] = int(value)
    flag = params.get("include_retired")
    if flag is not None:
        if flag not in ("true", "false"):
            return None
        query["include_retired"] = flag == "true"
    return query


class RecordReads:
    """ASGI middleware: answers GET of a record or a list of records, and POST of a share check; anything
    else goes on to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if asks_share_check(scope):
            request = Request(scope, receive)
            if request.app.dependency_overrides:
                await self.app(scope, receive, send)
                return
            response = await errors.answered(request, _check(request))
            await response(scope, receive, send)
            return
        claim = claimed(scope)
        if claim is None:
            await self.app(scope, receive, send)
            return
        kind, rid = claim
        request = Request(scope, receive)
        query = list_query(request) if rid is None else {}
        if query is None or request.app.dependency_overrides or _html(request):
            await self.app(scope, receive, send)
            return
        response = await errors.answered(request, _answer(request, kind, rid, query))
        await response(scope, receive, send)


async def _answer(request: Request, kind: RecordKind, rid: str | None, query: dict[str, Any]) -> Response:
    """The record (`rid`) or the page of the list (`query`), in the caller's view."""
    caller = await get_caller(request)
    registry = request.app.state.registry
    if rid is not None:
        return await record_response(request, registry.records, registry.policy, caller, kind, rid)
    return await run_in_threadpool(list_response, request, registry.records, registry.policy, registry.settings,
                                   caller, kind, **query)


async def _check(request: Request) -> Response:
    """A share check as the route answers it: the caller's role checked, then the proposal read from the
    body, then the check (in the thread pool)."""
    caller = require(await get_caller(request), *ASKERS)
    registry = request.app.state.registry
    proposal = await PROPOSAL.dependency(request, registry.settings)
    return await run_in_threadpool(check_response, registry.share_checks, proposal, caller)


def _html(request: Request) -> bool:
    """The request prefers HTML (the pages' routes are the router's), or its negotiation fails (so does its
    answer: the router's)."""
    try:
        return prefers_html(request)
    except Exception:  # noqa: BLE001 - whatever it is, the router meets it and answers it
        return True
