"""/share-checks: ask the legal-basis engine; every check is recorded."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from registry.api.deps import CallerDep, RegistryDep, require
from registry.api.negotiation import JSON, content_type, parse_json, read_body
from registry.errors import UnsupportedMediaType
from registry.services.legal import ShareProposal

router = APIRouter(prefix="/share-checks", tags=["share-checks"])

ASKERS = ("admin", "privacy-officer", "steward")
READERS = ("admin", "privacy-officer")
_schema = ShareProposal.model_json_schema()
_body = {"requestBody": {"required": True, "content": {"application/json": {"schema": _schema}}}}


@router.post("", status_code=201, summary="Check whether a proposed share has a legal basis",
             openapi_extra=_body)
async def create_check(request: Request, registry: RegistryDep, caller: CallerDep) -> JSONResponse:
    require(caller, *ASKERS)
    ct = content_type(request)
    if ct != JSON and not ct.endswith("+json"):
        raise UnsupportedMediaType(f"cannot read {ct!r}: send a share proposal as application/json", accepted=[JSON])
    data = parse_json(await read_body(request, registry.settings.max_body_bytes))
    body = await run_in_threadpool(registry.share_checks.run, data, caller)  # a write: it waits for the disk
    return JSONResponse(body, status_code=201, headers={"Location": f"/share-checks/{body['id']}"})


@router.get("", summary="Recorded share checks, newest first (privacy officers)")
def list_checks(registry: RegistryDep, caller: CallerDep,
                limit: Annotated[int, Query(ge=1, le=500)] = 50,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    require(caller, *READERS)
    page = registry.share_checks.list(limit, offset, caller)
    return JSONResponse({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})


@router.get("/{check_id}", summary="One recorded share check")
def get_check(check_id: str, registry: RegistryDep, caller: CallerDep) -> JSONResponse:
    require(caller, *READERS)
    return JSONResponse(registry.share_checks.get(check_id, caller))
