"""The seam between the domain and a store: ``GraphStore`` and ``GraphTransaction``.

The domain (``identity``) drives resolution; a store only keeps rows and answers batch
questions about them. Every method takes and returns batches so that a networked store
(Neo4j) pays one round trip per batch, not per identifier.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from graph.records import (
    AuditRow,
    ChangeRow,
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactGroupRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)

T = TypeVar("T")


STORE_FULL = "full"
"""``StoreError.cause`` when the store has no space left to write."""
STORE_UNAVAILABLE = "unavailable"
"""``StoreError.cause`` of every other failure."""


class StoreError(Exception):
    """A store failed (connection, constraint, corruption, no space). The message says
    which store and what it was doing, for the operator's log; the driver's error is
    chained as the cause. ``cause`` (``STORE_FULL`` or ``STORE_UNAVAILABLE``) is what a
    caller may tell its own callers: it never carries data."""

    def __init__(self, message: str, cause: str = STORE_UNAVAILABLE) -> None:
        super().__init__(message)
        self.cause = cause


def person_records_to_file(
    rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]], stored: Collection[str]
) -> list[tuple[PersonRecordRow, list[str]]]:
    """What ``GraphTransaction.add_person_records`` writes, in order: the first row of
    each ID not in ``stored``, with the blocks listed for it (each once, in order)."""
    taken = set(stored)
    kept: list[tuple[PersonRecordRow, list[str]]] = []
    for row in rows:
        if row.id not in taken:
            taken.add(row.id)
            kept.append((row, list(dict.fromkeys(blocks.get(row.id, ())))))
    return kept


@dataclass(frozen=True, slots=True)
class ResolvedRows:
    """Rows of new, already resolved components, as a bulk load writes them
    (``GraphTransaction.insert_resolved``): every identifier with its profile and generic
    mark, every edge with its final status, the facts grouped per identifier and
    observation, consent statements, person records with the blocks each is filed under,
    and the profile documents. Each sequence is sorted by its key."""

    identifiers: Sequence[StoredIdentifier] = ()
    edges: Sequence[EdgeRow] = ()
    facts: Sequence[FactGroupRow] = ()
    consent: Sequence[ConsentRow] = ()
    person_records: Sequence[PersonRecordRow] = ()
    blocks: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Record ID -> the blocking keys it is filed under."""
    profiles: Sequence[ProfileRow] = ()


def insert_resolved_by_parts(tx: GraphTransaction, rows: ResolvedRows) -> None:
    """``insert_resolved`` through the other methods of the protocol: its specification,
    and the implementation of a store without a faster one."""
    tx.upsert_identifiers(
        [
            IdentifierRow(i.key, i.type, i.value, i.first_seen, i.last_seen, i.sightings)
            for i in rows.identifiers
        ]
    )
    tx.assign_profile({i.key: i.profile_id for i in rows.identifiers if i.profile_id})
    generic = {i.key: i.generic for i in rows.identifiers if i.generic}
    if generic:
        tx.set_generic(generic)
    tx.upsert_edges(rows.edges)
    tx.add_facts([fact for group in rows.facts for fact in group.facts()])
    tx.add_consent(rows.consent)
    tx.add_person_records(rows.person_records, rows.blocks)
    tx.put_profiles(rows.profiles)


