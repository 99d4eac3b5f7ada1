"""/tokens: bearer tokens over HTTP (admins): list, create, revoke.

The same as `registry token list|create|revoke`, for a store a running server holds open (the command
line cannot open it then: the store is locked by the server's process)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from starlette.concurrency import run_in_threadpool

from registry.api.deps import CallerDep, RegistryDep, require
from registry.api.negotiation import JSON, content_type, parse_json, read_body
from registry.domain.model.common import Input, Slug
from registry.errors import BadInput, UnsupportedMediaType, ValidationFailed, Violation
from registry.services.auth import ROLES
from registry.services.records import pydantic_violations

router = APIRouter(prefix="/tokens", tags=["tokens"])

#: the longest a token made over HTTP may live
MAX_DAYS = 3650


class NewToken(Input):
    """A token to make: its role, the organisation a steward writes for, and how long it lives."""

    role: Literal["admin", "privacy-officer", "steward"]
    org: Slug | None = None
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None


_body = {"requestBody": {"required": True, "content": {"application/json": {"schema": NewToken.model_json_schema()}}}}


@router.get("", summary="Every token (never its secret): role, organisation, created, expires, revoked")
def list_tokens(registry: RegistryDep, caller: CallerDep) -> JSONResponse:
    require(caller, "admin")
    items = registry.tokens.list()
    return JSONResponse({"items": items, "total": len(items)}, headers={"Cache-Control": "no-store"})


@router.post("", status_code=201, summary="Make a token; its secret is in the answer, once", openapi_extra=_body)
async def create_token(request: Request, registry: RegistryDep, caller: CallerDep) -> JSONResponse:
    require(caller, "admin")
    ct = content_type(request)
    if ct != JSON and not ct.endswith("+json"):
        raise UnsupportedMediaType(f"cannot read {ct!r}: send the new token as application/json", accepted=[JSON])
    data = parse_json(await read_body(request, registry.settings.max_body_bytes))
    if not isinstance(data, dict):
        raise BadInput("a new token is a JSON object: {\"role\": ..., \"org\": ..., \"days\": ...}")
    try:
        new = NewToken.model_validate(data)
    except ValidationError as e:
        raise ValidationFailed(pydantic_violations(e, "token")) from None
    assert new.role in ROLES
    if new.role == "steward" and new.org is None:
        raise ValidationFailed([Violation(focus_node="token", path=None, field="org", value=None,
                                          message="a steward token needs the organisation it writes for")])
    if new.org is not None and not registry.records.exists(registry.records.kind("organization"), new.org):
        raise ValidationFailed([Violation(focus_node="token", path=None, field="org", value=new.org,
                                          message=f"no organisation {new.org!r} in the registry")])
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=new.days) if new.days else None
    # a write (and its sync to disk): in the thread pool, not on the event loop
    token_id, secret = await run_in_threadpool(registry.tokens.create, new.role, new.org, expires, caller)
    body = {"id": token_id, "role": new.role, "org": new.org,
            "expires": expires.isoformat() if expires else None, "token": secret}
    return JSONResponse(body, status_code=201, headers={"Location": f"/tokens/{token_id}", "Cache-Control": "no-store"})


@router.delete("/{token_id}", status_code=204, summary="Revoke a token at once (revoking it again is harmless)")
def revoke_token(token_id: str, registry: RegistryDep, caller: CallerDep) -> Response:
    require(caller, "admin")
    registry.tokens.revoke(token_id, caller)
    return Response(status_code=204)
