"""``Neo4jTransaction``: the operations of each part of the model (one module each, every
query beside the method that runs it), the write-once rule that spans them, the erase
cascade and the counts.

Write once: the writes of a unit of work are kept in ``Pending`` and sent at its end
(``send_pending``, called by ``Neo4jStore.write``) in a few ``UNWIND`` queries
(``graph.neo4j_store.flush``). Reads answer from the server's rows merged with what is
pending; the few reads that cannot (pages, counts, the lookup by identifier, reads by
profile) and the writes that are not kept (erasure, deletions, the logs) send what is
pending first, so the unit of work sees its own writes either way.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from graph.neo4j_store.edges import EdgeQueries
from graph.neo4j_store.flush import Flush
from graph.neo4j_store.identifiers import IdentifierQueries, drop_empty_profiles
from graph.neo4j_store.logs import LogQueries
from graph.neo4j_store.observations import ObservationQueries
from graph.neo4j_store.pending import Pending
from graph.neo4j_store.profiles import ProfileQueries
from graph.neo4j_store.runner import unique
from graph.store import ResolvedRows, insert_resolved_by_parts

_RECORDS_OF: Final = """
UNWIND $keys AS k
MATCH (p:PersonRecord {identifier_key: k})
RETURN collect([p.id, coalesce(p.blocks, [])]) AS rows
"""

_LEAVE_BLOCKS: Final = """
UNWIND $rows AS r
MATCH (b:Block {key: r[0]})
SET b.members = [m IN b.members WHERE NOT m IN r[1]]
WITH b
WHERE b.members = []
DELETE b
"""

_DELETE_RECORDS: Final = """
UNWIND $ids AS id
MATCH (p:PersonRecord {id: id})
DELETE p
"""

# ``erasure`` of graph.rules, after the person records. Bare ends left with nothing go
# too, and profile nodes left with neither document nor identifier.
_ERASE_IDENTIFIERS: Final = """
CALL () {
  UNWIND $keys AS k
  MATCH (i:Identifier {key: k})
  USING INDEX SEEK i:Identifier(key)
  MATCH (i)-[e:LINK]-(o:Identifier)
  WITH collect(DISTINCT e) AS links, collect(DISTINCT o) AS ends
  FOREACH (e IN links | DELETE e)
  FOREACH (n IN [n IN ends WHERE n.type IS NULL AND n.facts IS NULL
                                 AND NOT EXISTS { (n)--() }] | DELETE n)
  RETURN size(links) AS edges
}
CALL () {
  UNWIND $keys AS k
  MATCH (c:Consent {subject_key: k})
  DELETE c
  RETURN count(*) AS consent
}
CALL () {
  UNWIND $keys AS k
  MATCH (i:Identifier {key: k})
  USING INDEX SEEK i:Identifier(key)
  OPTIONAL MATCH (i)-[:IN_PROFILE]->(p:Profile)
  WITH i, p, CASE WHEN i.type IS NULL THEN 0 ELSE 1 END AS real,
       size(coalesce(i.facts, [])) AS facts
  DETACH DELETE i
  RETURN sum(real) AS identifiers, sum(facts) AS facts, collect(DISTINCT p.id) AS profiles
}
RETURN edges, facts, consent, identifiers, profiles
"""

_COUNTS: Final = """
CALL () {
  MATCH (n:Identifier)
  RETURN count(n.type) AS identifiers, sum(size(coalesce(n.facts, []))) AS facts
}
CALL () { MATCH ()-[e:LINK]->() RETURN count(e) AS edges }
CALL () { MATCH (n:Profile) WHERE n.created_at IS NOT NULL RETURN count(n) AS profiles }
CALL () { MATCH (n:Alias) RETURN count(n) AS aliases }
CALL () { MATCH (n:Consent) RETURN count(n) AS consent }
CALL () { MATCH (n:Change) RETURN count(n) AS changes }
CALL () { MATCH (n:Tombstone) RETURN count(n) AS tombstones }
CALL () { MATCH (n:Audit) RETURN count(n) AS audit }
RETURN identifiers, edges, profiles, aliases, facts, consent, changes, tombstones, audit
"""

_ERASED: Final = ("edges", "facts", "consent", "identifiers")


class Neo4jTransaction(
    IdentifierQueries, EdgeQueries, ObservationQueries, ProfileQueries, LogQueries
):
    """``GraphTransaction`` over one managed Neo4j transaction, writing once (see the
    module docstring)."""

    def send_pending(self) -> None:
        """Write everything pending; the store calls it before the commit."""
        self._send_pending()

    def _send_pending(self) -> None:
        """Write what is pending and forget what was read: after a write that is not kept
        (an erasure, a move) the rows read before may be stale."""
        if not self._pending.empty():
            Flush(self, self._pending).run()
        self._pending = Pending()

    def insert_resolved(self, rows: ResolvedRows) -> None:
        insert_resolved_by_parts(self, rows)

    def erase_identifiers(self, keys: Collection[str]) -> dict[str, int]:
        if not keys:
            return dict.fromkeys(_ERASED, 0)
        self._send_pending()
        asked = unique(keys)
        records = self._collected("erase_identifiers", _RECORDS_OF, keys=asked)
        leaving: dict[str, list[str]] = {}
        for record_id, blocks in records:
            for block in blocks:
                leaving.setdefault(str(block), []).append(str(record_id))
        if leaving:
            self._write(
                "erase_identifiers", _LEAVE_BLOCKS, rows=[[k, ids] for k, ids in leaving.items()]
            )
        if records:
            self._write("erase_identifiers", _DELETE_RECORDS, ids=[str(r[0]) for r in records])
        record = self._single("erase_identifiers", _ERASE_IDENTIFIERS, keys=asked)
        drop_empty_profiles(self, "erase_identifiers", [str(p) for p in record["profiles"]])
        return {name: int(record[name]) for name in _ERASED}

    def counts(self) -> dict[str, int]:
        self._send_pending()
        record = self._single("counts", _COUNTS)
        return {name: int(value) for name, value in record.items()}
