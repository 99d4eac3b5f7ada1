"""/share-checks: ask the legal-basis engine; every check is recorded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from registry.api.deps import ShareChecksDep, json_body, role
from registry.api.schemas import Page, ShareCheck, body_of
from registry.services.auth import Caller
from registry.services.legal import ShareProposal

router = APIRouter(prefix="/share-checks", tags=["share-checks"])

Asker = Annotated[Caller, role("admin", "privacy-officer", "steward")]
Reader = Annotated[Caller, role("admin", "privacy-officer")]


@router.post("", status_code=201, summary="Check whether a proposed share has a legal basis",
             response_model=ShareCheck, openapi_extra=body_of(ShareProposal))
def create_check(caller: Asker, proposal: Annotated[Any, json_body("a share proposal")],
                 share_checks: ShareChecksDep) -> JSONResponse:
    # the engine's reasoning and the check's write (its sync to disk): a plain function, in the thread pool
    body = share_checks.run(proposal, caller)
    return JSONResponse(body, status_code=201, headers={"Location": f"/share-checks/{body['id']}"})


@router.get("", summary="Recorded share checks, newest first (privacy officers)", response_model=Page[ShareCheck])
def list_checks(caller: Reader, share_checks: ShareChecksDep,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    page = share_checks.list(limit, offset, caller)
    return JSONResponse({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})


@router.get("/{check_id}", summary="One recorded share check", response_model=ShareCheck)
def get_check(check_id: str, caller: Reader, share_checks: ShareChecksDep) -> JSONResponse:
    return JSONResponse(share_checks.get(check_id, caller))
