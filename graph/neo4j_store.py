"""The Neo4j store: the production ``GraphStore``, through the official ``neo4j`` driver.

Graph model (labels, relationship types and property names are constants of this module;
every value travels as a ``$parameter``, never inside the Cypher text)::

    (:Identifier {key, type, value, profile_id, first_seen, last_seen, count, generic})
        key is ``type:value``; profile_id is absent (null) until the resolver assigns one;
        generic is the reason the identifier no longer joins ('' or absent: it does).
    (:Identifier)-[:LINK {matcher, rule, weight, status, reason, source, evidence,
                          first_seen, last_seen, count}]->(:Identifier)
        one relationship per (left, right, matcher, rule), from the left key to the right
        key.
    (:Identifier:Placeholder {key})
        an edge end that was never upserted (the protocol keeps edges apart from
        identifiers; the resolver always upserts both). Every read but ``edges_of`` and
        ``counts`` ignores it; ``upsert_identifiers`` fills it in and drops the label.
    (:Profile {id, created_at, updated_at, identifiers, attributes, consent, lineage})
        the served document; identifiers/attributes/consent/lineage are JSON strings.
    (:Alias {alias, target})              a merged-away profile ID and its survivor
    (:Fact {fact_key, identifier_key, observation_id, name, value, source, observed_at})
        fact_key is the JSON array [identifier_key, observation_id, name]: unique.
    (:Consent {statement_id, subject_key, purpose, status, at, source, proof, via})
    (:Change {position, kind, profile_id, at, detail})
    (:Audit {position, at, actor, action, detail})
    (:Counter {name: 'changes' | 'audit', value})   the last position handed out
    (:Tombstone {hash})                   keyed hash of an erased identifier
    (:Meta {name, value})                 store settings; the protocol's get_meta/set_meta
                                          names are kept as ``user.<name>``
    (:PersonRecord {id, identifier_key, fields})   what one identifier said about a person
    (:Block {key, size})-[:HOLDS {seq}]->(:PersonRecord)
        the fuzzy matcher's blocking index; ``seq`` gives the order of appending

Membership of an identifier in a profile is the ``profile_id`` property (indexed), not a
relationship: moving a whole profile on a merge is one indexed ``SET``, and the lookup
path (identifier -> profile document) is two index seeks.

Start-up creates, idempotently (``IF NOT EXISTS``), uniqueness constraints on
Identifier.key, Profile.id, Alias.alias, Fact.fact_key, Consent.statement_id,
Change.position, Audit.position, Tombstone.hash, Meta.name and Counter.name, and range
indexes on Identifier.profile_id, Fact.identifier_key, Consent.subject_key, Alias.target
and LINK.status, then waits until they are online. It also records the model's schema
version in ``(:Meta {name: 'schema_version'})`` and refuses to open a database written by
another version.

Transactions: ``write`` and ``read`` are managed transactions (``execute_write``,
``execute_read``), which the driver retries on transient errors (deadlocks, leader
switches, lost connections): ``work`` may run more than once, as the protocol allows.
Every method of ``Neo4jTransaction`` is one Cypher query, whatever the batch size:
writes are ``UNWIND $rows AS r ...``. Change-feed positions come from the counter node,
incremented inside the transaction: it is write-locked until commit, so positions are
monotonic in commit order, and a rolled-back transaction gives its positions back (no
gaps). The audit log works the same way with its own counter.

Index hints: queries that start from identifier keys and expand over ``LINK`` say
``USING INDEX i:Identifier(key)``. Planned while the database was nearly empty (the first
batch of a load), the cost planner cached plans that started from the far end of the
pattern and kept them for later, fuller batches: a neighbour-count query (since replaced
by counting ``edges_of``) took 4 s a call and 21.6 s of a 52 s cold ingest of 4,512
observations; with the hint, 2.3 s in all.

Errors of the driver or the server become ``StoreError`` naming the store, the URI, the
database and the operation (and the method of the transaction that failed); the driver's
error is chained. Exceptions raised by ``work`` itself pass through unchanged after the
rollback.

Ordering: Neo4j compares strings by UTF-16 code unit outside of indexes but by code point
inside them, and Python (like SQLite) sorts by code point. Lists are therefore sorted in
Python after they are read, so both stores order them identically. The paged reads
(``profile_page``, ``edges_by_status``) must filter and limit in the server and keep its
order; it differs from the embedded store's only between characters above U+FFFF and
those in U+E000..U+FFFF, which no built-in identifier type or generated ID contains.

Drivers are shared: ``shared_driver`` keeps one driver (one connection pool) per URI and
user for the whole process; stores never close it (``close_drivers`` does, and runs at
interpreter exit).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final, LiteralString, TypeVar

import neo4j
import neo4j.exceptions

from graph.records import (
    AuditRow,
    ChangeRow,
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)
from graph.store import GraphTransaction, StoreError, person_records_to_file

T = TypeVar("T")

SCHEMA_VERSION: Final = 1
CHANGES_COUNTER: Final = "changes"
AUDIT_COUNTER: Final = "audit"
_USER_META_PREFIX: Final = "user."
_NO_LIMIT: Final = 2**63 - 1
"""SQLite reads a negative LIMIT as "no limit"; Cypher needs a number."""

_DRIVER_ERRORS: Final = (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError)

# --- schema ---------------------------------------------------------------------------

_CONSTRAINTS: Final[tuple[LiteralString, ...]] = (
    "CREATE CONSTRAINT idgraph_identifier_key IF NOT EXISTS"
    " FOR (n:Identifier) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT idgraph_profile_id IF NOT EXISTS FOR (n:Profile) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT idgraph_alias_alias IF NOT EXISTS FOR (n:Alias) REQUIRE n.alias IS UNIQUE",
    "CREATE CONSTRAINT idgraph_fact_key IF NOT EXISTS FOR (n:Fact) REQUIRE n.fact_key IS UNIQUE",
    "CREATE CONSTRAINT idgraph_consent_statement IF NOT EXISTS"
    " FOR (n:Consent) REQUIRE n.statement_id IS UNIQUE",
    "CREATE CONSTRAINT idgraph_change_position IF NOT EXISTS"
    " FOR (n:Change) REQUIRE n.position IS UNIQUE",
    "CREATE CONSTRAINT idgraph_audit_position IF NOT EXISTS"
    " FOR (n:Audit) REQUIRE n.position IS UNIQUE",
    "CREATE CONSTRAINT idgraph_tombstone_hash IF NOT EXISTS"
    " FOR (n:Tombstone) REQUIRE n.hash IS UNIQUE",
    "CREATE CONSTRAINT idgraph_meta_name IF NOT EXISTS FOR (n:Meta) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT idgraph_counter_name IF NOT EXISTS FOR (n:Counter) REQUIRE n.name IS UNIQUE",
    "CREATE CONSTRAINT idgraph_person_record_id IF NOT EXISTS"
    " FOR (n:PersonRecord) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT idgraph_block_key IF NOT EXISTS FOR (n:Block) REQUIRE n.key IS UNIQUE",
    "CREATE INDEX idgraph_person_record_identifier IF NOT EXISTS"
    " FOR (n:PersonRecord) ON (n.identifier_key)",
    "CREATE INDEX idgraph_identifier_profile IF NOT EXISTS FOR (n:Identifier) ON (n.profile_id)",
    "CREATE INDEX idgraph_fact_identifier IF NOT EXISTS FOR (n:Fact) ON (n.identifier_key)",
    "CREATE INDEX idgraph_consent_subject IF NOT EXISTS FOR (n:Consent) ON (n.subject_key)",
    "CREATE INDEX idgraph_alias_target IF NOT EXISTS FOR (n:Alias) ON (n.target)",
    "CREATE INDEX idgraph_link_status IF NOT EXISTS FOR ()-[e:LINK]-() ON (e.status)",
)
_AWAIT_INDEXES: Final = "CALL db.awaitIndexes($seconds)"
_INDEX_WAIT_SECONDS: Final = 300
_SCHEMA_VERSION_CHECK: Final = (
    "MERGE (m:Meta {name: 'schema_version'}) ON CREATE SET m.value = $version RETURN m.value"
)

# --- writes ---------------------------------------------------------------------------

# The three bulk writes of ingest take their rows as lists, not maps: the driver packs
# the values only, not every field name again for every row (about half the bytes and
# the Python-side packing time of a batch). The first WITH names the fields.
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

# An end that was never upserted becomes a placeholder (see the module docstring).
_UPSERT_EDGES: Final = """
UNWIND $rows AS row
WITH {left: row[0], right: row[1], matcher: row[2], rule: row[3], weight: row[4],
      status: row[5], reason: row[6], source: row[7], evidence: row[8], first_seen: row[9],
      last_seen: row[10], count: row[11]} AS r
