"""What observations said, kept beside the identifiers:

- facts as two list properties of the ``Identifier`` they were seen with: ``facts``, each
  the JSON array ``[observation_id, name, value, source, observed_at]``, and
  ``fact_keys``, each ``[observation_id, name]`` (what a repeat is recognised by);
- ``(:Consent {statement_id, subject_key, purpose, status, at, source, proof, via})``;
- ``(:PersonRecord {id, identifier_key, fields, blocks})``: what one identifier said about
  a person, and the blocks it is filed in; the fuzzy matcher's blocking index is
  ``(:Block {key, members})``, ``members`` the record IDs in the order of filing.

Facts, statements and records are kept in the transaction's ``Pending`` and written by
``graph.neo4j_store.flush``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Final

from graph.neo4j_store.runner import QueryRunner, unique
from graph.records import ConsentRow, FactRow, PersonRecordRow
from graph.store import person_records_to_file


def fact_entry(row: FactRow) -> str:
    """The ``facts`` entry of a fact: the JSON array ``[observation_id, name, value, source,
    observed_at]`` (written directly: a load writes one per attribute it is told)."""
    quote = encode_basestring
    return (
        f"[{quote(row.observation_id)},{quote(row.name)},{quote(row.value)},"
        f"{quote(row.source)},{quote(row.observed_at)}]"
    )


def fact_key(row: FactRow) -> str:
    """The ``fact_keys`` entry of a fact, ``[observation_id, name]``: a repeat has the same
    one."""
    return f"[{encode_basestring(row.observation_id)},{encode_basestring(row.name)}]"


def facts_from(key: str, entries: Iterable[str]) -> Iterator[FactRow]:
    for entry in entries:
        observation_id, name, value, source, observed_at = json.loads(entry)
        yield FactRow(observation_id, key, name, value, source, observed_at)


def first_of_each(rows: Iterable[FactRow]) -> list[FactRow]:
    """The rows without repeats of (observation, identifier, name): the first one stays."""
    kept: dict[tuple[str, str, str], FactRow] = {}
    for row in rows:
        kept.setdefault((row.observation_id, row.identifier_key, row.name), row)
    return list(kept.values())


FACTS_OF: Final = """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
USING INDEX SEEK i:Identifier(key)
WHERE i.facts IS NOT NULL
RETURN collect([i.key, i.facts]) AS rows
"""

_SET_FACTS: Final = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r[0]})
USING INDEX SEEK i:Identifier(key)
SET i.facts = r[1], i.fact_keys = r[2]
"""

STORED_STATEMENTS: Final = """
UNWIND $ids AS id
MATCH (c:Consent {statement_id: id})
USING INDEX SEEK c:Consent(statement_id)
RETURN collect(id) AS rows
"""

CONSENT_OF: Final = """
UNWIND $keys AS k
MATCH (c:Consent {subject_key: k})
USING INDEX SEEK c:Consent(subject_key)
RETURN collect([c.statement_id, c.subject_key, c.purpose, c.status, c.at, c.source,
                c.proof, coalesce(c.via, '')]) AS rows
"""

PERSON_RECORDS: Final = """
UNWIND $ids AS id
MATCH (p:PersonRecord {id: id})
USING INDEX SEEK p:PersonRecord(id)
RETURN collect([p.id, p.identifier_key, p.fields]) AS rows
"""

_PERSON_RECORDS_OF: Final = """
UNWIND $keys AS k
MATCH (p:PersonRecord {identifier_key: k})
RETURN p.id, p.identifier_key, p.fields
"""

BLOCK_MEMBERS: Final = """
UNWIND $keys AS k
MATCH (b:Block {key: k})
USING INDEX SEEK b:Block(key)
RETURN collect([b.key, b.members]) AS rows
"""


