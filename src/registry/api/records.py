"""/organizations, /datasets, /agreements: one router factory serves every record kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from registry.api.deps import BodyDep, CallerDep, PolicyDep, RecordsDep, SettingsDep, role
from registry.api.negotiation import JSON, RDF_FORMATS, choose, read_record_input, serialize
from registry.api.schemas import Page, model_schema, record_model, representations
from registry.config import Settings
from registry.domain.model import RecordKind
from registry.errors import BadInput, NotFound
from registry.projections.catalog_index import Behind
from registry.services.auth import Caller
from registry.services.policy import Policy
from registry.services.records import Records, WriteResult, etag_matches

WRITERS = ("admin", "privacy-officer", "steward")
#: the query parameters of a list that are not filters
LIST_PARAMS = ("limit", "offset", "q", "include_retired", "format")
#: a list's page size unless asked, and the bounds of its query
PAGE, MAX_LIMIT, MAX_OFFSET, MAX_Q = 50, 100_000, 10_000_000, 200
WriterDep = Annotated[Caller, role(*WRITERS)]


def _record_response(request: Request, records: Records, kind: RecordKind, rid: str,
                     full: bool | Callable[[str], bool], status: int = 200,
                     extra: dict[str, Any] | None = None, *, wait: bool = True) -> Response:
    """One record in the representation the request asks for, with the ETag of the caller's view of it
    (`Records.read`, `Records.graph_etag`); 304 when a GET's If-None-Match names that ETag. NotFound when there is no such
    record. Unless `wait`, a public JSON form read from the catalogue index at once or not at all
    (`Records.read`: Behind)."""
    media = choose(request, [JSON, *RDF_FORMATS])
    if callable(full):
        full = full(rid)
    if media == JSON:
        body, etag = records.read(kind, rid, full=full, wait=wait)
        headers = {"ETag": f'"{etag}"', "Vary": "Accept, Authorization"}
        if _not_modified(request, etag, status):
            return Response(status_code=304, headers=headers)
        if extra:
            body.update(extra)
        return JSONResponse(body, status_code=status, headers=headers)
    if not records.exists(kind, rid):
        raise NotFound(f"no {kind.name} {rid!r}", kind=kind.name, id=rid)
    etag = records.graph_etag(kind, rid, full=full)
    headers = {"ETag": f'"{etag}"', "Vary": "Accept, Authorization"}
    if _not_modified(request, etag, status):
        return Response(status_code=304, headers=headers)
    g = records.graph(kind, rid, full=full)
    return Response(serialize(g, media), status_code=status, media_type=media, headers=headers)


async def record_response(request: Request, records: Records, policy: Policy, caller: Caller, kind: RecordKind,
                          rid: str) -> Response:
    """GET /{collection}/{rid}: the record in the caller's view (the route's body, also answered below the
    router by api/record_reads.py)."""
    full = policy.reads_restricted(kind, caller)
    if caller.anonymous and records.store.in_process and choose(request, [JSON, *RDF_FORMATS]) == JSON:
        # the public lookup, the common case, on the event loop: its JSON form read at once from the catalogue
        # index's last committed state when that is the audit log's head. Else (and for other callers and
        # forms) in the thread pool, where the form is made from the store (`Records.public_doc`); a full
        # dataset also asks the lineage index, which may be busy building; RDF forms are serialised by rdflib
        try:
            return _record_response(request, records, kind, rid, full, wait=False)
        except Behind:
            pass
    return await run_in_threadpool(_record_response, request, records, kind, rid, full)


def list_response(request: Request, records: Records, policy: Policy, settings: Settings, caller: Caller,
                  kind: RecordKind, limit: int, offset: int, q: str | None, include_retired: bool) -> JSONResponse:
    """GET /{collection}: a page of the records the caller may read, with their total (the route's body once
    its query is checked, also answered below the router by api/record_reads.py)."""
    if limit > settings.max_page_size:
        raise BadInput(f"limit is at most {settings.max_page_size}", limit=settings.max_page_size)
    filters = {k: v for k, v in request.query_params.items() if k not in LIST_PARAMS}
    page = records.list(kind, filters=filters, q=q, limit=limit, offset=offset,
                        include_retired=include_retired, full=policy.reads_restricted(kind, caller))
    return JSONResponse({"items": page.items, "total": page.total, "limit": page.limit,
                         "offset": page.offset}, headers={"Vary": "Authorization"})


def _not_modified(request: Request, etag: str, status: int) -> bool:
    """A GET whose If-None-Match names the ETag of the caller's own view (weak comparison): 304, no body."""
    header = request.headers.get("if-none-match")
    return request.method == "GET" and status == 200 and header is not None and etag_matches(header, etag, weak=True)