MERGE (a:Identifier {key: r.left})
  ON CREATE SET a:Placeholder
MERGE (b:Identifier {key: r.right})
  ON CREATE SET b:Placeholder
MERGE (a)-[e:LINK {matcher: r.matcher, rule: r.rule}]->(b)
  ON CREATE SET e.weight = r.weight, e.status = r.status, e.reason = r.reason,
                e.source = r.source, e.evidence = r.evidence, e.first_seen = r.first_seen,
                e.last_seen = r.last_seen, e.count = r.count
  ON MATCH SET e.weight = CASE WHEN r.weight > e.weight THEN r.weight ELSE e.weight END,
               e.status = CASE WHEN e.status = 'weak' THEN r.status ELSE e.status END,
               e.reason = CASE WHEN e.status = 'weak' THEN r.reason ELSE e.reason END,
               e.source = r.source, e.evidence = r.evidence,
               e.first_seen = CASE WHEN r.first_seen < e.first_seen
                                   THEN r.first_seen ELSE e.first_seen END,
               e.last_seen = CASE WHEN r.last_seen > e.last_seen
                                  THEN r.last_seen ELSE e.last_seen END,
               e.count = e.count + r.count
"""
# (Every expression of one SET reads the values from before it: e.status in the reason's
# CASE is the old status, as in the embedded store's ON CONFLICT DO UPDATE.)

_SET_EDGE_STATUS: Final = """
UNWIND $rows AS r
MATCH (:Identifier {key: r.left})-[e:LINK {matcher: r.matcher, rule: r.rule}]->
      (:Identifier {key: r.right})
