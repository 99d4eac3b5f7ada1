"""/reports/flows (the transparency register as data: JSON, CSV, JSON-LD, Turtle) and /catalog (DCAT 3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from registry.api.deps import RegistryDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose, serialize
from registry.api.public_deps import ViewsDep
from registry.api.schemas import FlowsReport, representations
from registry.services.reports.catalog import catalog_graph
from registry.services.reports.transparency import Transparency

router = APIRouter(tags=["public"])

OnDate = Annotated[dt.date | None, Query(description="the register as of this date (default: today)")]
FLOWS_TYPES = [JSON, "text/csv", "application/ld+json", "text/turtle"]
#: the JSON register lists this many agreements from `offset` by default, and of each other list the largest
#: as many (the CSV and RDF forms list every agreement)
FLOWS_LIMIT, MAX_FLOWS_LIMIT = 100, 1000
CATALOG_TYPES = ["text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"]


def site_of(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# the reports read every agreement and build graphs: plain functions, run in the thread pool
@router.get("/reports/flows", summary="The transparency register: active agreements, counts, expiring, "
                                      "unmatched personal-information flows",
            response_model=FlowsReport, responses={200: {"content": representations(*FLOWS_TYPES[1:])}})
def flows(request: Request, registry: RegistryDep, views: ViewsDep, on: OnDate = None,
          limit: Annotated[int, Query(ge=1, le=MAX_FLOWS_LIMIT, description="agreements per page, and items of "
                                      "each other list, largest first (JSON)")]
          = FLOWS_LIMIT,
          offset: Annotated[int, Query(ge=0, le=10_000_000, description="agreements to skip (JSON)")] = 0,
          ) -> Response:
    t = Transparency(registry, views.public)
    report = t.report(on)
    media = choose(request, FLOWS_TYPES)
    headers = {"Vary": "Accept"}
    if media == "text/csv":
        headers["Content-Disposition"] = 'inline; filename="data-sharing-register.csv"'
        return Response(t.csv(report, site_of(request)), media_type="text/csv; charset=utf-8", headers=headers)
    if media in RDF_FORMATS:
        return Response(serialize(t.graph(report), media), media_type=media, headers=headers)
    return JSONResponse(report.as_json(offset, limit, top=limit), headers=headers)


@router.get("/catalog", summary="The public catalogue as DCAT 3 (DCAT-AP 3.0.0): Turtle, JSON-LD, RDF/XML",
            response_class=Response, responses={200: {"content": representations(*CATALOG_TYPES)}})
def catalog(request: Request, registry: RegistryDep, views: ViewsDep) -> Response:
    offered = list(CATALOG_TYPES)
    if "application/json" in request.headers.get("accept", ""):
        offered.append(JSON)  # JSON clients get JSON-LD
    media = choose(request, offered)
    if media == JSON:
        media = "application/ld+json"
    g = catalog_graph(views.public, registry.iris, registry.resources, registry.settings, site_of(request))
    return Response(serialize(g, media), media_type=media, headers={"Vary": "Accept"})