def _written(request: Request, records: Records, kind: RecordKind, result: WriteResult, status: int) -> Response:
    rid = result.id
    extra = {"warnings": [w.as_json() for w in result.warnings]}
    resp = _record_response(request, records, kind, rid, True, status, extra)
    if status == 201:
        resp.headers["Location"] = f"/{kind.collection}/{rid}"
    return resp


def record_router(kind: RecordKind) -> APIRouter:
    router = APIRouter(prefix=f"/{kind.collection}", tags=[kind.collection])
    body_doc = {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model_schema(kind.model)},
        "application/ld+json": {"schema": {"type": "object"}},
        "text/turtle": {"schema": {"type": "string"}},
    }}}
    record = record_model(kind)
    rdf = representations(*RDF_FORMATS)

    def answer(status: int) -> dict[int | str, dict[str, Any]]:
        """The record in the answer: its JSON form (`record`) or RDF."""
        return {status: {"model": record, "description": f"The {kind.name}", "content": rdf}}

    fmt = {"name": "format", "in": "query", "required": False, "description": "the representation, instead of Accept",
           "schema": {"type": "string", "enum": ["json", "jsonld", "ttl", "nt", "rdf", "html"]}}
    list_doc = {"parameters": [fmt, *({"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                                       "description": f"only {kind.collection} with this {name.replace('_', ' ')}"}
                                      for name in sorted(kind.filters))]}

    @router.get("", summary=f"List {kind.collection}", openapi_extra=list_doc, response_model=Page[record])  # type: ignore[valid-type]
    def list_records(
        request: Request,
        records: RecordsDep,
        policy: PolicyDep,
        settings: SettingsDep,
        caller: CallerDep,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = PAGE,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        q: Annotated[str | None, Query(max_length=MAX_Q, description="text in title or description")] = None,
        include_retired: bool = False,
    ) -> JSONResponse:
        return list_response(request, records, policy, settings, caller, kind, limit, offset, q, include_retired)

    @router.get("/{rid}", summary=f"One {kind.name}", openapi_extra={"parameters": [fmt]}, responses=answer(200))
    async def get_record(request: Request, rid: str, records: RecordsDep, policy: PolicyDep,
                         caller: CallerDep) -> Response:
        return await record_response(request, records, policy, caller, kind, rid)

    def _input(request: Request, records: Records, body: bytes) -> Any:
        how, data = read_record_input(request, body)
        return records.from_graph(kind, data) if how == "rdf" else data

    # writes validate (SHACL) and wait for the disk (their sync): plain functions, run in the thread pool;
    # the caller's role is checked before the body is read. The answer is made while the write's sync
    # runs, and returned once it is done (a write answered is on disk)
    @router.post("", status_code=201, summary=f"Register a {kind.name}", openapi_extra=body_doc,
                 responses=answer(201))
    def create_record(request: Request, caller: WriterDep, body: BodyDep, records: RecordsDep) -> Response:
        with records.store.deferred_sync():
            result = records.write(kind, _input(request, records, body), caller, create=True)
            return _written(request, records, kind, result, 201)

    @router.put("/{rid}", summary=f"Replace a {kind.name}", openapi_extra=body_doc, responses=answer(200))
    def replace_record(request: Request, rid: str, caller: WriterDep, body: BodyDep, records: RecordsDep,
                       if_match: Annotated[str | None, Header()] = None) -> Response:
        with records.store.deferred_sync():
            result = records.write(kind, _input(request, records, body), caller, create=False, rid=rid,
                                   if_match=if_match)
            return _written(request, records, kind, result, 200)

    @router.delete("/{rid}", status_code=204, summary=f"Retire a {kind.name} (it stays in history and lineage)")
    def retire_record(rid: str, caller: WriterDep, records: RecordsDep,
                      if_match: Annotated[str | None, Header()] = None) -> Response:
        records.retire(kind, rid, caller, if_match=if_match)
        return Response(status_code=204)

    return router
