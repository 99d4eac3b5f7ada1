"""/agreements/{id}/disposals (a recipient records a disposal; the parties' stewards and officers read them)
and /disposals/overdue (privacy officers): the retention and disposal ledger."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from registry.api.deps import RegistryDep, json_body, role
from registry.api.schemas import Disposal, Listing, Overdue, body_of
from registry.domain.model.disposal import DisposalIn
from registry.services.auth import Caller
from registry.services.disposals import Disposals
from registry.services.records import etag_matches

router = APIRouter(tags=["disposals"])

Recorder = Annotated[Caller, role("admin", "privacy-officer", "steward")]
Officer = Annotated[Caller, role("admin", "privacy-officer")]
AsOf = Annotated[dt.date | None, Query(description="the ledger as of this date (default: today)")]


async def get_disposals(registry: RegistryDep) -> Disposals:
    return Disposals(registry)


DisposalsDep = Annotated[Disposals, Depends(get_disposals)]


# writes validate (SHACL) and wait for the disk; reads scan the ledger: plain functions, in the thread pool
@router.post("/agreements/{aid}/disposals", status_code=201, response_model=Disposal, openapi_extra=body_of(DisposalIn),
             summary="Record a disposal of datasets received under the agreement (its recipient's stewards, "
                     "privacy officers, admins)")
def record_disposal(aid: str, caller: Recorder, data: Annotated[Any, json_body("a disposal")],
                    disposals: DisposalsDep, if_match: Annotated[str | None, Header()] = None) -> JSONResponse:
    body, etag = disposals.record(aid, data, caller, if_match=if_match)
    return JSONResponse(body, status_code=201, headers={
        "Location": f"/agreements/{aid}/disposals/{body['id']}", "ETag": f'"{etag}"'})


@router.get("/agreements/{aid}/disposals", response_model=Listing[Disposal],
            summary="The disposals recorded under the agreement (its parties' stewards, privacy officers, admins)")
def list_disposals(aid: str, caller: Recorder, disposals: DisposalsDep) -> JSONResponse:
    items = disposals.of_agreement(aid, caller)
    return JSONResponse({"items": items, "total": len(items)}, headers={"Vary": "Authorization"})


@router.get("/agreements/{aid}/disposals/{did}", response_model=Disposal, summary="One recorded disposal")
def get_disposal(request: Request, aid: str, did: str, caller: Recorder, disposals: DisposalsDep) -> Response:
    body, etag = disposals.get(aid, did, caller)
    headers = {"ETag": f'"{etag}"', "Vary": "Authorization"}
    header = request.headers.get("if-none-match")
    if header is not None and etag_matches(header, etag, weak=True):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers=headers)


@router.get("/disposals/overdue", response_model=Overdue,
            summary="Shares overdue for disposal on a date, and those disposed of late (privacy officers, admins)")
def overdue(caller: Officer, disposals: DisposalsDep, as_of: AsOf = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 50,
            offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    return JSONResponse(disposals.overdue(as_of or dt.date.today(), limit, offset))
