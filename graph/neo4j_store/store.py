"""``Neo4jStore``: start-up (schema rules and version, plans warmed), ``write``/``read`` as
managed transactions, and the lookup's point read from a long-lived session.

Start-up first reads the model's version in ``(:Meta {name: 'schema_version'})``: an empty
database gets this one; a database of the earlier model (version 1) is refused with the
command that upgrades it in place (``idgraph upgrade-store``, ``graph.neo4j_store.upgrade``);
a later one is refused. Then it creates, idempotently (``IF NOT EXISTS``), the uniqueness
constraints and indexes of ``SCHEMA`` and waits until they are online, and, once per
process and database, plans every query of the ingest and lookup paths (``EXPLAIN``), so
that the first batch neither waits for the planner nor leaves a plan made for a nearly
empty graph in the cache (the queries pin their index seeks with ``USING INDEX SEEK`` as
well).

``write`` and ``read`` are managed transactions (``execute_write``, ``execute_read``),
which the driver retries on transient errors (deadlocks, leader switches, lost
connections): ``work`` may run more than once, as the protocol allows. A write sends what
the unit of work left pending (``Neo4jTransaction.send_pending``) before the commit; it
creates the nodes it read as absent, so when a concurrent writer created one of them first
the commit fails on the uniqueness constraint and the unit of work is run again (a few
times), on what is there now.
Every session names the database.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Final, LiteralString, TypeVar

import neo4j
import neo4j.exceptions

from graph.neo4j_store.driver import DRIVER_ERRORS, shared_driver
from graph.neo4j_store.plans import warm_plans
from graph.neo4j_store.profiles import PROFILE_BY_IDENTIFIER, profile_row
from graph.neo4j_store.runner import Progress
from graph.neo4j_store.transaction import Neo4jTransaction
from graph.records import ProfileRow
from graph.store import GraphTransaction, StoreError

T = TypeVar("T")

SCHEMA_VERSION: Final = 2
UPGRADE_COMMAND: Final = "idgraph --store neo4j upgrade-store"

SCHEMA: Final[tuple[LiteralString, ...]] = (
    "CREATE CONSTRAINT idgraph_identifier_key IF NOT EXISTS"
    " FOR (n:Identifier) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT idgraph_profile_id IF NOT EXISTS FOR (n:Profile) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT idgraph_alias_alias IF NOT EXISTS FOR (n:Alias) REQUIRE n.alias IS UNIQUE",
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
    "CREATE INDEX idgraph_consent_subject IF NOT EXISTS FOR (n:Consent) ON (n.subject_key)",
    "CREATE INDEX idgraph_alias_target IF NOT EXISTS FOR (n:Alias) ON (n.target)",
    "CREATE INDEX idgraph_link_status IF NOT EXISTS FOR ()-[e:LINK]-() ON (e.status)",
)
_AWAIT_INDEXES: Final = "CALL db.awaitIndexes($seconds)"
_INDEX_WAIT_SECONDS: Final = 300
_SCHEMA_VERSION: Final = (
    "MERGE (m:Meta {name: 'schema_version'}) ON CREATE SET m.value = $version RETURN m.value"
)

_CONFLICT_RETRIES: Final = 3

_warmed: set[tuple[str, str]] = set()
_warmed_lock = threading.Lock()


class Neo4jStore:
    """``GraphStore`` on a Neo4j server (5.x); see the package docstring for the model."""

    name = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.database = database
        self._where = f"neo4j store {uri} (database {database})"
        self._driver = shared_driver(uri, user, password)
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._lookup_sessions = threading.local()
        self._all_lookup_sessions: list[neo4j.Session] = []
        self._sessions_lock = threading.Lock()
        self._closed = False
        self._prepare()

    def _session(self) -> neo4j.Session:
        return self._driver.session(
            database=self.database, bookmark_manager=self._bookmarks, fetch_size=-1
        )

    def _prepare(self) -> None:
        """The version check, constraints and indexes (idempotent), the plans."""
        step = "schema version"
        try:
            with self._session() as session:
                stored = session.execute_write(
                    lambda tx: (
                        tx.run(_SCHEMA_VERSION, version=str(SCHEMA_VERSION))
                        .single(strict=True)
                        .value()
                    )
                )
                check_version(str(stored), self._where)
                for statement in SCHEMA:
                    step = statement
                    create_rule(session, statement)
                step = "wait for indexes"
                session.run(_AWAIT_INDEXES, seconds=_INDEX_WAIT_SECONDS).consume()
                step = "plan the queries"
                with _warmed_lock:
                    if (self.uri, self.database) not in _warmed:
                        warm_plans(session)
                        _warmed.add((self.uri, self.database))
        except DRIVER_ERRORS as e:
            raise StoreError(f"{self._where}: start-up failed ({step}): {e}") from e

    def _run(self, mode: str, work: Callable[[GraphTransaction], T]) -> T:
        if self._closed:
            raise StoreError(f"{self._where}: {mode} on a closed store")
        progress = Progress()

        def unit(tx: neo4j.ManagedTransaction) -> T:
            progress.operation = None
            transaction = Neo4jTransaction(tx, progress)
            result = work(transaction)
            transaction.send_pending()
            return result

        attempt = 0
        while True:
            try:
                with self._session() as session:
                    if mode == "write":
                        return session.execute_write(unit)
                    return session.execute_read(unit)
            except neo4j.exceptions.ConstraintError as e:
                # A writer that committed first created a node this one decided to create
                # (both read it as absent): run the work again on what is there now.
                attempt += 1
                if attempt > _CONFLICT_RETRIES:
                    raise StoreError(f"{self._where}: {mode} failed: {e}") from e
            except DRIVER_ERRORS as e:
                during = f" in {progress.operation}" if progress.operation else ""
                raise StoreError(f"{self._where}: {mode} failed{during}: {e}") from e

    def write(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run("write", work)

    def read(self, work: Callable[[GraphTransaction], T]) -> T:
        return self._run("read", work)

    def _lookup_session(self) -> neo4j.Session:
        """This thread's long-lived session for point reads (a session is not shared
        between threads; it holds a connection only while a query runs)."""
        session: neo4j.Session | None = getattr(self._lookup_sessions, "session", None)
        if session is None:
            session = self._lookup_sessions.session = self._session()
            with self._sessions_lock:
                self._all_lookup_sessions.append(session)
        return session

    def profile_by_identifier(self, key: str) -> ProfileRow | None:
        """One auto-commit query from this thread's session; on a driver error the session
        is dropped and the read is tried once more as a managed (retried) transaction."""
        if self._closed:
            raise StoreError(f"{self._where}: lookup on a closed store")
        try:
            record = self._lookup_session().run(PROFILE_BY_IDENTIFIER, key=key).single()
        except DRIVER_ERRORS:
            self._drop_lookup_session()
            return self.read(lambda tx: tx.profiles_by_identifier((key,))).get(key)
        return None if record is None else profile_row(record.values())

    def _drop_lookup_session(self) -> None:
        session: neo4j.Session | None = getattr(self._lookup_sessions, "session", None)
        self._lookup_sessions.session = None
        if session is not None:
            with self._sessions_lock:
                self._all_lookup_sessions.remove(session)
            with contextlib.suppress(*DRIVER_ERRORS):
                session.close()

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
        with self._sessions_lock:
            sessions, self._all_lookup_sessions = self._all_lookup_sessions, []
        for session in sessions:
            with contextlib.suppress(*DRIVER_ERRORS):
                session.close()


def check_version(stored: str, where: str) -> None:
    """Refuse a database of another model, naming the command that upgrades an earlier one."""
    if stored == str(SCHEMA_VERSION):
        return
    if stored == "1":
        raise StoreError(
            f"{where}: the database holds the model of schema version 1; this idgraph reads"
            f" version {SCHEMA_VERSION}. Upgrade it in place with: {UPGRADE_COMMAND}"
        )
    raise StoreError(f"{where}: schema version {stored}, this idgraph reads {SCHEMA_VERSION}")


def create_rule(session: neo4j.Session, statement: LiteralString, **parameters: Any) -> None:
    try:
        session.run(statement, parameters).consume()
    except neo4j.exceptions.ClientError as e:
        # Another process created the same rule at the same moment.
        if "AlreadyExists" not in (e.code or ""):
            raise
