"""The embedded store: SQLite in WAL mode in one file under the data directory.

Zero set-up and durable: every ``write`` is one SQLite transaction (``BEGIN IMMEDIATE``)
committed with ``synchronous=FULL``, so a crash (even SIGKILL) in the middle of a batch
leaves the store exactly as it was before that batch. One connection per thread; WAL lets
readers run while a writer writes. Batches of keys travel as one JSON parameter
(``json_each``), so there is no limit on batch size from SQLite's variable count.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from graph.records import (
    AuditRow,
    ChangeRow,
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)
from graph.store import (
    STORE_FULL,
    STORE_UNAVAILABLE,
    GraphTransaction,
    StoreError,
    person_records_to_file,
)

T = TypeVar("T")

SCHEMA_VERSION = 4
DATABASE_FILE = "idgraph.sqlite3"

_PROFILES_TABLE = (
    "(id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    " identifiers TEXT NOT NULL, attributes TEXT NOT NULL, consent TEXT NOT NULL,"
    " lineage TEXT NOT NULL)"
)

# One row per observation and identifier, its attributes as one JSON object: the same
# facts as one row per attribute in a third of the pages (facts are the largest table a
# load writes, and its keys are random, so every row written dirties a page of its own).
_FACTS_TABLE = (
    "(identifier_key TEXT NOT NULL, observation_id TEXT NOT NULL, source TEXT NOT NULL,"
    " observed_at TEXT NOT NULL, attributes TEXT NOT NULL,"
    " PRIMARY KEY (identifier_key, observation_id)) WITHOUT ROWID"
)
# One b-tree: the entries of a block lie together. ``seq`` (from the meta row
# ``block_seq``) keeps the arrival order; the blocks a record is filed under are listed in
# its ``person_records.blocks``, which erasure reads instead of an index by record.
_BLOCK_ENTRIES_TABLE = (
    "(block_key TEXT NOT NULL, record_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (block_key, record_id)) WITHOUT ROWID"
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS identifiers (
    key TEXT PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL, profile_id TEXT,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL,
    generic TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identifiers_by_profile ON identifiers (profile_id);
CREATE TABLE IF NOT EXISTS edges (
    left_key TEXT NOT NULL, right_key TEXT NOT NULL, matcher TEXT NOT NULL, rule TEXT NOT NULL,
    weight REAL NOT NULL, status TEXT NOT NULL, source TEXT NOT NULL, evidence TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, count INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (left_key, right_key, matcher, rule)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_by_right ON edges (right_key);
CREATE INDEX IF NOT EXISTS edges_by_status ON edges (status, left_key, right_key);
CREATE TABLE IF NOT EXISTS facts {_FACTS_TABLE};
CREATE TABLE IF NOT EXISTS consent (
    statement_id TEXT PRIMARY KEY, subject_key TEXT NOT NULL, purpose TEXT NOT NULL,
    status TEXT NOT NULL, at TEXT NOT NULL, source TEXT NOT NULL, proof TEXT NOT NULL,
    via TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS consent_by_subject ON consent (subject_key);
CREATE TABLE IF NOT EXISTS profiles {_PROFILES_TABLE};
CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, target TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_by_target ON aliases (target);
CREATE TABLE IF NOT EXISTS changes (
    position INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, profile_id TEXT NOT NULL,
    at TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstones (hash TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS person_records (
    id TEXT PRIMARY KEY, identifier_key TEXT NOT NULL, fields TEXT NOT NULL,
    blocks TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS person_records_by_identifier ON person_records (identifier_key);
CREATE TABLE IF NOT EXISTS block_entries {_BLOCK_ENTRIES_TABLE};
CREATE TABLE IF NOT EXISTS audit (
    position INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL
);
"""

