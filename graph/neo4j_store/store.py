"""``Neo4jStore``: start-up (schema rules and version), and ``write``/``read`` as managed
transactions.

Start-up creates, idempotently (``IF NOT EXISTS``), uniqueness constraints on
Identifier.key, Profile.id, Alias.alias, Fact.fact_key, Consent.statement_id,
Change.position, Audit.position, Tombstone.hash, Meta.name, Counter.name, PersonRecord.id
and Block.key, and range indexes on Identifier.profile_id, Fact.identifier_key,
Consent.subject_key, Alias.target, PersonRecord.identifier_key and LINK.status, then waits
until they are online. It also records the model's schema version in
``(:Meta {name: 'schema_version'})`` and refuses to open a database written by another
version.

``write`` and ``read`` are managed transactions (``execute_write``, ``execute_read``),
which the driver retries on transient errors (deadlocks, leader switches, lost
connections): ``work`` may run more than once, as the protocol allows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, LiteralString, TypeVar

import neo4j
import neo4j.exceptions

from graph.neo4j_store.driver import DRIVER_ERRORS, shared_driver
from graph.neo4j_store.runner import Progress
from graph.neo4j_store.transaction import Neo4jTransaction
from graph.records import ProfileRow
from graph.store import GraphTransaction, StoreError

T = TypeVar("T")

SCHEMA_VERSION: Final = 1

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


class Neo4jStore:
    """``GraphStore`` on a Neo4j server (5.x); see the package docstring for the model."""

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
        except DRIVER_ERRORS as e:
            raise StoreError(f"{self._where}: start-up failed ({step}): {e}") from e
        if str(stored) != str(SCHEMA_VERSION):
            raise StoreError(
                f"{self._where}: schema version {stored}, this idgraph reads {SCHEMA_VERSION}"
            )

    def _run(self, mode: str, work: Callable[[GraphTransaction], T]) -> T:
        if self._closed:
            raise StoreError(f"{self._where}: {mode} on a closed store")
        progress = Progress()

        def unit(tx: neo4j.ManagedTransaction) -> T:
            progress.operation = None
            return work(Neo4jTransaction(tx, progress))

        try:
            with self._session() as session:
                if mode == "write":
                    return session.execute_write(unit)
                return session.execute_read(unit)
        except DRIVER_ERRORS as e:
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
