"""/datasets/{id}/lineage and /datasets/{id}/impact."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from registry.api.deps import CallerDep, PolicyDep, RegistryDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose, serialize
from registry.api.schemas import Impact, Lineage, representations
from registry.domain.model import DATASET
from registry.services.lineage import DEFAULT_PAGE, MAX_PAGE, impact_json, lineage_graph, lineage_json

router = APIRouter(prefix="/datasets", tags=["lineage"])

#: a page of a lineage or impact answer: how many datasets, from which position
PageSize = Annotated[int | None, Query(ge=1, le=MAX_PAGE, description=f"datasets per page (default {DEFAULT_PAGE})")]
PageOffset = Annotated[int, Query(ge=0, le=10_000_000)]

@router.get("/{rid}/lineage", summary="A dataset's lineage: upstream, downstream or both, as of a moment",
            response_model=Lineage, responses={200: {"content": representations(*RDF_FORMATS)}})
def get_lineage(
    rid: str,
    request: Request,
    registry: RegistryDep,
    policy: PolicyDep,
    caller: CallerDep,
    direction: Annotated[str, Query(pattern="^(upstream|downstream|both)$")] = "both",
    depth: Annotated[int | None, Query(ge=0, le=50)] = None,
    as_of: Annotated[dt.datetime | None, Query(description="answer from the records as they stood then")] = None,
    limit: PageSize = None,
    offset: PageOffset = 0,
) -> Response:
    answer = lineage_json(registry, rid, direction=direction, depth=depth, as_of=as_of,
                          full=policy.reads_restricted(DATASET, caller), limit=limit, offset=offset)
    media = choose(request, [JSON, *RDF_FORMATS])
    if media != JSON:
        return Response(serialize(lineage_graph(registry, answer), media), media_type=media)
    return JSONResponse(answer, headers={"Vary": "Accept, Authorization"})


@router.get("/{rid}/impact", summary="Everything downstream of a dataset and every agreement that covers any of it",
            response_model=Impact)
def get_impact(rid: str, registry: RegistryDep, policy: PolicyDep, caller: CallerDep, limit: PageSize = None,
               offset: PageOffset = 0) -> JSONResponse:
    answer = impact_json(registry, rid, full=policy.reads_restricted(DATASET, caller), limit=limit, offset=offset)
    return JSONResponse(answer, headers={"Vary": "Authorization"})
