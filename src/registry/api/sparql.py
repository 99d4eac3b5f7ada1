"""/sparql: the SPARQL 1.1 Protocol, read-only (after rdflib-endpoint's sparql_router: content
negotiation tables, a service description on a bare GET, typed errors).

GET ?query=...; POST application/x-www-form-urlencoded (query=...); POST application/sparql-query
(the query as the body). default-graph-uri and named-graph-uri may be repeated. Updates are refused
(403). What a caller sees is decided by its role (services/sparql.py, projections/views.py).
"""

from __future__ import annotations

from codecs import escape_decode
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from registry.api.deps import CallerDep, SettingsDep
from registry.api.negotiation import best_match, negotiate, read_body, requested
from registry.api.negotiation import serialize as serialize_graph
from registry.api.public_deps import SparqlDep
from registry.errors import UnsupportedMediaType
from registry.namespaces import DCTERMS, RDF, RDFS
from registry.services.auth import Caller
from registry.services.sparql import (
    CHECKS_KEPT_CHARS,
    KIND_OF_FORM,
    OFFERED,
    Dataset,
    ProtocolViolation,
    SparqlService,
    UpdateRefused,
)
from registry.web.pages import sparql_page

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
#: media type of the service description -> rdflib serialiser
DESCRIPTION_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
                     "application/n-triples": "nt"}
RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML")


#: ?format= values -> the media type they stand for, on /sparql
FORMAT_ALIASES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                  "csv": "text/csv", "tsv": "text/tab-separated-values", "ttl": "text/turtle",
                  "turtle": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
                  "rdf": "application/rdf+xml"}


V = TypeVar("V")
#: the most entries each of the small memos below keeps (emptied when full), and the longest header a key holds
KEPT = 64
KEPT_HEADER_CHARS = 512


def _kept(memo: dict[Hashable, V], key: tuple[str | None, ...], make: Callable[[], V]) -> V:
    """`make()`, kept in `memo` under `key` (a few request headers: the same few come with every query of a
    client, and each is long only when a client makes it so, which then is not kept)."""
    value = memo.get(key)
    if value is None:
        value = make()
        if sum(len(k or "") for k in key) <= KEPT_HEADER_CHARS:
            if len(memo) >= KEPT:
                memo.clear()
            memo[key] = value
    return value


_WANTED: dict[Hashable, dict[str, str | None]] = {}
_BASES: dict[Hashable, str] = {}


def wanted_media(request: Request) -> dict[str, str | None]:
    """The media type each kind of answer is wanted in (None: none offered is acceptable), as `requested`
    reads the request's ?format= and Accept; the same for every request with the same two (never changed)."""
    key = (_url_params(request).get("format"), request.headers.get("accept", ""))
    return _kept(_WANTED, key, lambda: {kind: requested(request, offered, FORMAT_ALIASES)
                                        for kind, offered in OFFERED.items()})


def base_iri(request: Request) -> str:
    """The request's URL without its query: the base IRI of the query. The same for every request with the
    same scheme, server, path and Host header (its query string never shows in it)."""
    scope = request.scope
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    server = scope.get("server")
    key = (scope.get("scheme"), str(server), scope.get("root_path"), scope["path"], host)
    return _kept(_BASES, key, lambda: str(request.url.replace(query="", fragment="")))


_NO_PARAMS = QueryParams()


def _url_params(request: Request) -> QueryParams:
    """The URL's query parameters; a URL without a query string (most POSTs) has none, known without parsing
    it into a new QueryParams."""
    return request.query_params if request.scope.get("query_string") else _NO_PARAMS


def _choose(request: Request, offered: Sequence[str]) -> str:
    return negotiate(request, offered, FORMAT_ALIASES)


def _single(values: list[str], name: str) -> str:
    if len(values) != 1:
        raise ProtocolViolation(f"give exactly one {name} parameter (got {len(values)})")
    return values[0]


def _dataset(pairs: list[tuple[str, str]]) -> Dataset:
    return Dataset(default=tuple(v for k, v in pairs if k == "default-graph-uri"),
                   named=tuple(v for k, v in pairs if k == "named-graph-uri"))


