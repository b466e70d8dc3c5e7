"""The embedded store's file format: a store written by an earlier version is upgraded in
place when opened, keeping every row; a store from a later version is refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from graph.embedded import DATABASE_FILE, SCHEMA_VERSION, EmbeddedStore
from graph.records import ConsentRow, FactRow, PersonRecordRow, ProfileRow
from graph.store import GraphTransaction, StoreError

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


def written_by_script(data_dir: Path, script: str) -> None:
    """A store file as an earlier version left it."""
    data_dir.mkdir()
    db = sqlite3.connect(data_dir / DATABASE_FILE)
    db.executescript(script)
    db.commit()
    db.close()


def version_1_store(data_dir: Path) -> None:
    written_by_script(data_dir, _VERSION_1)
    db = sqlite3.connect(data_dir / DATABASE_FILE)
    db.executemany("INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?)", [LARGE, SMALL])
    db.commit()
    db.close()


@contextmanager
def opened(data_dir: Path) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore(data_dir)
    try:
        yield store
    finally:
        store.close()


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
        with opened(data_dir) as store:
            found = store.read(lambda tx: tx.get_profiles(["p-large", "p-small"]))
            assert found == {"p-large": LARGE, "p-small": SMALL}
            store.write(lambda tx: tx.put_profiles([SMALL._replace(lineage='[{"e":1}]')]))
            assert store.read(lambda tx: tx.get_profiles(["p-small"]))["p-small"].lineage == (
                '[{"e":1}]'
            )
        assert "WITHOUT ROWID" not in profiles_table_sql(data_dir)
        db = sqlite3.connect(data_dir / DATABASE_FILE)
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        db.close()
        assert version == (str(SCHEMA_VERSION),)

    def test_opening_an_upgraded_store_again_changes_nothing(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "data"
        version_1_store(data_dir)
        EmbeddedStore(data_dir).close()
        with opened(data_dir) as store:
            assert store.read(lambda tx: tx.get_profiles(["p-large"])) == {"p-large": LARGE}

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


# Version 2's facts (one row per attribute) and blocking index (three b-trees), which
# version 3 regroups.
_VERSION_2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '2');
CREATE TABLE facts (
    identifier_key TEXT NOT NULL, observation_id TEXT NOT NULL, name TEXT NOT NULL,
    value TEXT NOT NULL, source TEXT NOT NULL, observed_at TEXT NOT NULL,
    PRIMARY KEY (identifier_key, observation_id, name)
) WITHOUT ROWID;
CREATE TABLE person_records (
    id TEXT PRIMARY KEY, identifier_key TEXT NOT NULL, fields TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX person_records_by_identifier ON person_records (identifier_key);
CREATE TABLE block_entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, block_key TEXT NOT NULL, record_id TEXT NOT NULL,
    UNIQUE (block_key, record_id)
);
CREATE INDEX block_entries_by_record ON block_entries (record_id);
INSERT INTO facts VALUES
    ('email:a@x.com', 'o1', 'city', 'Zürich', 'crm', '2026-01-01T00:00:00Z'),
    ('email:a@x.com', 'o1', 'first_name', 'Ann', 'crm', '2026-01-01T00:00:00Z'),
    ('email:a@x.com', 'o2', 'city', 'Bern', 'pos', '2026-01-02T00:00:00Z'),
    ('email:b@x.com', 'o1', 'city', 'Zürich', 'crm', '2026-01-01T00:00:00Z');
INSERT INTO person_records VALUES ('r1', 'email:a@x.com', '{}'), ('r2', 'email:b@x.com', '{}');
INSERT INTO block_entries (block_key, record_id) VALUES
    ('k:2', 'r2'), ('k:1', 'r1'), ('k:2', 'r1'), ('k:1', 'r2');
"""


class TestUpgradeFromVersion2:
    def test_facts_are_kept_one_by_one(self, tmp_path: Path) -> None:
        written_by_script(tmp_path / "data", _VERSION_2)
        with opened(tmp_path / "data") as store:
            facts = store.read(lambda tx: tx.facts_of(["email:a@x.com", "email:b@x.com"]))
            counts = store.read(lambda tx: tx.counts())
        assert sorted(facts) == [
            FactRow("o1", "email:a@x.com", "city", "Zürich", "crm", "2026-01-01T00:00:00Z"),
            FactRow("o1", "email:a@x.com", "first_name", "Ann", "crm", "2026-01-01T00:00:00Z"),
            FactRow("o1", "email:b@x.com", "city", "Zürich", "crm", "2026-01-01T00:00:00Z"),
            FactRow("o2", "email:a@x.com", "city", "Bern", "pos", "2026-01-02T00:00:00Z"),
        ]
        assert counts["facts"] == 4

    def test_blocks_keep_their_order_and_new_records_file_after_them(self, tmp_path: Path) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.add_person_records([PersonRecordRow("r3", "email:c@x.com", "{}")], {"r3": ["k:1"]})

        written_by_script(tmp_path / "data", _VERSION_2)
        with opened(tmp_path / "data") as store:
            store.write(work)
            members = store.read(lambda tx: tx.block_members(["k:1", "k:2"]))
        assert members == {"k:1": ["r1", "r2", "r3"], "k:2": ["r2", "r1"]}

    def test_erasing_an_upgraded_record_takes_it_out_of_its_blocks(self, tmp_path: Path) -> None:
        written_by_script(tmp_path / "data", _VERSION_2)
        with opened(tmp_path / "data") as store:
            store.write(lambda tx: tx.erase_identifiers(["email:a@x.com"]))
            members = store.read(lambda tx: tx.block_members(["k:1", "k:2"]))
        assert members == {"k:1": ["r2"], "k:2": ["r2"]}


# Version 3's consent statements, without ``via``, which version 4 adds.
_VERSION_3_CONSENT = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '3');
CREATE TABLE consent (
    statement_id TEXT PRIMARY KEY, subject_key TEXT NOT NULL, purpose TEXT NOT NULL,
    status TEXT NOT NULL, at TEXT NOT NULL, source TEXT NOT NULL, proof TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO consent VALUES
    ('s1', 'email:a@x.com', 'email', 'denied', '2026-01-01T00:00:00Z', 'crm', '{}');
"""


class TestUpgradeFromVersion3:
    def test_earlier_statements_count_as_their_subjects_own(self, tmp_path: Path) -> None:
        written_by_script(tmp_path / "data", _VERSION_3_CONSENT)
        with opened(tmp_path / "data") as store:
            store.write(
                lambda tx: tx.add_consent(
                    [ConsentRow("s2", "email:b@x.com", "email", "granted", "t", "crm", "{}", "k")]
                )
            )
            rows = store.read(lambda tx: tx.consent_of(["email:a@x.com", "email:b@x.com"]))
        assert sorted(rows) == [
            ConsentRow(
                "s1", "email:a@x.com", "email", "denied", "2026-01-01T00:00:00Z", "crm", "{}", ""
            ),
            ConsentRow("s2", "email:b@x.com", "email", "granted", "t", "crm", "{}", "k"),
        ]
