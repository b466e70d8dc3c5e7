"""The upgrade in place from the model of schema version 1 (``idgraph upgrade-store``).

Version 1 kept one ``(:Fact {fact_key, identifier_key, ...})`` node per attribute, an
identifier's profile as its ``profile_id`` property, a ``:Placeholder`` label on edge ends
never upserted, the profile only as JSON text, and the blocking index as
``(:Block {key, size})-[:HOLDS {seq}]->(:PersonRecord)``. Version 2 (``graph.neo4j_store``)
keeps facts as list properties of the identifier, ``(:Identifier)-[:IN_PROFILE]->
(:Profile)``, bare ends without a label, golden attributes and consent per purpose as
properties of the profile, and ``(:Block {key, members})`` with each record listing its
``blocks``.

Each step works in transactions of a bounded size and can be run again: an upgrade that
stops part-way (a lost connection) is finished by running the command again. The version
is set to 2 at the end, so no idgraph of version 2 opens the database before then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, LiteralString

import neo4j

from graph.neo4j_store.driver import DRIVER_ERRORS, shared_driver
from graph.neo4j_store.observations import fact_entry, fact_key, first_of_each
from graph.neo4j_store.profiles import profile_properties, profile_row
from graph.neo4j_store.store import SCHEMA_VERSION
from graph.records import FactRow
from graph.store import StoreError

PAGE: Final = 2000

_VERSION: Final = "MATCH (m:Meta {name: 'schema_version'}) RETURN m.value AS version"

_FACT_HOLDERS: Final = """
MATCH (f:Fact)
WITH DISTINCT f.identifier_key AS k
ORDER BY k
LIMIT $limit
RETURN collect(k) AS keys
"""

_FACTS_OF_KEYS: Final = """
UNWIND $keys AS k
MATCH (f:Fact {identifier_key: k})
RETURN collect([f.observation_id, f.identifier_key, f.name, f.value, f.source,
                f.observed_at]) AS rows
"""

_MOVE_FACTS: Final = """
UNWIND $rows AS r
MERGE (i:Identifier {key: r[0]})
SET i.facts = coalesce(i.facts, []) + r[1], i.fact_keys = coalesce(i.fact_keys, []) + r[2]
WITH DISTINCT r[0] AS k
MATCH (f:Fact {identifier_key: k})
DELETE f
"""

_STATEMENTS: Final[tuple[LiteralString, ...]] = (
    # Identifiers: the profile as a relationship; edge ends without a label.
    """
    MATCH (i:Identifier) WHERE i.profile_id IS NOT NULL
    CALL (i) {
      MERGE (p:Profile {id: i.profile_id})
      CREATE (i)-[:IN_PROFILE]->(p)
      REMOVE i.profile_id
    } IN TRANSACTIONS OF 5000 ROWS
    """,
    """
    MATCH (n:Placeholder)
    CALL (n) { REMOVE n:Placeholder } IN TRANSACTIONS OF 5000 ROWS
    """,
    # The blocking index: members in the order of filing, each record's blocks.
    """
    MATCH (b:Block) WHERE b.members IS NULL
    CALL (b) {
      MATCH (b)-[h:HOLDS]->(p:PersonRecord)
      WITH b, h, p ORDER BY h.seq
      WITH b, collect(p.id) AS ids
      SET b.members = ids
      REMOVE b.size
    } IN TRANSACTIONS OF 1000 ROWS
    """,
    """
    MATCH (p:PersonRecord) WHERE p.blocks IS NULL
    CALL (p) {
      MATCH (b:Block)-[h:HOLDS]->(p)
      WITH p, b, h ORDER BY h.seq
      WITH p, collect(b.key) AS keys
      SET p.blocks = keys
    } IN TRANSACTIONS OF 5000 ROWS
    """,
    """
    MATCH ()-[h:HOLDS]->()
    CALL (h) { DELETE h } IN TRANSACTIONS OF 10000 ROWS
    """,
    """
    MATCH (b:Block) WHERE b.members IS NULL OR b.members = []
    CALL (b) { DELETE b } IN TRANSACTIONS OF 10000 ROWS
    """,
    "DROP CONSTRAINT idgraph_fact_key IF EXISTS",
    "DROP INDEX idgraph_fact_identifier IF EXISTS",
    "DROP INDEX idgraph_identifier_profile IF EXISTS",
)

_PROFILES_PAGE: Final = """
MATCH (p:Profile)
WHERE p.id > $after AND p.created_at IS NOT NULL
WITH p ORDER BY p.id LIMIT $limit
RETURN collect([p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent,
                p.lineage]) AS rows
"""

_SET_PROFILES: Final = """
UNWIND $rows AS r
MATCH (p:Profile {id: r.id})
SET p = r
"""

_SET_VERSION: Final = "MATCH (m:Meta {name: 'schema_version'}) SET m.value = $version"


def upgrade(uri: str, user: str, password: str, database: str, say: Callable[[str], None]) -> bool:
    """Upgrade the database from version 1 in place; False when it is already of this
    version. Raises ``StoreError`` for a database of another version or a failure."""
    where = f"neo4j store {uri} (database {database})"
    driver = shared_driver(uri, user, password)
    step = "read the version"
    try:
        with driver.session(database=database) as session:
            record = session.run(_VERSION).single()
            version = None if record is None else str(record["version"])
            if version == str(SCHEMA_VERSION):
                return False
            if version != "1":
                raise StoreError(
                    f"{where}: schema version {version}: only version 1 can be upgraded"
                )
            step = "facts"
            moved = _move_facts(session)
            say(f"facts of {moved:,} identifiers moved onto them")
            for statement in _STATEMENTS:
                step = " ".join(statement.split())[:60]
                session.run(statement).consume()
            say("profiles linked, edge ends unlabelled, blocking index rewritten")
            step = "profiles"
            rewritten = _rewrite_profiles(session)
            say(f"{rewritten:,} profiles given their attributes and consent as properties")
            step = "version"
            session.run(_SET_VERSION, version=str(SCHEMA_VERSION)).consume()
    except DRIVER_ERRORS as e:
        raise StoreError(f"{where}: upgrade failed ({step}): {e}") from e
    return True


def _run_with_rows(tx: neo4j.ManagedTransaction, query: LiteralString, rows: list[Any]) -> None:
    tx.run(query, rows=rows).consume()


def _move_facts(session: neo4j.Session) -> int:
    moved = 0
    while True:
        keys: list[str] = session.run(_FACT_HOLDERS, limit=PAGE).single(strict=True)["keys"]
        if not keys:
            return moved
        rows = session.run(_FACTS_OF_KEYS, keys=keys).single(strict=True)["rows"]
        by_key: dict[str, list[FactRow]] = {}
        for row in first_of_each(FactRow(*(str(v) for v in values)) for values in rows):
            by_key.setdefault(row.identifier_key, []).append(row)
        moves = [
            [key, [fact_entry(f) for f in facts], [fact_key(f) for f in facts]]
            for key, facts in by_key.items()
        ]
        session.execute_write(_run_with_rows, _MOVE_FACTS, moves)
        moved += len(keys)


def _rewrite_profiles(session: neo4j.Session) -> int:
    after = ""
    rewritten = 0
    while True:
        rows = session.run(_PROFILES_PAGE, after=after, limit=PAGE).single(strict=True)["rows"]
        if not rows:
            return rewritten
        documents = [profile_properties(profile_row(row)) for row in rows]
        session.execute_write(_run_with_rows, _SET_PROFILES, documents)
        rewritten += len(rows)
        after = str(rows[-1][0])