_UPGRADE_FROM_1 = (
    f"CREATE TABLE profiles_v2 {_PROFILES_TABLE}",
    "INSERT INTO profiles_v2 SELECT id, created_at, updated_at, identifiers, attributes,"
    " consent, lineage FROM profiles",
    "DROP TABLE profiles",
    "ALTER TABLE profiles_v2 RENAME TO profiles",
    "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
)

# The facts of one (identifier, observation) share the observation's source and time.
_UPGRADE_FACTS_FROM_2 = (
    f"CREATE TABLE facts_v3 {_FACTS_TABLE}",
    "INSERT INTO facts_v3 SELECT identifier_key, observation_id, min(source),"
    " min(observed_at), json_group_object(name, value) FROM"
    " (SELECT * FROM facts ORDER BY identifier_key, observation_id, name)"
    " GROUP BY identifier_key, observation_id",
    "DROP TABLE facts",
    "ALTER TABLE facts_v3 RENAME TO facts",
)
_UPGRADE_BLOCKS_FROM_2 = (
    "ALTER TABLE person_records ADD COLUMN blocks TEXT NOT NULL DEFAULT '[]'",
    "UPDATE person_records SET blocks = (SELECT json_group_array(block_key) FROM"
    " (SELECT block_key FROM block_entries WHERE record_id = person_records.id ORDER BY seq))",
    f"CREATE TABLE block_entries_v3 {_BLOCK_ENTRIES_TABLE}",
    "INSERT INTO block_entries_v3 SELECT block_key, record_id, seq FROM block_entries",
    "INSERT OR REPLACE INTO meta (key, value)"
    " SELECT 'block_seq', coalesce(max(seq), 0) FROM block_entries",
    "DROP TABLE block_entries",
    "ALTER TABLE block_entries_v3 RENAME TO block_entries",
)

_FACTS_COUNT = "(SELECT count(*) FROM json_each(attributes))"

_BEGIN_WRITE = "BEGIN IMMEDIATE"

_EDGE_COLUMNS = (
    "left_key, right_key, matcher, rule, weight, status, source, evidence, first_seen,"
    " last_seen, count, reason"
)

_PROFILE_COLUMNS = (
    "p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent, p.lineage"
)


_PROFILE_BY_IDENTIFIER = (
    f"SELECT {_PROFILE_COLUMNS} FROM identifiers i JOIN profiles p"
    " ON p.id = i.profile_id WHERE i.key = ?"
)


