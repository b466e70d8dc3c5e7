"""``EmbeddedStore``: the SQLite file, one connection per thread, and ``write``/``read`` as
SQLite transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from graph.embedded.schema import prepare
from graph.embedded.transaction import PROFILE_BY_IDENTIFIER, SqliteTransaction
from graph.records import ProfileRow
from graph.store import GraphTransaction, StoreError

T = TypeVar("T")

DATABASE_FILE = "idgraph.sqlite3"


class EmbeddedStore:
    """``GraphStore`` on SQLite; see the package docstring for its guarantees."""

    name = "embedded"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DATABASE_FILE
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"embedded store: cannot create data directory {data_dir}: {e}") from e
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrate()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False, timeout=30
                )
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = FULL")
                connection.execute("PRAGMA foreign_keys = OFF")
                connection.execute("PRAGMA cache_size = -65536")
                # Checkpoint every 64 MiB of WAL instead of SQLite's 4 MiB: a batch of a load
                # writes several MiB, so the default copied pages back to the database file
                # (and synced it) at nearly every commit; each commit still syncs the WAL.
                connection.execute("PRAGMA wal_autocheckpoint = 16384")
            except sqlite3.Error as e:
                raise StoreError(f"embedded store: cannot open {self.path}: {e}") from e
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _migrate(self) -> None:
        prepare(self._connection(), self.path)

    def _run(self, begin: str, work: Callable[[GraphTransaction], T], what: str) -> T:
        db = self._connection()
        try:
            db.execute(begin)
        except sqlite3.Error as e:
            raise StoreError(f"embedded store {self.path}: cannot begin {what}: {e}") from e
        try:
            result = work(SqliteTransaction(db))
        except sqlite3.Error as e:
            db.execute("ROLLBACK")
            raise StoreError(f"embedded store {self.path}: {what} failed: {e}") from e
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as e:
            db.execute("ROLLBACK")
            raise StoreError(f"embedded store {self.path}: commit of {what} failed: {e}") from e
        return result

    def write(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run("BEGIN IMMEDIATE", work, "write")

    def profile_by_identifier(self, key: str) -> ProfileRow | None:
        # One statement outside BEGIN ... COMMIT is its own read transaction: the same
        # snapshot guarantee with a third of the statements.
        try:
            row = self._connection().execute(PROFILE_BY_IDENTIFIER, (key,)).fetchone()
        except sqlite3.Error as e:
            raise StoreError(f"embedded store {self.path}: lookup failed: {e}") from e
        return None if row is None else ProfileRow._make(row)

    def read(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run("BEGIN", work, "read")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
