"""``Neo4jTransaction``: the operations of each part of the model (one module each, every
query beside the method that runs it), and the two that span them all: the erase
cascade and the counts."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from graph.neo4j_store.edges import EdgeQueries
from graph.neo4j_store.identifiers import IdentifierQueries
from graph.neo4j_store.logs import LogQueries
from graph.neo4j_store.observations import ObservationQueries
from graph.neo4j_store.profiles import ProfileQueries
from graph.neo4j_store.runner import unique
from graph.store import ResolvedRows, insert_resolved_by_parts

# ``erasure`` of graph.rules. Blocks left empty and placeholder ends left without edges go
# too (neither is visible through the protocol).
_ERASE_IDENTIFIERS: Final = """
CALL () {
  UNWIND $keys AS k
  MATCH (p:PersonRecord {identifier_key: k})
  OPTIONAL MATCH (b:Block)-[:HOLDS]->(p)
  WITH collect(DISTINCT p) AS records, collect(DISTINCT b) AS blocks
  FOREACH (p IN records | DETACH DELETE p)
  FOREACH (b IN [b IN blocks WHERE NOT EXISTS { (b)-[:HOLDS]->() }] | DELETE b)
  RETURN size(records) AS person_records
}
CALL () {
  UNWIND $keys AS k
  MATCH (i:Identifier {key: k})
  USING INDEX i:Identifier(key)
  MATCH (i)-[e:LINK]-(o:Identifier)
  WITH collect(DISTINCT e) AS links, collect(DISTINCT o) AS ends
  FOREACH (e IN links | DELETE e)
  FOREACH (n IN [n IN ends WHERE n:Placeholder AND NOT EXISTS { (n)--() }] | DELETE n)
  RETURN size(links) AS edges
}
CALL () {
  UNWIND $keys AS k
  MATCH (f:Fact {identifier_key: k})
  DELETE f
  RETURN count(*) AS facts
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
  WITH i, CASE WHEN i:Placeholder THEN 0 ELSE 1 END AS real
  DETACH DELETE i
  RETURN sum(real) AS identifiers
}
RETURN edges, facts, consent, identifiers
"""

_COUNTS: Final = """
CALL () { MATCH (n:Identifier) RETURN count(n) AS all_identifiers }
CALL () { MATCH (n:Placeholder) RETURN count(n) AS placeholders }
CALL () { MATCH ()-[e:LINK]->() RETURN count(e) AS edges }
CALL () { MATCH (n:Profile) RETURN count(n) AS profiles }
CALL () { MATCH (n:Alias) RETURN count(n) AS aliases }
CALL () { MATCH (n:Fact) RETURN count(n) AS facts }
CALL () { MATCH (n:Consent) RETURN count(n) AS consent }
CALL () { MATCH (n:Change) RETURN count(n) AS changes }
CALL () { MATCH (n:Tombstone) RETURN count(n) AS tombstones }
CALL () { MATCH (n:Audit) RETURN count(n) AS audit }
RETURN all_identifiers - placeholders AS identifiers, edges, profiles, aliases, facts, consent,
       changes, tombstones, audit
"""

_ERASED: Final = ("edges", "facts", "consent", "identifiers")


class Neo4jTransaction(
    IdentifierQueries, EdgeQueries, ObservationQueries, ProfileQueries, LogQueries
):
    """``GraphTransaction`` over one managed Neo4j transaction: one query per operation."""

    def insert_resolved(self, rows: ResolvedRows) -> None:
        insert_resolved_by_parts(self, rows)

    def erase_identifiers(self, keys: Collection[str]) -> dict[str, int]:
        if not keys:
            return dict.fromkeys(_ERASED, 0)
        record = self._single("erase_identifiers", _ERASE_IDENTIFIERS, keys=unique(keys))
        return {name: int(record[name]) for name in _ERASED}

    def counts(self) -> dict[str, int]:
        record = self._single("counts", _COUNTS)
        return {name: int(value) for name, value in record.items()}
