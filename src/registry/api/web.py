"""HTML pages on the same URLs as the API (/datasets/{id} and friends answer text/html to browsers), and the
same pages under /en/... and /fr/... in one language each.

The bare record URLs are shared with the JSON routes (api/records.py). `HtmlRoute` matches a request only
when `choose()` picks text/html among the record types and text/html, i.e. when the Accept header
prefers HTML (browsers) or `?format=html` is given; otherwise the router moves on to the JSON routes,
so JSON stays the default for API clients and `*/*`. A bare URL's language comes from Accept-Language;
the prefixed URLs are pages only, whatever the Accept header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from registry.api.deps import CallerDep, RegistryDep
from registry.api.negotiation import JSON, RDF_FORMATS, choose
from registry.api.public_deps import SparqlDep, ViewsDep
from registry.domain.model import KINDS
from registry.iris import SLUG_MAX, SLUG_PATTERN
from registry.services.reference import authorities
from registry.web.i18n import LANGUAGES, plain
from registry.web.pages import STATIC, Pages, here_of, not_found, render, sparql_page
from registry.web.search import RecordType, Search, Sort
from registry.web.sitemap import Sitemap

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
#: the pages under /en and /fr (HTML whatever the Accept header)
localized = APIRouter(include_in_schema=False)

Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Text = Annotated[str, Query(max_length=200)]


async def get_pages(request: Request, registry: RegistryDep, views: ViewsDep) -> Pages:
    """The pages' data over the public view, in the request's language (a Pages per request: it holds
    nothing between requests)."""
    return Pages(registry, views, here_of(request))


PagesDep = Annotated[Pages, Depends(get_pages)]


def show(pages: Pages, template: str, **context: Any) -> Response:
    """A page in the reader's language, with the labels of the codes it shows."""
    return render(pages.here, template, labels=pages.labels, **context)


def page(path: str, *, shared: bool = False) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a page at `path` and at /en`path` and /fr`path`; `shared`: the bare URL is also an API URL,
    so it answers HTML only to requests that prefer it."""

    def register(endpoint: Callable[..., Response]) -> Callable[..., Response]:
        name = endpoint.__name__
        (pages_router if shared else router).add_api_route(path, endpoint, methods=["GET"], name=name,
                                                           response_class=HTMLResponse)
        for lang in LANGUAGES:
            localized.add_api_route(f"/{lang}{path}", endpoint, methods=["GET"], name=f"{name}_{lang}",
                                    response_class=HTMLResponse)
        return endpoint

    return register


# the pages read the store and render templates: plain functions, run in the thread pool
@page("/")
def home(pages: PagesDep) -> Response:
    counts = pages.counts()
    return show(pages, "home.html", title=pages.here.gettext("Government data-sharing registry"), counts=counts)


@page("/search")
def search(request: Request, pages: PagesDep, q: Text = "", type: Annotated[RecordType | None, Query()] = None,
           sort: Annotated[Sort | None, Query()] = None, offset: Offset = 0) -> Response:
    """Records of one kind (`type`) matching the words, narrowed by facet values (?publisher=moh&access=public)."""
    data = Search(pages).find(q, type, dict(request.query_params), sort, offset)
    _ = pages.here.gettext
    return show(pages, "search.html", title=_("Search: %(q)s", q=q) if q else _("Search"), **data)


@page("/transparency")
def transparency(pages: PagesDep, on: Annotated[dt.date | None, Query()] = None,
                 provider: Annotated[str | None, Query(alias="from", max_length=SLUG_MAX, pattern=SLUG_PATTERN)] = None,
                 offset: Offset = 0) -> Response:
    """The register; `?from=ID`: which institutions receive data from that one, under which law, since when."""
    data = pages.transparency(on, provider or None, offset)
    return show(pages, "transparency.html", title=pages.here.gettext("Transparency register"), **data)


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
def static(request: Request, path: str) -> Response:
    f = _static_file(path)
    if f is None or not f.is_file():
        here = here_of(request)
        return not_found(here, here.gettext("There is no such file here."))
    return FileResponse(f, headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


def _record_page(collection: str, template: str, title_field: str, missing: Callable[[Pages, str], str]) -> None:
    """One record's page: /{collection}/{rid}, rendered from the public view."""

    def record_page(rid: str, pages: PagesDep) -> Response:
        data = getattr(pages, template)(rid)
        if data is None:
            return not_found(pages.here, missing(pages, rid))
        title = plain(data["record"].get(title_field), pages.here.lang) or rid
        return show(pages, f"{template}.html", title=title, **data)

    record_page.__name__ = f"{template}_page"
    page(f"/{collection}/{{rid}}", shared=True)(record_page)


@page("/authorities", shared=True)
def authorities_page(pages: PagesDep) -> Response:
    return show(pages, "authorities.html", title=pages.here.gettext("Legal authorities"), **pages.authority_list())


@page("/catalog", shared=True)
def catalog_page(pages: PagesDep) -> Response:
    """The catalogue's landing page (/catalog itself answers DCAT to everyone but browsers: api/reports.py)."""
    return show(pages, "catalog.html", title=pages.here.gettext("Open catalogue"), **pages.catalog())


_record_page("authorities", "authority", "label",
             lambda pages, rid: pages.here.gettext("There is no legal authority %(id)s here.", id=repr(rid)))
_record_page("datasets", "dataset", "title",
             lambda pages, rid: pages.here.gettext("There is no dataset %(id)s here.", id=repr(rid)))
_record_page("organizations", "organization", "name",
             lambda pages, rid: pages.here.gettext("There is no organisation %(id)s here.", id=repr(rid)))
_record_page("agreements", "agreement", "title",
             lambda pages, rid: pages.here.gettext("There is no agreement %(id)s here.", id=repr(rid)))


def _list_route(kind_name: str, title: Callable[[Pages], str]) -> None:
    kind = KINDS[kind_name]

    def listing(pages: PagesDep, q: Text = "", offset: Offset = 0) -> Response:
        data = pages.listing(kind, q, offset)
        return show(pages, "list.html", title=title(pages), kind=kind_name, collection=kind.collection, q=q,
                      **data)

    listing.__name__ = f"{kind.collection}_page"
    page(f"/{kind.collection}", shared=True)(listing)


_list_route("dataset", lambda pages: pages.here.gettext("Datasets"))
_list_route("organization", lambda pages: pages.here.gettext("Organisations"))
_list_route("agreement", lambda pages: pages.here.gettext("Data-sharing agreements"))


@router.get("/sitemap.xml")
def sitemap(request: Request, registry: RegistryDep, page: Annotated[int | None, Query(ge=1, le=100_000)] = None,
            ) -> Response:
    """The public pages in both languages; a sitemap index of pages of them when they are many."""
    body = Sitemap(registry.index, [a["id"] for a in authorities(registry.resources)],
                   str(request.base_url).rstrip("/")).xml(page)
    if body is None:
        here = here_of(request)
        return not_found(here, here.gettext("There is no page here."))
    return Response(body, media_type="application/xml", headers={"X-Content-Type-Options": "nosniff"})


def _sparql(request: Request, service: SparqlDep, caller: CallerDep) -> Response:
    """The SPARQL page in one language (the bare /sparql is the endpoint itself: api/sparql.py)."""
    return sparql_page(request, service, caller)


for _lang in LANGUAGES:
    localized.add_api_route(f"/{_lang}/sparql", _sparql, methods=["GET"], name=f"sparql_page_{_lang}",
                            response_class=HTMLResponse)

router.include_router(pages_router)
router.include_router(localized)
