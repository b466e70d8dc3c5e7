"""Shared bits of the benchmark scripts: choosing a store and timing.

``--store neo4j`` runs against ``--neo4j-uri`` (default ``NEO4J_URI``, with
``NEO4J_USER``/``NEO4J_PASSWORD``/``NEO4J_DATABASE``) or, when none is given, a local
server from ``tools.neo4j_local`` started for the run in a scratch directory and stopped
after it. Either way the database is emptied first, so every run starts from nothing:
do not point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

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
        help="Neo4j to use, emptied first (default NEO4J_URI, else a local server for the run)",
    )


SERVER_PIDS: list[int] = []
"""The process of the local Neo4j started for this run (for ``cpu_seconds``)."""


@contextmanager
def _local_neo4j(home: Path) -> Iterator[str]:
    from tools import neo4j_local

    server = neo4j_local.start(home)
    SERVER_PIDS.append(server.pid)
    try:
        yield server.uri
    finally:
        SERVER_PIDS.remove(server.pid)
        neo4j_local.stop(home)


def neo4j_server(args: argparse.Namespace, scratch: Path) -> AbstractContextManager[str | None]:
    """A context giving the Bolt URI: the given one, or a local server for the run."""
    if args.store != "neo4j" or args.neo4j_uri:
        return nullcontext(args.neo4j_uri)
    return _local_neo4j(scratch / "neo4j")


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def bench_settings(args: argparse.Namespace, data_dir: Path, uri: str | None) -> Settings:
    settings = Settings(data_dir=data_dir, store=args.store, secret=BENCH_SECRET)
    if args.store == "neo4j" and uri:
        settings = settings.with_overrides(
            neo4j_uri=uri,
            neo4j_user=os.environ.get("NEO4J_USER", settings.neo4j_user),
            neo4j_password=os.environ.get("NEO4J_PASSWORD", settings.neo4j_password),
            neo4j_database=os.environ.get("NEO4J_DATABASE", settings.neo4j_database),
        )
    return settings


@contextmanager
def bench_service(args: argparse.Namespace) -> Iterator[tuple[IdentityService, Path]]:
    """The service on an empty store of the chosen kind, with its data directory (a
    scratch one unless ``--data-dir``); the store closed and any local server stopped
    after."""
    with tempfile.TemporaryDirectory(prefix="idgraph-bench-") as scratch:
        data_dir = args.data_dir or Path(scratch) / "data"
        with neo4j_server(args, Path(scratch)) as uri:
            service = open_service(args, data_dir, uri)
            try:
                yield service, data_dir
            finally:
                service.store.close()


def open_service(args: argparse.Namespace, data_dir: Path, uri: str | None) -> IdentityService:
    """The service on an empty store of the chosen kind."""
    settings = bench_settings(args, data_dir, uri)
    service = build_service(settings)
    if args.store == "neo4j":
        empty_neo4j(settings)
    return service


def empty_neo4j(settings: Settings) -> None:
    """Delete everything but the settings kept with the data (the version, the ID key)."""
    from graph.neo4j_store import shared_driver

    driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    with driver.session(database=settings.neo4j_database) as session:
        session.run(
            "MATCH (n) WHERE NOT n:Meta CALL (n) { DETACH DELETE n } IN TRANSACTIONS"
        ).consume()


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
