"""The app factory: the lifespan opens the registry (or takes one) and builds the SPARQL service over its
views once; routes get each service through its own dependency (api/deps.py, api/public_deps.py)."""

from __future__ import annotations

import gc
import logging
import threading
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from registry import __version__
from registry.api import errors
from registry.api.audit import router as audit_router
from registry.api.deps import TokenCheck, get_caller, plain_path
from registry.api.disposals import router as disposals_router
from registry.api.lineage import router as lineage_router
from registry.api.negotiation import JSONLD_CONTEXT
from registry.api.ontology import router as ontology_router
from registry.api.openlineage import router as openlineage_router
from registry.api.public import router as public_router
from registry.api.public_deps import build_sparql
from registry.api.ratelimit import RateLimiter
from registry.api.record_reads import RecordReads
from registry.api.records import record_router
from registry.api.reference import router as reference_router
from registry.api.schemas import PROBLEMS, Health
from registry.api.share_checks import router as share_checks_router
from registry.api.sparql_endpoint import SparqlEndpoint
from registry.api.stats import router as stats_router
from registry.api.tokens import router as tokens_router
from registry.api.workspace import router as workspace_router
from registry.config import Settings
from registry.domain.model import KINDS
from registry.projections.register import uncollected
from registry.projections.views import Views
from registry.services.control import ControlChannel
from registry.services.registry import Registry, open_registry
from registry.services.reports.transparency import Transparency
from registry.services.sessions import Sessions
from registry.stopping import Stopped, stoppable


def _settle(*, collect: bool = True) -> None:
    """Leave what the start-up built (the lineage graph, the indexes' and the register's kept structures, which
    live as long as the server) out of the cyclic collector's later full passes: each pass walked all of them
    (0.25 s CPU at 100k datasets, growing with the registry). With `collect`, the garbage is collected first,
    so none is kept (without it, what is garbage in cycles then stays: after the register's first computation,
    which runs with the collector off, a few dozen closures, where a pass over its new structures would hold
    the requests that follow its answer). The server's end hands them back."""
    if collect:
        gc.collect()
    gc.freeze()


def _warm(state: Any, registry: Registry, views: Views, stop: threading.Event) -> None:
    log = logging.getLogger("registry")
    try:
        with stoppable(stop):
            registry.warm()
            views.public.store()
            state.sparql_service.warm()
            state.ready = True
            _settle()
            # the transparency register of today, once the server is ready (its facts read from their file or
            # the catalogue index, then aggregated): a register request meanwhile waits for it instead of
            # computing it again. What it made is frozen before the collector runs again: no pass walks it
            with uncollected():
                Transparency(registry, views.public).report()
                _settle(collect=False)
    except Stopped:
        log.info("warming the indexes and views stopped: the server is shutting down")
    except Exception:  # noqa: BLE001 - a failure here is met again, and reported, by the first request
        # the text, not the exception: a log record keeping the traceback would keep Oxigraph's
        # iterators alive in its frames, to be dropped on another thread (which leaks them, and the store)
        log.error("warming the indexes and views failed:\n%s", traceback.format_exc())  # noqa: TRY400
    finally:
        state.ready = True


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> FastAPI:
    """An app over the store the settings name (or over an already open `registry`)."""
    settings = settings or (registry.settings if registry else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = registry is None
        # what the routes' dependencies hand out (api/deps.py, api/public_deps.py), built once here
        app.state.registry = reg = registry or open_registry(settings)
        app.state.views = views = reg.views  # the registry's, kept in step by its follower
        app.state.sparql_service = sparql = build_sparql(reg, views)
        app.state.limiter = RateLimiter(reg.settings.rate_per_minute)
        app.state.ready = not own
        control = await ControlChannel.start(app.state.registry, serve=own)  # `registry token` beside the server
        stop, warming = threading.Event(), None
        if own:  # a served registry: build the indexes and the public view now, not in the first request
            warming = threading.Thread(target=_warm, args=(app.state, reg, views, stop), name="warm", daemon=True)
            warming.start()
        try:
            yield
        finally:
            await control.stop()
            if warming is not None:  # the store stays open until the warm-up has stopped using it
                stop.set()
                await anyio.to_thread.run_sync(warming.join)
            sparql.close()  # its evaluator processes and snapshots (a later start makes new ones)
            if own:  # its projections too: the views save their position on disk, the next start replays nothing
                reg.close()
                gc.unfreeze()  # what `_settle` kept out of the collector's passes is collectable again

    app = FastAPI(
        title="Government data-sharing registry",
        version=__version__,
        description="Datasets, stewards, lineage, data-sharing agreements and the legal basis of each share.",
        lifespan=lifespan,
        responses=PROBLEMS,  # every route's errors are problem+json
        # the caller TokenCheck found, for routes that need it
        # (a path with a control character names nothing: 404 before any route reads it)
        dependencies=[Depends(plain_path), Depends(get_caller)],
    )
    errors.install(app)
    app.state.sessions = Sessions()  # the workspace's sessions and sign-in links (services/sessions.py)
    # SPARQL queries are answered below the router, once TokenCheck (added after it: outside it) found the caller
    app.add_middleware(SparqlEndpoint)
    # so are the public reads of records and lists (/datasets/{id}, /datasets?publisher=...): same functions, same errors
    app.add_middleware(RecordReads)
    # every request's bearer token is read before routing (a bad, expired or revoked one is 401 everywhere:
    # pages, FastAPI's /docs and /openapi.json, unknown paths) and counts against the caller's rate limit
    app.add_middleware(TokenCheck)
    app.include_router(lineage_router)
    app.include_router(openlineage_router)
    app.include_router(public_router)  # first: its HTML routes share the record URLs
    for kind in KINDS.values():
        app.include_router(record_router(kind))
    app.include_router(disposals_router)
    app.include_router(audit_router)
    app.include_router(reference_router)
    app.include_router(ontology_router)
    app.include_router(share_checks_router)
    app.include_router(stats_router)
    app.include_router(tokens_router)
    app.include_router(workspace_router)  # /workspace: the pages of stewards, privacy officers and admins

    @app.get("/health", tags=["meta"], summary="Liveness", response_model=Health)
    async def health(request: Request) -> Health:
        return Health(status="ok", version=__version__, ready=bool(getattr(request.app.state, "ready", True)))

    @app.get("/context.jsonld", tags=["meta"], summary="The JSON-LD context of every JSON-LD answer")
    async def context() -> JSONResponse:
        return JSONResponse({"@context": JSONLD_CONTEXT}, media_type="application/ld+json")

    return app
