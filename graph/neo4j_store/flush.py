"""Sending a transaction's pending writes: a few ``UNWIND`` queries, each run only when it
has rows, every one planned without an ``Eager`` operator and starting from an index seek
(``tests/graph/test_neo4j_plans.py`` runs ``EXPLAIN`` on each):

1. what is still unknown of the server's rows the writes touch (usually nothing: the
   resolver has read them): edges by slot, then nodes by key;
2. profile nodes: documents ``SET`` whole, bare ``Profile {id}`` nodes for assignments;
3. new identifiers ``CREATE``d with their facts and ``IN_PROFILE`` link; bare nodes for
   edge ends and facts never upserted;
4. changed identifiers ``SET`` (their new facts appended), their ``IN_PROFILE`` moved;
5. new edges ``CREATE``d between the two nodes found by key, changed ones ``SET``;
6. consent statements, person records and blocks, aliases;
7. deleted documents, and profile nodes left with neither document nor identifier.

The values written are final: merges (``graph.rules``) were done in Python on the rows the
transaction read, so no query reads a value it then writes (the cause of ``Eager``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from graph.neo4j_store.edges import EDGES_BY_SLOT, edge_row
from graph.neo4j_store.identifiers import (
    KNOWN_IDENTIFIERS,
    drop_empty_profiles,
    know_identifiers,
)
from graph.neo4j_store.observations import fact_lists, first_of_each
from graph.neo4j_store.pending import ABSENT, DELETED, Pending
from graph.neo4j_store.profiles import GET_PROFILES, know_profiles, profile_properties
from graph.neo4j_store.runner import QueryRunner
from graph.records import EdgeRow, FactRow, ProfileRow, StoredIdentifier

# A document replaces every property of the node (golden attributes come and go): on a
# node found by a key, ``SET p = r`` plans an Eager (the map may hold the key), so new
# nodes are created with it and existing ones found by element ID.
CREATE_DOCUMENTS: Final = """
UNWIND $rows AS r
CREATE (p:Profile)
SET p = r
"""

SET_DOCUMENTS: Final = """
UNWIND $rows AS r
MATCH (p)
WHERE elementId(p) = r[0]
SET p = r[1]
"""

CREATE_PROFILES: Final = """
UNWIND $ids AS pid
CREATE (:Profile {id: pid})
"""

CREATE_IDENTIFIERS: Final = """
UNWIND $rows AS r
CREATE (i:Identifier {key: r[0], type: r[1], value: r[2], first_seen: r[3], last_seen: r[4],
                      count: r[5], generic: r[6], facts: r[7], fact_keys: r[8]})
"""

CREATE_IDENTIFIERS_IN_PROFILES: Final = """
UNWIND $rows AS r
MATCH (p:Profile {id: r[9]})
USING INDEX SEEK p:Profile(id)
CREATE (i:Identifier {key: r[0], type: r[1], value: r[2], first_seen: r[3], last_seen: r[4],
                      count: r[5], generic: r[6], facts: r[7], fact_keys: r[8]})
CREATE (i)-[:IN_PROFILE]->(p)
"""

CREATE_BARE: Final = """
UNWIND $rows AS r
CREATE (:Identifier {key: r[0], facts: r[1], fact_keys: r[2]})
"""

# Facts already stored (same observation and name) are not added again. Every expression
# of one SET reads the values from before it.
UPDATE_IDENTIFIERS: Final = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r[0]})
USING INDEX SEEK i:Identifier(key)
SET i.type = r[1], i.value = r[2], i.first_seen = r[3], i.last_seen = r[4], i.count = r[5],
    i.generic = r[6],
    i.facts = CASE WHEN r[8] = [] THEN i.facts
                   ELSE coalesce(i.facts, []) + [n IN range(0, size(r[8]) - 1)
                                                 WHERE NOT r[8][n] IN coalesce(i.fact_keys, [])
                                                 | r[7][n]] END,
    i.fact_keys = CASE WHEN r[8] = [] THEN i.fact_keys
                       ELSE coalesce(i.fact_keys, [])
                            + [k IN r[8] WHERE NOT k IN coalesce(i.fact_keys, [])] END
"""

# By element ID, in one list: a DELETE of what an UNWIND's rows match plans an Eager.
UNLINK_PROFILES: Final = """
MATCH ()-[r:IN_PROFILE]->()
WHERE elementId(r) IN $ids
DELETE r
"""

