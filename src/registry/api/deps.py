"""Dependencies: the one registry of the app, and the caller named by the bearer token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api import errors
from registry.errors import Forbidden, NotFound, RegistryError, Unauthorized
from registry.services.auth import ANONYMOUS, Caller
from registry.services.registry import Registry

T = TypeVar("T")

# The dependencies every request runs are `async`: FastAPI runs a plain `def` dependency in the thread
# pool, and at a lookup's scale each of those hops cost more than the lookup's read of the store.


async def get_registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


RegistryDep = Annotated[Registry, Depends(get_registry)]


async def short_read(registry: Registry, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)`, a short read of a few graphs (one record, one token): on the event loop when the
    store is in this process, in the thread pool when the read waits on a SPARQL server."""
    if registry.store.in_process:
        return fn(*args)
    return await run_in_threadpool(fn, *args)


#: C0 and C1 control characters and DEL: no id, code or file name of the registry holds one
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


async def plain_path(request: Request) -> None:
    """404 for a path that holds a control character (decoded from %0A, %00 and the like): it names nothing
    here. Starlette's route patterns end in `$`, which matches before a final newline, so without this
    `/static/site.css%0A` was served as `/static/site.css` and `/health%0A` as `/health`; ids in paths are
    also checked whole where they are read (`is_slug`)."""
    if _CONTROL.search(request.scope.get("path", "")):
        raise NotFound("no such resource: the path holds a control character")


#: where TokenCheck leaves the caller in the request's scope
CALLER = "registry.caller"


async def authenticate(request: Request) -> Caller:
    """The caller the request's bearer token names (anonymous without one), counted against its rate
    limit; Unauthorized for a token that is malformed, unknown, expired or revoked."""
    registry: Registry = request.app.state.registry
    header = request.headers.get("authorization")
    limiter = request.app.state.limiter
    address = "ip:" + (request.client.host if request.client else "unknown")
    if not header:
        limiter.hit(address)
        return ANONYMOUS
    scheme, _, secret = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("use an Authorization header of the form 'Bearer <token>'")
        caller = await short_read(registry, registry.tokens.authenticate, secret.strip())
    except Unauthorized:
        limiter.hit(address)  # refused tokens count against the client's address: guessing is rate-limited too
        raise
    limiter.hit("token:" + str(caller.token_id))
    return caller


class TokenCheck:
    """ASGI middleware: every HTTP request's token is read here, before routing, so no route escapes the
    check, not even those FastAPI adds itself (/docs, /openapi.json, /redoc) or a path no route matches.
    A refused token is answered here as the app's exception handlers would answer it (problem+json)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            try:
                scope[CALLER] = await authenticate(request)
            except RegistryError as exc:
                await (await errors.registry_error(request, exc))(scope, receive, send)
                return
            except OSError as exc:  # the store could not be read
                await (await errors.store_unavailable(request, exc))(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def get_caller(request: Request) -> Caller:
    """The caller TokenCheck found (an app without the middleware reads the token here)."""
    caller = request.scope.get(CALLER)
    if not isinstance(caller, Caller):
        caller = request.scope[CALLER] = await authenticate(request)
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(caller: Caller, *roles: str) -> Caller:
    """401 for an anonymous caller, 403 for a caller whose role is not one of `roles`."""
    if caller.anonymous:
        raise Unauthorized("this needs a bearer token")
    if caller.role not in roles:
        raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", role=caller.role)
    return caller


def sees_restricted(caller: Caller) -> bool:
    """Whether the caller sees every record's restricted fields: privacy officers and admins. A steward
    sees those of its own organisation's records only (`Records.sees_restricted`); anonymous callers none."""
    return caller.role in ("privacy-officer", "admin")
