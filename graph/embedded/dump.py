"""Every row of an embedded store, table by table, in the records of ``graph.records``: what
a bulk copy into another store reads (``graph.neo4j_store.bulk_import``). Read-only, in
one read transaction of its own connection, so the rows are one consistent snapshot."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.records import (
    AuditRow,
    ChangeRow,
    ConsentRow,
    EdgeRow,
    FactRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)

_USER_META = "user."


@dataclass(frozen=True, slots=True)
class Dump:
    """An open snapshot of the store; each method reads one table."""

    db: sqlite3.Connection

    def identifiers(self) -> Iterator[StoredIdentifier]:
        cursor = self.db.execute(
            "SELECT key, type, value, profile_id, first_seen, last_seen, count, generic"
            " FROM identifiers ORDER BY key"
        )
        return map(StoredIdentifier._make, cursor)

    def edges(self) -> Iterator[EdgeRow]:
        cursor = self.db.execute(
            "SELECT left_key, right_key, matcher, rule, weight, status, source, evidence,"
            " first_seen, last_seen, count, reason FROM edges"
        )
        return map(EdgeRow._make, cursor)

    def facts(self) -> Iterator[FactRow]:
        """Ordered by identifier."""
        for key, observation_id, source, observed_at, attributes in self.db.execute(
            "SELECT identifier_key, observation_id, source, observed_at, attributes FROM facts"
            " ORDER BY identifier_key, observation_id"
        ):
            for name, value in json.loads(attributes).items():
                yield FactRow(observation_id, key, name, value, source, observed_at)

    def consent(self) -> Iterator[ConsentRow]:
        cursor = self.db.execute(
            "SELECT statement_id, subject_key, purpose, status, at, source, proof, via FROM consent"
        )
        return map(ConsentRow._make, cursor)

    def profiles(self) -> Iterator[ProfileRow]:
        cursor = self.db.execute(
            "SELECT id, created_at, updated_at, identifiers, attributes, consent, lineage"
            " FROM profiles"
        )
        return map(ProfileRow._make, cursor)

    def aliases(self) -> Iterator[tuple[str, str]]:
        return ((str(a), str(t)) for a, t in self.db.execute("SELECT alias, target FROM aliases"))

    def person_records(self) -> Iterator[tuple[PersonRecordRow, list[str]]]:
        """Each record with the blocks it is filed in."""
        for record_id, key, fields, blocks in self.db.execute(
            "SELECT id, identifier_key, fields, blocks FROM person_records"
        ):
            yield PersonRecordRow(record_id, key, fields), list(json.loads(blocks))

    def blocks(self) -> Iterator[tuple[str, list[str]]]:
        """Each block with its records in the order of filing."""
        current: str | None = None
        members: list[str] = []
        for key, record_id in self.db.execute(
            "SELECT block_key, record_id FROM block_entries ORDER BY block_key, seq"
        ):
            if key != current:
                if current is not None:
                    yield current, members
                current, members = key, []
            members.append(record_id)
        if current is not None:
            yield current, members

    def changes(self) -> Iterator[ChangeRow]:
        cursor = self.db.execute(
            "SELECT position, kind, profile_id, at, detail FROM changes ORDER BY position"
        )
        return map(ChangeRow._make, cursor)

    def audit(self) -> Iterator[AuditRow]:
        cursor = self.db.execute(
            "SELECT position, at, actor, action, detail FROM audit ORDER BY position"
        )
        return map(AuditRow._make, cursor)

    def tombstones(self) -> Iterator[str]:
        return (str(h) for (h,) in self.db.execute("SELECT hash FROM tombstones"))

    def settings(self) -> dict[str, str]:
        """The settings kept with the data (``GraphTransaction.set_meta``), by name."""
        return {
            str(k)[len(_USER_META) :]: str(v)
            for k, v in self.db.execute("SELECT key, value FROM meta")
            if str(k).startswith(_USER_META)
        }


def open_dump(path: Path) -> tuple[sqlite3.Connection, Dump]:
    """A read-only snapshot of the store file at ``path``; close the connection after."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    db.execute("BEGIN")
    return db, Dump(db)
