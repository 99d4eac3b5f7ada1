"""Each error maps to one status and one RFC 9457 problem+json body: RegistryError by its class (the first
class of its MRO in STATUS), an OSError (a disk or store failure) as 503."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from registry import errors as e

#: the status of each error class; a subclass has the status of its nearest class here
STATUS: dict[type[e.RegistryError], int] = {
    e.RegistryError: 400,
    e.BadInput: 400,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.NotAcceptable: 406,
    e.Conflict: 409,
    e.PreconditionFailed: 412,
    e.PayloadTooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.ValidationFailed: 422,
    e.TooManyRequests: 429,
    e.Unavailable: 503,
}

PROBLEM = "application/problem+json"
TYPE_BASE = "https://w3id.org/gov-data-registry/problems/"
#: seconds a client is asked to wait before retrying a store that did not answer
STORE_RETRY_AFTER = 5

R = TypeVar("R")


def status_of(exc: e.RegistryError) -> int:
    return next(STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS)


def problem(status: int, code: str, title: str, detail: str, instance: str,
            extra: dict[str, Any] | None = None, **more: Any) -> JSONResponse:
    extra = {**(extra or {}), **more}
    body: dict[str, Any] = {k: v for k, v in extra.items() if k not in ("type", "title", "status", "detail", "instance")}
    body.update({"type": TYPE_BASE + code, "title": title, "status": status, "detail": detail, "instance": instance})
    headers = {"WWW-Authenticate": 'Bearer realm="registry"'} if status == 401 else None
    if status == 429 and "retry_after" in extra:
        headers = {"Retry-After": str(extra["retry_after"])}
    return ProblemResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class ProblemResponse(JSONResponse):
    """A problem body in ASCII JSON: it may echo what the request sent (a value, an id), and a lone surrogate
    there (valid as a JSON escape, no UTF-8 at all) would otherwise fail the answer itself."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


async def registry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.RegistryError)
    if isinstance(exc, e.StoreUnavailable):
        return await store_unavailable(request, exc)
    extra = dict(exc.extra)
    if isinstance(exc, e.ValidationFailed):
        extra["violations"] = [v.as_json() for v in exc.violations]
    return problem(status_of(exc), exc.code, exc.title, exc.detail, request.url.path, extra)


async def request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    violations = [
        {"focusNode": "request", "path": None, "field": ".".join(str(x) for x in err["loc"]),
         "message": err["msg"], "severity": "Violation", "sourceShape": None, "value": None}
        for err in exc.errors()
    ]
    return problem(422, "invalid-parameters", "Invalid parameters", "the request's parameters are not valid",
                   request.url.path, {"violations": violations})


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed", 406: "not-acceptable"}.get(exc.status_code, "http-error")
    return problem(exc.status_code, code, str(exc.detail), str(exc.detail), request.url.path)


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The store could not be read or written (a remote SPARQL server down or refusing, a disk error):
    a bounded 503 the client may retry, never a 500. Writes are single transactions, so nothing is half
    written on the embedded store; see the README for the remote one."""
    resp = problem(503, e.StoreUnavailable.code, e.StoreUnavailable.title,
                   f"the store did not answer: {str(exc)[:300]}", request.url.path)
    resp.headers["Retry-After"] = str(STORE_RETRY_AFTER)
    return resp


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.RegistryError, registry_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OSError, store_unavailable)


async def answered(request: Request, answer: Awaitable[R]) -> R | Response:
    """`answer` awaited, for what is answered below the router (api/sparql_endpoint.py, api/record_reads.py):
    an exception the app has a handler for (`install`) is answered by that handler, the nearest class of its
    MRO as Starlette's own dispatch picks it, so those paths answer every error as the routes do; any other
    is raised."""
    try:
        return await answer
    except Exception as exc:
        handlers = request.app.exception_handlers
        handler = next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)
        if handler is None:
            raise
        response: Response = await handler(request, exc)
        return response
