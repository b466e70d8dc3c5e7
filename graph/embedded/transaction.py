"""``SqliteTransaction``: the protocol's operations as SQL over one connection."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence

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
from graph.rules import EdgeStatus, flatten_aliases
from graph.store import ResolvedRows, person_records_to_file

_FACTS_COUNT = "(SELECT count(*) FROM json_each(attributes))"

_EDGE_COLUMNS = (
    "left_key, right_key, matcher, rule, weight, status, source, evidence, first_seen,"
    " last_seen, count, reason"
)

_EDGE_PAGE = (
    f"SELECT {_EDGE_COLUMNS} FROM edges WHERE (left_key, right_key, matcher, rule) > (?, ?, ?, ?)"
    " ORDER BY left_key, right_key, matcher, rule LIMIT ?"
)
# Separate, not ``? IS NULL OR status = ?``: the status index serves this one only.
_EDGE_PAGE_OF_STATUS = (
    f"SELECT {_EDGE_COLUMNS} FROM edges WHERE status = ?"
    " AND (left_key, right_key, matcher, rule) > (?, ?, ?, ?)"
    " ORDER BY left_key, right_key, matcher, rule LIMIT ?"
)

_PROFILE_COLUMNS = (
    "p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent, p.lineage"
)


PROFILE_BY_IDENTIFIER = (
    f"SELECT {_PROFILE_COLUMNS} FROM identifiers i JOIN profiles p"
    " ON p.id = i.profile_id WHERE i.key = ?"
)


def _keys(values: Iterable[str]) -> str:
    return _json(list(values))


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
        # ``merge_identifier_sightings`` of graph.rules.
        self._db.executemany(
            "INSERT INTO identifiers (key, type, value, profile_id, first_seen, last_seen, count)"
            " VALUES (?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
            " first_seen = min(first_seen, excluded.first_seen),"
            " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count",
            rows,
        )

    def insert_resolved(self, rows: ResolvedRows) -> None:
        # Plain inserts: none of the keys is stored (the contract), so nothing merges.
        db = self._db
        db.executemany(
            "INSERT INTO identifiers (key, type, value, profile_id, first_seen, last_seen,"
            " count, generic) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows.identifiers,
        )
        db.executemany(
            f"INSERT INTO edges ({_EDGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows.edges,
        )
        db.executemany(
            "INSERT OR IGNORE INTO facts (identifier_key, observation_id, source, observed_at,"
            " attributes) VALUES (?, ?, ?, ?, ?)",
            rows.facts,
        )
        self.add_consent(rows.consent)
        self.add_person_records(rows.person_records, rows.blocks)
        self.put_profiles(rows.profiles)

    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        # ``merge_edge`` of graph.rules; the 13th parameter is the status that yields.
        weak = (EdgeStatus.WEAK,)
        self._db.executemany(
            f"INSERT INTO edges ({_EDGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (left_key, right_key, matcher, rule) DO UPDATE SET"
            " weight = max(weight, excluded.weight),"
            " status = CASE WHEN status = ?13 THEN excluded.status ELSE status END,"
            " reason = CASE WHEN status = ?13 THEN excluded.reason ELSE reason END,"
            " source = excluded.source, evidence = excluded.evidence,"
            " first_seen = min(first_seen, excluded.first_seen),"
            " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count",
            [row + weak for row in rows],
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

    def person_records_of(self, keys: Collection[str]) -> list[PersonRecordRow]:
        if not keys:
            return []
        cursor = self._db.execute(
            "SELECT id, identifier_key, fields FROM person_records"
            " WHERE identifier_key IN (SELECT value FROM json_each(?)) ORDER BY id",
            (_keys(keys),),
        )
        return list(map(PersonRecordRow._make, cursor))

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
            row = self._db.execute(PROFILE_BY_IDENTIFIER, (key,)).fetchone()
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
        if not aliases:
            return
        stored = self._db.execute(
            "WITH ids(id) AS (SELECT value FROM json_each(?))"
            " SELECT alias, target FROM aliases WHERE target IN ids OR alias IN ids",
            (_keys({*aliases, *aliases.values()}),),
        )
        written = flatten_aliases(dict(stored.fetchall()), aliases)
        self._db.executemany(
            "INSERT OR REPLACE INTO aliases (alias, target) VALUES (?, ?)", written.items()
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

    def edge_page(
        self, after: tuple[str, str, str, str] | None, limit: int, status: str | None = None
    ) -> list[EdgeRow]:
        start = after or ("", "", "", "")
        if status is None:
            cursor = self._db.execute(_EDGE_PAGE, (*start, limit))
        else:
            cursor = self._db.execute(_EDGE_PAGE_OF_STATUS, (status, *start, limit))
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
