"""Prometheus metrics, one registry per app (so two apps in one process, as in tests, keep
separate counts): requests and latency by route template, observations ingested and
rejected, identifiers suppressed, profile merges and splits."""

from __future__ import annotations

import logging
import time
from typing import Annotated, Final

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.server_log import access_log, log_request
from identity.staging import BatchOutcome

KEY_SCOPE: Final = "idgraph.key"
"""Where the request's API key (a ``KeyInfo``), once identified, is kept in the ASGI scope:
set by ``api.auth`` and the lookup fast path, read here for the access log."""
ADMITTED_SCOPE: Final = "idgraph.admitted"
"""Set in the ASGI scope when the key passed every check (role, rate limit, query), so
that the route does not check (nor count) it again."""

MULTIPROCESS_METRICS = "PROMETHEUS_MULTIPROC_DIR"
"""Set (by ``api.serving`` for several workers): counts go to files there, summed on read."""

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "idgraph_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "idgraph_http_request_duration_seconds",
            "Time to answer, by method and route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.observations = Counter(
            "idgraph_observations",
            "Observations received over HTTP, by outcome (accepted, rejected)",
            ["outcome"],
            registry=self.registry,
        )
        self.suppressed = Counter(
            "idgraph_identifiers_suppressed",
            "Identifiers not stored because they were erased before",
            registry=self.registry,
        )
        self.merges = Counter(
            "idgraph_profile_merges",
            "Profiles merged into another (by ingest or by a steward)",
            registry=self.registry,
        )
        self.splits = Counter(
            "idgraph_profile_splits",
            "Profiles split (by a steward or an erasure)",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "idgraph_rate_limited",
            "Requests refused (429) for their key's rate limit, by route template and role",
            ["route", "role"],
            registry=self.registry,
        )

    def ingested(self, accepted: int, rejected: int, outcome: BatchOutcome) -> None:
        self.observations.labels("accepted").inc(accepted)
        self.observations.labels("rejected").inc(rejected)
        self.suppressed.inc(outcome.suppressed_identifiers)
        self.merges.inc(outcome.profiles_merged)
        self.splits.inc(outcome.profiles_split)

    def reshaped(self, merged: int, split: int) -> None:
        self.merges.inc(merged)
        self.splits.inc(split)


async def metrics_of(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


AppMetrics = Annotated[Metrics, Depends(metrics_of)]


class MetricsMiddleware:
    """Times every HTTP request and counts it under its route template (``unmatched``
    for paths no route knows, so random paths cannot grow the label set), and writes its
    line of the access log (``api.server_log``: the template, never the path as sent)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(seconds)
            if access_log.isEnabledFor(logging.INFO):
                caller = scope.get(KEY_SCOPE)
                log_request(method, route, status, seconds, caller.actor if caller else "-")
