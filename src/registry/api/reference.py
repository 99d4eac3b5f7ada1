"""/authorities and /purposes: the reference catalogues, read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from registry.api.deps import RegistryDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose, serialize
from registry.errors import NotFound
from registry.services.reference import authorities, authority_graph, purposes

router = APIRouter(tags=["reference"])


@router.get("/authorities", summary="The catalogue of legal authorities")
def list_authorities(request: Request, registry: RegistryDep) -> Response:
    media = choose(request, [JSON, *RDF_FORMATS])
    if media != JSON:
        return Response(serialize(registry.resources.authorities(), media), media_type=media)
    items = authorities(registry.resources)
    return JSONResponse({"items": items, "total": len(items)})


@router.get("/authorities/{aid}", summary="One legal authority")
def get_authority(aid: str, request: Request, registry: RegistryDep) -> Response:
    found = [a for a in authorities(registry.resources) if a["id"] == aid]
    if not found:
        raise NotFound(f"no authority {aid!r} in the catalogue", id=aid)
    media = choose(request, [JSON, *RDF_FORMATS])
    if media != JSON:
        return Response(serialize(authority_graph(registry.resources, aid), media), media_type=media)
    return JSONResponse(found[0])


@router.get("/purposes", summary="The purpose vocabulary, with broader purposes")
def list_purposes(registry: RegistryDep) -> JSONResponse:
    items = purposes(registry.resources)
    return JSONResponse({"items": items, "total": len(items)})
