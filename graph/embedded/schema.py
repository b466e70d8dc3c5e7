"""The embedded store's tables, and the upgrades from earlier versions of them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from graph.store import StoreError

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


def prepare(db: sqlite3.Connection, path: Path) -> None:
    """Create the tables of a new store, upgrade one of an earlier version in place, or
    refuse one of a later version."""
    try:
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        elif int(row[0]) in (1, 2, 3):
            _upgrade(db)
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(
                f"embedded store {path}: schema version {row[0]},"
                f" this idgraph reads {SCHEMA_VERSION}"
            )
    except sqlite3.Error as e:
        raise StoreError(f"embedded store: cannot prepare {path}: {e}") from e


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def _upgrade(db: sqlite3.Connection) -> None:
    """Upgrade a store of an earlier version in place, in one transaction.

    Version 2 keeps profiles in a rowid table. Version 1 kept them WITHOUT ROWID, where
    a row over about 1 KB (most profile documents) spills into an overflow page of its
    own: several times the space, and two pages written per document. Version 3 keeps
    facts as one row per observation and identifier, and the blocking index in one
    b-tree instead of three (see ``_FACTS_TABLE`` and ``_BLOCK_ENTRIES_TABLE``).
    Version 4 says through which identifier a consent statement about a profile reached
    each of its other identifiers (``ConsentRow.via``; earlier statements count as the
    identifier's own)."""
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
