"""The public read paths in one router: the HTML pages, /sparql, the transparency register and reports,
/catalog. Included before the record routers, so that its HTML routes (which match only when the Accept
header prefers text/html) are tried first on /datasets/{id}, /catalog and the like."""

from __future__ import annotations

from fastapi import APIRouter

from registry.api.reports import router as reports_router
from registry.api.sparql import router as sparql_router
from registry.api.web import router as web_router

router = APIRouter()
router.include_router(web_router)
router.include_router(sparql_router)
router.include_router(reports_router)
