"""Profiles and aliases:

- ``(:Profile {id, created_at, updated_at, identifiers, attributes, consent, lineage, ...})``:
  the served document (``identifiers``, ``attributes``, ``consent`` and ``lineage`` as the
  JSON text the service answers with), and beside it what a Neo4j user reads: each golden
  attribute as a property of its name (``first_name: 'Ann'``) and the consent status of
  each purpose as ``consent_<purpose>`` (``consent_email: 'granted'``). An attribute whose
  name is taken by the document (``id``, ``created_at`` ...) or starts with ``consent_`` is
  only in the document. A ``Profile`` node without ``created_at`` has no document: it
  exists while identifiers point at it (``IN_PROFILE``) and no read returns it.
- ``(:Alias {alias, target})``: a merged-away profile ID and its survivor.

Documents and aliases are kept in the transaction's ``Pending`` and written by
``graph.neo4j_store.flush``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from graph.neo4j_store.pending import DELETED, Pending
from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import ProfileRow
from graph.rules import flatten_aliases

PROFILE_FIELDS: Final = (
    "p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent, p.lineage"
)
DOCUMENT_FIELDS: Final = (
    "id",
    "created_at",
    "updated_at",
    "identifiers",
    "attributes",
    "consent",
    "lineage",
)
CONSENT_PREFIX: Final = "consent_"


def profile_row(values: Sequence[Any]) -> ProfileRow:
    return ProfileRow(*(str(v) for v in values))


def profile_properties(row: ProfileRow) -> dict[str, Any]:
    """Every property of the profile's node: the document, each golden value under its
    attribute's name and each purpose's consent status (when the document's JSON has that
    shape; the document alone otherwise)."""
    properties: dict[str, Any] = {}
    try:
        attributes = json.loads(row.attributes)
        consent = json.loads(row.consent)
    except ValueError:
        attributes = consent = None
    if isinstance(attributes, dict):
        for name, golden in attributes.items():
            if (
                isinstance(golden, dict)
                and isinstance(golden.get("value"), str)
                and name not in DOCUMENT_FIELDS
                and not name.startswith(CONSENT_PREFIX)
            ):
                properties[name] = golden["value"]
    if isinstance(consent, dict):
        for purpose, effective in consent.items():
            if isinstance(effective, dict) and isinstance(effective.get("status"), str):
                properties[CONSENT_PREFIX + purpose] = effective["status"]
    properties.update(zip(DOCUMENT_FIELDS, row, strict=True))
    return properties


# Every node of the IDs (with its element ID), those without a document too.
GET_PROFILES: Final = (
    """
