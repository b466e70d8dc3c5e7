"""The embedded store: SQLite in WAL mode in one file under the data directory.

Zero set-up and durable: every ``write`` is one SQLite transaction (``BEGIN IMMEDIATE``)
committed with ``synchronous=FULL``, so a crash (even SIGKILL) in the middle of a batch
leaves the store exactly as it was before that batch. One connection per thread; WAL lets
readers run while a writer writes. Batches of keys travel as one JSON parameter
(``json_each``), so there is no limit on batch size from SQLite's variable count.
"""

from __future__ import annotations

from graph.embedded.schema import SCHEMA_VERSION
from graph.embedded.store import DATABASE_FILE, EmbeddedStore
from graph.embedded.transaction import SqliteTransaction

__all__ = ["DATABASE_FILE", "SCHEMA_VERSION", "EmbeddedStore", "SqliteTransaction"]
