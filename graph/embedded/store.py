"""``EmbeddedStore``: the SQLite file, one connection per thread, and ``write``/``read`` as
SQLite transactions."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from graph.embedded.schema import prepare
from graph.embedded.transaction import PROFILE_BY_IDENTIFIER, SqliteTransaction
from graph.records import ProfileRow
from graph.store import STORE_FULL, STORE_UNAVAILABLE, GraphTransaction, StoreError

T = TypeVar("T")

DATABASE_FILE = "idgraph.sqlite3"
_BEGIN_WRITE = "BEGIN IMMEDIATE"


def _failure(message: str, error: sqlite3.Error) -> StoreError:
    full = getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return StoreError(f"{message}: {error}", STORE_FULL if full else STORE_UNAVAILABLE)


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back what is open. SQLite has already rolled back a transaction that ran out
    of space, and a ROLLBACK then fails: that must not hide the failure being handled."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _probe_space(tx: GraphTransaction) -> None:
    tx.set_meta("health", "x" * 65536)
    tx.set_meta("health", "written")


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
        self._full: StoreError | None = None
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
                # Erased values must not linger in free space of the database file: SQLite
                # overwrites content with zeros as it is deleted.
                connection.execute("PRAGMA secure_delete = ON")
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
        try:
            return self._transaction(begin, work, what)
        except StoreError as e:
            if e.cause == STORE_FULL:
                self._full = e
            raise

    def _transaction(self, begin: str, work: Callable[[GraphTransaction], T], what: str) -> T:
        db = self._connection()
        try:
            db.execute(begin)
        except sqlite3.Error as e:
            raise _failure(f"embedded store {self.path}: cannot begin {what}", e) from e
        try:
            result = work(SqliteTransaction(db))
        except sqlite3.Error as e:
            _rollback(db)
            raise _failure(f"embedded store {self.path}: {what} failed", e) from e
        except BaseException:
            _rollback(db)
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as e:
            _rollback(db)
            raise _failure(f"embedded store {self.path}: commit of {what} failed", e) from e
        if begin == _BEGIN_WRITE:
            self._full = None
        return result

    def write(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run(_BEGIN_WRITE, work, "write")

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

    def health(self) -> StoreError | None:
        try:
            self.read(lambda tx: tx.get_meta("health"))
            if self._full is not None:
                # Space may have come back: a write that needs new pages tells.
                self.write(_probe_space)
        except StoreError as e:
            return e
        return None

    def scrub(self) -> None:
        # TRUNCATE waits (through the busy timeout) for readers of older snapshots, copies
        # every frame into the database file and empties the log; a reader that stays
        # on an old snapshot past the timeout leaves it busy.
        try:
            for _ in range(3):
                busy, _log, _done = (
                    self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                )
                if not busy:
                    return
        except sqlite3.Error as e:
            raise _failure(f"embedded store {self.path}: cannot checkpoint the log", e) from e
        raise StoreError(
            f"embedded store {self.path}: the write-ahead log could not be emptied (a reader"
            " held an old snapshot); the erasure is committed, its values remain in the log"
            " until the next checkpoint"
        )

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
