"""/authorities and /purposes: the reference catalogues, read-only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from registry.api.deps import ResourcesDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose, serialize
from registry.api.schemas import Authority, Listing, Purpose, representations
from registry.errors import NotFound
from registry.services.reference import authorities, authority_graph, purposes

router = APIRouter(tags=["reference"])

_RDF: dict[int | str, dict[str, Any]] = {200: {"content": representations(*RDF_FORMATS)}}


@router.get("/authorities", summary="The catalogue of legal authorities", response_model=Listing[Authority],
            responses=_RDF)
def list_authorities(request: Request, resources: ResourcesDep) -> Response:
    media = choose(request, [JSON, *RDF_FORMATS])
    if media != JSON:
        return Response(serialize(resources.authorities(), media), media_type=media)
    items = authorities(resources)
    return JSONResponse({"items": items, "total": len(items)})


@router.get("/authorities/{aid}", summary="One legal authority", response_model=Authority, responses=_RDF)
def get_authority(aid: str, request: Request, resources: ResourcesDep) -> Response:
    found = [a for a in authorities(resources) if a["id"] == aid]
    if not found:
        raise NotFound(f"no authority {aid!r} in the catalogue", id=aid)
    media = choose(request, [JSON, *RDF_FORMATS])
    if media != JSON:
        return Response(serialize(authority_graph(resources, aid), media), media_type=media)
    return JSONResponse(found[0])


@router.get("/purposes", summary="The purpose vocabulary, with broader purposes", response_model=Listing[Purpose])
def list_purposes(resources: ResourcesDep) -> JSONResponse:
    items = purposes(resources)
    return JSONResponse({"items": items, "total": len(items)})
