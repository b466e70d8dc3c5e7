"""Identifiers: ``(:Identifier {key, type, value, first_seen, last_seen, count, generic,
facts, fact_keys})`` and ``(:Identifier)-[:IN_PROFILE]->(:Profile {id})``, the profile
each belongs to.

An ``Identifier`` node without a ``type`` is *bare*: the end of edges (or the holder of
facts) whose identifier was never upserted. The protocol keeps edges and facts apart from
identifiers; every read of identifiers leaves bare nodes out, an upsert fills one in.

Upserts, profile assignments and generic marks are kept in the transaction's ``Pending``
and written by ``graph.neo4j_store.flush``; the reads answer from the server's rows merged
with them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from graph.neo4j_store.pending import BARE, Known, Pending
from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import IdentifierRow, StoredIdentifier

IDENTIFIER_FIELDS: Final = (
    "i.key, i.type, i.value, p.id, i.first_seen, i.last_seen, i.count, coalesce(i.generic, '')"
)
"""With ``p`` the identifier's profile (an ``OPTIONAL MATCH``)."""


def stored_identifier(values: Sequence[Any]) -> StoredIdentifier:
    """From ``IDENTIFIER_FIELDS``, with the Python types of the embedded store."""
    key, kind, value, profile_id, first_seen, last_seen, count, generic = values
    return StoredIdentifier(
        str(key),
        str(kind),
        str(value),
        None if profile_id is None else str(profile_id),
        str(first_seen),
        str(last_seen),
        int(count),
        str(generic),
    )


# Every node of the keys, bare ones with a null type, with the element IDs of its profile
# link and profile (what the flush deletes or writes by ID).
KNOWN_IDENTIFIERS: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
USING INDEX SEEK i:Identifier(key)
OPTIONAL MATCH (i)-[r:IN_PROFILE]->(p:Profile)
RETURN collect(["""
    + IDENTIFIER_FIELDS
    + ", elementId(r), elementId(p)]) AS rows"
)


def know_identifiers(pending: Pending, asked: Collection[str], rows: Iterable[Any]) -> None:
    """Record what ``KNOWN_IDENTIFIERS`` answered for ``asked``."""
    found: dict[str, Known] = {}
    for row in rows:
        key = str(row[0])
        if row[1] is None:
            found[key] = BARE
            continue
        identifier = found[key] = stored_identifier(row[:8])
        if identifier.profile_id is not None:
            pending.profile_links[key] = str(row[8])
            pending.profile_nodes[identifier.profile_id] = str(row[9])
    pending.know_identifiers(asked, found)


_IDENTIFIERS_OF: Final = (
    """
UNWIND $ids AS pid
MATCH (p:Profile {id: pid})<-[:IN_PROFILE]-(i:Identifier)
USING INDEX SEEK p:Profile(id)
RETURN collect(["""
    + IDENTIFIER_FIELDS
    + "]) AS rows"
)

_IDENTIFIER_PAGE: Final = (
    """
MATCH (i:Identifier)
WHERE i.key > $after AND i.type IS NOT NULL
WITH i
ORDER BY i.key
LIMIT $limit
OPTIONAL MATCH (i)-[:IN_PROFILE]->(p:Profile)
RETURN """
    + IDENTIFIER_FIELDS
)

# Moving whole profiles (a steward's merge): not the ingest path, which assigns keys.
_MOVE_IDENTIFIERS: Final = """
MERGE (to:Profile {id: $to})
WITH to
UNWIND $from AS pid
MATCH (:Profile {id: pid})<-[r:IN_PROFILE]-(i:Identifier)
DELETE r
CREATE (i)-[:IN_PROFILE]->(to)
"""

EMPTY_PROFILES: Final = """
MATCH (p:Profile)
USING INDEX SEEK p:Profile(id)
WHERE p.id IN $ids AND p.created_at IS NULL AND NOT EXISTS { (p)<-[:IN_PROFILE]-() }
RETURN collect(elementId(p)) AS rows
"""

# By element ID, in one list: a DELETE of what an UNWIND's rows match plans an Eager.
DELETE_NODES: Final = "MATCH (n) WHERE elementId(n) IN $ids DELETE n"


def drop_empty_profiles(runner: QueryRunner, operation: str, ids: Collection[str]) -> None:
    """Delete the profile nodes of ``ids`` left with neither a document nor an identifier:
    they are nothing to any read."""
    if not ids:
        return
    empty = runner._collected(operation, EMPTY_PROFILES, ids=unique(ids))
    if empty:
        runner._write(operation, DELETE_NODES, ids=empty)


class IdentifierQueries(QueryRunner):
    def _known_identifiers(self, keys: Collection[str]) -> None:
        """Read the server's rows of the keys this transaction does not know yet."""
        missing = self._pending.unknown_identifiers(keys)
        if not missing:
            return
        rows = self._collected("read identifiers", KNOWN_IDENTIFIERS, keys=unique(missing))
        know_identifiers(self._pending, missing, rows)

    def upsert_identifiers(self, rows: Sequence[IdentifierRow]) -> None:
        self._pending.upsert_identifiers(rows)

    def set_generic(self, reasons: Mapping[str, str]) -> None:
        if not reasons:
            return
        self._known_identifiers(reasons.keys())
        pending = self._pending
        for key, reason in reasons.items():
            if pending.exists(key):
                pending.generic[key] = reason

    def get_identifiers(self, keys: Collection[str]) -> dict[str, StoredIdentifier]:
        if not keys:
            return {}
        self._known_identifiers(keys)
        found = (self._pending.identifier(k) for k in unique(keys))
        return {i.key: i for i in found if i is not None}

    def profile_ids(self, keys: Collection[str]) -> dict[str, str | None]:
        return {k: i.profile_id for k, i in self.get_identifiers(keys).items()}

    def assign_profile(self, assignments: Mapping[str, str]) -> None:
        if not assignments:
            return
        self._known_identifiers(assignments.keys())
        pending = self._pending
        for key, pid in assignments.items():
            if pending.exists(key):
                pending.profiles_of[key] = pid

    def move_identifiers(self, from_profile_ids: Collection[str], to_profile_id: str) -> None:
        sources = [pid for pid in unique(from_profile_ids) if pid != to_profile_id]
        if not sources:
            return
        self._send_pending()
        self._write("move_identifiers", _MOVE_IDENTIFIERS, **{"from": sources, "to": to_profile_id})
        drop_empty_profiles(self, "move_identifiers", sources)

    def identifiers_of(self, profile_ids: Collection[str]) -> dict[str, list[StoredIdentifier]]:
        result: dict[str, list[StoredIdentifier]] = {}
        if not profile_ids:
            return result
        self._send_pending()
        rows = self._collected("identifiers_of", _IDENTIFIERS_OF, ids=unique(profile_ids))
        for identifier in sorted(
            (stored_identifier(row) for row in rows), key=lambda i: (i.profile_id or "", i.key)
        ):
            result.setdefault(identifier.profile_id or "", []).append(identifier)
        return result

    def identifier_page(self, after: str | None, limit: int) -> list[StoredIdentifier]:
        self._send_pending()
        rows = self._read(
            "identifier_page", _IDENTIFIER_PAGE, after=after or "", limit=limit_of(limit)
        )
        return [stored_identifier(row) for row in rows]
