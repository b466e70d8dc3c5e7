"""Shared bits of the benchmark scripts: choosing a store and timing."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from api.bootstrap import build_service
from identity.service import IdentityService
from identity.settings import Settings

BENCH_SECRET = "bench-secret"


def add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", choices=("embedded", "neo4j"), default="embedded")
    parser.add_argument("--data-dir", type=Path, help="default: a fresh temporary directory")
    parser.add_argument(
        "--neo4j-uri",
        default=os.environ.get("NEO4J_URI"),
        help="Neo4j to use (default NEO4J_URI, else a local server started for the run)",
    )


def neo4j_server(args: argparse.Namespace, scratch: Path) -> AbstractContextManager[Any]:
    """A context giving the Bolt URI: the given one, or a local server for the run."""
    if args.store != "neo4j" or args.neo4j_uri:
        return nullcontext(args.neo4j_uri)
    from contextlib import contextmanager

    from graph import neo4j_local

    @contextmanager
    def local() -> Any:
        server = neo4j_local.start(scratch / "neo4j")
        try:
            yield server.uri
        finally:
            neo4j_local.stop(scratch / "neo4j")

    return local()


def open_service(args: argparse.Namespace, data_dir: Path, uri: str | None) -> IdentityService:
    settings = Settings(data_dir=data_dir, store=args.store, secret=BENCH_SECRET)
    if uri:
        settings = settings.with_overrides(neo4j_uri=uri)
    service = build_service(settings)
    if args.store == "neo4j":
        from graph.neo4j_store import shared_driver

        driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        with driver.session(database=settings.neo4j_database) as session:
            session.run(
                "MATCH (n) WHERE NOT n:Meta CALL (n) { DETACH DELETE n } IN TRANSACTIONS"
            ).consume()
    return service


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
