"""The SPARQL protocol's queries answered below FastAPI's router: an ASGI middleware that claims GET /sparql
with a query and POST /sparql, so that a query costs no route matching, dependency solving or middleware
of the router's (at the named query's scale those cost as much as the server's own work on it).

It sits inside TokenCheck (the caller is authenticated and counted against its rate limit there, as for
every request) and answers with the functions the routes in api/sparql.py use: the same parsing, checks,
evaluation and errors (problem+json by api/errors.py). The bare GET (service description, HTML page),
other methods and other paths go on to the router.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api import errors
from registry.api.deps import get_caller
from registry.api.public_deps import get_sparql
from registry.api.sparql import answer, query_of_get, query_of_post
from registry.services.sparql import SparqlService

PATH = "/sparql"


def route_path(scope: Scope) -> str:
    """The path the router would match (without the app's root_path)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def service_of(app: Any) -> SparqlService:
    """The app's SPARQL service: the one its lifespan built, or the one a test put in
    `app.dependency_overrides[get_sparql]` (a function of no arguments), as the routes would get it."""
    override = app.dependency_overrides.get(get_sparql)
    service: SparqlService = override() if override is not None else app.state.sparql_service
    return service


class SparqlEndpoint:
    """ASGI middleware: answers the protocol's queries at /sparql; anything else goes on to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST") or route_path(scope) != PATH:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await errors.answered(request, _answer(request))
        if response is None:  # the service description or the HTML page: the router's
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


async def _answer(request: Request) -> Response | None:
    """The query's answer, or None for a GET without a query (the router answers it)."""
    caller = await get_caller(request)
    if request.method == "GET":
        asked = query_of_get(request)
        if asked is None:
            return None
    else:
        asked = await query_of_post(request, request.app.state.registry.settings.max_body_bytes)
    return await answer(request, service_of(request.app), caller, *asked)
