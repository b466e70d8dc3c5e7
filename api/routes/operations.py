"""Health, readiness and metrics: public (no key), see ``api.roles``."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from api.auth import Service
from api.errors import store_unavailable
from api.metrics import MULTIPROCESS_METRICS, Metrics
from api.models import PUBLIC_ERRORS, HealthOut

router = APIRouter(tags=["operations"], responses=PUBLIC_ERRORS)


@router.get("/healthz", response_model=HealthOut, summary="The process answers")
async def healthz(service: Service) -> dict[str, str]:
    return {"status": "ok", "store": service.store.name}


@router.get(
    "/readyz",
    response_model=HealthOut,
    summary="The store answers, and has space to write after running out (else 503)",
)
def readyz(service: Service) -> dict[str, str]:
    problem = service.health()
    if problem is not None:
        raise store_unavailable(problem)
    return {"status": "ready", "store": service.store.name}


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    if os.environ.get(MULTIPROCESS_METRICS):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
