"""Profiles and aliases:

- ``(:Profile {id, created_at, updated_at, identifiers, attributes, consent, lineage})``:
  the served document; identifiers/attributes/consent/lineage are JSON strings.
- ``(:Alias {alias, target})``: a merged-away profile ID and its survivor.

An identifier's profile is its ``profile_id`` property (indexed), not a relationship:
moving a whole profile on a merge is one indexed ``SET``, and the lookup path (identifier
-> profile document) is two index seeks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import ProfileRow
from graph.rules import flatten_aliases

_PROFILE_FIELDS: Final = (
    "p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent, p.lineage"
)


def _profile(values: Sequence[Any]) -> ProfileRow:
    return ProfileRow(*(str(v) for v in values))


_GET_PROFILES: Final = (
    """
UNWIND $ids AS pid
MATCH (p:Profile {id: pid})
RETURN collect(["""
    + _PROFILE_FIELDS
    + "]) AS rows"
)

_PROFILES_BY_IDENTIFIER: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
MATCH (p:Profile {id: i.profile_id})
RETURN i.key, """
    + _PROFILE_FIELDS
)

_PUT_PROFILES: Final = """
UNWIND $rows AS r
MERGE (p:Profile {id: r.id})
SET p = r
"""

_DELETE_PROFILES: Final = """
UNWIND $ids AS pid
MATCH (p:Profile {id: pid})
DETACH DELETE p
"""

_PROFILE_PAGE: Final = (
    """
MATCH (p:Profile)
WHERE p.id > $after
WITH p
ORDER BY p.id
LIMIT $limit
RETURN """
    + _PROFILE_FIELDS
)

# What ``flatten_aliases`` needs to know: the aliases that point at one of the IDs or are
# one of them.
_ALIASES_TOUCHING: Final = """
CALL () {
  UNWIND $ids AS id
  MATCH (a:Alias {target: id})
  RETURN a
  UNION
  UNWIND $ids AS id
  MATCH (a:Alias {alias: id})
  RETURN a
}
RETURN collect([a.alias, a.target]) AS rows
"""

_PUT_ALIASES: Final = """
UNWIND $rows AS r
MERGE (a:Alias {alias: r[0]})
SET a.target = r[1]
"""

_DELETE_ALIASES_TO: Final = """
UNWIND $targets AS target
OPTIONAL MATCH (a:Alias {target: target})
DETACH DELETE a
RETURN count(a) AS removed
"""

_RESOLVE_ALIASES: Final = """
UNWIND $ids AS id
MATCH (a:Alias {alias: id})
RETURN collect([a.alias, a.target]) AS rows
"""

_ALIAS_PAGE: Final = """
MATCH (a:Alias)
WHERE a.alias > $after
RETURN a.alias, a.target
ORDER BY a.alias
LIMIT $limit
"""


class ProfileQueries(QueryRunner):
    def get_profiles(self, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
        if not profile_ids:
            return {}
        rows = self._collected("get_profiles", _GET_PROFILES, ids=unique(profile_ids))
        profiles = sorted((_profile(row) for row in rows), key=lambda p: p.id)
        return {p.id: p for p in profiles}

    def profiles_by_identifier(self, keys: Collection[str]) -> dict[str, ProfileRow]:
        if not keys:
            return {}
        rows = self._read("profiles_by_identifier", _PROFILES_BY_IDENTIFIER, keys=unique(keys))
        return {str(row[0]): _profile(row[1:]) for row in sorted(rows, key=lambda r: str(r[0]))}

    def put_profiles(self, rows: Sequence[ProfileRow]) -> None:
        if not rows:
            return
        self._write(
            "put_profiles",
            _PUT_PROFILES,
            rows=[
                {
                    "id": r.id,
                    "created_at": r.created_at,
                    "updated_at": r.updated_at,
                    "identifiers": r.identifiers,
                    "attributes": r.attributes,
                    "consent": r.consent,
                    "lineage": r.lineage,
                }
                for r in rows
            ],
        )

    def delete_profiles(self, profile_ids: Collection[str]) -> None:
        if not profile_ids:
            return
        self._write("delete_profiles", _DELETE_PROFILES, ids=unique(profile_ids))

    def profile_page(self, after: str | None, limit: int) -> list[ProfileRow]:
        rows = self._read("profile_page", _PROFILE_PAGE, after=after or "", limit=limit_of(limit))
        return [_profile(row) for row in rows]

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        if not aliases:
            return
        ids = unique({*aliases, *aliases.values()})
        stored = self._collected("add_aliases", _ALIASES_TOUCHING, ids=ids)
        written = flatten_aliases({str(a): str(t) for a, t in stored}, aliases)
        self._write("add_aliases", _PUT_ALIASES, rows=[list(pair) for pair in written.items()])

    def delete_aliases_to(self, targets: Collection[str]) -> int:
        if not targets:
            return 0
        rows = self._read("delete_aliases_to", _DELETE_ALIASES_TO, targets=unique(targets))
        return int(rows[0][0])

    def resolve_aliases(self, ids: Collection[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = self._collected("resolve_aliases", _RESOLVE_ALIASES, ids=unique(ids))
        return {str(alias): str(target) for alias, target in rows}

    def alias_page(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        rows = self._read("alias_page", _ALIAS_PAGE, after=after or "", limit=limit_of(limit))
        return [(str(alias), str(target)) for alias, target in rows]
