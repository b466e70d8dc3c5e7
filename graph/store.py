"""The seam between the domain and a store: ``GraphStore`` and ``GraphTransaction``.

The domain (``identity``) drives resolution; a store only keeps rows and answers batch
questions about them. Every method takes and returns batches so that a networked store
(Neo4j) pays one round trip per batch, not per identifier.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol, TypeVar

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


class GraphTransaction(Protocol):
    """One atomic unit of work on a store.

    Contract, for every implementation:

    - Writes are visible to later reads of the same transaction and to nobody else until
      the transaction commits; on an exception nothing of it is kept.
    - Every write is idempotent in its effect on identities: upserting the same rows again
      changes only counters and last-seen times.
    - Methods that take keys or IDs accept any collection, including empty ones, and
      ignore unknown entries; methods that return mappings leave unknown entries out.
    - Results are deterministic: lists come sorted as documented.
    """

    def upsert_identifiers(self, rows: Sequence[IdentifierRow]) -> None:
        """Insert new identifiers (with no profile) or widen seen-times of known ones."""

    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        """Insert or update edges keyed by (left, right, matcher, rule); see ``EdgeRow``."""

    def set_edge_status(self, rows: Sequence[EdgeStatusRow]) -> None:
        """Set status and reason of existing edges; unknown edges are ignored."""

    def delete_edges(self, slots: Collection[tuple[str, str, str, str]]) -> int:
        """Remove edges by (left, right, matcher, rule); returns how many there were."""

    def edges_by_status(
        self, status: str, after: tuple[str, str, str, str] | None, limit: int
    ) -> list[EdgeRow]:
        """Edges with the status, ordered by (left, right, matcher, rule), after ``after``."""

    def count_edges_by_status(self) -> dict[str, int]:
        """How many edges have each status."""

    def set_generic(self, reasons: Mapping[str, str]) -> None:
        """Mark identifiers generic with the reason, or clear the mark with ``""``."""

    def erase_identifiers(self, keys: Collection[str]) -> dict[str, int]:
        """Remove identifiers with their edges, facts and consent statements; returns the
        counts removed: ``identifiers``, ``edges``, ``facts``, ``consent``. The person
        records anchored at the keys go too, with their block entries (not counted)."""

    def delete_facts(self, slots: Collection[tuple[str, str]]) -> int:
        """Remove the facts of (identifier_key, observation_id) pairs; returns how many
        attribute facts there were."""

    def add_facts(self, rows: Sequence[FactRow]) -> None:
        """Keep attribute facts; a repeat of (observation_id, identifier_key, name) is ignored."""

    def add_consent(self, rows: Sequence[ConsentRow]) -> None:
        """Keep consent statements; a repeat of statement_id is ignored."""

    def add_person_records(
        self, rows: Sequence[PersonRecordRow], blocks: Mapping[str, Sequence[str]]
    ) -> None:
        """Keep person records for fuzzy matching, each filed at the end of the blocks
        ``blocks`` lists for its ID (records filed in the order of ``rows``).

        A record is written once, with its blocks: a repeat of a stored ``id`` (or of one
        earlier in ``rows``) is ignored, blocks included, and so are block keys listed for
        an ID that ``rows`` does not hold."""

    def person_records(self, ids: Collection[str]) -> dict[str, PersonRecordRow]:
        """Stored person records by ID."""

    def block_members(self, block_keys: Collection[str]) -> dict[str, list[str]]:
        """Per blocking key, the IDs of the records filed under it, in the order they were
        filed; keys with no record are left out."""

    def get_identifiers(self, keys: Collection[str]) -> dict[str, StoredIdentifier]:
        """Stored identifiers by key."""

    def profile_ids(self, keys: Collection[str]) -> dict[str, str | None]:
        """The profile of each known key (None while it has none)."""

    def assign_profile(self, assignments: Mapping[str, str]) -> None:
        """Set the profile of each identifier key."""

    def move_identifiers(self, from_profile_ids: Collection[str], to_profile_id: str) -> None:
        """Relabel every identifier of the given profiles to ``to_profile_id``."""

    def identifiers_of(self, profile_ids: Collection[str]) -> dict[str, list[StoredIdentifier]]:
        """Identifiers per profile, each list sorted by key."""

    def edges_of(self, keys: Collection[str]) -> list[EdgeRow]:
        """Every edge with at least one end in ``keys``, sorted by (left, right, matcher, rule)."""

    def facts_of(self, keys: Collection[str]) -> list[FactRow]:
        """Attribute facts of the given identifiers."""

    def consent_of(self, keys: Collection[str]) -> list[ConsentRow]:
        """Consent statements whose subject is one of the given identifiers."""

    def get_profiles(self, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
        """Live profiles by ID (aliases are not followed here)."""

    def profiles_by_identifier(self, keys: Collection[str]) -> dict[str, ProfileRow]:
        """The live profile of each key that has one: the lookup path, one round trip."""

    def put_profiles(self, rows: Sequence[ProfileRow]) -> None:
        """Insert or replace profile documents."""

    def delete_profiles(self, profile_ids: Collection[str]) -> None:
        """Remove profiles (their identifiers must have been moved first)."""

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        """Record ``alias -> target``; aliases already pointing at a new alias are re-pointed
        to its target, so resolving an alias is always one step."""

    def delete_aliases_to(self, targets: Collection[str]) -> int:
        """Remove every alias pointing at one of ``targets`` (profiles erased whole, whose
        old IDs must stop resolving); the number removed."""

    def resolve_aliases(self, ids: Collection[str]) -> dict[str, str]:
        """The target of each ID that is an alias."""

    def id_in_use(self, profile_id: str) -> bool:
        """Whether the ID names a live profile or an alias."""

    def append_changes(self, rows: Sequence[ChangeRow]) -> list[int]:
        """Append events to the change feed; positions (ignored on input) are assigned
        increasing, in order, and returned."""

    def changes_after(self, position: int, limit: int) -> list[ChangeRow]:
        """Events with a position above ``position``, oldest first, at most ``limit``."""

    def profile_page(self, after: str | None, limit: int) -> list[ProfileRow]:
        """Live profiles ordered by ID, starting after ``after``, at most ``limit``."""

    def identifier_page(self, after: str | None, limit: int) -> list[StoredIdentifier]:
        """Identifiers ordered by key, starting after ``after``, at most ``limit``."""

    def edge_page(self, after: tuple[str, str, str, str] | None, limit: int) -> list[EdgeRow]:
        """Edges ordered by (left, right, matcher, rule), after ``after``, at most ``limit``."""

    def alias_page(self, after: str | None, limit: int) -> list[tuple[str, str]]:
        """(alias, target) pairs ordered by alias, after ``after``, at most ``limit``."""

    def counts(self) -> dict[str, int]:
        """Sizes: identifiers, edges, profiles, aliases, facts, consent, changes,
        tombstones, audit."""

    def add_tombstones(self, hashes: Collection[str]) -> None:
        """Keep keyed hashes of erased identifiers (repeats are ignored)."""

    def tombstoned(self, hashes: Collection[str]) -> set[str]:
        """Which of the hashes are tombstones."""

    def append_audit(self, rows: Sequence[AuditRow]) -> list[int]:
        """Append audit entries; positions (ignored on input) are assigned and returned."""

    def audit_after(self, position: int, limit: int) -> list[AuditRow]:
        """Audit entries after the position, oldest first."""

    def get_meta(self, name: str) -> str | None:
        """A store-wide setting kept with the data (e.g. the ID key), or None."""

    def set_meta(self, name: str, value: str) -> None:
        """Keep a store-wide setting; replaces an earlier value."""


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
