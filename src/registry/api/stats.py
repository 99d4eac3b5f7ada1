"""/stats: how many records, per kind and per facet value (kept on write, never scanned)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from registry.api.deps import IndexDep
from registry.api.schemas import KindCounts

router = APIRouter(tags=["reference"])


@router.get("/stats", summary="Counts of live records per kind and per publisher, access level, authority, ...",
            response_model=dict[str, KindCounts])
def stats(index: IndexDep) -> JSONResponse:
    return JSONResponse(index.counts())
