"""GET /ontology: the reference of the ontology and the authority catalogue, for people (HTML) and
machines (the ontology as Turtle, JSON-LD, N-Triples or RDF/XML; the page's data as JSON)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from rdflib import Graph

from registry import __version__
from registry.api.deps import ResourcesDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose, serialize
from registry.services.reports.ontology import ontology_reference

HTML = "text/html"
TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
#: the page loads nothing from anywhere (its styles are inline)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; " \
      "frame-ancestors 'none'"

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True)

router = APIRouter(tags=["reference"])


@router.get("/ontology", summary="The ontology and the authority catalogue: an HTML reference, or the ontology as RDF",
            responses={200: {"content": {HTML: {}, JSON: {}, **{m: {} for m in RDF_FORMATS}}}})
def ontology(request: Request, resources: ResourcesDep) -> Response:
    media = choose(request, [HTML, JSON, *RDF_FORMATS])
    ref = ontology_reference(resources)
    headers = {"Vary": "Accept"}
    if media == HTML:
        html = _env.get_template("ontology.html").render(ref=ref, version=__version__)
        return HTMLResponse(html, headers={**headers, "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})
    if media == JSON:
        return JSONResponse(ref, headers=headers)
    g = Graph()
    for t in resources.ontology():
        g.add(t)
    return Response(serialize(g, media), media_type=media, headers=headers)
