"""/tokens: bearer tokens over HTTP (admins): list, create, revoke.

The same as `registry token list|create|revoke`, for a store a running server holds open (the command
line cannot open it then: the store is locked by the server's process)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError

from registry.api.deps import RecordsDep, TokensDep, json_body, role
from registry.api.schemas import Listing, NewTokenAnswer, Token, body_of
from registry.domain.model import ORGANIZATION
from registry.domain.model.common import Input, Slug
from registry.errors import BadInput, ValidationFailed, Violation
from registry.services.auth import ROLES, Caller, Tokens
from registry.services.records import Records, pydantic_violations

router = APIRouter(prefix="/tokens", tags=["tokens"])

#: the longest a token made over HTTP may live
MAX_DAYS = 3650

Admin = Annotated[Caller, role("admin")]


class NewToken(Input):
    """A token to make: its role, the organisation a steward writes for, and how long it lives."""

    role: Literal["admin", "privacy-officer", "steward"]
    org: Slug | None = None
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None


@router.get("", summary="Every token (never its secret): role, organisation, created, expires, revoked",
            response_model=Listing[Token])
def list_tokens(_: Admin, tokens: TokensDep) -> JSONResponse:
    items = tokens.list()
    return JSONResponse({"items": items, "total": len(items)}, headers={"Cache-Control": "no-store"})


@router.post("", status_code=201, summary="Make a token; its secret is in the answer, once",
             response_model=NewTokenAnswer, openapi_extra=body_of(NewToken))
def create_token(caller: Admin, data: Annotated[Any, json_body("the new token")], tokens: TokensDep,
                 records: RecordsDep) -> JSONResponse:
    body = make_token(data, caller, tokens, records)
    return JSONResponse(body, status_code=201, headers={"Location": f"/tokens/{body['id']}", "Cache-Control": "no-store"})


def make_token(data: Any, caller: Caller, tokens: Tokens, records: Records) -> dict[str, Any]:
    """A new token from a request's description of it (its role, the organisation of a steward, its days):
    the answer, its secret included (shown once). The workspace's token form calls this too."""
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
    if new.org is not None and not records.exists(ORGANIZATION, new.org):
        raise ValidationFailed([Violation(focus_node="token", path=None, field="org", value=new.org,
                                          message=f"no organisation {new.org!r} in the registry")])
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=new.days) if new.days else None
    token_id, secret = tokens.create(new.role, new.org, expires, caller)  # a write, and its sync to disk
    return {"id": token_id, "role": new.role, "org": new.org, "expires": expires.isoformat() if expires else None,
            "token": secret}


@router.delete("/{token_id}", status_code=204, summary="Revoke a token at once (revoking it again is harmless)")
def revoke_token(token_id: str, caller: Admin, tokens: TokensDep) -> Response:
    tokens.revoke(token_id, caller)
    return Response(status_code=204)