class ObservationQueries(QueryRunner):
    def add_facts(self, rows: Sequence[FactRow]) -> None:
        self._pending.add_facts(rows)

    def _stored_facts(self, keys: Collection[str]) -> list[FactRow]:
        rows = self._collected("facts_of", FACTS_OF, keys=unique(keys))
        return [fact for key, entries in rows for fact in facts_from(str(key), entries)]

    def delete_facts(self, slots: Collection[tuple[str, str]]) -> int:
        if not slots:
            return 0
        self._send_pending()
        doomed = set(slots)
        stored = self._stored_facts({key for key, _ in doomed})
        kept: dict[str, list[FactRow]] = {}
        for row in stored:
            kept.setdefault(row.identifier_key, [])
            if (row.identifier_key, row.observation_id) not in doomed:
                kept[row.identifier_key].append(row)
        removed = len(stored) - sum(len(rows) for rows in kept.values())
        if removed:
            self._write(
                "delete_facts",
                _SET_FACTS,
                rows=[[key, *_lists_or_none(rows)] for key, rows in kept.items()],
            )
        return removed

    def facts_of(self, keys: Collection[str]) -> list[FactRow]:
        if not keys:
            return []
        facts = self._stored_facts(keys)
        pending = self._pending.facts_by_key
        for key in keys:
            facts.extend(pending.get(key, ()))
        found = first_of_each(facts)
        found.sort(key=lambda f: (f.identifier_key, f.observation_id, f.name))
        return found

    def add_consent(self, rows: Sequence[ConsentRow]) -> None:
        if not rows:
            return
        fresh = [r.statement_id for r in rows if r.statement_id not in self._pending.consent]
        stored: set[str] = set()
        if fresh:
            found = self._collected("add_consent", STORED_STATEMENTS, ids=unique(fresh))
            stored = {str(i) for i in found}
        self._pending.add_consent(rows, stored)

    def consent_of(self, keys: Collection[str]) -> list[ConsentRow]:
        if not keys:
            return []
        rows = self._collected("consent_of", CONSENT_OF, keys=unique(keys))
        statements = [ConsentRow(*(str(v) for v in row)) for row in rows]
        pending = self._pending.consent_by_key
        for key in set(keys):
            statements.extend(pending.get(key, ()))
        statements.sort(key=lambda c: (c.subject_key, c.statement_id))
        return statements

    def _stored_person_records(self, ids: Collection[str]) -> dict[str, PersonRecordRow]:
        rows = self._collected("person_records", PERSON_RECORDS, ids=unique(ids))
        return {str(i): PersonRecordRow(str(i), str(k), str(f)) for i, k, f in rows}

    def add_person_records(
        self, rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]]
    ) -> None:
        if not rows:
            return
        pending = self._pending.person_records
        asked = {r.id for r in rows if r.id not in pending}
        stored = set(self._stored_person_records(asked)) if asked else set()
        fresh = person_records_to_file(rows, blocks, stored | pending.keys())
        self._pending.add_person_records(fresh)

    def person_records(self, ids: Collection[str]) -> dict[str, PersonRecordRow]:
        if not ids:
            return {}
        pending = self._pending.person_records
        asked = {i for i in ids if i not in pending}
        found = self._stored_person_records(asked) if asked else {}
        for i in ids:
            if i in pending:
                found[i] = pending[i][0]
        return found

    def person_records_of(self, keys: Collection[str]) -> list[PersonRecordRow]:
        if not keys:
            return []
        self._send_pending()  # records this unit of work added count too
        rows = self._read("person_records_of", _PERSON_RECORDS_OF, keys=unique(keys))
        found = [PersonRecordRow(str(i), str(k), str(f)) for i, k, f in rows]
        return sorted(found, key=lambda r: r.id)

    def block_members(self, block_keys: Collection[str]) -> dict[str, list[str]]:
        if not block_keys:
            return {}
        rows = self._collected("block_members", BLOCK_MEMBERS, keys=unique(block_keys))
        members: dict[str, list[str]] = {str(key): [str(i) for i in ids] for key, ids in rows}
        for key, added in self._pending.block_additions.items():
            if key in block_keys:
                members.setdefault(key, []).extend(added)
        return {key: members[key] for key in sorted(members) if members[key]}


def _lists_or_none(rows: Iterable[FactRow]) -> list[list[str] | None]:
    entries, keys = fact_lists(rows)
    return [entries or None, keys or None]


def fact_lists(rows: Iterable[FactRow]) -> tuple[list[str], list[str]]:
    """The ``facts`` and ``fact_keys`` entries of rows (already without repeats)."""
    entries: list[str] = []
    keys: list[str] = []
    for row in rows:
        entries.append(fact_entry(row))
        keys.append(fact_key(row))
    return entries, keys
