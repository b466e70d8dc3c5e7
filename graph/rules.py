"""The rules every store keeps, written once: pure functions over rows, no I/O.

- ``EdgeStatus``: what an edge's status says, and who sets it.
- ``merge_identifier_sightings``: a repeat of an identifier (``upsert_identifiers``).
- ``merge_edge``: a repeat of an edge (``upsert_edges``).
- ``merge_batch_edge``: a repeat of an edge inside one batch, as the resolver stages it
  (``merge_edge`` plus the fuzzy linker's re-status of a stronger sighting,
  ``restatus_of_stronger_sighting``).
- ``flatten_aliases``: the alias rows ``add_aliases`` writes.
- ``erasure``: what ``erase_identifiers`` removes, and the counts it answers.

A store that does a merge in its own query language for speed (the upserts, the erase
cascade) follows these functions as its specification; ``tests/graph/test_store_rules.py``
folds them over generated sequences of writes and checks that every store answers the
same. ``flatten_aliases`` is called by the stores themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from graph.records import (
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
)


class EdgeStatus(StrEnum):
    """The status of an edge, and who sets it.

    - ``weak``: seen, too light to join; a later upsert of the edge replaces the status.
    - ``joined``: heavy enough to join (the partition's guards still decide).
    - ``held``: would join but breaks a guard, or a fuzzy match in the review band;
      ``reason`` says which. Waits for a steward.
    - ``approved``: a steward's; joins whatever the limits say.
    - ``rejected``: a steward's; a cannot-link that later data never overrides.

    Ingest writes ``weak``, ``joined`` and ``held``; the resolver moves edges between
    ``joined`` and ``held``; only stewards write ``approved`` and ``rejected``, and
    nothing else changes those."""

    WEAK = "weak"
    JOINED = "joined"
    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"


def merge_identifier_sightings(seen: IdentifierRow, row: IdentifierRow) -> IdentifierRow:
    """A repeat of an identifier: the seen-times widen, the sightings add up; key, type
    and value are the first row's (they are one thing: the key is ``type:value``).

    What ``upsert_identifiers`` does to a stored identifier; its profile and generic mark
    are not the upsert's to change."""
    return IdentifierRow(
        seen.key,
        seen.type,
        seen.value,
        min(seen.first_seen, row.first_seen),
        max(seen.last_seen, row.last_seen),
        seen.sightings + row.sightings,
    )


def merge_edge(stored: EdgeRow, row: EdgeRow) -> EdgeRow:
    """What ``upsert_edges`` makes of a repeat ``row`` of a ``stored`` edge.

    The weight is the larger of the two (so the result does not depend on load order);
    source and evidence are the new row's; the seen-times widen and the sightings add up.
    The status (with its reason) changes only from ``weak``: then it is the new row's, so
    a stronger repeat may make the edge join. Every other status is the resolver's or a
    steward's, and stays (``set_edge_status`` changes it)."""
    if stored.status == EdgeStatus.WEAK:
        return _merged(stored, row, row.status, row.reason)
    return _merged(stored, row, stored.status, stored.reason)


def _merged(stored: EdgeRow, row: EdgeRow, status: str, reason: str) -> EdgeRow:
    """``row`` merged into ``stored`` with the given status and reason."""
    return EdgeRow(
        stored.left,
        stored.right,
        stored.matcher,
        stored.rule,
        max(stored.weight, row.weight),
        status,
        row.source,
        row.evidence,
        min(stored.first_seen, row.first_seen),
        max(stored.last_seen, row.last_seen),
        stored.sightings + row.sightings,
        reason,
    )


def restatus_of_stronger_sighting(stored: EdgeRow, stronger: EdgeRow) -> EdgeStatusRow | None:
    """The fuzzy linker's rule: a stronger sighting of a stored ``joined`` or ``held``
    edge decides its status and reason anew (``merge_edge`` would keep the stored ones;
    the resolver then applies the guards). A ``weak`` edge takes the new status in the
    upsert anyway, and a steward's decision stays: for those, None."""
    if stored.status not in (EdgeStatus.JOINED, EdgeStatus.HELD):
        return None
    return EdgeStatusRow(*stored.slot, stronger.status, stronger.reason)


def merge_batch_edge(seen: EdgeRow, row: EdgeRow) -> EdgeRow:
    """A repeat of an edge within one batch, as the resolver stages what the store holds
    after the batch: ``merge_edge`` for every field but the status and reason, which are
    ``joined`` (with no reason) if either row is joined, else the later row's status and
    reason.

    This differs from ``merge_edge`` only when ``seen`` is neither ``weak`` nor
    ``joined``: ``merge_edge`` keeps such a status, this takes the later row's (or
    ``joined``). Within a batch that is a ``held`` fuzzy edge seen again stronger, whose
    status the fuzzy linker sets anew (``restatus_of_stronger_sighting``) before the
    upsert; a batch makes no ``approved`` or ``rejected`` rows. When ``seen`` is ``weak``
    or ``joined`` the two agree (a joined row has no reason)."""
    if seen.status == EdgeStatus.JOINED or row.status == EdgeStatus.JOINED:
        return _merged(seen, row, EdgeStatus.JOINED, "")
    return _merged(seen, row, row.status, row.reason)


def flatten_aliases(stored: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """The alias rows (alias -> target) that ``add_aliases(added)`` writes, so that
    resolving any alias stays one step.

    ``stored`` holds at least the stored aliases that point at an alias of ``added`` or
    that are a target of ``added`` (more are harmless). The pairs of ``added`` apply in
    order: each alias points at its target, or at what the target is an alias of; and
    every alias that pointed at it, stored or added before, is re-pointed there too. An
    alias that would end up pointing at itself is a ``ValueError`` (a profile merged into
    one of its own aliases)."""
    table = dict(stored)
    written: dict[str, str] = {}
    for alias, target in added.items():
        final = table.get(target, target)
        if final == alias:
            raise ValueError(f"alias {alias!r} -> {target!r} would make {alias!r} its own alias")
        for other, points_at in table.items():
            if points_at == alias:
                table[other] = written[other] = final
        table[alias] = written[alias] = final
    return written


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing some identifiers removes (see ``erasure``)."""

    identifiers: frozenset[str]
    edges: frozenset[tuple[str, str, str, str]]
    facts: frozenset[tuple[str, str, str]]
    """(observation_id, identifier_key, name) of each fact."""
    consent: frozenset[str]
    """Statement IDs."""
    person_records: frozenset[str]
    """Record IDs; the records leave every block they were filed in."""

    def counts(self) -> dict[str, int]:
        """What ``erase_identifiers`` answers: the identifiers, edges, facts (one per
        attribute) and consent statements removed. Person records are not counted."""
        return {
            "identifiers": len(self.identifiers),
            "edges": len(self.edges),
            "facts": len(self.facts),
            "consent": len(self.consent),
        }


def erasure(
    keys: Collection[str],
    identifiers: Iterable[str],
    edges: Iterable[EdgeRow],
    facts: Iterable[FactRow],
    consent: Iterable[ConsentRow],
    person_records: Iterable[PersonRecordRow],
) -> Erasure:
    """What ``erase_identifiers(keys)`` removes from a store holding these rows
    (``identifiers`` are the stored keys): each identifier of ``keys``, every edge with an
    end among them (whether or not the other end is a stored identifier), their facts,
    the consent statements about them and the person records anchored at them. Nothing
    else: profiles, aliases, the change feed and the audit log are the caller's."""
    erased = frozenset(keys)
    return Erasure(
        identifiers=erased.intersection(identifiers),
        edges=frozenset(e.slot for e in edges if e.left in erased or e.right in erased),
        facts=frozenset(
            (f.observation_id, f.identifier_key, f.name)
            for f in facts
            if f.identifier_key in erased
        ),
        consent=frozenset(c.statement_id for c in consent if c.subject_key in erased),
        person_records=frozenset(r.id for r in person_records if r.identifier_key in erased),
    )
