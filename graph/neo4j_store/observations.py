"""What observations said, kept beside the identifiers:

- ``(:Fact {fact_key, identifier_key, observation_id, name, value, source, observed_at})``;
  fact_key is the JSON array [identifier_key, observation_id, name]: unique.
- ``(:Consent {statement_id, subject_key, purpose, status, at, source, proof, via})``.
- ``(:PersonRecord {id, identifier_key, fields})``: what one identifier said about a
  person, and the fuzzy matcher's blocking index over them,
  ``(:Block {key, size})-[:HOLDS {seq}]->(:PersonRecord)``, ``seq`` giving the order of
  filing.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Final

from graph.neo4j_store.runner import QueryRunner, unique
from graph.records import ConsentRow, FactRow, PersonRecordRow
from graph.store import person_records_to_file


def _fact_key(identifier_key: str, observation_id: str, name: str) -> str:
    return json.dumps([identifier_key, observation_id, name], ensure_ascii=False)


# Rows are lists, as in ``_UPSERT_IDENTIFIERS``.
_ADD_FACTS: Final = """
UNWIND $rows AS row
WITH {fact_key: row[0], identifier_key: row[1], observation_id: row[2], name: row[3],
      value: row[4], source: row[5], observed_at: row[6]} AS r
MERGE (f:Fact {fact_key: r.fact_key})
  ON CREATE SET f.identifier_key = r.identifier_key, f.observation_id = r.observation_id,
                f.name = r.name, f.value = r.value, f.source = r.source,
                f.observed_at = r.observed_at
"""

_DELETE_FACTS: Final = """
UNWIND $slots AS slot
MATCH (f:Fact {identifier_key: slot[0]})
WHERE f.observation_id = slot[1]
DELETE f
RETURN count(*) AS facts
"""

_FACTS_OF: Final = """
UNWIND $keys AS k
MATCH (f:Fact {identifier_key: k})
RETURN collect([f.observation_id, f.identifier_key, f.name, f.value, f.source,
                f.observed_at]) AS rows
"""

_ADD_CONSENT: Final = """
UNWIND $rows AS r
MERGE (c:Consent {statement_id: r.statement_id})
  ON CREATE SET c.subject_key = r.subject_key, c.purpose = r.purpose, c.status = r.status,
                c.at = r.at, c.source = r.source, c.proof = r.proof, c.via = r.via
"""

_CONSENT_OF: Final = """
UNWIND $keys AS k
MATCH (c:Consent {subject_key: k})
RETURN collect([c.statement_id, c.subject_key, c.purpose, c.status, c.at, c.source,
                c.proof, coalesce(c.via, '')]) AS rows
"""

_STORED_PERSON_RECORDS: Final = """
UNWIND $ids AS id
MATCH (p:PersonRecord {id: id})
RETURN p.id
"""

_ADD_PERSON_RECORDS: Final = """
UNWIND $rows AS r
MERGE (p:PersonRecord {id: r.id})
  ON CREATE SET p.identifier_key = r.identifier_key, p.fields = r.fields
"""

_FILE_IN_BLOCKS: Final = """
UNWIND $rows AS r
MERGE (b:Block {key: r.key})
  ON CREATE SET b.size = 0
