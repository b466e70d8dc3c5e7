"""The queries of the hot paths (ingest: the reads a batch makes and the flush; lookups),
each with parameters of the shapes they are run with: planned at start-up
(``warm_plans``) and checked by ``tests/graph/test_neo4j_plans.py`` (``EXPLAIN``: no
``Eager``, no scan where an index seek is meant)."""

from __future__ import annotations

from typing import Any, Final

import neo4j

from graph.neo4j_store import flush
from graph.neo4j_store.edges import EDGES_BY_SLOT, EDGES_OF
from graph.neo4j_store.identifiers import DELETE_NODES, EMPTY_PROFILES, KNOWN_IDENTIFIERS
from graph.neo4j_store.logs import TOMBSTONED
from graph.neo4j_store.observations import (
    BLOCK_MEMBERS,
    CONSENT_OF,
    FACTS_OF,
    PERSON_RECORDS,
    STORED_STATEMENTS,
)
from graph.neo4j_store.profiles import (
    ALIASES_TOUCHING,
    GET_PROFILES,
    PROFILE_BY_IDENTIFIER,
    PROFILES_BY_IDENTIFIER,
    RESOLVE_ALIASES,
)

# Keys and IDs no data has (an identifier key is ``type:value`` of a known type); each
# query that creates a node has one of its own (the warm-up runs them all in one
# transaction).
_W: Final = "idgraph-warm-up:"
_KEYS: Final = [_W + "1"]
_ID: Final = _W + "profile"


def _identifier(key: str) -> list[Any]:
    return [key, "idgraph-warm-up", key, "t", "t", 1, "", ["[]"], ["[]"]]


_EDGE: Final = [_W + "1", _W + "2", "co_occurrence", "authenticated", 1.0, "joined", "crm", "{}"]
_EDGE.extend(["t", "t", 1, ""])
_PROFILE: Final = {
    "id": _ID,
    "created_at": "t",
    "updated_at": "t",
    "identifiers": "[]",
    "attributes": "{}",
    "consent": "{}",
    "lineage": "[]",
    "first_name": "Ann",
    "consent_email": "granted",
}

HOT_QUERIES: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    "read identifiers": (KNOWN_IDENTIFIERS, {"keys": _KEYS}),
    "read edges": (EDGES_OF, {"keys": _KEYS}),
    "read edges by slot": (EDGES_BY_SLOT, {"slots": [[_W + "1", _W + "2", "m", "r"]]}),
    "facts_of": (FACTS_OF, {"keys": _KEYS}),
    "consent_of": (CONSENT_OF, {"keys": _KEYS}),
    "stored statements": (STORED_STATEMENTS, {"ids": [_W + "s"]}),
    "person_records": (PERSON_RECORDS, {"ids": [_W + "r"]}),
    "block_members": (BLOCK_MEMBERS, {"keys": [_W + "b"]}),
    "tombstoned": (TOMBSTONED, {"hashes": [_W + "h"]}),
    "get_profiles": (GET_PROFILES, {"ids": [_ID]}),
    "resolve_aliases": (RESOLVE_ALIASES, {"ids": [_ID]}),
    "aliases touching": (ALIASES_TOUCHING, {"ids": [_ID]}),
    "profiles_by_identifier": (PROFILES_BY_IDENTIFIER, {"keys": _KEYS}),
    "profile_by_identifier": (PROFILE_BY_IDENTIFIER, {"key": _KEYS[0]}),
    "create documents": (flush.CREATE_DOCUMENTS, {"rows": [_PROFILE]}),
    "set documents": (flush.SET_DOCUMENTS, {"rows": [[_W + "element", _PROFILE]]}),
    "create profiles": (flush.CREATE_PROFILES, {"ids": [_ID + "-2"]}),
    "create identifiers": (flush.CREATE_IDENTIFIERS, {"rows": [_identifier(_W + "1")]}),
    "create identifiers in profiles": (
        flush.CREATE_IDENTIFIERS_IN_PROFILES,
        {"rows": [[*_identifier(_W + "2"), _ID]]},
    ),
    "create bare nodes": (flush.CREATE_BARE, {"rows": [[_W + "3", ["[]"], ["[]"]]]}),
    "update identifiers": (flush.UPDATE_IDENTIFIERS, {"rows": [_identifier(_W + "1")]}),
    "unlink profiles": (flush.UNLINK_PROFILES, {"ids": [_W + "element"]}),
    "link profiles": (flush.LINK_PROFILES, {"rows": [[_W + "1", _ID]]}),
    "create edges": (flush.CREATE_EDGES, {"rows": [_EDGE]}),
    "update edges": (flush.UPDATE_EDGES, {"rows": [_EDGE]}),
    "create consent": (
        flush.CREATE_CONSENT,
        {"rows": [[_W + "s", _W + "1", "email", "granted", "t", "crm", "{}", ""]]},
    ),
    "create person records": (
        flush.CREATE_PERSON_RECORDS,
        {"rows": [[_W + "r", _W + "1", "{}", [_W + "b"]]]},
    ),
    "file in blocks": (flush.FILE_IN_BLOCKS, {"rows": [[_W + "b", [_W + "r"]]]}),
    "put aliases": (flush.PUT_ALIASES, {"rows": [[_ID + "-3", _ID]]}),
    "clear documents": (flush.CLEAR_DOCUMENTS, {"ids": [_ID]}),
    "empty profiles": (EMPTY_PROFILES, {"ids": [_ID + "-2"]}),
    "delete nodes": (DELETE_NODES, {"ids": [_W + "element"]}),
}
"""Name -> (query, sample parameters)."""


def warm_plans(session: neo4j.Session) -> None:
    """Plan and run every hot query once, in a transaction that is rolled back: the plans
    are cached (and the server's code for them compiled) before the first batch."""
    with session.begin_transaction() as tx:
        for query, parameters in HOT_QUERIES.values():
            tx.run(query, parameters).consume()
        tx.rollback()
