"""/audit: the audit log, newest first (privacy officers and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from registry.api.deps import CallerDep, RegistryDep, require

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", summary="Audit entries, newest first")
def list_audit(registry: RegistryDep, caller: CallerDep,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    require(caller, "privacy-officer", "admin")
    items, total = registry.audit.entries(limit, offset)
    return JSONResponse({"items": items, "total": total, "limit": limit, "offset": offset})


@router.get("/verify", summary="Recompute the hash chain and every record's state")
def verify_audit(registry: RegistryDep, caller: CallerDep) -> JSONResponse:
    require(caller, "privacy-officer", "admin")
    return JSONResponse(registry.audit.verify().as_json())
