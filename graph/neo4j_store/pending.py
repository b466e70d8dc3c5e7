"""What a write transaction has written but not yet sent: the overlay of the write-once
transaction (``graph.neo4j_store.transaction``).

A unit of work on the Neo4j store keeps its writes here, answers its own reads from the
server's rows merged with them (by the rules of ``graph.rules``, exactly as the server
would after each write), and sends them all at the end in a few ``UNWIND`` queries
(``graph.neo4j_store.flush``). What the server held when the transaction read it is kept
too (``base_*``): the flush needs it to tell a new row (``CREATE``) from a changed one
(``SET``), and the reads of the ingest path need nothing more.

Nothing here talks to the server: the transaction reads what is missing and records it
with ``know_*``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from graph.records import (
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)
from graph.rules import merge_edge, merge_identifier_sightings

Slot = tuple[str, str, str, str]

BARE: Final = "bare"
"""An ``Identifier`` node that is only the end of edges (or holds facts): never upserted,
not an identifier to any read."""
ABSENT: Final = "absent"
"""No node with the key."""

Known = StoredIdentifier | str
"""What the server holds for a key: a stored identifier, ``BARE`` or ``ABSENT``."""

DELETED: Final = "deleted"
"""A profile document deleted in this transaction."""


@dataclass(slots=True)
class EdgeOps:
    """The writes of one edge slot in this transaction, in order: an ``EdgeRow`` is an
    upsert, an ``EdgeStatusRow`` a status change."""

    ops: list[EdgeRow | EdgeStatusRow] = field(default_factory=list)


def fold_edge(base: EdgeRow | None, ops: Iterable[EdgeRow | EdgeStatusRow]) -> EdgeRow | None:
    """The edge after ``ops`` on ``base`` (None: not stored): ``merge_edge`` for each
    upsert, status and reason for a status change of an edge that exists by then."""
    state = base
    for op in ops:
        if isinstance(op, EdgeRow):
            state = op if state is None else merge_edge(state, op)
        elif state is not None:
            state = state._replace(status=op.status, reason=op.reason)
    return state


@dataclass(slots=True)
class Pending:
    """The unsent writes of a transaction and what it knows of the server's rows."""

    # What the server holds (read during this transaction).
    base_identifiers: dict[str, Known] = field(default_factory=dict)
    base_edges: dict[Slot, EdgeRow] = field(default_factory=dict)
    base_edges_by_key: dict[str, set[Slot]] = field(default_factory=dict)
    edges_known: set[str] = field(default_factory=set)
    """Keys whose every stored edge is in ``base_edges``."""
    slots_known: set[Slot] = field(default_factory=set)
    """Slots whose stored edge (or its absence) is known though neither end's edges are."""
    profile_links: dict[str, str] = field(default_factory=dict)
    """Identifier key -> the element ID of its stored ``IN_PROFILE`` relationship."""
    profile_nodes: dict[str, str | None] = field(default_factory=dict)
    """Profile ID -> the element ID of its stored node (None: no node)."""

    # The writes.
    sightings: dict[str, IdentifierRow] = field(default_factory=dict)
    profiles_of: dict[str, str] = field(default_factory=dict)
    generic: dict[str, str] = field(default_factory=dict)
    edges: dict[Slot, EdgeOps] = field(default_factory=dict)
    edges_by_key: dict[str, set[Slot]] = field(default_factory=dict)
    facts: list[FactRow] = field(default_factory=list)
    facts_by_key: dict[str, list[FactRow]] = field(default_factory=dict)
    consent: dict[str, ConsentRow] = field(default_factory=dict)
    consent_by_key: dict[str, list[ConsentRow]] = field(default_factory=dict)
    person_records: dict[str, tuple[PersonRecordRow, list[str]]] = field(default_factory=dict)
    block_additions: dict[str, list[str]] = field(default_factory=dict)
    documents: dict[str, ProfileRow | str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (
            self.sightings
            or self.profiles_of
            or self.generic
            or self.edges
            or self.facts
            or self.consent
            or self.person_records
            or self.documents
            or self.aliases
        )

    # --- identifiers ------------------------------------------------------------------

    def unknown_identifiers(self, keys: Iterable[str]) -> list[str]:
        return [k for k in keys if k not in self.base_identifiers]

    def know_identifiers(self, asked: Iterable[str], found: dict[str, Known]) -> None:
        """Record a read of ``asked``: ``found`` holds the keys with a node; a key with
        none has no edges either."""
        for key in asked:
            known = found.get(key, ABSENT)
            self.base_identifiers[key] = known
            if known == ABSENT:
                self.edges_known.add(key)

    def exists(self, key: str) -> bool:
        """Whether the key is an identifier now (stored, or upserted in this transaction);
        its base must be known."""
        return key in self.sightings or isinstance(self.base_identifiers[key], StoredIdentifier)

    def identifier(self, key: str) -> StoredIdentifier | None:
        """The identifier as it is now (its base must be known), or None."""
        base = self.base_identifiers[key]
        seen = self.sightings.get(key)
        if isinstance(base, StoredIdentifier):
            current = base
            if seen is not None:
                merged = merge_identifier_sightings(
                    IdentifierRow(
                        base.key,
                        base.type,
                        base.value,
                        base.first_seen,
                        base.last_seen,
                        base.sightings,
                    ),
                    seen,
                )
                current = base._replace(
                    first_seen=merged.first_seen,
                    last_seen=merged.last_seen,
                    sightings=merged.sightings,
                )
        elif seen is not None:
            current = StoredIdentifier(
                seen.key,
                seen.type,
                seen.value,
                None,
                seen.first_seen,
                seen.last_seen,
                seen.sightings,
            )
        else:
            return None
        profile = self.profiles_of.get(key)
        generic = self.generic.get(key)
        if profile is not None:
            current = current._replace(profile_id=profile)
        if generic is not None:
            current = current._replace(generic=generic)
        return current

    def upsert_identifiers(self, rows: Iterable[IdentifierRow]) -> None:
        for row in rows:
            seen = self.sightings.get(row.key)
            self.sightings[row.key] = row if seen is None else merge_identifier_sightings(seen, row)

    # --- edges ------------------------------------------------------------------------

    def add_edge_op(self, op: EdgeRow | EdgeStatusRow) -> None:
        slot = (op.left, op.right, op.matcher, op.rule)
        ops = self.edges.get(slot)
        if ops is None:
            ops = self.edges[slot] = EdgeOps()
            self.edges_by_key.setdefault(op.left, set()).add(slot)
            self.edges_by_key.setdefault(op.right, set()).add(slot)
        ops.ops.append(op)

    def slot_known(self, slot: Slot) -> bool:
        return (
            slot in self.slots_known or slot[0] in self.edges_known or slot[1] in self.edges_known
        )

    def _know_edge(self, edge: EdgeRow) -> None:
        slot = edge.slot
        self.base_edges[slot] = edge
        self.base_edges_by_key.setdefault(edge.left, set()).add(slot)
        self.base_edges_by_key.setdefault(edge.right, set()).add(slot)

    def know_edges(self, keys: Iterable[str], edges: Iterable[EdgeRow]) -> None:
        """Record a read of every stored edge of ``keys``."""
        for edge in edges:
            self._know_edge(edge)
        self.edges_known.update(keys)

    def know_slots(self, slots: Iterable[Slot], edges: Iterable[EdgeRow]) -> None:
        """Record a read of the stored edges of ``slots``."""
        for edge in edges:
            self._know_edge(edge)
        self.slots_known.update(slots)

    def edge(self, slot: Slot) -> EdgeRow | None:
        """The edge as it is now (its base must be known), or None."""
        ops = self.edges.get(slot)
        base = self.base_edges.get(slot)
        return base if ops is None else fold_edge(base, ops.ops)

    def edges_touching(self, keys: Iterable[str]) -> list[EdgeRow]:
        """Every edge with an end in ``keys`` as it is now (their edges must be known),
        sorted by slot."""
        slots: set[Slot] = set()
        for key in set(keys):
            slots.update(self.base_edges_by_key.get(key, ()))
            slots.update(self.edges_by_key.get(key, ()))
        found = (self.edge(slot) for slot in sorted(slots))
        return [e for e in found if e is not None]

    # --- what observations said ----------------------------------------------------------

    def add_facts(self, rows: Iterable[FactRow]) -> None:
        for row in rows:
            self.facts.append(row)
            self.facts_by_key.setdefault(row.identifier_key, []).append(row)

    def add_consent(self, rows: Iterable[ConsentRow], stored: set[str]) -> None:
        """Keep the statements whose ID is neither in ``stored`` nor already pending."""
        for row in rows:
            if row.statement_id in stored or row.statement_id in self.consent:
                continue
            self.consent[row.statement_id] = row
            self.consent_by_key.setdefault(row.subject_key, []).append(row)

    def add_person_records(self, fresh: Iterable[tuple[PersonRecordRow, list[str]]]) -> None:
        for row, blocks in fresh:
            self.person_records[row.id] = (row, blocks)
            for key in blocks:
                self.block_additions.setdefault(key, []).append(row.id)

    # --- profiles and aliases -----------------------------------------------------------

    def put_profiles(self, rows: Iterable[ProfileRow]) -> None:
        for row in rows:
            self.documents[row.id] = row

    def delete_profiles(self, ids: Iterable[str]) -> None:
        for pid in ids:
            self.documents[pid] = DELETED