class GraphTransaction(Protocol):
    """One atomic unit of work on a store: the whole contract of a store's rows, stated
    here once. ``tests/graph/test_store_contract.py`` runs it against every store (one
    class per method) and ``tests/graph/test_store_rules.py`` checks the merges against
    ``graph.rules`` on generated sequences of writes.

    For every method of every implementation:

    - Writes are visible to later reads of the same transaction and to nobody else until
      the transaction commits; on an exception nothing of it is kept.
    - Every write is idempotent in its effect on identities: upserting the same rows again
      changes only counters and last-seen times.
    - Rows of one call apply in order, as if written one at a time.
    - Methods that take keys or IDs accept any collection, including empty ones (a no-op
      or an empty answer), and ignore unknown entries; methods that return mappings leave
      unknown entries out.
    - Results are deterministic: lists come sorted as documented; strings compare by code
      point (the Neo4j store's paged reads: see its note on ordering). A paged read
      answers the rows after ``after`` (None: from the start), in order, at most
      ``limit`` of them (a negative limit: all); the last row of a page is the ``after``
      of the next.
    - Values come back with the types of the records (``graph.records``): ``str``, ``int``
      and ``float`` as written, ``None`` only where a field allows it.
    """

    # --- identifiers ------------------------------------------------------------------

    def upsert_identifiers(self, rows: Sequence[IdentifierRow]) -> None:
        """Insert new identifiers (with no profile, not generic); a repeat of a key merges
        into the stored one by ``graph.rules.merge_identifier_sightings`` (seen-times widen,
        sightings add up) and keeps its profile and generic mark."""

    def get_identifiers(self, keys: Collection[str]) -> dict[str, StoredIdentifier]:
        """Stored identifiers by key."""

    def identifier_page(self, after: str | None, limit: int) -> list[StoredIdentifier]:
        """A page of every stored identifier, ordered by key."""

    def profile_ids(self, keys: Collection[str]) -> dict[str, str | None]:
        """The profile of each stored key (None while it has none): ``get_identifiers``
        narrowed to the profile, for the ingest path."""

    def identifiers_of(self, profile_ids: Collection[str]) -> dict[str, list[StoredIdentifier]]:
        """Identifiers per profile, each list sorted by key; profiles with none left out."""

    def assign_profile(self, assignments: Mapping[str, str]) -> None:
        """Set the profile of each stored identifier key (key -> profile ID)."""

    def move_identifiers(self, from_profile_ids: Collection[str], to_profile_id: str) -> None:
        """Relabel every identifier of the given profiles to ``to_profile_id``."""

    def set_generic(self, reasons: Mapping[str, str]) -> None:
        """Mark stored identifiers generic with the reason (key -> reason), or clear the
        mark with ``""``."""

    def erase_identifiers(self, keys: Collection[str]) -> dict[str, int]:
        """Remove identifiers with everything anchored at them, as ``graph.rules.erasure``
        says: their edges (whatever the other end), facts, consent statements, and person
        records (which leave every block they were filed in). Answers
        ``graph.rules.Erasure.counts``: how many ``identifiers``, ``edges``, ``facts``
        (one per attribute) and ``consent`` statements went."""

    def insert_resolved(self, rows: ResolvedRows) -> None:
        """Insert the rows of new components a bulk load resolved, none of whose
        identifiers, edges, person records or profiles the store holds: the same as
        ``insert_resolved_by_parts`` (upserts, profile assignments, generic marks, facts,
        consent, person records and their blocks, documents), in one call a store may
        make faster (plain inserts, in key order)."""

    # --- edges ------------------------------------------------------------------------

    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        """Insert edges keyed by ``EdgeRow.slot`` (left, right, matcher, rule; left <
        right); a repeat merges into the stored edge by ``graph.rules.merge_edge``. An end
        need not be a stored identifier (it is not one until upserted)."""

    def set_edge_status(self, rows: Sequence[EdgeStatusRow]) -> None:
        """Set status and reason of stored edges; unknown edges are ignored."""

    def delete_edges(self, slots: Collection[tuple[str, str, str, str]]) -> int:
        """Remove edges by slot; returns how many of them were stored."""

    def edges_of(self, keys: Collection[str]) -> list[EdgeRow]:
        """Every edge with at least one end in ``keys``, each once, sorted by slot."""

    def edge_page(
        self, after: tuple[str, str, str, str] | None, limit: int, status: str | None = None
    ) -> list[EdgeRow]:
        """A page of the stored edges (only those with ``status`` when given), ordered by
        slot."""

    def count_edges_by_status(self) -> dict[str, int]:
        """How many edges have each status (statuses with no edge left out)."""

    # --- what observations said --------------------------------------------------------

    def delete_facts(self, slots: Collection[tuple[str, str]]) -> int:
        """Remove the facts of (identifier_key, observation_id) pairs; returns how many
        attribute facts there were."""

    def add_facts(self, rows: Sequence[FactRow]) -> None:
        """Keep attribute facts; a repeat of (observation_id, identifier_key, name) is
        ignored, in the call and in the store (the first value stays)."""

    def facts_of(self, keys: Collection[str]) -> list[FactRow]:
        """Attribute facts of the given identifiers."""

    def add_consent(self, rows: Sequence[ConsentRow]) -> None:
        """Keep consent statements; a repeat of statement_id is ignored."""

    def consent_of(self, keys: Collection[str]) -> list[ConsentRow]:
        """Consent statements whose subject is one of the given identifiers."""

    def add_person_records(
        self, rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]]
    ) -> None:
        """Keep person records for fuzzy matching, each filed at the end of the blocks
        ``blocks`` lists for its ID (records filed in the order of ``rows``).

        A record is written once, with its blocks (``person_records_to_file``): a repeat
        of a stored ``id`` (or of one earlier in ``rows``) is ignored, blocks included,
        and so are block keys listed for an ID that ``rows`` does not hold."""

    def person_records(self, ids: Collection[str]) -> dict[str, PersonRecordRow]:
        """Stored person records by ID."""

    def person_records_of(self, keys: Collection[str]) -> list[PersonRecordRow]:
        """Stored person records anchored at the given identifier keys, sorted by ID."""

    def block_members(self, block_keys: Collection[str]) -> dict[str, list[str]]:
        """Per blocking key, the IDs of the records filed under it, in the order they were
        filed; keys with no record are left out."""

    # --- profiles and aliases ------------------------------------------------------------

    def get_profiles(self, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
        """Live profiles by ID (aliases are not followed here)."""

    def profiles_by_identifier(self, keys: Collection[str]) -> dict[str, ProfileRow]:
        """The live profile of each key that has one: the lookup path, one round trip.
        A key whose profile has no document is left out."""

    def profile_page(self, after: str | None, limit: int) -> list[ProfileRow]:
        """A page of the live profiles, ordered by ID."""

    def put_profiles(self, rows: Sequence[ProfileRow]) -> None:
        """Insert or replace profile documents, kept exactly as given."""

    def delete_profiles(self, profile_ids: Collection[str]) -> None:
        """Remove profiles (their identifiers must have been moved first)."""

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        """Record ``alias -> target`` as ``graph.rules.flatten_aliases`` writes them:
        aliases pointing at a new alias are re-pointed to its target, and a target that is
        an alias stands for its own target, so resolving an alias is always one step. An
        alias that would point at itself is a ``ValueError``."""

    def resolve_aliases(self, ids: Collection[str]) -> dict[str, str]:
        """The target of each ID that is an alias."""

    def alias_page(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        """A page of the (alias, target) pairs, ordered by alias."""

    def delete_aliases_to(self, targets: Collection[str]) -> int:
        """Remove every alias pointing at one of ``targets`` (profiles erased whole, whose
        old IDs must stop resolving); the number removed."""

    # --- logs, marks and sizes -----------------------------------------------------------

    def append_changes(self, rows: Sequence[ChangeRow]) -> list[int]:
        """Append events to the change feed; positions (ignored on input) are assigned
        increasing (from 1), in order, and returned."""

    def changes_after(self, position: int, limit: int) -> list[ChangeRow]:
        """Events with a position above ``position``, oldest first, at most ``limit``."""

    def append_audit(self, rows: Sequence[AuditRow]) -> list[int]:
        """Append audit entries; positions are assigned as ``append_changes`` assigns them
        (a sequence of their own) and returned."""

    def audit_after(self, position: int, limit: int) -> list[AuditRow]:
        """Audit entries with a position above ``position``, oldest first, at most
        ``limit``."""

    def add_tombstones(self, hashes: Collection[str]) -> None:
        """Keep keyed hashes of erased identifiers (repeats are ignored)."""

    def tombstoned(self, hashes: Collection[str]) -> set[str]:
        """Which of the hashes are tombstones."""

    def get_meta(self, name: str) -> str | None:
        """A store-wide setting kept with the data (e.g. the ID key), or None."""

    def set_meta(self, name: str, value: str) -> None:
        """Keep a store-wide setting; replaces an earlier value. Settings are apart from the
        store's own bookkeeping (a name like ``schema_version`` is the caller's)."""

    def counts(self) -> dict[str, int]:
        """Sizes: identifiers (stored ones: not the unknown ends of edges), edges,
        profiles, aliases, facts (one per attribute), consent, changes, tombstones, audit.
        """


class GraphStore(Protocol):
    """A durable identity graph.

    ``write`` runs ``work`` in one transaction and commits it; ``read`` runs it in a
    read-only one. A store may run ``work`` more than once when a transaction has to be
    retried (Neo4j does on transient errors), so ``work`` must not have effects outside
    the transaction. Errors of the backend surface as ``StoreError``; errors raised by
    ``work`` itself pass through unchanged after the transaction is rolled back.
    """

    name: str

    def write(self, work: Callable[[GraphTransaction], T]) -> T: ...

    def read(self, work: Callable[[GraphTransaction], T]) -> T: ...

    def profile_by_identifier(self, key: str) -> ProfileRow | None:
        """The profile document holding the identifier, or None: what
        ``read(lambda tx: tx.profiles_by_identifier([key])).get(key)`` answers, as one
        point read (the lookup API's call, made far more often than any other)."""
        ...

    def health(self) -> StoreError | None:
        """Why the store cannot serve now (reads fail, or the last write found no space
        and a small write still fails), or None. Cheap when all is well: a read, no
        write, so that a readiness probe never waits for the write lock."""
        ...

    def scrub(self) -> None:
        """Make what committed transactions deleted unrecoverable from the store's own
        files, before an erasure answers. The embedded store checkpoints its write-ahead
        log into the database file and truncates it (deleted content is overwritten as it
        is freed); a server store keeps its own logs by its retention policy (said in
        docs/privacy.md). Raises ``StoreError`` when it cannot finish."""
        ...

    def close(self) -> None: ...
