"""Health, readiness and metrics: public (no key), see ``api.roles``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.auth import Service
from api.errors import ApiError
from api.metrics import Metrics
from api.models import PUBLIC_ERRORS, HealthOut

router = APIRouter(tags=["operations"], responses=PUBLIC_ERRORS)


@router.get("/healthz", response_model=HealthOut, summary="The process answers")
async def healthz(service: Service) -> dict[str, str]:
    return {"status": "ok", "store": service.store.name}


@router.get("/readyz", response_model=HealthOut, summary="The store answers a read (else 503)")
def readyz(service: Service) -> dict[str, str]:
    if not service.ready():
        raise ApiError(503, "store_unavailable", "the store does not answer")
    return {"status": "ready", "store": service.store.name}


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
