"""The logs and marks kept beside the graph:

- ``(:Change {position, kind, profile_id, at, detail})``: the change feed;
- ``(:Audit {position, at, actor, action, detail})``: the audit log;
- ``(:Counter {name: 'changes' | 'audit', value})``: the last position each handed out;
- ``(:Tombstone {hash})``: the keyed hash of an erased identifier;
- ``(:Meta {name, value})``: store settings; ``get_meta``/``set_meta`` names are kept as
  ``user.<name>`` (the store's own, like the schema version, are apart).

Positions come from the counter node, incremented inside the transaction: it is
write-locked until commit, so positions are monotonic in commit order, and a rolled-back
transaction gives its positions back (no gaps). Only a transaction that appends events
takes the lock, and it takes it last: what the transaction has pending is written first,
so the counter is held for one statement and the commit, not for a batch's writes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Final

from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import AuditRow, ChangeRow

CHANGES_COUNTER: Final = "changes"
AUDIT_COUNTER: Final = "audit"
USER_META_PREFIX: Final = "user."

_APPEND_CHANGES: Final = """
MERGE (c:Counter {name: $counter})
  ON CREATE SET c.value = 0
SET c.value = c.value + size($rows)
WITH c.value - size($rows) AS base
FOREACH (i IN range(0, size($rows) - 1) |
  CREATE (:Change {position: base + i + 1, kind: $rows[i].kind,
                   profile_id: $rows[i].profile_id, at: $rows[i].at,
                   detail: $rows[i].detail}))
RETURN base
"""

_CHANGES_AFTER: Final = """
MATCH (c:Change)
USING INDEX SEEK c:Change(position)
WHERE c.position > $after
RETURN c.position, c.kind, c.profile_id, c.at, c.detail
ORDER BY c.position
LIMIT $limit
"""

_APPEND_AUDIT: Final = """
MERGE (c:Counter {name: $counter})
  ON CREATE SET c.value = 0
SET c.value = c.value + size($rows)
WITH c.value - size($rows) AS base
FOREACH (i IN range(0, size($rows) - 1) |
  CREATE (:Audit {position: base + i + 1, at: $rows[i].at, actor: $rows[i].actor,
                  action: $rows[i].action, detail: $rows[i].detail}))
RETURN base
"""

_AUDIT_AFTER: Final = """
MATCH (a:Audit)
USING INDEX SEEK a:Audit(position)
WHERE a.position > $after
RETURN a.position, a.at, a.actor, a.action, a.detail
ORDER BY a.position
LIMIT $limit
"""

_ADD_TOMBSTONES: Final = """
UNWIND $hashes AS h
MERGE (:Tombstone {hash: h})
"""

TOMBSTONED: Final = """
UNWIND $hashes AS h
MATCH (t:Tombstone {hash: h})
USING INDEX SEEK t:Tombstone(hash)
RETURN collect(t.hash) AS rows
"""

_GET_META: Final = "MATCH (m:Meta {name: $name}) RETURN m.value"

_SET_META: Final = "MERGE (m:Meta {name: $name}) SET m.value = $value"


class LogQueries(QueryRunner):
    def append_changes(self, rows: Sequence[ChangeRow]) -> list[int]:
        if not rows:
            return []
        self._send_pending()
        found = self._read(
            "append_changes",
            _APPEND_CHANGES,
            counter=CHANGES_COUNTER,
            rows=[
                {"kind": r.kind, "profile_id": r.profile_id, "at": r.at, "detail": r.detail}
                for r in rows
            ],
        )
        base = int(found[0][0])
        return list(range(base + 1, base + 1 + len(rows)))

    def changes_after(self, position: int, limit: int) -> list[ChangeRow]:
        rows = self._read(
            "changes_after", _CHANGES_AFTER, after=int(position), limit=limit_of(limit)
        )
        return [
            ChangeRow(int(pos), str(kind), str(pid), str(at), str(detail))
            for pos, kind, pid, at, detail in rows
        ]

    def append_audit(self, rows: Sequence[AuditRow]) -> list[int]:
        if not rows:
            return []
        self._send_pending()
        record = self._single(
            "append_audit",
            _APPEND_AUDIT,
            counter=AUDIT_COUNTER,
            rows=[
                {"at": r.at, "actor": r.actor, "action": r.action, "detail": r.detail} for r in rows
            ],
        )
        base = int(record["base"])
        return list(range(base + 1, base + 1 + len(rows)))

    def audit_after(self, position: int, limit: int) -> list[AuditRow]:
        rows = self._read("audit_after", _AUDIT_AFTER, after=int(position), limit=limit_of(limit))
        return [
            AuditRow(int(pos), str(at), str(actor), str(action), str(detail))
            for pos, at, actor, action, detail in rows
        ]

    def add_tombstones(self, hashes: Collection[str]) -> None:
        if not hashes:
            return
        self._write("add_tombstones", _ADD_TOMBSTONES, hashes=unique(hashes))

    def tombstoned(self, hashes: Collection[str]) -> set[str]:
        if not hashes:
            return set()
        rows = self._collected("tombstoned", TOMBSTONED, hashes=unique(hashes))
        return {str(h) for h in rows}

    def get_meta(self, name: str) -> str | None:
        rows = self._read("get_meta", _GET_META, name=USER_META_PREFIX + name)
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def set_meta(self, name: str, value: str) -> None:
        self._write("set_meta", _SET_META, name=USER_META_PREFIX + name, value=value)
