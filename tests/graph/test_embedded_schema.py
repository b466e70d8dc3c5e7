"""The embedded store's file format: a store written by an earlier version is upgraded in
place when opened, keeping every row; a store from a later version is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graph.embedded import DATABASE_FILE, SCHEMA_VERSION, EmbeddedStore
from graph.records import ProfileRow
from graph.store import StoreError

# The tables of version 1 that version 2 changed (profiles was WITHOUT ROWID).
_VERSION_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE profiles (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    identifiers TEXT NOT NULL, attributes TEXT NOT NULL, consent TEXT NOT NULL,
    lineage TEXT NOT NULL
) WITHOUT ROWID;
"""

LARGE = ProfileRow(
    "p-large",
    "2026-01-01T00:00:00Z",
    "2026-01-02T00:00:00Z",
    '["email:a@x.com"]',
    '{"address":{"value":"' + "x" * 3000 + '","source":"crm","observed_at":"t"}}',
    "{}",
    "[]",
)
SMALL = ProfileRow(
    "p-small", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "[]", "{}", "{}", "[]"
)


def version_1_store(data_dir: Path) -> None:
    data_dir.mkdir()
    db = sqlite3.connect(data_dir / DATABASE_FILE)
    db.executescript(_VERSION_1)
    db.executemany("INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?)", [LARGE, SMALL])
    db.commit()
    db.close()


def profiles_table_sql(data_dir: Path) -> str:
    db = sqlite3.connect(data_dir / DATABASE_FILE)
    try:
        (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'profiles'").fetchone()
        return str(sql)
    finally:
        db.close()


class TestUpgrade:
    def test_a_version_1_store_keeps_its_profiles_in_a_rowid_table(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "data"
        version_1_store(data_dir)
        store = EmbeddedStore(data_dir)
        try:
            found = store.read(lambda tx: tx.get_profiles(["p-large", "p-small"]))
            assert found == {"p-large": LARGE, "p-small": SMALL}
            store.write(lambda tx: tx.put_profiles([SMALL._replace(lineage='[{"e":1}]')]))
            assert store.read(lambda tx: tx.get_profiles(["p-small"]))["p-small"].lineage == (
                '[{"e":1}]'
            )
        finally:
            store.close()
        assert "WITHOUT ROWID" not in profiles_table_sql(data_dir)
        db = sqlite3.connect(data_dir / DATABASE_FILE)
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        db.close()
        assert version == (str(SCHEMA_VERSION),)

    def test_opening_an_upgraded_store_again_changes_nothing(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "data"
        version_1_store(data_dir)
        EmbeddedStore(data_dir).close()
        store = EmbeddedStore(data_dir)
        try:
            assert store.read(lambda tx: tx.get_profiles(["p-large"])) == {"p-large": LARGE}
        finally:
            store.close()

    def test_a_new_store_is_written_in_the_current_version(self, tmp_path: Path) -> None:
        EmbeddedStore(tmp_path / "data").close()
        assert "WITHOUT ROWID" not in profiles_table_sql(tmp_path / "data")

    def test_a_store_of_a_later_version_is_refused(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "data"
        EmbeddedStore(data_dir).close()
        db = sqlite3.connect(data_dir / DATABASE_FILE)
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
        db.commit()
        db.close()
        with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}"):
            EmbeddedStore(data_dir)
