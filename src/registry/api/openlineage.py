"""POST /api/v1/lineage: OpenLineage RunEvents (the path OpenLineage's HTTP transport posts to)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from registry.api.deps import RegistryDep, json_body, role
from registry.api.negotiation import JSON
from registry.api.schemas import Ingested
from registry.services.auth import Caller
from registry.services.ingest.openlineage import OpenLineageIngest

router = APIRouter(prefix="/api/v1", tags=["lineage"])

EXAMPLE = {
    "eventType": "COMPLETE", "eventTime": "2025-03-01T10:00:00Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0190b6a2-5f0e-7c3a-8d1e-0a2b3c4d5e6f"},
    "job": {"namespace": "moh-airflow", "name": "claims.link_registry"},
    "inputs": [{"namespace": "postgres://moh-db:5432", "name": "claims.ohip"}],
    "outputs": [{"namespace": "postgres://moh-db:5432", "name": "analytics.linked_claims"}],
}


@router.post(
    "/lineage",
    status_code=201,
    summary="Record an OpenLineage RunEvent as PROV lineage",
    description=(
        "Validates the event against the OpenLineage RunEvent schema, matches its datasets by namespace and "
        "name (or creates them, flagged `needs-steward-review`), makes every output derived from every input "
        "through the normal write path, and records the run as a PROV activity. 201 when something was "
        "written, 200 when the event changed nothing (a re-sent event, a FAIL or ABORT event). Steward or "
        "admin token."
    ),
    response_model=Ingested,
    responses={200: {"model": Ingested, "description": "The event changed nothing"}},
    openapi_extra={"requestBody": {"required": True, "content": {
        JSON: {"schema": {"type": "object"}, "example": EXAMPLE}}}},
)
def post_lineage(caller: Annotated[Caller, role("steward", "admin")],
                 event: Annotated[Any, json_body("an OpenLineage event")], registry: RegistryDep) -> JSONResponse:
    # validation and writes (SHACL, the disk's sync): a plain function, run in the thread pool
    result = OpenLineageIngest(registry).ingest(event, caller)
    return JSONResponse(result.as_json(), status_code=201 if result.changed else 200)