LINK_PROFILES: Final = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r[0]})
USING INDEX SEEK i:Identifier(key)
MATCH (p:Profile {id: r[1]})
USING INDEX SEEK p:Profile(id)
CREATE (i)-[:IN_PROFILE]->(p)
"""

CREATE_EDGES: Final = """
UNWIND $rows AS r
MATCH (a:Identifier {key: r[0]})
USING INDEX SEEK a:Identifier(key)
MATCH (b:Identifier {key: r[1]})
USING INDEX SEEK b:Identifier(key)
CREATE (a)-[:LINK {matcher: r[2], rule: r[3], weight: r[4], status: r[5], source: r[6],
                   evidence: r[7], first_seen: r[8], last_seen: r[9], count: r[10],
                   reason: r[11]}]->(b)
"""

UPDATE_EDGES: Final = """
UNWIND $rows AS r
MATCH (a:Identifier {key: r[0]})-[e:LINK]->(b:Identifier)
USING INDEX SEEK a:Identifier(key)
WHERE b.key = r[1] AND e.matcher = r[2] AND e.rule = r[3]
SET e.weight = r[4], e.status = r[5], e.source = r[6], e.evidence = r[7],
    e.first_seen = r[8], e.last_seen = r[9], e.count = r[10], e.reason = r[11]
"""

CREATE_CONSENT: Final = """
UNWIND $rows AS r
CREATE (:Consent {statement_id: r[0], subject_key: r[1], purpose: r[2], status: r[3], at: r[4],
                  source: r[5], proof: r[6], via: r[7]})
