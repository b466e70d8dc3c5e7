"""Identifiers: ``(:Identifier {key, type, value, profile_id, first_seen, last_seen, count,
generic})``, the profile they belong to, and their generic mark."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import IdentifierRow, StoredIdentifier

_IDENTIFIER_FIELDS: Final = (
    "i.key, i.type, i.value, i.profile_id, i.first_seen, i.last_seen, i.count,"
    " coalesce(i.generic, '')"
)


def _identifier(values: Sequence[Any]) -> StoredIdentifier:
    """From ``_IDENTIFIER_FIELDS``, with the Python types of the embedded store."""
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


# ``merge_identifier_sightings`` of graph.rules. The bulk writes of ingest take their rows
# as lists, not maps: the driver packs the values only, not every field name again for
# every row. The first WITH names the fields.
_UPSERT_IDENTIFIERS: Final = """
UNWIND $rows AS row
WITH {key: row[0], type: row[1], value: row[2], first_seen: row[3], last_seen: row[4],
      count: row[5]} AS r
MERGE (i:Identifier {key: r.key})
SET i.type = coalesce(i.type, r.type),
    i.value = coalesce(i.value, r.value),
    i.first_seen = CASE WHEN i.first_seen IS NULL OR r.first_seen < i.first_seen
                        THEN r.first_seen ELSE i.first_seen END,
    i.last_seen = CASE WHEN i.last_seen IS NULL OR r.last_seen > i.last_seen
                       THEN r.last_seen ELSE i.last_seen END,
    i.count = coalesce(i.count, 0) + r.count
REMOVE i:Placeholder
"""

_SET_GENERIC: Final = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r.key})
WHERE NOT i:Placeholder
SET i.generic = r.reason
"""

_GET_IDENTIFIERS: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE NOT i:Placeholder
RETURN collect(["""
    + _IDENTIFIER_FIELDS
    + "]) AS rows"
)

_PROFILE_IDS: Final = """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE NOT i:Placeholder
RETURN collect([i.key, i.profile_id]) AS rows
"""

_ASSIGN_PROFILE: Final = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r.key})
WHERE NOT i:Placeholder
SET i.profile_id = r.profile_id
"""

_MOVE_IDENTIFIERS: Final = """
UNWIND $from AS pid
MATCH (i:Identifier {profile_id: pid})
SET i.profile_id = $to
"""

_IDENTIFIERS_OF: Final = (
    """
UNWIND $ids AS pid
MATCH (i:Identifier {profile_id: pid})
RETURN collect(["""
    + _IDENTIFIER_FIELDS
    + "]) AS rows"
)

_IDENTIFIER_PAGE: Final = (
    """
MATCH (i:Identifier)
WHERE i.key > $after AND NOT i:Placeholder
WITH i
ORDER BY i.key
LIMIT $limit
RETURN """
    + _IDENTIFIER_FIELDS
)


class IdentifierQueries(QueryRunner):
    def upsert_identifiers(self, rows: Sequence[IdentifierRow]) -> None:
        if not rows:
            return
        self._write(
            "upsert_identifiers",
            _UPSERT_IDENTIFIERS,
            rows=[
                [r.key, r.type, r.value, r.first_seen, r.last_seen, int(r.sightings)] for r in rows
            ],
        )

    def set_generic(self, reasons: Mapping[str, str]) -> None:
        if not reasons:
            return
        self._write(
            "set_generic",
            _SET_GENERIC,
            rows=[{"key": key, "reason": reason} for key, reason in reasons.items()],
        )

    def get_identifiers(self, keys: Collection[str]) -> dict[str, StoredIdentifier]:
        if not keys:
            return {}
        rows = self._collected("get_identifiers", _GET_IDENTIFIERS, keys=unique(keys))
        found = sorted((_identifier(row) for row in rows), key=lambda i: i.key)
        return {i.key: i for i in found}

    def profile_ids(self, keys: Collection[str]) -> dict[str, str | None]:
        if not keys:
            return {}
        rows = self._collected("profile_ids", _PROFILE_IDS, keys=unique(keys))
        return {str(key): None if pid is None else str(pid) for key, pid in rows}

    def assign_profile(self, assignments: Mapping[str, str]) -> None:
        if not assignments:
            return
        self._write(
            "assign_profile",
            _ASSIGN_PROFILE,
            rows=[{"key": key, "profile_id": pid} for key, pid in assignments.items()],
        )

    def move_identifiers(self, from_profile_ids: Collection[str], to_profile_id: str) -> None:
        sources = [pid for pid in unique(from_profile_ids) if pid != to_profile_id]
        if not sources:
            return
        self._write("move_identifiers", _MOVE_IDENTIFIERS, **{"from": sources, "to": to_profile_id})

    def identifiers_of(self, profile_ids: Collection[str]) -> dict[str, list[StoredIdentifier]]:
        result: dict[str, list[StoredIdentifier]] = {}
        if not profile_ids:
            return result
        rows = self._collected("identifiers_of", _IDENTIFIERS_OF, ids=unique(profile_ids))
        for identifier in sorted(
            (_identifier(row) for row in rows), key=lambda i: (i.profile_id or "", i.key)
        ):
            result.setdefault(identifier.profile_id or "", []).append(identifier)
        return result

    def identifier_page(self, after: str | None, limit: int) -> list[StoredIdentifier]:
        rows = self._read(
            "identifier_page", _IDENTIFIER_PAGE, after=after or "", limit=limit_of(limit)
        )
        return [_identifier(row) for row in rows]
