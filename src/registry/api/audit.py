"""/audit: the audit log, newest first (privacy officers and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from registry.api.deps import AuditDep, role
from registry.api.schemas import AuditEntry, AuditVerification, Page
from registry.services.auth import Caller

router = APIRouter(prefix="/audit", tags=["audit"])

Officer = Annotated[Caller, role("privacy-officer", "admin")]


@router.get("", summary="Audit entries, newest first", response_model=Page[AuditEntry])
def list_audit(_: Officer, audit: AuditDep,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    items, total = audit.entries(limit, offset)
    return JSONResponse({"items": items, "total": total, "limit": limit, "offset": offset})


@router.get("/verify", summary="Recompute the hash chain and every record's state", response_model=AuditVerification)
def verify_audit(_: Officer, audit: AuditDep) -> JSONResponse:
    return JSONResponse(audit.verify().as_json())