UNWIND $ids AS pid
MATCH (p:Profile {id: pid})
USING INDEX SEEK p:Profile(id)
RETURN collect([elementId(p), """
    + PROFILE_FIELDS
    + "]) AS rows"
)


def know_profiles(
    pending: Pending, asked: Collection[str], rows: Iterable[Any]
) -> list[ProfileRow]:
    """Record the nodes ``GET_PROFILES`` answered for ``asked``; the documents among them."""
    nodes = pending.profile_nodes
    for pid in asked:
        nodes[pid] = None
    documents: list[ProfileRow] = []
    for row in rows:
        nodes[str(row[1])] = str(row[0])
        if row[2] is not None:
            documents.append(profile_row(row[1:]))
    return documents


PROFILES_BY_IDENTIFIER: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})-[:IN_PROFILE]->(p:Profile)
USING INDEX SEEK i:Identifier(key)
WHERE p.created_at IS NOT NULL
RETURN collect([i.key, """
    + PROFILE_FIELDS
    + "]) AS rows"
)

PROFILE_BY_IDENTIFIER: Final = (
    """
MATCH (i:Identifier {key: $key})-[:IN_PROFILE]->(p:Profile)
USING INDEX SEEK i:Identifier(key)
WHERE p.created_at IS NOT NULL
RETURN """
    + PROFILE_FIELDS
)
"""The lookup API's point read."""

_PROFILE_PAGE: Final = (
    """
MATCH (p:Profile)
WHERE p.id > $after AND p.created_at IS NOT NULL
WITH p
ORDER BY p.id
LIMIT $limit
RETURN """
    + PROFILE_FIELDS
)

# What ``flatten_aliases`` needs to know: the aliases that point at one of the IDs or are
# one of them.
ALIASES_TOUCHING: Final = """
CALL () {
  UNWIND $ids AS id
  MATCH (a:Alias {target: id})
  USING INDEX SEEK a:Alias(target)
  RETURN a
  UNION
  UNWIND $ids AS id
  MATCH (a:Alias {alias: id})
  USING INDEX SEEK a:Alias(alias)
  RETURN a
}
RETURN collect([a.alias, a.target]) AS rows
"""

_DELETE_ALIASES_TO: Final = """
UNWIND $targets AS target
OPTIONAL MATCH (a:Alias {target: target})
DETACH DELETE a
RETURN count(a) AS removed
"""

RESOLVE_ALIASES: Final = """
UNWIND $ids AS id
MATCH (a:Alias {alias: id})
USING INDEX SEEK a:Alias(alias)
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
        documents = self._pending.documents
        asked = [pid for pid in unique(profile_ids) if pid not in documents]
        found: dict[str, ProfileRow] = {}
        if asked:
            rows = self._collected("get_profiles", GET_PROFILES, ids=asked)
            found = {p.id: p for p in know_profiles(self._pending, asked, rows)}
        for pid in profile_ids:
            document = documents.get(pid)
            if isinstance(document, ProfileRow):
                found[pid] = document
        return {pid: found[pid] for pid in sorted(found)}

    def profiles_by_identifier(self, keys: Collection[str]) -> dict[str, ProfileRow]:
        if not keys:
            return {}
        self._send_pending()
        rows = self._collected("profiles_by_identifier", PROFILES_BY_IDENTIFIER, keys=unique(keys))
        return {str(row[0]): profile_row(row[1:]) for row in sorted(rows, key=lambda r: str(r[0]))}

    def put_profiles(self, rows: Sequence[ProfileRow]) -> None:
        self._pending.put_profiles(rows)

    def delete_profiles(self, profile_ids: Collection[str]) -> None:
        self._pending.delete_profiles(profile_ids)

    def profile_page(self, after: str | None, limit: int) -> list[ProfileRow]:
        self._send_pending()
        rows = self._read("profile_page", _PROFILE_PAGE, after=after or "", limit=limit_of(limit))
        return [profile_row(row) for row in rows]

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        if not aliases:
            return
        ids = unique({*aliases, *aliases.values()})
        stored = self._collected("add_aliases", ALIASES_TOUCHING, ids=ids)
        known = {str(a): str(t) for a, t in stored}
        known.update(self._pending.aliases)
        self._pending.aliases.update(flatten_aliases(known, aliases))

    def delete_aliases_to(self, targets: Collection[str]) -> int:
        if not targets:
            return 0
        self._send_pending()
        rows = self._read("delete_aliases_to", _DELETE_ALIASES_TO, targets=unique(targets))
        return int(rows[0][0])

    def resolve_aliases(self, ids: Collection[str]) -> dict[str, str]:
        if not ids:
            return {}
        pending = self._pending.aliases
        asked = [i for i in unique(ids) if i not in pending]
        found: dict[str, str] = {}
        if asked:
            rows = self._collected("resolve_aliases", RESOLVE_ALIASES, ids=asked)
            found = {str(alias): str(target) for alias, target in rows}
        for i in ids:
            if i in pending:
                found[i] = pending[i]
        return found

    def alias_page(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        self._send_pending()
        rows = self._read("alias_page", _ALIAS_PAGE, after=after or "", limit=limit_of(limit))
        return [(str(alias), str(target)) for alias, target in rows]


def is_deleted(document: ProfileRow | str) -> bool:
    return document == DELETED