def unquote_form(text: str) -> str:
    """`urllib.parse.unquote(text)` (UTF-8, undecodable bytes replaced), for a text of a form already
    split and with its `+` made spaces: each %XX is made a \\xXX escape (each backslash doubled first) and
    the whole read by the C codec in one call, where `unquote` loops over the escapes in Python (a query
    in a form has hundreds). Anything else (a % not followed by two hex digits, a lone surrogate) is left
    to `unquote` itself. The text is read as one sequence of bytes where `unquote` reads each run of ASCII
    apart, with the same result: the characters between runs are whole UTF-8 sequences, and none starts
    with a continuation byte, so no run's bytes combine with them."""
    if "%" not in text:
        return text
    try:
        raw = escape_decode(text.replace("\\", "\\\\").replace("%", "\\x").encode("utf-8"))[0]
    except ValueError:  # a malformed escape, or a surrogate: the text is unusual, read it the usual way
        return unquote(text)
    return raw.decode("utf-8", "replace")


def parse_form(text: str) -> list[tuple[str, str]]:
    """A URL-encoded form's fields, as `urllib.parse.parse_qsl(text, keep_blank_values=True)` reads them:
    fields split at `&` (empty ones skipped), a name without `=` given an empty value, `+` a space."""
    fields = []
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            fields.append((unquote_form(name.replace("+", " ")), unquote_form(value.replace("+", " "))))
    return fields


def _param(name: str, description: str, *, many: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}} if many else {"type": "string"}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PROTOCOL_PARAMETERS = [
    _param("default-graph-uri", "a graph of the default graph (repeatable)", many=True),
    _param("named-graph-uri", "a named graph of the dataset (repeatable)", many=True),
    _param("format", "json, xml, csv, tsv, ttl, nt, jsonld or rdf, instead of Accept"),
]


@router.get("/sparql", summary="SPARQL 1.1 query (GET), or the service description when no query is given",
            openapi_extra={"parameters": [_param("query", "the query (none: the service description)"),
                                          *PROTOCOL_PARAMETERS]})
async def sparql_get(request: Request, caller: CallerDep, service: SparqlDep) -> Response:
    asked = query_of_get(request)
    if asked is None:
        return await run_in_threadpool(description, request, service, caller)
    return await answer(request, service, caller, *asked)


# The queries themselves are answered below the router, by api/sparql_endpoint.py, with the same functions
# (query_of_get, query_of_post, answer): these routes document them (OpenAPI) and serve the service
# description and the HTML page.
@router.post("/sparql", summary="SPARQL 1.1 query (POST: URL-encoded form or application/sparql-query)",
             openapi_extra={"parameters": PROTOCOL_PARAMETERS, "requestBody": {"content": {
                 FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}},
                 DIRECT: {"schema": {"type": "string"}}}}})
async def sparql_post(request: Request, caller: CallerDep, service: SparqlDep, settings: SettingsDep) -> Response:
    return await answer(request, service, caller, *await query_of_post(request, settings.max_body_bytes))


def query_of_get(request: Request) -> tuple[str, Dataset] | None:
    """The query a GET sends and the graphs it names; None when it sends none (it asks for the service
    description); UpdateRefused for an update."""
    pairs = _url_params(request).multi_items()
    if any(k == "update" for k, _ in pairs):
        raise UpdateRefused("this endpoint is read-only, and updates never come by GET")
    queries = [v for k, v in pairs if k == "query"]
    if not queries:
        return None
    return _single(queries, "query"), _dataset(pairs)


