"""/share-checks: ask the legal-basis engine; every check is recorded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from registry.api.deps import ShareChecksDep, json_body, role
from registry.api.schemas import Page, ShareCheck, body_of
from registry.services.auth import Caller
from registry.services.legal import ShareProposal
from registry.services.share_checks import ShareChecks

router = APIRouter(prefix="/share-checks", tags=["share-checks"])

#: who may ask for a check
ASKERS = ("admin", "privacy-officer", "steward")
Asker = Annotated[Caller, role(*ASKERS)]
Reader = Annotated[Caller, role("admin", "privacy-officer")]
#: the proposal, read from the request's body (also read below the router by api/record_reads.py)
PROPOSAL = json_body("a share proposal")


def check_response(share_checks: ShareChecks, proposal: Any, caller: Caller) -> JSONResponse:
    """POST /share-checks once the caller's role is checked and the proposal read: the engine's reasoning
    and the check's write (its sync to disk), a plain function, run in the thread pool (the route's body,
    also answered below the router by api/record_reads.py)."""
    body = share_checks.run(proposal, caller)
    return JSONResponse(body, status_code=201, headers={"Location": f"/share-checks/{body['id']}"})


@router.post("", status_code=201, summary="Check whether a proposed share has a legal basis",
             response_model=ShareCheck, openapi_extra=body_of(ShareProposal))
def create_check(caller: Asker, proposal: Annotated[Any, PROPOSAL], share_checks: ShareChecksDep) -> JSONResponse:
    return check_response(share_checks, proposal, caller)


@router.get("", summary="Recorded share checks, newest first (privacy officers)", response_model=Page[ShareCheck])
def list_checks(caller: Reader, share_checks: ShareChecksDep,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    page = share_checks.list(limit, offset, caller)
    return JSONResponse({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})


@router.get("/{check_id}", summary="One recorded share check", response_model=ShareCheck)
def get_check(check_id: str, caller: Reader, share_checks: ShareChecksDep) -> JSONResponse:
    return JSONResponse(share_checks.get(check_id, caller))