WITH b, r
CALL (b, r) {
  UNWIND range(0, size(r.ids) - 1) AS i
  MATCH (p:PersonRecord {id: r.ids[i]})
  WHERE NOT EXISTS { (b)-[:HOLDS]->(p) }
  CREATE (b)-[:HOLDS {seq: b.size + i}]->(p)
}
SET b.size = b.size + size(r.ids)
"""

_PERSON_RECORDS: Final = """
UNWIND $ids AS id
MATCH (p:PersonRecord {id: id})
RETURN p.id, p.identifier_key, p.fields
"""

_PERSON_RECORDS_OF: Final = """
UNWIND $keys AS k
MATCH (p:PersonRecord {identifier_key: k})
RETURN p.id, p.identifier_key, p.fields
"""

_BLOCK_MEMBERS: Final = """
UNWIND $keys AS k
MATCH (:Block {key: k})-[h:HOLDS]->(p:PersonRecord)
RETURN k, h.seq, p.id
"""


class ObservationQueries(QueryRunner):
    def add_facts(self, rows: Sequence[FactRow]) -> None:
        if not rows:
            return
        self._write(
            "add_facts",
            _ADD_FACTS,
            rows=[
                [
                    _fact_key(r.identifier_key, r.observation_id, r.name),
                    r.identifier_key,
                    r.observation_id,
                    r.name,
                    r.value,
                    r.source,
                    r.observed_at,
                ]
                for r in rows
            ],
        )

    def delete_facts(self, slots: Collection[tuple[str, str]]) -> int:
        if not slots:
            return 0
        record = self._single(
            "delete_facts", _DELETE_FACTS, slots=[list(slot) for slot in sorted(set(slots))]
        )
        return int(record["facts"])

    def facts_of(self, keys: Collection[str]) -> list[FactRow]:
        if not keys:
            return []
        rows = self._collected("facts_of", _FACTS_OF, keys=unique(keys))
        facts = [FactRow(*(str(v) for v in row)) for row in rows]
        facts.sort(key=lambda f: (f.identifier_key, f.observation_id, f.name))
        return facts

    def add_consent(self, rows: Sequence[ConsentRow]) -> None:
        if not rows:
            return
        self._write(
            "add_consent",
            _ADD_CONSENT,
            rows=[
                {
                    "statement_id": r.statement_id,
                    "subject_key": r.subject_key,
                    "purpose": r.purpose,
                    "status": r.status,
                    "at": r.at,
                    "source": r.source,
                    "proof": r.proof,
                    "via": r.via,
                }
                for r in rows
            ],
        )

    def consent_of(self, keys: Collection[str]) -> list[ConsentRow]:
        if not keys:
            return []
        rows = self._collected("consent_of", _CONSENT_OF, keys=unique(keys))
        statements = [ConsentRow(*(str(v) for v in row)) for row in rows]
        statements.sort(key=lambda c: (c.subject_key, c.statement_id))
        return statements

    def add_person_records(
        self, rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]]
    ) -> None:
        if not rows:
            return
        asked = unique([r.id for r in rows])
        stored = {
            str(i) for (i,) in self._read("add_person_records", _STORED_PERSON_RECORDS, ids=asked)
        }
        fresh = person_records_to_file(rows, blocks, stored)
        if not fresh:
            return
        self._write(
            "add_person_records",
            _ADD_PERSON_RECORDS,
            rows=[
                {"id": r.id, "identifier_key": r.identifier_key, "fields": r.fields}
                for r, _ in fresh
            ],
        )
        additions: dict[str, list[str]] = {}
        for r, keys in fresh:
            for key in keys:
                additions.setdefault(key, []).append(r.id)
        if additions:
            self._write(
                "add_person_records",
                _FILE_IN_BLOCKS,
                rows=[{"key": key, "ids": ids} for key, ids in additions.items()],
            )

    def person_records(self, ids: Collection[str]) -> dict[str, PersonRecordRow]:
        if not ids:
            return {}
        rows = self._read("person_records", _PERSON_RECORDS, ids=unique(ids))
        return {str(i): PersonRecordRow(str(i), str(k), str(f)) for i, k, f in rows}

    def person_records_of(self, keys: Collection[str]) -> list[PersonRecordRow]:
        if not keys:
            return []
        rows = self._read("person_records_of", _PERSON_RECORDS_OF, keys=unique(keys))
        found = [PersonRecordRow(str(i), str(k), str(f)) for i, k, f in rows]
        return sorted(found, key=lambda r: r.id)

    def block_members(self, block_keys: Collection[str]) -> dict[str, list[str]]:
        if not block_keys:
            return {}
        rows = self._read("block_members", _BLOCK_MEMBERS, keys=unique(block_keys))
        members: dict[str, list[str]] = {}
        for key, _, record_id in sorted(rows, key=lambda r: (r[0], r[1])):
            members.setdefault(str(key), []).append(str(record_id))
        return members
