"""Running the API under uvicorn: in this process, or as several worker processes on one
port (``idgraph serve --workers N``).

Workers are separate processes (one Python process uses one CPU), each building its own
service from the same settings: the CLI hands them over as the environment variables
``load_settings`` reads (``IDGRAPH_CONFIG``, ``IDGRAPH_DATA_DIR``, ``IDGRAPH_STORE``;
the rest of the environment is inherited) and uvicorn calls ``app_from_environment`` in
each. What the workers share lives in the store: the embedded store is SQLite in WAL mode
(readers in parallel, one writer at a time across processes), Neo4j is a server. What
each keeps to itself: API keys it has read, for ``key_cache_seconds``; Prometheus counts,
which go to files in a scratch directory (``prometheus_client`` multiprocess mode,
``PROMETHEUS_MULTIPROC_DIR``) so that ``/metrics`` answers the sum over the workers.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.bootstrap import build_service
from api.http_protocols import http_protocol
from api.metrics import MULTIPROCESS_METRICS
from api.server_log import log_config
from identity.service import IdentityService
from identity.settings import Settings, load_settings


def app_from_environment() -> FastAPI:
    """The app of one worker: settings from the environment (``--factory`` target)."""
    app = create_app(build_service(load_settings()))
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Move everything built so far out of the garbage collector's sight.

    A served process holds many long-lived objects (modules, the app, models); each full
    collection walks them all, a pause that lands on whatever requests are in flight and
    alone can put the tail latency over its aim (``bench/http.py``, docs/benchmarks.md).
    They live as long as the process, so there is nothing to collect among them."""
    gc.collect()
    gc.freeze()


def uvicorn_options(access_log: bool = True) -> dict[str, Any]:
    """How ``idgraph serve`` configures uvicorn: its log without personal data
    (``api.server_log``: access lines by route template; uvicorn's own access log off),
    and the HTTP implementation that answers malformed requests in JSON
    (``api.http_protocols``)."""
    return {
        "log_level": "info",
        "access_log": False,
        "log_config": log_config(access_log),
        "http": http_protocol(),
    }


def serve(
    service: IdentityService,
    settings: Settings,
    config: Path | None,
    host: str,
    port: int,
    workers: int = 1,
    access_log: bool = True,
) -> None:
    import uvicorn

    if workers <= 1:
        app = create_app(service)
        freeze_startup_objects()
        uvicorn.run(app, host=host, port=port, **uvicorn_options(access_log))
        return
    metrics_dir = tempfile.mkdtemp(prefix="idgraph-metrics-")
    os.environ.update(
        {
            "IDGRAPH_DATA_DIR": str(settings.data_dir.resolve()),
            "IDGRAPH_STORE": settings.store,
            MULTIPROCESS_METRICS: metrics_dir,
        }
    )
    if config is not None:
        os.environ["IDGRAPH_CONFIG"] = str(config.resolve())
    try:
        uvicorn.run(
            "api.serving:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            **uvicorn_options(access_log),
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
