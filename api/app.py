"""The FastAPI application: routers per user group over ``IdentityService``, bearer-key
roles and rate limits checked before a body is read (``api.auth``, ``api.roles``,
``api.rate_limits``), one error body (``api.errors``), a request size
limit (``api.limits``), Prometheus metrics (``api.metrics``) and the single lookup's hot
path (``api.lookup_fast_path``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from api.errors import install_error_handlers
from api.limits import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware
from api.lookup_fast_path import PATH as lookup_path
from api.lookup_fast_path import LookupFastPath
from api.metrics import Metrics, MetricsMiddleware
from api.rate_limits import RateLimiter
from api.routes import (
    admin,
    docs,
    ingest,
    lookup,
    operations,
    pages,
    privacy,
    search,
    stewardship,
)
from identity.service import IdentityService

ROUTERS = (operations, lookup, ingest, stewardship, search, privacy, admin, pages)


def create_app(
    service: IdentityService,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """``clock``: the rate limits' (``api.rate_limits``), seconds that only go forward."""
    app = FastAPI(
        # /docs is served by api.routes.docs (no CDN, a strict CSP); no /redoc.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        title="idgraph",
        version="0.1.0",
        description=(
            "Identity graph and single customer view. Send `Authorization: Bearer KEY`; a"
            " key's role (reader, loader, steward, privacy, admin) decides the routes it may"
            " use. /healthz, /readyz and /metrics need no key."
        ),
    )
    install_error_handlers(app)
    app.state.service = service
    app.state.metrics = metrics = Metrics()
    app.state.rate_limiter = RateLimiter(clock)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(docs.router)
    app.add_middleware(LookupFastPath, route=_route(lookup.router, "GET", lookup_path))
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _route(router: APIRouter, method: str, path: str) -> APIRoute:
    return next(
        r
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and method in (r.methods or ())
    )
