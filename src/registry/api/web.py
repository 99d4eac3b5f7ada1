"""HTML pages on the same URLs as the API: /datasets/{id} and friends answer text/html to browsers.

The record URLs are shared with the JSON routes (api/records.py). `HtmlRoute` matches a request only
when `choose()` picks text/html among the record types and text/html, i.e. when the Accept header
prefers HTML (browsers) or `?format=html` is given; otherwise the router moves on to the JSON routes,
so JSON stays the default for API clients and `*/*`.
"""

from __future__ import annotations

import datetime as dt
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from registry.api.deps import RegistryDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose
from registry.api.public_deps import ViewsDep
from registry.domain.model import KINDS
from registry.web.pages import STATIC, Pages, not_found, render

HTML = "text/html"


def prefers_html(request: Request) -> bool:
    return choose(request, [JSON, *RDF_FORMATS, HTML]) == HTML


class HtmlRoute(APIRoute):
    """A route that matches only requests that prefer HTML."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE or scope.get("type") != "http":
            return match, child
        if not prefers_html(Request(scope)):
            return Match.NONE, {}
        return match, child


pages_router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
router = APIRouter(include_in_schema=False)

Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Text = Annotated[str, Query(max_length=200)]


async def get_pages(registry: RegistryDep, views: ViewsDep) -> Pages:
    """The pages' data over the public view (a Pages per request: it holds nothing between requests)."""
    return Pages(registry, views)


PagesDep = Annotated[Pages, Depends(get_pages)]


# the pages read the store and render templates: plain functions, run in the thread pool
@router.get("/", response_class=HTMLResponse)
def home(pages: PagesDep) -> Response:
    counts = pages.counts()
    return render("home.html", title="Government data-sharing registry", counts=counts)


@router.get("/search", response_class=HTMLResponse)
def search(pages: PagesDep, q: Text = "") -> Response:
    results = pages.search(q)
    return render("search.html", title=f"Search: {q}" if q else "Search", q=q, results=results)


@router.get("/transparency", response_class=HTMLResponse)
def transparency(pages: PagesDep, on: Annotated[dt.date | None, Query()] = None) -> Response:
    data = pages.transparency(on)
    return render("transparency.html", title="Transparency register", **data)


def _static_file(path: str) -> Path | None:
    if path == "vendor/plotly.min.js":
        spec = find_spec("plotly")
        if spec is None or spec.origin is None:
            return None
        return Path(spec.origin).parent / "package_data" / "plotly.min.js"
    try:
        f = (STATIC / path).resolve()
        return f if f.is_file() and STATIC.resolve() in f.parents else None
    except (OSError, ValueError):  # a NUL byte or a name too long for the file system: was a 500
        return None


@router.get("/static/{path:path}")
def static(path: str) -> Response:
    f = _static_file(path)
    if f is None or not f.is_file():
        return not_found("file")
    return FileResponse(f, headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


def _record_page(collection: str, label: str, template: str, title_field: str) -> None:
    """One record's page: /{collection}/{rid}, rendered from the public view."""

    def page(rid: str, pages: PagesDep) -> Response:
        data = getattr(pages, template)(rid)
        if data is None:
            return not_found(f"{label} {rid!r}")
        return render(f"{template}.html", title=data["record"].get(title_field) or rid, **data)

    page.__name__ = f"{template}_page"
    pages_router.add_api_route(f"/{collection}/{{rid}}", page, methods=["GET"])


@pages_router.get("/authorities", name="authorities_page")
def authority_list(pages: PagesDep) -> Response:
    return render("authorities.html", title="Legal authorities", **pages.authority_list())


_record_page("authorities", "authority", "authority", "label")
_record_page("datasets", "dataset", "dataset", "title")
_record_page("organizations", "organisation", "organization", "name")
_record_page("agreements", "agreement", "agreement", "title")


def _list_route(kind_name: str, title: str) -> None:
    kind = KINDS[kind_name]

    @pages_router.get(f"/{kind.collection}", name=f"{kind.collection}_page")
    def listing(pages: PagesDep, q: Text = "", offset: Offset = 0) -> Response:
        data = pages.listing(kind, q, offset)
        return render("list.html", title=title, kind=kind_name, collection=kind.collection, q=q, **data)


_list_route("dataset", "Datasets")
_list_route("organization", "Organisations")
_list_route("agreement", "Data-sharing agreements")

router.include_router(pages_router)
