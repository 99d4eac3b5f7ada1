"""/stats: how many records, per kind and per facet value (kept on write, never scanned): the most
frequent values of each facet, and /stats/{kind}/{facet} for all of one facet's values, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from registry.api.deps import IndexDep
from registry.api.schemas import FacetCounts, KindCounts
from registry.domain.model import KINDS
from registry.errors import NotFound

router = APIRouter(tags=["reference"])


@router.get("/stats", summary="Counts of live records per kind, and the most frequent values of each facet",
            response_model=dict[str, KindCounts])
def stats(index: IndexDep, top: Annotated[int, Query(ge=1, le=1000, description="values per facet")] = 50
          ) -> JSONResponse:
    return JSONResponse(index.counts(top))


@router.get("/stats/{kind}/{facet}", summary="Every value of one facet with its count, most frequent first",
            response_model=FacetCounts)
def facet_stats(kind: str, facet: str, index: IndexDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> JSONResponse:
    record_kind = KINDS.get(kind)
    if record_kind is None or facet not in record_kind.filters:
        raise NotFound(f"no facet {facet!r} of {kind!r}: GET /stats names each kind's facets", kind=kind, id=facet)
    values, total = index.facet_counts(kind, facet, limit, offset)
    return JSONResponse({"kind": kind, "facet": facet, "total": total, "limit": limit, "offset": offset,
                         "items": [{"value": v, "count": n} for v, n in values]})
