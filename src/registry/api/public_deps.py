"""Dependencies of the public read paths (SPARQL, transparency register, catalogue, web pages): the
registry's views and SPARQL service, made once per app on first use. Tests swap them with
`app.dependency_overrides[get_views]`."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import Depends, Request

from registry.api.deps import RegistryDep
from registry.projections.views import Views
from registry.services.registry import Registry
from registry.services.sparql import Limits, SparqlService

_LOCK = threading.Lock()


def views_of(state: Any, registry: Registry) -> Views:
    """The views of `registry` (its follower keeps them in step), for this app."""
    with _LOCK:
        views: Views | None = getattr(state, "public_views", None)
        if views is None or getattr(state, "public_views_of", None) is not registry:
            if views is not None:
                views.close()  # of a registry this app no longer serves: frees the views it kept on disk
            views = registry.views
            state.public_views, state.public_views_of = views, registry
    return views


def get_views(request: Request, registry: RegistryDep) -> Views:
    return views_of(request.app.state, registry)


ViewsDep = Annotated[Views, Depends(get_views)]


def get_sparql(request: Request, registry: RegistryDep, views: ViewsDep) -> SparqlService:
    state = request.app.state
    with _LOCK:
        service: SparqlService | None = getattr(state, "sparql_service", None)
        if service is None or service.views is not views or service.registry is not registry:
            if service is not None:
                service.close()
            s = registry.settings
            service = SparqlService(registry, views, Limits(
                timeout=s.sparql_timeout_seconds, max_rows=s.sparql_max_rows, max_concurrent=s.sparql_max_concurrent,
                anonymous_max_concurrent=s.sparql_anonymous_max_concurrent, memory_mb=s.sparql_memory_mb))
            state.sparql_service = service
    return service


SparqlDep = Annotated[SparqlService, Depends(get_sparql)]