SET e.status = r.status, e.reason = r.reason
"""

# Placeholder ends left without any edge go with the edge.
_DELETE_EDGES: Final = """
UNWIND $slots AS s
MATCH (a:Identifier {key: s[0]})-[e:LINK {matcher: s[2], rule: s[3]}]->
      (b:Identifier {key: s[1]})
WITH collect(e) AS links, collect(DISTINCT a) + collect(DISTINCT b) AS ends
FOREACH (e IN links | DELETE e)
FOREACH (n IN [n IN ends WHERE n:Placeholder AND NOT EXISTS { (n)--() }] | DELETE n)
RETURN size(links) AS deleted
"""

_SET_GENERIC: Final = """
UNWIND $rows AS r
MATCH (i:Identifier {key: r.key})
WHERE NOT i:Placeholder
SET i.generic = r.reason
"""

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

_ADD_PERSON_RECORDS: Final = """
UNWIND $rows AS r
MERGE (p:PersonRecord {id: r.id})
  ON CREATE SET p.identifier_key = r.identifier_key, p.fields = r.fields
"""

_STORED_PERSON_RECORDS: Final = """
UNWIND $ids AS id
MATCH (p:PersonRecord {id: id})
RETURN p.id
"""

_PERSON_RECORDS: Final = """
UNWIND $ids AS id
MATCH (p:PersonRecord {id: id})
RETURN p.id, p.identifier_key, p.fields
"""

_BLOCK_MEMBERS: Final = """
UNWIND $keys AS k
MATCH (:Block {key: k})-[h:HOLDS]->(p:PersonRecord)
RETURN k, h.seq, p.id
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

_ADD_TOMBSTONES: Final = """
UNWIND $hashes AS h
MERGE (:Tombstone {hash: h})
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

_ADD_FACTS: Final = """
UNWIND $rows AS row
WITH {fact_key: row[0], identifier_key: row[1], observation_id: row[2], name: row[3],
      value: row[4], source: row[5], observed_at: row[6]} AS r
MERGE (f:Fact {fact_key: r.fact_key})
  ON CREATE SET f.identifier_key = r.identifier_key, f.observation_id = r.observation_id,
                f.name = r.name, f.value = r.value, f.source = r.source,
                f.observed_at = r.observed_at
"""

_ADD_CONSENT: Final = """
UNWIND $rows AS r
MERGE (c:Consent {statement_id: r.statement_id})
  ON CREATE SET c.subject_key = r.subject_key, c.purpose = r.purpose, c.status = r.status,
                c.at = r.at, c.source = r.source, c.proof = r.proof, c.via = r.via
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