def _failure(message: str, error: sqlite3.Error) -> StoreError:
    full = getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return StoreError(f"{message}: {error}", STORE_FULL if full else STORE_UNAVAILABLE)


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back what is open. SQLite has already rolled back a transaction that ran out
    of space, and a ROLLBACK then fails: that must not hide the failure being handled."""
    if db.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")


def _keys(values: Iterable[str]) -> str:
    return _json(list(values))


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


# The one encoder of the store's JSON parameters and fact rows (read back by json_each
# and json.loads, never compared as text): built once, not per call as json.dumps does.
_json = json.JSONEncoder(separators=(",", ":")).encode


class SqliteTransaction:
    """``GraphTransaction`` over one SQLite connection inside BEGIN ... COMMIT.

    Rows (named tuples) go to ``executemany`` as they are: each statement lists its
    columns in the order of the row's fields."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def upsert_identifiers(self, rows: Sequence[IdentifierRow]) -> None:
        self._db.executemany(
            "INSERT INTO identifiers (key, type, value, profile_id, first_seen, last_seen, count)"
            " VALUES (?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
            " first_seen = min(first_seen, excluded.first_seen),"
            " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count",
            rows,
        )

    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        self._db.executemany(
            f"INSERT INTO edges ({_EDGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (left_key, right_key, matcher, rule) DO UPDATE SET"
            " weight = max(weight, excluded.weight),"
            " status = CASE WHEN status = 'weak' THEN excluded.status ELSE status END,"
            " reason = CASE WHEN status = 'weak' THEN excluded.reason ELSE reason END,"
            " source = excluded.source, evidence = excluded.evidence,"
            " first_seen = min(first_seen, excluded.first_seen),"
            " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count",
            rows,
        )

    def set_edge_status(self, rows: Sequence[EdgeStatusRow]) -> None:
        self._db.executemany(
            "UPDATE edges SET status = ?, reason = ? WHERE left_key = ? AND right_key = ?"
            " AND matcher = ? AND rule = ?",
            [(r.status, r.reason, r.left, r.right, r.matcher, r.rule) for r in rows],
        )

    def delete_edges(self, slots: Collection[tuple[str, str, str, str]]) -> int:
        before = self._db.total_changes
        self._db.executemany(
            "DELETE FROM edges WHERE left_key = ? AND right_key = ? AND matcher = ? AND rule = ?",
            list(slots),
        )
        return self._db.total_changes - before

    def edges_by_status(
        self, status: str, after: tuple[str, str, str, str] | None, limit: int
    ) -> list[EdgeRow]:
        cursor = self._db.execute(
            f"SELECT {_EDGE_COLUMNS} FROM edges WHERE status = ?"
            " AND (left_key, right_key, matcher, rule) > (?, ?, ?, ?)"
            " ORDER BY left_key, right_key, matcher, rule LIMIT ?",
            (status, *(after or ("", "", "", "")), limit),
        )
        return list(map(EdgeRow._make, cursor))

    def count_edges_by_status(self) -> dict[str, int]:
        cursor = self._db.execute("SELECT status, count(*) FROM edges GROUP BY status")
        return dict(cursor.fetchall())

    def set_generic(self, reasons: Mapping[str, str]) -> None:
        self._db.executemany(
            "UPDATE identifiers SET generic = ? WHERE key = ?",
            [(reason, key) for key, reason in reasons.items()],
        )

    def erase_identifiers(self, keys: Collection[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        batch = _keys(keys)
        self._db.execute(
            "DELETE FROM block_entries WHERE (block_key, record_id) IN"
            " (SELECT b.value, p.id FROM person_records AS p, json_each(p.blocks) AS b"
            " WHERE p.identifier_key IN (SELECT value FROM json_each(?)))",
            (batch,),
        )
        self._db.execute(
            "DELETE FROM person_records WHERE identifier_key IN (SELECT value FROM json_each(?))",
            (batch,),
        )
        # Facts are counted per attribute, as they were written.
        counts["facts"] = self._db.execute(
            f"SELECT coalesce(sum({_FACTS_COUNT}), 0) FROM facts"
            " WHERE identifier_key IN (SELECT value FROM json_each(?))",
            (batch,),
        ).fetchone()[0]
        self._db.execute(
            "DELETE FROM facts WHERE identifier_key IN (SELECT value FROM json_each(?))", (batch,)
        )
        for name, statement in (
            (
                "edges",
                "DELETE FROM edges WHERE left_key IN (SELECT value FROM json_each(?))"
                " OR right_key IN (SELECT value FROM json_each(?1))",
            ),
            (
                "consent",
                "DELETE FROM consent WHERE subject_key IN (SELECT value FROM json_each(?))",
            ),
            (
                "identifiers",
                "DELETE FROM identifiers WHERE key IN (SELECT value FROM json_each(?))",
            ),
        ):
            counts[name] = self._db.execute(statement, (batch,)).rowcount
        return counts

    def delete_facts(self, slots: Collection[tuple[str, str]]) -> int:
        if not slots:
            return 0
        batch = _json([list(slot) for slot in set(slots)])
        chosen = (
            "(identifier_key, observation_id) IN"
            " (SELECT value ->> 0, value ->> 1 FROM json_each(?))"
        )
        removed: int = self._db.execute(
            f"SELECT coalesce(sum({_FACTS_COUNT}), 0) FROM facts WHERE {chosen}", (batch,)
        ).fetchone()[0]
        self._db.execute(f"DELETE FROM facts WHERE {chosen}", (batch,))
        return removed

    def add_facts(self, rows: Sequence[FactRow]) -> None:
        # Grouped per (identifier, observation); the first value of a name is kept, in the
        # call and in the store (an existing row only gains the names it lacks).
        groups: dict[tuple[str, str], tuple[FactRow, dict[str, str]]] = {}
        for row in rows:
            group = groups.get((row.identifier_key, row.observation_id))
            if group is None:
                groups[(row.identifier_key, row.observation_id)] = (row, {row.name: row.value})
            else:
                group[1].setdefault(row.name, row.value)
        self._db.executemany(
            "INSERT INTO facts (identifier_key, observation_id, source, observed_at, attributes)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (identifier_key, observation_id) DO UPDATE SET"
            " attributes = json_patch(excluded.attributes, facts.attributes)"
            " WHERE EXISTS (SELECT 1 FROM json_each(excluded.attributes) AS new"
            " WHERE new.key NOT IN (SELECT key FROM json_each(facts.attributes)))",
            [
                (r.identifier_key, r.observation_id, r.source, r.observed_at, _json(values))
                for r, values in groups.values()
            ],
        )

    def add_consent(self, rows: Sequence[ConsentRow]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO consent (statement_id, subject_key, purpose, status, at,"
            " source, proof, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def add_person_records(
        self, rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]]
    ) -> None:
        if not rows:
            return
        stored = {
            row[0]
            for row in self._db.execute(
                "SELECT id FROM person_records WHERE id IN (SELECT value FROM json_each(?))",
                (_keys(r.id for r in rows),),
            )
        }
        fresh = person_records_to_file(rows, blocks, stored)
        # The record lists its own blocks, for erasure, in the row that files it.
        self._db.executemany(
            "INSERT INTO person_records (id, identifier_key, fields, blocks) VALUES (?, ?, ?, ?)",
            [(row.id, row.identifier_key, row.fields, _keys(keys)) for row, keys in fresh],
        )
        found = self._db.execute("SELECT value FROM meta WHERE key = 'block_seq'").fetchone()
        seq = 0 if found is None else int(found[0])
        entries: list[tuple[str, str, int]] = []
        for row, keys in fresh:
            for key in keys:
                seq += 1
                entries.append((key, row.id, seq))
        if not entries:
            return
        self._db.executemany(
            "INSERT OR IGNORE INTO block_entries (block_key, record_id, seq) VALUES (?, ?, ?)",
            entries,
        )
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('block_seq', ?)", (str(seq),)
        )

    def person_records(self, ids: Collection[str]) -> dict[str, PersonRecordRow]:
        if not ids:
            return {}
        cursor = self._db.execute(
            "SELECT id, identifier_key, fields FROM person_records"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (_keys(ids),),
        )
        return {r[0]: r for r in map(PersonRecordRow._make, cursor)}

    def block_members(self, block_keys: Collection[str]) -> dict[str, list[str]]:
        if not block_keys:
            return {}
        members: dict[str, list[str]] = {}
        for key, record_id in self._db.execute(
            "SELECT block_key, record_id FROM block_entries"
            " WHERE block_key IN (SELECT value FROM json_each(?)) ORDER BY block_key, seq",
            (_keys(block_keys),),
        ):
            members.setdefault(key, []).append(record_id)
        return members

    def get_identifiers(self, keys: Collection[str]) -> dict[str, StoredIdentifier]:
        if not keys:
            return {}
        cursor = self._db.execute(
            "SELECT key, type, value, profile_id, first_seen, last_seen, count, generic"
            " FROM identifiers WHERE key IN (SELECT value FROM json_each(?))",
            (_keys(keys),),
        )
        return {r[0]: r for r in map(StoredIdentifier._make, cursor)}

    def profile_ids(self, keys: Collection[str]) -> dict[str, str | None]:
        if not keys:
            return {}
        cursor = self._db.execute(
            "SELECT key, profile_id FROM identifiers WHERE key IN (SELECT value FROM json_each(?))",
            (_keys(keys),),
        )
        return dict(cursor.fetchall())

    def assign_profile(self, assignments: Mapping[str, str]) -> None:
        self._db.executemany(
            "UPDATE identifiers SET profile_id = ? WHERE key = ?",
            [(profile_id, key) for key, profile_id in assignments.items()],
        )

    def move_identifiers(self, from_profile_ids: Collection[str], to_profile_id: str) -> None:
        self._db.executemany(
            "UPDATE identifiers SET profile_id = ? WHERE profile_id = ?",
            [(to_profile_id, pid) for pid in from_profile_ids],
        )

    def identifiers_of(self, profile_ids: Collection[str]) -> dict[str, list[StoredIdentifier]]:
        result: dict[str, list[StoredIdentifier]] = {}
        if not profile_ids:
            return result
        cursor = self._db.execute(
            "SELECT key, type, value, profile_id, first_seen, last_seen, count, generic"
            " FROM identifiers"
            " WHERE profile_id IN (SELECT value FROM json_each(?)) ORDER BY profile_id, key",
            (_keys(profile_ids),),
        )
        for row in cursor:
            result.setdefault(row[3], []).append(StoredIdentifier(*row))
        return result

    def edges_of(self, keys: Collection[str]) -> list[EdgeRow]:
        if not keys:
            return []
        cursor = self._db.execute(
            # UNION ALL, each edge from one side only: UNION would compare whole rows
            # (evidence included) to drop the edges with both ends in ``keys``.
            "WITH k(key) AS (SELECT value FROM json_each(?))"
            f" SELECT {_EDGE_COLUMNS} FROM edges WHERE left_key IN (SELECT key FROM k)"
            f" UNION ALL SELECT {_EDGE_COLUMNS} FROM edges WHERE right_key IN (SELECT key FROM k)"
            " AND left_key NOT IN (SELECT key FROM k) ORDER BY 1, 2, 3, 4",
            (_keys(keys),),
        )
        return list(map(EdgeRow._make, cursor))

    def facts_of(self, keys: Collection[str]) -> list[FactRow]:
        if not keys:
            return []
        cursor = self._db.execute(
            "SELECT identifier_key, observation_id, source, observed_at, attributes FROM facts"
            " WHERE identifier_key IN (SELECT value FROM json_each(?))",
            (_keys(keys),),
        )
        return [
            FactRow(observation_id, key, name, value, source, observed_at)
            for key, observation_id, source, observed_at, attributes in cursor
            for name, value in json.loads(attributes).items()
        ]

    def consent_of(self, keys: Collection[str]) -> list[ConsentRow]:
        if not keys:
            return []
        cursor = self._db.execute(
            "SELECT statement_id, subject_key, purpose, status, at, source, proof, via"
            " FROM consent"
            " WHERE subject_key IN (SELECT value FROM json_each(?))",
            (_keys(keys),),
        )
        return list(map(ConsentRow._make, cursor))

    def get_profiles(self, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
        if not profile_ids:
            return {}
        cursor = self._db.execute(
            f"SELECT {_PROFILE_COLUMNS} FROM profiles p"
            " WHERE p.id IN (SELECT value FROM json_each(?))",
            (_keys(profile_ids),),
        )
        return {r[0]: r for r in map(ProfileRow._make, cursor)}

    def profiles_by_identifier(self, keys: Collection[str]) -> dict[str, ProfileRow]:
        if len(keys) == 1:
            (key,) = keys
            row = self._db.execute(_PROFILE_BY_IDENTIFIER, (key,)).fetchone()
            return {} if row is None else {key: ProfileRow._make(row)}
        if not keys:
            return {}
        cursor = self._db.execute(
            f"SELECT i.key, {_PROFILE_COLUMNS} FROM identifiers i JOIN profiles p"
            " ON p.id = i.profile_id WHERE i.key IN (SELECT value FROM json_each(?))",
            (_keys(keys),),
        )
        return {row[0]: ProfileRow(*row[1:]) for row in cursor}

    def put_profiles(self, rows: Sequence[ProfileRow]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO profiles (id, created_at, updated_at, identifiers,"
            " attributes, consent, lineage) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def delete_profiles(self, profile_ids: Collection[str]) -> None:
        self._db.executemany("DELETE FROM profiles WHERE id = ?", [(p,) for p in profile_ids])

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        pairs = [(target, alias) for alias, target in aliases.items()]
        self._db.executemany("UPDATE aliases SET target = ? WHERE target = ?", pairs)
        self._db.executemany(
            "INSERT OR REPLACE INTO aliases (alias, target) VALUES (?, ?)",
            [(alias, target) for target, alias in pairs],
        )

    def delete_aliases_to(self, targets: Collection[str]) -> int:
        cursor = self._db.execute(
            "DELETE FROM aliases WHERE target IN (SELECT value FROM json_each(?))",
            (_keys(targets),),
        )
        return cursor.rowcount

    def resolve_aliases(self, ids: Collection[str]) -> dict[str, str]:
        if not ids:
            return {}
        cursor = self._db.execute(
            "SELECT alias, target FROM aliases WHERE alias IN (SELECT value FROM json_each(?))",
            (_keys(ids),),
        )
        return dict(cursor.fetchall())

    def id_in_use(self, profile_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM profiles WHERE id = ? UNION ALL SELECT 1 FROM aliases WHERE alias = ?",
            (profile_id, profile_id),
        ).fetchone()
        return row is not None

    def append_changes(self, rows: Sequence[ChangeRow]) -> list[int]:
        # Inside the write transaction this connection is the only writer, so the rows of
        # one executemany take the consecutive positions after the current maximum.
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        start = (row[0] if row else 0) + 1
        self._db.executemany(
            "INSERT INTO changes (kind, profile_id, at, detail) VALUES (?, ?, ?, ?)",
            [(r.kind, r.profile_id, r.at, r.detail) for r in rows],
        )
        return list(range(start, start + len(rows)))

    def changes_after(self, position: int, limit: int) -> list[ChangeRow]:
        cursor = self._db.execute(
            "SELECT position, kind, profile_id, at, detail FROM changes WHERE position > ?"
            " ORDER BY position LIMIT ?",
            (position, limit),
        )
        return list(map(ChangeRow._make, cursor))

    def profile_page(self, after: str | None, limit: int) -> list[ProfileRow]:
        cursor = self._db.execute(
            f"SELECT {_PROFILE_COLUMNS} FROM profiles p WHERE p.id > ? ORDER BY p.id LIMIT ?",
            (after or "", limit),
        )
        return list(map(ProfileRow._make, cursor))

    def identifier_page(self, after: str | None, limit: int) -> list[StoredIdentifier]:
        cursor = self._db.execute(
            "SELECT key, type, value, profile_id, first_seen, last_seen, count, generic"
            " FROM identifiers WHERE key > ? ORDER BY key LIMIT ?",
            (after or "", limit),
        )
        return list(map(StoredIdentifier._make, cursor))

    def edge_page(self, after: tuple[str, str, str, str] | None, limit: int) -> list[EdgeRow]:
        cursor = self._db.execute(
            f"SELECT {_EDGE_COLUMNS} FROM edges"
            " WHERE (left_key, right_key, matcher, rule) > (?, ?, ?, ?)"
            " ORDER BY left_key, right_key, matcher, rule LIMIT ?",
            (*(after or ("", "", "", "")), limit),
        )
        return list(map(EdgeRow._make, cursor))

    def alias_page(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        cursor = self._db.execute(
            "SELECT alias, target FROM aliases WHERE alias > ? ORDER BY alias LIMIT ?",
            (after or "", limit),
        )
        return [(row[0], row[1]) for row in cursor]

    def counts(self) -> dict[str, int]:
        tables = (
            "identifiers",
            "edges",
            "profiles",
            "aliases",
            "facts",
            "consent",
            "changes",
            "tombstones",
            "audit",
        )
        counted = {table: f"SELECT count(*) FROM {table}" for table in tables}
        # Facts are counted per attribute, as they are written.
        counted["facts"] = f"SELECT coalesce(sum({_FACTS_COUNT}), 0) FROM facts"
        return {table: self._db.execute(counted[table]).fetchone()[0] for table in tables}

    def add_tombstones(self, hashes: Collection[str]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO tombstones (hash) VALUES (?)", [(h,) for h in hashes]
        )

    def tombstoned(self, hashes: Collection[str]) -> set[str]:
        if not hashes:
            return set()
        cursor = self._db.execute(
            "SELECT hash FROM tombstones WHERE hash IN (SELECT value FROM json_each(?))",
            (_keys(hashes),),
        )
        return {row[0] for row in cursor}

    def append_audit(self, rows: Sequence[AuditRow]) -> list[int]:
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
        start = (row[0] if row else 0) + 1
        self._db.executemany(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            [(r.at, r.actor, r.action, r.detail) for r in rows],
        )
        return list(range(start, start + len(rows)))

    def audit_after(self, position: int, limit: int) -> list[AuditRow]:
        cursor = self._db.execute(
            "SELECT position, at, actor, action, detail FROM audit WHERE position > ?"
            " ORDER BY position LIMIT ?",
            (position, limit),
        )
        return list(map(AuditRow._make, cursor))

    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (f"user.{name}",)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"user.{name}", value)
        )


def _probe_space(tx: GraphTransaction) -> None:
    tx.set_meta("health", "x" * 65536)
    tx.set_meta("health", "written")


class EmbeddedStore:
    """``GraphStore`` on SQLite; see the module docstring for its guarantees."""

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
        db = self._connection()
        try:
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif int(row[0]) in (1, 2, 3):
                self._upgrade(db)
            elif int(row[0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"embedded store {self.path}: schema version {row[0]},"
                    f" this idgraph reads {SCHEMA_VERSION}"
                )
        except sqlite3.Error as e:
            raise StoreError(f"embedded store: cannot prepare {self.path}: {e}") from e

    def _upgrade(self, db: sqlite3.Connection) -> None:
        """Upgrade a store of an earlier version in place, in one transaction.

        Version 2 keeps profiles in a rowid table. Version 1 kept them WITHOUT ROWID, where
        a row over about 1 KB (most profile documents) spills into an overflow page of its
        own: four times the space, and two pages written per document. Version 3 keeps
        facts as one row per observation and identifier, and the blocking index in one
        b-tree instead of three (see ``_FACTS_TABLE`` and ``_BLOCK_ENTRIES_TABLE``).
        Version 4 says through which identifier a consent statement about a profile
        reached each of its other identifiers (``ConsentRow.via``; earlier statements
        count as the identifier's own)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            # Read again inside the transaction: another process may have upgraded.
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = SCHEMA_VERSION if row is None else int(row[0])
            # One statement at a time: executescript would commit the transaction.
            if version == 1:
                for statement in _UPGRADE_FROM_1:
                    db.execute(statement)
            if version in (1, 2):
                if "name" in _columns(db, "facts"):
                    for statement in _UPGRADE_FACTS_FROM_2:
                        db.execute(statement)
                if "blocks" not in _columns(db, "person_records"):
                    for statement in _UPGRADE_BLOCKS_FROM_2:
                        db.execute(statement)
                db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
                version = 3
            if version == 3:
                if "via" not in _columns(db, "consent"):
                    db.execute("ALTER TABLE consent ADD COLUMN via TEXT NOT NULL DEFAULT ''")
                db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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
        # snapshot guarantee, a third of the statements (a lookup is ~20 us).
        try:
            row = self._connection().execute(_PROFILE_BY_IDENTIFIER, (key,)).fetchone()
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
