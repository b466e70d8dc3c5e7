"""What batch loaders use: observations as a JSON array or as an NDJSON upload. Role
``loader``.

Each item is all-or-nothing: an item with any refusal (a bad identifier among good ones
too) is rejected whole, with its index and reasons; the accepted items are stored in one
transaction, so a request either stores all of them or (503) none.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import Body, Request
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, Service, keyed_router
from api.errors import ApiError
from api.metrics import Metrics
from api.models import MAX_BATCH, IngestOut
from api.roles import may_use
from identity.access import KeyInfo
from identity.errors import InputRefused, Refusal
from identity.service import IdentityService, IngestReport
from identity.strict_json import ndjson_documents

router = keyed_router("ingest")
NDJSON = "application/x-ndjson"
_OBSERVATION_EXAMPLE = {
    "source": "crm",
    "observed_at": "2026-01-01T12:00:00Z",
    "authenticated": True,
    "identifiers": [{"type": "email", "value": "ann@example.com"}],
    "attributes": {"first_name": "Ann"},
    "consent": [{"purpose": "email", "status": "denied"}],
}


@router.post(
    "/observations",
    response_model=IngestOut,
    response_model_exclude_unset=True,
    summary=f"Ingest up to {MAX_BATCH:,} observations (a JSON array of objects)",
)
def observations(
    service: Service,
    caller: Caller,
    request: Request,
    items: Annotated[list[dict[str, Any]], Body(examples=[[_OBSERVATION_EXAMPLE]])],
) -> dict[str, Any]:
    if len(items) > MAX_BATCH:
        raise ApiError(
            413, "batch_too_large", f"{len(items):,} observations; at most {MAX_BATCH:,}"
        )
    return _ingest(service, caller, request, list(enumerate(items)))


@router.post(
    "/observations/bulk",
    response_model=IngestOut,
    response_model_exclude_unset=True,
    summary="Ingest an NDJSON upload: one observation per line (blank lines skipped)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {NDJSON: {"schema": {"type": "string"}}},
        }
    },
)
async def bulk(service: Service, caller: Caller, request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        raise InputRefused([Refusal("body", "", "body.missing", "send one observation a line")])
    lines = list(ndjson_documents(io.BytesIO(body)))
    return await run_in_threadpool(_ingest, service, caller, request, lines)


def _ingest(
    service: IdentityService, caller: KeyInfo, request: Request, items: list[tuple[int, object]]
) -> dict[str, Any]:
    report: IngestReport = service.ingest_items(items, caller.actor)
    metrics: Metrics = request.app.state.metrics
    metrics.ingested(report.accepted, len(report.rejections), report.outcome)
    # The counts that tell known, unknown and erased identifiers apart go only to a key
    # that may look identifiers up anyway (docs/security.md).
    return report.to_dict(detailed=may_use(caller.role, "GET", "/v1/lookup"))
