"""``idgraph --store neo4j load --initial FILE``: a first load into an empty Neo4j database
through ``neo4j-admin database import`` instead of transactions.

The file is loaded (parsed, resolved: the same resolver, so the same profiles as a normal
load) into an embedded store in a scratch directory; its rows are written as the import
files of the Neo4j model (``graph.neo4j_store.bulk_import``, into ``DATA_DIR/neo4j-import``);
the import tool builds the database from them; then the database is opened as usual
(constraints, indexes, plans) and serves.

- The local server (``--neo4j-dir``, ``tools.neo4j_local``): the admin tool in the jars it
  already has, with the server stopped (and started again after, on the same port).
- ``--import-with docker``: the image's ``neo4j-admin`` through ``docker compose run`` with
  the ``neo4j`` service stopped (started again after); the import directory is the one
  docker-compose.yml mounts at ``/import``.

The database must be empty (nothing but the settings idgraph keeps with it): a database
with data is refused.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Final

from api.bootstrap import build_service
from cli.loading import load_file
from graph.embedded import DATABASE_FILE
from graph.embedded.dump import open_dump
from graph.neo4j_store import shared_driver
from graph.neo4j_store.bulk_import import ImportFiles, write_import_files
from graph.neo4j_store.driver import DRIVER_ERRORS
from graph.store import StoreError
from identity.service import IdentityService
from identity.settings import Settings

IMPORT_DIR: Final = "neo4j-import"
CONTAINER_IMPORT_DIR: Final = Path("/import")
START_TIMEOUT: Final = 180.0
_HAS_DATA: Final = "MATCH (n) WHERE NOT n:Meta RETURN count(n) > 0 AS has_data"


class InitialLoadRefused(Exception):
    """The database is not empty, or the store is not Neo4j."""


def initial_load(settings: Settings, args: argparse.Namespace) -> int:
    if settings.store != "neo4j":
        print("idgraph load --initial: only for the neo4j store (--store neo4j)", file=sys.stderr)
        return 2
    path: Path = args.file
    if not path.is_file():
        print(f"idgraph load: no such file: {path}", file=sys.stderr)
        return 2
    import_dir = settings.data_dir / IMPORT_DIR
    rejects_path: Path = args.rejects or path.with_name(path.name + ".rejects.ndjson")
    try:
        if args.import_with == "local":
            uri = _into_local_server(settings, args, path, rejects_path, import_dir)
        else:
            _refuse_unless_empty(settings, settings.neo4j_uri)
            _import_with_docker(_resolve_and_write(settings, args, path, rejects_path, import_dir))
            uri = settings.neo4j_uri
    except InitialLoadRefused as e:
        print(f"idgraph load --initial: {e}", file=sys.stderr)
        return 2
    service = _open_when_up(settings.with_overrides(neo4j_uri=uri))
    try:
        counts = service.counts()
    finally:
        service.store.close()
    print(
        f"imported into {uri}: {counts['identifiers']:,} identifiers, {counts['edges']:,}"
        f" links, {counts['profiles']:,} profiles"
    )
    return 0


def _open_when_up(settings: Settings) -> IdentityService:
    """The service on the imported database, once the server answers (a container that was
    just started takes a while)."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return build_service(settings)
        except StoreError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(2)


def _resolve_and_write(
    settings: Settings, args: argparse.Namespace, path: Path, rejects_path: Path, import_dir: Path
) -> ImportFiles:
    """Load the file into an embedded store in a scratch directory and write the import
    files of its rows."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="idgraph-initial-", dir=settings.data_dir) as scratch:
        embedded = build_service(settings.with_overrides(store="embedded", data_dir=Path(scratch)))
        try:
            with rejects_path.open("w", encoding="utf-8") as rejects:
                report = load_file(
                    embedded, path, rejects, args.format, args.batch_size, None, args.parse_worker
                )
        finally:
            embedded.store.close()
        connection, dump = open_dump(Path(scratch) / DATABASE_FILE)
        try:
            files = write_import_files(dump, import_dir)
        finally:
            connection.close()
    print(
        f"resolved {report.observations_accepted:,} observations"
        f" ({report.lines_rejected:,} lines rejected, in {rejects_path});"
        f" import files in {import_dir}"
    )
    return files


def _refuse_unless_empty(settings: Settings, uri: str) -> None:
    driver = shared_driver(uri, settings.neo4j_user, settings.neo4j_password)
    try:
        records = driver.execute_query(_HAS_DATA, database_=settings.neo4j_database).records
    except DRIVER_ERRORS as e:
        raise StoreError(f"neo4j store {uri}: cannot tell whether it is empty: {e}") from e
    if records and records[0]["has_data"]:
        raise InitialLoadRefused(
            f"the database at {uri} holds data; an initial load needs an empty one"
            " (load into it with idgraph load, without --initial)"
        )


def _into_local_server(
    settings: Settings, args: argparse.Namespace, path: Path, rejects_path: Path, import_dir: Path
) -> str:
    from tools import neo4j_local

    home: Path = args.neo4j_dir
    running = neo4j_local.status(home)
    if running is None and (home / neo4j_local.STORE_DIR).is_dir():
        running = neo4j_local.start(home)
    if running is not None:
        _refuse_unless_empty(settings, running.uri)
    files = _resolve_and_write(settings, args, path, rejects_path, import_dir)
    port = running.port if running is not None else None
    neo4j_local.stop(home)
    try:
        neo4j_local.run_admin(home, files.arguments())
    except neo4j_local.LocalNeo4jError as e:
        raise StoreError(f"neo4j import into {home}: {e}") from e
    server = neo4j_local.start(home, port=port)
    print(f"local Neo4j serving the imported database: {server.uri}")
    return server.uri


def _import_with_docker(files: ImportFiles) -> None:
    """The image's neo4j-admin, with the neo4j service stopped for the import."""
    admin = ["neo4j-admin", *files.arguments(under=CONTAINER_IMPORT_DIR)]
    for command in (
        ["docker", "compose", "stop", "neo4j"],
        ["docker", "compose", "run", "--rm", "--no-deps", "neo4j", *admin],
        ["docker", "compose", "start", "neo4j"],
    ):
        try:
            done = subprocess.run(command, check=False, timeout=3600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise StoreError(f"neo4j import: {' '.join(command[:4])} failed: {e}") from e
        if done.returncode != 0:
            raise StoreError(f"neo4j import: {' '.join(command[:4])} exited {done.returncode}")