"""

CREATE_PERSON_RECORDS: Final = """
UNWIND $rows AS r
CREATE (:PersonRecord {id: r[0], identifier_key: r[1], fields: r[2], blocks: r[3]})
"""

FILE_IN_BLOCKS: Final = """
UNWIND $rows AS r
MERGE (b:Block {key: r[0]})
SET b.members = coalesce(b.members, []) + r[1]
"""

PUT_ALIASES: Final = """
UNWIND $rows AS r
MERGE (a:Alias {alias: r[0]})
SET a.target = r[1]
"""

CLEAR_DOCUMENTS: Final = """
MATCH (p:Profile)
USING INDEX SEEK p:Profile(id)
WHERE p.id IN $ids
SET p = {id: p.id}
"""


def _identifier_values(identifier: StoredIdentifier) -> list[Any]:
    return [
        identifier.key,
        identifier.type,
        identifier.value,
        identifier.first_seen,
        identifier.last_seen,
        identifier.sightings,
        identifier.generic,
    ]


def _edge_values(edge: EdgeRow) -> list[Any]:
    return [
        edge.left,
        edge.right,
        edge.matcher,
        edge.rule,
        float(edge.weight),
        edge.status,
        edge.source,
        edge.evidence,
        edge.first_seen,
        edge.last_seen,
        int(edge.sightings),
        edge.reason,
    ]


def _or_none(values: list[str]) -> list[str] | None:
    """No property rather than an empty list."""
    return values or None


class Flush:
    """The queries that send one ``Pending``, in order (see the module docstring)."""

    def __init__(self, runner: QueryRunner, pending: Pending) -> None:
        self._runner = runner
        self._pending = pending
        self._moved_from: set[str] = set()

    def _write(self, query: Any, **parameters: Any) -> None:
        self._runner._write("write the transaction", query, **parameters)

    def _collected(self, query: Any, **parameters: Any) -> list[Any]:
        return self._runner._collected("write the transaction", query, **parameters)

    def run(self) -> None:
        pending = self._pending
        self._learn_edges()
        finals = {slot: pending.edge(slot) for slot in pending.edges}
        new_edges = [
            e for slot, e in finals.items() if e is not None and slot not in pending.base_edges
        ]
        facts = first_of_each(pending.facts)
        facts_by_key: dict[str, list[FactRow]] = {}
        for fact in facts:
            facts_by_key.setdefault(fact.identifier_key, []).append(fact)
        ends = {k for e in new_edges for k in (e.left, e.right)}
        self._learn_identifiers({*pending.sightings, *ends, *facts_by_key})
        self._learn_profiles({*pending.documents, *pending.profiles_of.values()})

        self._write_profiles()
        self._write_identifiers(ends, facts_by_key)
        if new_edges:
            self._write(CREATE_EDGES, rows=[_edge_values(e) for e in new_edges])
        changed = [
            e
            for slot, e in finals.items()
            if e is not None and slot in pending.base_edges and e != pending.base_edges[slot]
        ]
        if changed:
            self._write(UPDATE_EDGES, rows=[_edge_values(e) for e in changed])
        if pending.consent:
            self._write(CREATE_CONSENT, rows=[list(r) for r in pending.consent.values()])
        if pending.person_records:
            self._write(
                CREATE_PERSON_RECORDS,
                rows=[
                    [r.id, r.identifier_key, r.fields, _or_none(blocks)]
                    for r, blocks in pending.person_records.values()
                ],
            )
        if pending.block_additions:
            blocks = pending.block_additions.items()
            self._write(FILE_IN_BLOCKS, rows=[[k, ids] for k, ids in blocks])
        if pending.aliases:
            self._write(PUT_ALIASES, rows=[[a, t] for a, t in pending.aliases.items()])
        self._drop_documents()

    # --- what the server holds -----------------------------------------------------------

    def _learn_edges(self) -> None:
        pending = self._pending
        unknown = [slot for slot in pending.edges if not pending.slot_known(slot)]
        if not unknown:
            return
        rows = self._collected(EDGES_BY_SLOT, slots=[list(s) for s in sorted(unknown)])
        pending.know_slots(unknown, (edge_row(row) for row in rows))

    def _learn_identifiers(self, keys: Iterable[str]) -> None:
        missing = sorted(self._pending.unknown_identifiers(keys))
        if missing:
            rows = self._collected(KNOWN_IDENTIFIERS, keys=missing)
            know_identifiers(self._pending, missing, rows)

    def _learn_profiles(self, ids: Iterable[str]) -> None:
        missing = sorted(pid for pid in ids if pid not in self._pending.profile_nodes)
        if missing:
            know_profiles(self._pending, missing, self._collected(GET_PROFILES, ids=missing))

    # --- nodes ----------------------------------------------------------------------------

    def _write_profiles(self) -> None:
        pending = self._pending
        nodes = pending.profile_nodes
        created: list[dict[str, Any]] = []
        replaced: list[list[Any]] = []
        for document in pending.documents.values():
            if isinstance(document, ProfileRow):
                node = nodes[document.id]
                if node is None:
                    created.append(profile_properties(document))
                else:
                    replaced.append([node, profile_properties(document)])
        if created:
            self._write(CREATE_DOCUMENTS, rows=created)
        if replaced:
            self._write(SET_DOCUMENTS, rows=replaced)
        written = {row["id"] for row in created}
        bare = sorted({p for p in pending.profiles_of.values() if nodes[p] is None} - written)
        if bare:
            self._write(CREATE_PROFILES, ids=bare)

    def _write_identifiers(self, ends: set[str], facts_by_key: dict[str, list[FactRow]]) -> None:
        pending = self._pending
        created: list[list[Any]] = []
        created_in_profiles: list[list[Any]] = []
        updated: list[list[Any]] = []
        links: list[list[str]] = []
        unlinks: list[str] = []
        for key in pending.sightings.keys() | pending.profiles_of.keys() | pending.generic.keys():
            base = pending.base_identifiers[key]
            current = pending.identifier(key)
            if current is None:
                continue
            entries, fact_keys = fact_lists(facts_by_key.get(key, ()))
            values = _identifier_values(current)
            if base == ABSENT:
                values += [_or_none(entries), _or_none(fact_keys)]
                if current.profile_id is None:
                    created.append(values)
                else:
                    created_in_profiles.append([*values, current.profile_id])
                continue
            updated.append([*values, entries, fact_keys])
            before = base.profile_id if isinstance(base, StoredIdentifier) else None
            if current.profile_id != before:
                if before is not None:
                    unlinks.append(pending.profile_links[key])
                    self._moved_from.add(before)
                if current.profile_id is not None:
                    links.append([key, current.profile_id])
        bare: list[list[Any]] = []
        for key in sorted((ends | facts_by_key.keys()) - pending.sightings.keys()):
            base = pending.base_identifiers[key]
            entries, fact_keys = fact_lists(facts_by_key.get(key, ()))
            if base == ABSENT:
                bare.append([key, _or_none(entries), _or_none(fact_keys)])
            elif entries and key not in pending.profiles_of and key not in pending.generic:
                stored = base if isinstance(base, StoredIdentifier) else None
                updated.append([*_stored_values(key, stored), entries, fact_keys])
        if created:
            self._write(CREATE_IDENTIFIERS, rows=created)
        if created_in_profiles:
            self._write(CREATE_IDENTIFIERS_IN_PROFILES, rows=created_in_profiles)
        if bare:
            self._write(CREATE_BARE, rows=bare)
        if updated:
            self._write(UPDATE_IDENTIFIERS, rows=updated)
        if unlinks:
            self._write(UNLINK_PROFILES, ids=unlinks)
        if links:
            self._write(LINK_PROFILES, rows=links)

    def _drop_documents(self) -> None:
        deleted = sorted(pid for pid, d in self._pending.documents.items() if d == DELETED)
        if deleted:
            self._write(CLEAR_DOCUMENTS, ids=deleted)
        drop_empty_profiles(self._runner, "write the transaction", {*deleted, *self._moved_from})


def _stored_values(key: str, stored: StoredIdentifier | None) -> list[Any]:
    """The values of an existing node that only gains facts (a bare one keeps no type)."""
    if stored is None:
        return [key, None, None, None, None, None, None]
    return _identifier_values(stored)
