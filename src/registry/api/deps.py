"""Dependencies: the registry the app's lifespan opened, one per service of it, and the caller named by
the bearer token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from registry.api import errors
from registry.api.negotiation import JSON, content_type, parse_json, read_body
from registry.config import Settings
from registry.errors import Forbidden, NotFound, RegistryError, Unauthorized, UnsupportedMediaType
from registry.projections.catalog_index import CatalogIndex
from registry.resources import Resources
from registry.services.auth import ANONYMOUS, Caller, Tokens
from registry.services.policy import Policy
from registry.services.records import Records
from registry.services.registry import Registry
from registry.services.share_checks import ShareChecks
from registry.store.audit import AuditLog
from registry.store.base import Store

T = TypeVar("T")

# The dependencies every request runs are `async`: FastAPI runs a plain `def` dependency in the thread
# pool, and at a lookup's scale each of those hops cost more than the lookup's read of the store.


async def get_registry(request: Request) -> Registry:
    """The registry the app's lifespan opened (or was given): its store and services."""
    reg: Registry = request.app.state.registry
    return reg


RegistryDep = Annotated[Registry, Depends(get_registry)]


# one dependency per service of the registry, for routes that need one (tests swap any of them, or the
# registry itself, with `app.dependency_overrides`)
async def get_settings(registry: RegistryDep) -> Settings:
    return registry.settings


async def get_records(registry: RegistryDep) -> Records:
    return registry.records


async def get_policy(registry: RegistryDep) -> Policy:
    return registry.policy


async def get_share_checks(registry: RegistryDep) -> ShareChecks:
    return registry.share_checks


async def get_tokens(registry: RegistryDep) -> Tokens:
    return registry.tokens


async def get_audit(registry: RegistryDep) -> AuditLog:
    return registry.audit


async def get_resources(registry: RegistryDep) -> Resources:
    return registry.resources


async def get_index(registry: RegistryDep) -> CatalogIndex:
    return registry.index


SettingsDep = Annotated[Settings, Depends(get_settings)]
RecordsDep = Annotated[Records, Depends(get_records)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
ShareChecksDep = Annotated[ShareChecks, Depends(get_share_checks)]
TokensDep = Annotated[Tokens, Depends(get_tokens)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
ResourcesDep = Annotated[Resources, Depends(get_resources)]
IndexDep = Annotated[CatalogIndex, Depends(get_index)]


async def short_read(store: Store, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)`, a short read of a few graphs (one record, one token): on the event loop when the
    store is in this process, in the thread pool when the read waits on a SPARQL server."""
    if store.in_process:
        return fn(*args)
    return await run_in_threadpool(fn, *args)


async def get_body(request: Request, settings: SettingsDep) -> bytes:
    """The request's body, at most `max_body_bytes` of it (PayloadTooLarge past that): read here, on the
    event loop, so that routes that work on it can be plain functions, run in the thread pool."""
    return await read_body(request, settings.max_body_bytes)


BodyDep = Annotated[bytes, Depends(get_body)]


def json_body(what: str) -> Any:
    """A dependency: the request's body read as JSON (`parse_json`), `what` naming it in the 415 answered
    for another media type: `Annotated[Any, json_body("a share proposal")]`."""

    async def read(request: Request, settings: SettingsDep) -> Any:
        ct = content_type(request)
        if ct != JSON and not ct.endswith("+json"):
            raise UnsupportedMediaType(f"cannot read {ct!r}: send {what} as application/json", accepted=[JSON])
        return parse_json(await read_body(request, settings.max_body_bytes))

    return Depends(read)


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
    tokens: Tokens = request.app.state.registry.tokens
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
        caller = await short_read(tokens.store, tokens.authenticate, secret.strip())
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


def role(*roles: str) -> Any:
    """A dependency: the caller, when its role is one of `roles` (`require`): `Annotated[Caller, role(...)]`.
    Checked before the dependencies declared after it (a body is not read for a caller refused)."""

    async def check(caller: CallerDep) -> Caller:
        return require(caller, *roles)

    return Depends(check)