_DELETE_ALIASES_TO: Final = """
UNWIND $targets AS target
OPTIONAL MATCH (a:Alias {target: target})
DETACH DELETE a
RETURN count(a) AS removed
"""

# Row by row in a subquery, so a later pair sees the aliases written by an earlier one
# (the embedded store's order of effects).
_ADD_ALIASES: Final = """
UNWIND $rows AS r
CALL (r) {
  OPTIONAL MATCH (old:Alias {target: r.alias})
  SET old.target = r.target
  WITH DISTINCT r
  MERGE (a:Alias {alias: r.alias})
  SET a.target = r.target
}
"""

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

_SET_META: Final = "MERGE (m:Meta {name: $name}) SET m.value = $value"

# --- reads ----------------------------------------------------------------------------

_PROFILE_IDS: Final = """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE NOT i:Placeholder
RETURN collect([i.key, i.profile_id]) AS rows
"""

_IDENTIFIER_FIELDS: Final = (
    "i.key, i.type, i.value, i.profile_id, i.first_seen, i.last_seen, i.count,"
    " coalesce(i.generic, '')"
)

_GET_IDENTIFIERS: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
WHERE NOT i:Placeholder
RETURN collect(["""
    + _IDENTIFIER_FIELDS
    + "]) AS rows"
)

_IDENTIFIERS_OF: Final = (
    """
UNWIND $ids AS pid
MATCH (i:Identifier {profile_id: pid})
RETURN collect(["""
    + _IDENTIFIER_FIELDS
    + "]) AS rows"
)

_EDGE_FIELDS: Final = (
    "e.matcher, e.rule, e.weight, e.status, e.source, e.evidence, e.first_seen, e.last_seen,"
    " e.count, coalesce(e.reason, '')"
)

_EDGES_OF: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
USING INDEX i:Identifier(key)
MATCH (i)-[e:LINK]-(:Identifier)
WITH DISTINCT e
RETURN collect([startNode(e).key, endNode(e).key, """
    + _EDGE_FIELDS
    + "]) AS rows"
)

_EDGES_BY_STATUS: Final = (
    """
MATCH (a:Identifier)-[e:LINK {status: $status}]->(b:Identifier)
WITH a.key AS left, b.key AS right, e
WHERE [left, right, e.matcher, e.rule] > $after
ORDER BY left, right, e.matcher, e.rule
LIMIT $limit
RETURN left, right, """
    + _EDGE_FIELDS
)

# Walks identifiers in key order (the unique index gives it) and sorts only the edges of
# the identifiers on the page, not every edge of the graph.
_EDGE_PAGE: Final = (
    """
MATCH (a:Identifier)
WHERE a.key >= $after[0]
WITH a
ORDER BY a.key
MATCH (a)-[e:LINK]->(b:Identifier)
WITH a.key AS left, b.key AS right, e
WHERE [left, right, e.matcher, e.rule] > $after
WITH left, right, e
ORDER BY left, right, e.matcher, e.rule
LIMIT $limit
RETURN left, right, """
    + _EDGE_FIELDS
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

_ALIAS_PAGE: Final = """
MATCH (a:Alias)
WHERE a.alias > $after
RETURN a.alias, a.target
ORDER BY a.alias
LIMIT $limit
"""

_COUNT_EDGES_BY_STATUS: Final = """
MATCH ()-[e:LINK]->()
RETURN e.status AS status, count(*) AS edges
"""

_TOMBSTONED: Final = """
UNWIND $hashes AS h
MATCH (t:Tombstone {hash: h})
RETURN collect(t.hash) AS rows
"""

_AUDIT_AFTER: Final = """
MATCH (a:Audit)
WHERE a.position > $after
RETURN a.position, a.at, a.actor, a.action, a.detail
ORDER BY a.position
LIMIT $limit
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

_CONSENT_OF: Final = """
UNWIND $keys AS k
MATCH (c:Consent {subject_key: k})
RETURN collect([c.statement_id, c.subject_key, c.purpose, c.status, c.at, c.source,
                c.proof, coalesce(c.via, '')]) AS rows
"""

_PROFILE_FIELDS: Final = (
    "p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent, p.lineage"
)

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

_RESOLVE_ALIASES: Final = """
UNWIND $ids AS id
MATCH (a:Alias {alias: id})
RETURN collect([a.alias, a.target]) AS rows
"""

_ID_IN_USE: Final = """
RETURN EXISTS { MATCH (:Profile {id: $id}) } OR EXISTS { MATCH (:Alias {alias: $id}) } AS used
"""

_CHANGES_AFTER: Final = """
MATCH (c:Change)
WHERE c.position > $after
RETURN c.position, c.kind, c.profile_id, c.at, c.detail
ORDER BY c.position
LIMIT $limit
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

_GET_META: Final = "MATCH (m:Meta {name: $name}) RETURN m.value"


# --- drivers --------------------------------------------------------------------------

_drivers: dict[tuple[str, str], tuple[str, neo4j.Driver]] = {}
_retired: list[neo4j.Driver] = []
_drivers_lock = threading.Lock()


def _fingerprint(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def shared_driver(uri: str, user: str, password: str) -> neo4j.Driver:
    """The process's driver for ``uri`` and ``user``: one connection pool, shared by every
    store and session. An empty password means a server without authentication. Asking
    again with another password gives a new driver (the old one stays open for whoever
    holds it until ``close_drivers``)."""
    fingerprint = _fingerprint(password)
    with _drivers_lock:
        cached = _drivers.get((uri, user))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        auth = None if not password else neo4j.basic_auth(user, password)
        try:
            driver = neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                # The server's warnings (performance hints, deprecations) go to the
                # ``neo4j.notifications`` logger, never to Python warnings. Not the
                # "property key does not exist" kind: optional properties (generic,
                # reason) are legitimately absent until first written.
                warn_notification_severity="OFF",
                notifications_min_severity="WARNING",
                notifications_disabled_classifications=["UNRECOGNIZED"],
                user_agent="idgraph",
            )
        except (*_DRIVER_ERRORS, ValueError) as e:
            raise StoreError(f"neo4j store {uri}: cannot create a driver: {e}") from e
        if cached is not None:
            _retired.append(cached[1])
        _drivers[(uri, user)] = (fingerprint, driver)
        return driver


def close_drivers() -> None:
    """Close every shared driver (at shutdown; runs at interpreter exit anyway)."""
    with _drivers_lock:
        drivers = [driver for _, driver in _drivers.values()] + _retired
        _drivers.clear()
        _retired.clear()
    for driver in drivers:
        driver.close()


atexit.register(close_drivers)


# --- the transaction ------------------------------------------------------------------


class _Progress:
    """What a unit of work was doing, for the error message if it fails."""

    __slots__ = ("operation",)

    def __init__(self) -> None:
        self.operation: str | None = None


def _unique(values: Collection[str]) -> list[str]:
    """Distinct values (UNWIND would otherwise repeat matches), in a fixed order."""
    return sorted(set(values))


def _fact_key(identifier_key: str, observation_id: str, name: str) -> str:
    return json.dumps([identifier_key, observation_id, name], ensure_ascii=False)


def _limit(limit: int) -> int:
    return _NO_LIMIT if limit < 0 else int(limit)


def _profile(values: Sequence[Any]) -> ProfileRow:
    return ProfileRow(*(str(v) for v in values))


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


def _edge(values: Sequence[Any]) -> EdgeRow:
    """From start key, end key and ``_EDGE_FIELDS``."""
    (left, right, matcher, rule, weight, status, source, evidence, first, last, count, reason) = (
        values
    )
    return EdgeRow(
        str(left),
        str(right),
        str(matcher),
        str(rule),
        float(weight),
        str(status),
        str(source),
        str(evidence),
        str(first),
        str(last),
        int(count),
        str(reason),
    )


class Neo4jTransaction:
    """``GraphTransaction`` over one managed Neo4j transaction: one query per method."""

    def __init__(self, tx: neo4j.ManagedTransaction, progress: _Progress | None = None) -> None:
        self._tx = tx
        self._progress = progress or _Progress()

    def _write(self, operation: str, query: LiteralString, **parameters: Any) -> None:
        self._progress.operation = operation
        self._tx.run(query, parameters).consume()

    def _read(self, operation: str, query: LiteralString, **parameters: Any) -> list[list[Any]]:
        self._progress.operation = operation
        return [record.values() for record in self._tx.run(query, parameters)]

    def _collected(self, operation: str, query: LiteralString, **parameters: Any) -> list[Any]:
        """The one ``rows`` list of a query ending in ``RETURN collect(...) AS rows``: one
        record instead of one per row, which the driver decodes several times faster."""
        self._progress.operation = operation
        rows: list[Any] = self._tx.run(query, parameters).single(strict=True)[0]
        return rows

    def _single(self, operation: str, query: LiteralString, **parameters: Any) -> dict[str, Any]:
        self._progress.operation = operation
        return self._tx.run(query, parameters).single(strict=True).data()

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

    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        if not rows:
            return
        self._write(
            "upsert_edges",
            _UPSERT_EDGES,
            rows=[
                [
                    r.left,
                    r.right,
                    r.matcher,
                    r.rule,
                    float(r.weight),
                    r.status,
                    r.reason,
                    r.source,
                    r.evidence,
                    r.first_seen,
                    r.last_seen,
                    int(r.sightings),
                ]
                for r in rows
            ],
        )

    def set_edge_status(self, rows: Sequence[EdgeStatusRow]) -> None:
        if not rows:
            return
        self._write(
            "set_edge_status",
            _SET_EDGE_STATUS,
            rows=[
                {
                    "left": r.left,
                    "right": r.right,
                    "matcher": r.matcher,
                    "rule": r.rule,
                    "status": r.status,
                    "reason": r.reason,
                }
                for r in rows
            ],
        )

    def delete_edges(self, slots: Collection[tuple[str, str, str, str]]) -> int:
        if not slots:
            return 0
        found = self._read(
            "delete_edges", _DELETE_EDGES, slots=[list(slot) for slot in sorted(set(slots))]
        )
        return int(found[0][0])

    def edges_by_status(
        self, status: str, after: tuple[str, str, str, str] | None, limit: int
    ) -> list[EdgeRow]:
        rows = self._read(
            "edges_by_status",
            _EDGES_BY_STATUS,
            status=status,
            after=list(after or ("", "", "", "")),
            limit=_limit(limit),
        )
        return [_edge(row) for row in rows]

    def count_edges_by_status(self) -> dict[str, int]:
        rows = self._read("count_edges_by_status", _COUNT_EDGES_BY_STATUS)
        return {str(status): int(n) for status, n in sorted(rows, key=lambda r: str(r[0]))}

    def set_generic(self, reasons: Mapping[str, str]) -> None:
        if not reasons:
            return
        self._write(
            "set_generic",
            _SET_GENERIC,
            rows=[{"key": key, "reason": reason} for key, reason in reasons.items()],
        )

    def erase_identifiers(self, keys: Collection[str]) -> dict[str, int]:
        if not keys:
            return {"edges": 0, "facts": 0, "consent": 0, "identifiers": 0}
        record = self._single("erase_identifiers", _ERASE_IDENTIFIERS, keys=_unique(keys))
        return {name: int(record[name]) for name in ("edges", "facts", "consent", "identifiers")}

    def delete_facts(self, slots: Collection[tuple[str, str]]) -> int:
        if not slots:
            return 0
        record = self._single(
            "delete_facts", _DELETE_FACTS, slots=[list(slot) for slot in sorted(set(slots))]
        )
        return int(record["facts"])

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

    def add_person_records(
        self, rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]]
    ) -> None:
        if not rows:
            return
        asked = _unique([r.id for r in rows])
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
        rows = self._read("person_records", _PERSON_RECORDS, ids=_unique(ids))
        return {str(i): PersonRecordRow(str(i), str(k), str(f)) for i, k, f in rows}

    def block_members(self, block_keys: Collection[str]) -> dict[str, list[str]]:
        if not block_keys:
            return {}
        rows = self._read("block_members", _BLOCK_MEMBERS, keys=_unique(block_keys))
        members: dict[str, list[str]] = {}
        for key, _, record_id in sorted(rows, key=lambda r: (r[0], r[1])):
            members.setdefault(str(key), []).append(str(record_id))
        return members

    def get_identifiers(self, keys: Collection[str]) -> dict[str, StoredIdentifier]:
        if not keys:
            return {}
        rows = self._collected("get_identifiers", _GET_IDENTIFIERS, keys=_unique(keys))
        found = sorted((_identifier(row) for row in rows), key=lambda i: i.key)
        return {i.key: i for i in found}

    def profile_ids(self, keys: Collection[str]) -> dict[str, str | None]:
        if not keys:
            return {}
        rows = self._collected("profile_ids", _PROFILE_IDS, keys=_unique(keys))
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
        sources = [pid for pid in _unique(from_profile_ids) if pid != to_profile_id]
        if not sources:
            return
        self._write("move_identifiers", _MOVE_IDENTIFIERS, **{"from": sources, "to": to_profile_id})

    def identifiers_of(self, profile_ids: Collection[str]) -> dict[str, list[StoredIdentifier]]:
        result: dict[str, list[StoredIdentifier]] = {}
        if not profile_ids:
            return result
        rows = self._collected("identifiers_of", _IDENTIFIERS_OF, ids=_unique(profile_ids))
        for identifier in sorted(
            (_identifier(row) for row in rows), key=lambda i: (i.profile_id or "", i.key)
        ):
            result.setdefault(identifier.profile_id or "", []).append(identifier)
        return result

    def edges_of(self, keys: Collection[str]) -> list[EdgeRow]:
        if not keys:
            return []
        rows = self._collected("edges_of", _EDGES_OF, keys=_unique(keys))
        return sorted((_edge(row) for row in rows), key=lambda e: e.slot)

    def facts_of(self, keys: Collection[str]) -> list[FactRow]:
        if not keys:
            return []
        rows = self._collected("facts_of", _FACTS_OF, keys=_unique(keys))
        facts = [FactRow(*(str(v) for v in row)) for row in rows]
        facts.sort(key=lambda f: (f.identifier_key, f.observation_id, f.name))
        return facts

    def consent_of(self, keys: Collection[str]) -> list[ConsentRow]:
        if not keys:
            return []
        rows = self._collected("consent_of", _CONSENT_OF, keys=_unique(keys))
        statements = [ConsentRow(*(str(v) for v in row)) for row in rows]
        statements.sort(key=lambda c: (c.subject_key, c.statement_id))
        return statements

    def get_profiles(self, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
        if not profile_ids:
            return {}
        rows = self._collected("get_profiles", _GET_PROFILES, ids=_unique(profile_ids))
        profiles = sorted((_profile(row) for row in rows), key=lambda p: p.id)
        return {p.id: p for p in profiles}

    def profiles_by_identifier(self, keys: Collection[str]) -> dict[str, ProfileRow]:
        if not keys:
            return {}
        rows = self._read("profiles_by_identifier", _PROFILES_BY_IDENTIFIER, keys=_unique(keys))
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
        self._write("delete_profiles", _DELETE_PROFILES, ids=_unique(profile_ids))

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        if not aliases:
            return
        self._write(
            "add_aliases",
            _ADD_ALIASES,
            rows=[{"alias": alias, "target": target} for alias, target in aliases.items()],
        )

    def delete_aliases_to(self, targets: Collection[str]) -> int:
        if not targets:
            return 0
        rows = self._read("delete_aliases_to", _DELETE_ALIASES_TO, targets=_unique(targets))
        return int(rows[0][0])

    def resolve_aliases(self, ids: Collection[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = self._collected("resolve_aliases", _RESOLVE_ALIASES, ids=_unique(ids))
        return {str(alias): str(target) for alias, target in rows}

    def id_in_use(self, profile_id: str) -> bool:
        rows = self._read("id_in_use", _ID_IN_USE, id=profile_id)
        return bool(rows[0][0])

    def append_changes(self, rows: Sequence[ChangeRow]) -> list[int]:
        if not rows:
            return []
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
            "changes_after",
            _CHANGES_AFTER,
            after=int(position),
            limit=_limit(limit),
        )
        return [
            ChangeRow(int(pos), str(kind), str(pid), str(at), str(detail))
            for pos, kind, pid, at, detail in rows
        ]

    def identifier_page(self, after: str | None, limit: int) -> list[StoredIdentifier]:
        rows = self._read(
            "identifier_page", _IDENTIFIER_PAGE, after=after or "", limit=_limit(limit)
        )
        return [_identifier(row) for row in rows]

    def edge_page(self, after: tuple[str, str, str, str] | None, limit: int) -> list[EdgeRow]:
        rows = self._read(
            "edge_page", _EDGE_PAGE, after=list(after or ("", "", "", "")), limit=_limit(limit)
        )
        return [_edge(row) for row in rows]

    def alias_page(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        rows = self._read("alias_page", _ALIAS_PAGE, after=after or "", limit=_limit(limit))
        return [(str(alias), str(target)) for alias, target in rows]

    def profile_page(self, after: str | None, limit: int) -> list[ProfileRow]:
        rows = self._read(
            "profile_page",
            _PROFILE_PAGE,
            after=after or "",
            limit=_limit(limit),
        )
        return [_profile(row) for row in rows]

    def counts(self) -> dict[str, int]:
        record = self._single("counts", _COUNTS)
        return {name: int(value) for name, value in record.items()}

    def add_tombstones(self, hashes: Collection[str]) -> None:
        if not hashes:
            return
        self._write("add_tombstones", _ADD_TOMBSTONES, hashes=_unique(hashes))

    def tombstoned(self, hashes: Collection[str]) -> set[str]:
        if not hashes:
            return set()
        rows = self._collected("tombstoned", _TOMBSTONED, hashes=_unique(hashes))
        return {str(h) for h in rows}

    def append_audit(self, rows: Sequence[AuditRow]) -> list[int]:
        if not rows:
            return []
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
        rows = self._read("audit_after", _AUDIT_AFTER, after=int(position), limit=_limit(limit))
        return [
            AuditRow(int(pos), str(at), str(actor), str(action), str(detail))
            for pos, at, actor, action, detail in rows
        ]

    def get_meta(self, name: str) -> str | None:
        rows = self._read("get_meta", _GET_META, name=_USER_META_PREFIX + name)
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def set_meta(self, name: str, value: str) -> None:
        self._write("set_meta", _SET_META, name=_USER_META_PREFIX + name, value=value)


# --- the store ------------------------------------------------------------------------


class Neo4jStore:
    """``GraphStore`` on a Neo4j server (5.x); see the module docstring for the model."""

    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.database = database
        self._where = f"neo4j store {uri} (database {database})"
        self._driver = shared_driver(uri, user, password)
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._closed = False
        self._prepare()

    def _session(self) -> neo4j.Session:
        return self._driver.session(
            database=self.database, bookmark_manager=self._bookmarks, fetch_size=-1
        )

    def _prepare(self) -> None:
        """Constraints and indexes (idempotent), then the schema version check."""
        step = "connect"
        try:
            with self._session() as session:
                for statement in _CONSTRAINTS:
                    step = statement
                    try:
                        session.run(statement).consume()
                    except neo4j.exceptions.ClientError as e:
                        # Another process created the same rule at the same moment.
                        if "AlreadyExists" not in (e.code or ""):
                            raise
                step = "wait for indexes"
                session.run(_AWAIT_INDEXES, seconds=_INDEX_WAIT_SECONDS).consume()
                step = "schema version"
                stored = session.execute_write(
                    lambda tx: (
                        tx.run(_SCHEMA_VERSION_CHECK, version=str(SCHEMA_VERSION))
                        .single(strict=True)
                        .value()
                    )
                )
        except _DRIVER_ERRORS as e:
            raise StoreError(f"{self._where}: start-up failed ({step}): {e}") from e
        if str(stored) != str(SCHEMA_VERSION):
            raise StoreError(
                f"{self._where}: schema version {stored}, this idgraph reads {SCHEMA_VERSION}"
            )

    def _run(self, mode: str, work: Callable[[GraphTransaction], T]) -> T:
        if self._closed:
            raise StoreError(f"{self._where}: {mode} on a closed store")
        progress = _Progress()

        def unit(tx: neo4j.ManagedTransaction) -> T:
            progress.operation = None
            return work(Neo4jTransaction(tx, progress))

        try:
            with self._session() as session:
                if mode == "write":
                    return session.execute_write(unit)
                return session.execute_read(unit)
        except _DRIVER_ERRORS as e:
            during = f" in {progress.operation}" if progress.operation else ""
            raise StoreError(f"{self._where}: {mode} failed{during}: {e}") from e

    def write(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run("write", work)

    def read(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run("read", work)

    def profile_by_identifier(self, key: str) -> ProfileRow | None:
        return self.read(lambda tx: tx.profiles_by_identifier((key,))).get(key)

    def health(self) -> StoreError | None:
        try:
            self.read(lambda tx: tx.get_meta("health"))
        except StoreError as e:
            return e
        return None

    def scrub(self) -> None:
        """Nothing to do from a client: the server keeps its transaction logs by its own
        retention policy (``db.tx_log.rotation.retention_policy``; see docs/privacy.md)."""

    def close(self) -> None:
        """Stop using the store. The shared driver stays open for other stores."""
        self._closed = True
