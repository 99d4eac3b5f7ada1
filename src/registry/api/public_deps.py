"""Dependencies of the public read paths (SPARQL, transparency register, catalogue, web pages): the
registry's views (projections/views.py) and the SPARQL service over them, which the app's lifespan builds
once (`build_sparql`). Tests swap them with `app.dependency_overrides[get_views]` and `[get_sparql]`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry.projections.views import Views
from registry.services.registry import Registry
from registry.services.sparql import Limits, SparqlService


def build_sparql(registry: Registry, views: Views) -> SparqlService:
    """The SPARQL service over `views`, bounded by the registry's settings (its evaluator processes start on
    the first query)."""
    s = registry.settings
    return SparqlService(registry, views, Limits(
        timeout=s.sparql_timeout_seconds, max_rows=s.sparql_max_rows, max_concurrent=s.sparql_max_concurrent,
        anonymous_max_concurrent=s.sparql_anonymous_max_concurrent, memory_mb=s.sparql_memory_mb,
        processes=s.sparql_processes))


async def get_views(request: Request) -> Views:
    views: Views = request.app.state.views
    return views


async def get_sparql(request: Request) -> SparqlService:
    service: SparqlService = request.app.state.sparql_service
    return service


ViewsDep = Annotated[Views, Depends(get_views)]
SparqlDep = Annotated[SparqlService, Depends(get_sparql)]