async def query_of_post(request: Request, max_body_bytes: int) -> tuple[str, Dataset]:
    """The query a POST sends (a URL-encoded form, or the query as the body) and the graphs it names."""
    header = request.headers.get("content-type", "")
    ct, _, params = header.partition(";")
    ct = ct.strip().lower()
    charset = next((p.split("=", 1)[1].strip().strip('"').lower() for p in params.split(";")
                    if p.strip().lower().startswith("charset=")), "utf-8")
    if ct == UPDATE:
        raise UpdateRefused("this endpoint is read-only: records change through the REST API")
    if ct not in (FORM, DIRECT):
        raise UnsupportedMediaType(f"send the query as {FORM} or {DIRECT} (got {ct or 'no Content-Type'})",
                                   accepted=[FORM, DIRECT])
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the body must be UTF-8 (got charset={charset})")
    body = await read_body(request, max_body_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedMediaType("the body is not valid UTF-8") from None
    url_pairs = _url_params(request).multi_items()
    if ct == FORM:
        form = parse_form(text)
        if any(k == "update" for k, _ in form):
            raise UpdateRefused("this endpoint is read-only: records change through the REST API")
        return _single([v for k, v in form if k == "query"], "query"), _dataset(form + url_pairs)
    if any(k == "query" for k, _ in url_pairs):
        raise ProtocolViolation("a direct POST carries the query in its body, not in ?query=")
    return text, _dataset(url_pairs)


async def answer(request: Request, service: SparqlService, caller: Caller, query: str,
                 dataset: Dataset) -> Response:
    """The query's answer in the negotiated type, written so by its evaluator process, awaited on the event
    loop. A long query's text is checked on a thread, so that scanning it never holds up other requests."""
    if len(query) <= CHECKS_KEPT_CHARS:
        s = service.check(query, dataset)
    else:
        s = await run_in_threadpool(service.check, query, dataset)
    wanted = wanted_media(request)
    expected = KIND_OF_FORM.get(s.form or "", "solutions")
    if wanted[expected] is None:
        _choose(request, OFFERED[expected])  # 406, before the query runs
    answer = await service.run(query, dataset, caller, base_iri(request), {k: m or OFFERED[k][0] for k, m in wanted.items()}, s)
    media = wanted[answer.kind]
    if media is None:  # the scan misread the query form, and what it really is cannot be offered
        media = _choose(request, OFFERED[answer.kind])
    headers = {"Vary": "Accept, Authorization", "X-Registry-View": answer.view}
    if not caller.anonymous:
        headers["Cache-Control"] = "private, no-store"
    content_type = media + ("; charset=utf-8" if media.startswith("text/") else "")
    return Response(answer.payload, media_type=content_type, headers=headers)


def description_graph(endpoint: str, service: SparqlService, caller: Caller) -> Graph:
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    g.bind("dct", DCTERMS)
    s = URIRef(endpoint)
    g.add((s, RDF.type, SD.Service))
    g.add((s, SD.endpoint, s))
    g.add((s, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((s, SD.feature, SD.UnionDefaultGraph))
    for f in RESULT_FORMATS:
        g.add((s, SD.resultFormat, FORMATS[f]))
    view = service.view_for(caller)
    seen = "every graph" if view is None else (
        "the public graph of every record and the reference graphs (ontology, authorities, vocabularies)"
        if view.name == "public" else "the public and restricted graphs of every record, and the reference graphs")
    g.add((s, DCTERMS.description, Literal(
        f"Read-only SPARQL 1.1 endpoint of the data-sharing registry. This caller sees {seen}; the default "
        f"graph is their union. Updates and SERVICE are refused. Queries stop after "
        f"{service.limits.timeout:g} s and answers hold at most {service.limits.max_rows} rows.", lang="en")))
    ds, dg = BNode(), BNode()
    g.add((s, SD.defaultDataset, ds))
    g.add((ds, RDF.type, SD.Dataset))
    g.add((ds, SD.defaultGraph, dg))
    g.add((dg, RDF.type, SD.Graph))
    g.add((dg, RDFS.comment, Literal(f"the union of {seen}", lang="en")))
    return g


def description(request: Request, service: SparqlService, caller: Caller) -> Response:
    offered = list(DESCRIPTION_TYPES)
    accept = request.headers.get("accept", "")
    wants_html = "text/html" in accept and best_match(accept, ["text/html", *offered]) == "text/html"
    if wants_html:
        return sparql_page(request, service, caller)
    media = _choose(request, offered)
    endpoint = str(request.url.replace(query="", fragment=""))
    graph = description_graph(endpoint, service, caller)
    # JSON-LD under the context every JSON-LD answer uses (/context.jsonld)
    if media == "application/ld+json":
        text: Any = serialize_graph(graph, media)
    else:
        text = graph.serialize(format=DESCRIPTION_TYPES[media])
    return Response(text, media_type=media, headers={"Vary": "Accept, Authorization"})
