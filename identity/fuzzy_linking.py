"""Fuzzy linking during ingest: observations with person attributes become person records,
matched incrementally against the records already stored, through the blocking index kept
in the store.

For each observation with attributes the record is anchored at one of its identifiers
(the first by type in ``ANCHOR_TYPES``, then by key: an email before a cookie), so a fuzzy
edge joins that identifier to the other record's anchor. A record's ID is a keyed-free
hash of its anchor and its normalized fields: the same person data seen again is the same
record and is matched once (ingest stays idempotent).

A batch reads, per blocking key of its new records, the record IDs filed under that key
(one round trip) and those records (one more), lets ``FuzzyMatcher.plan`` choose the
pairs (candidates only from shared blocking keys, never all pairs), scores them, and
files the new records. Scored pairs become edges of matcher ``fuzzy``:

- probability at or above ``merge_threshold``: status ``joined`` (the partition and its
  guards still decide whether it joins, as for every edge), unless either record is
  anchored at a fixed-line phone (``identifiers.is_fixed_line``): a household's landline
  with a caller's name says who called, not that the number is that person's alone, so
  the edge is ``held`` for review;
- in the review band: status ``held`` with the reason ``review band: p=...``; a steward
  approves or rejects it like any held edge;
- below the review band: nothing is stored.

The evidence is the matcher's: each field compared, both normalized values, the level and
its contribution in bits, the prior, the total and the probability.

Order independence: with a fixed model, the pairs compared are all pairs of records
sharing a blocking key that at most ``max_block_size`` records hold (``matchers.blocking``:
a key held by more is too common and compares nobody), whatever batches they arrive in,
and an edge keeps the highest probability of any of its record pairs (with that pair's
evidence), so profiles do not depend on load order. When a batch makes a key too common
that two or more stored records were compared through, the fuzzy edges of those records'
anchors are derived again from all their records (``_rederive``): an edge whose pairs no
longer share a usable key goes, one whose best pair went weighs what the best pair left
weighs, and the resolver re-resolves both ends (a profile joined by it may split). The
bulk path (``cli.bulk``) counts the keys over the whole load and gives the same edges.
What does depend on order, written down: an edge's ``source``/``first_seen`` are those of
the observation that completed its best pair (a re-derived edge keeps the ones it had),
and which records a too-common key lists in the store.
Keys whose values are known to be common (the Korean surnames 김, 이, 박 ...) are made
finer before any record arrives (``blocking``), so those blocks stay usable.

Search keys (``matchers.search_keys``) are filed with each new record beside its
blocking keys, uncapped and never read for pairing.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from graph.records import EdgeRow, EdgeStatusRow, PersonRecordRow
from graph.rules import EdgeStatus, restatus_of_stronger_sighting
from graph.store import GraphTransaction
from identity.canonical_json import canonical_json
from identity.identifiers import is_fixed_line
from identity.observation import Observation
from matchers.attributes import PersonRecord
from matchers.blocking import usable
from matchers.fuzzy import MATCHER_NAME, FuzzyMatcher
from matchers.pairs import ScoredPair
from matchers.search_keys import record_search_keys

ANCHOR_TYPES = ("email", "customer_id", "phone", "social", "device", "cookie")
"""Which identifier of an observation holds its person record: the most personal first."""

STATUS_JOINED = EdgeStatus.JOINED
STATUS_HELD = EdgeStatus.HELD


def review_reason(probability: float) -> str:
    return f"review band: p={probability:.4f}"


def through_landline(left: str, right: str) -> bool:
    """Whether a fuzzy edge has a fixed-line phone at an end: it never joins by weight
    alone (a steward may approve it)."""
    return is_fixed_line(left) or is_fixed_line(right)


def landline_reason(probability: float) -> str:
    return f"fixed-line phone, a household's number: p={probability:.4f}, for review"


def anchor_key(observation: Observation) -> str:
    def rank(key: str) -> tuple[int, str]:
        kind = key.partition(":")[0]
        order = ANCHOR_TYPES.index(kind) if kind in ANCHOR_TYPES else len(ANCHOR_TYPES)
        return order, key

    return min((i.key for i in observation.identifiers), key=rank)


def record_id(record: PersonRecord) -> str:
    payload = _record_id_json([record.key, sorted(record.normalized.items())])
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


# Stored IDs were made with ``json.dumps(..., ensure_ascii=False)``: the same text, from one
# encoder instead of a new one per record.
_record_id_json = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True, slots=True)
class _Arrival:
    record: PersonRecord
    id: str
    keys: frozenset[str]
    source: str
    observed_at: str
    search: frozenset[str] = frozenset()
    """Keys stewards find the record by (``matchers.search_keys``): filed, never paired."""


EdgeSlot = tuple[str, str, str, str]


@dataclass(slots=True)
class FuzzyLinks:
    """What a batch's records change among the fuzzy edges."""

    rows: list[EdgeRow] = field(default_factory=list)
    """Edges to upsert."""
    replaced: set[EdgeSlot] = field(default_factory=set)
    """Edges deleted from the store (taken back, or re-derived lighter: then also in
    ``rows``); a copy of them the caller holds is out of date."""
    touched: set[str] = field(default_factory=set)
    """Identifiers at an end of a taken-back or re-derived edge: to re-resolve."""


class FuzzyLinker:
    """Turns a batch of observations into fuzzy edges; see the module docstring."""

    def __init__(self, matcher: FuzzyMatcher, cached_records: int = 50_000) -> None:
        self.matcher = matcher
        # Stored person records by ID. A record ID is a hash of the record's anchor and
        # fields, so an ID always means the same record: only which IDs a block lists is
        # read from the store each time (an erased record leaves its blocks there).
        self._records: OrderedDict[str, PersonRecord] = OrderedDict()
        self._cached_records = cached_records

    @property
    def merge_threshold(self) -> float:
        return self.matcher.merge_threshold

    def joins(self, weight: float) -> bool:
        return weight >= self.matcher.merge_threshold

    def edges(self, tx: GraphTransaction, observations: Iterable[Observation]) -> FuzzyLinks:
        arrivals = self._new_arrivals(tx, observations)
        if not arrivals:
            return FuzzyLinks()
        by_record = {id(a.record): a for a in arrivals}
        keys = sorted({k for a in arrivals for k in a.keys})
        members = tx.block_members(keys)
        stored = self._stored_records(tx, {i for ids in members.values() for i in ids})
        candidates = {key: [stored[i] for i in ids if i in stored] for key, ids in members.items()}
        plan = self.matcher.plan(
            [a.record for a in arrivals], candidates, [a.keys for a in arrivals]
        )
        blocks: dict[str, list[str]] = {a.id: sorted(a.search) for a in arrivals if a.search}
        for key, added in plan.additions.items():
            for record in added:
                blocks.setdefault(by_record[id(record)].id, []).append(key)
        tx.add_person_records(
            [
                PersonRecordRow(a.id, a.record.key, canonical_json(dict(a.record.normalized)))
                for a in arrivals
            ],
            blocks,
        )
        self._remember(arrivals)
        best: dict[tuple[str, str], tuple[ScoredPair, _Arrival]] = {}
        for earlier, later in plan.pairs:
            scored = self.matcher.score(earlier, later)
            if scored is None:
                continue
            slot = (scored.left, scored.right)
            known = best.get(slot)
            if known is None or scored.weight > known[0].weight:
                best[slot] = (scored, by_record[id(later)])
        links = FuzzyLinks()
        if plan.overflowed:
            anchors = {r.key for key in plan.overflowed for r in candidates.get(key, ())}
            links = self._rederive(tx, anchors, best)
        links.rows.extend(self._rows(tx, best))
        return links

    def _rederive(
        self,
        tx: GraphTransaction,
        anchors: set[str],
        best: dict[tuple[str, str], tuple[ScoredPair, _Arrival]],
    ) -> FuzzyLinks:
        """Derive the fuzzy edges of ``anchors`` again from all their records, now that
        some keys they were compared through are too common. A stored edge of theirs that
        the resolver set (``joined``, ``held``) is replaced by what its best remaining pair
        says, or deleted when none is left; a steward's decision stays. The batch's own
        pairs of those edges (in ``best``) are taken into the result and dropped from
        ``best``."""
        own = tx.person_records_of(anchors)
        records = self._stored_records(tx, {row.id for row in own})
        keys_of = {row.id: self.matcher.blocking_keys(records[row.id]) for row in own}
        members = tx.block_members({k for keys in keys_of.values() for k in keys})
        cap = self.matcher.max_block_size
        partner_ids = {
            i
            for keys in keys_of.values()
            for k in keys
            if usable(len(members.get(k, ())), cap)
            for i in members.get(k, ())
        }
        partners = self._stored_records(tx, partner_ids)
        derived: dict[tuple[str, str], ScoredPair] = {}
        for row in own:
            record = records[row.id]
            met = {
                i
                for k in keys_of[row.id]
                if usable(len(members.get(k, ())), cap)
                for i in members.get(k, ())
            }
            for other_id in sorted(met - {row.id}):
                scored = self.matcher.score(record, partners[other_id])
                if scored is None:
                    continue
                slot = (scored.left, scored.right)
                known = derived.get(slot)
                if known is None or scored.weight > known.weight:
                    derived[slot] = scored
        links = FuzzyLinks()
        decided = (STATUS_JOINED, STATUS_HELD)
        for edge in tx.edges_of(anchors):
            if edge.matcher != MATCHER_NAME or edge.status not in decided:
                continue
            pair = derived.get((edge.left, edge.right))
            batch = best.pop((edge.left, edge.right), None)
            if pair is not None and pair.weight == edge.weight:
                continue
            links.replaced.add(edge.slot)
            links.touched.update((edge.left, edge.right))
            if pair is None:
                continue
            arrival = batch[1] if batch is not None and batch[0].weight == pair.weight else None
            links.rows.append(
                self._row(
                    pair,
                    edge.source if arrival is None else arrival.source,
                    edge.first_seen if arrival is None else arrival.observed_at,
                    edge.last_seen if arrival is None else arrival.observed_at,
                )
            )
        if links.replaced:
            tx.delete_edges(links.replaced)
        return links

    def _remember(self, arrivals: Iterable[_Arrival]) -> None:
        for arrival in arrivals:
            self._records[arrival.id] = arrival.record
        self._trim()

    def _trim(self) -> None:
        while len(self._records) > self._cached_records:
            self._records.popitem(last=False)

    def _stored_records(self, tx: GraphTransaction, ids: set[str]) -> dict[str, PersonRecord]:
        cache = self._records
        found = {i: cache[i] for i in ids if i in cache}
        missing = ids - found.keys()
        if missing:
            for row in tx.person_records(missing).values():
                record = PersonRecord.from_normalized(row.identifier_key, json.loads(row.fields))
                found[row.id] = cache[row.id] = record
            self._trim()
        return found

    def _new_arrivals(
        self, tx: GraphTransaction, observations: Iterable[Observation]
    ) -> list[_Arrival]:
        arrivals: dict[str, _Arrival] = {}
        for obs in observations:
            if not obs.attributes or not obs.identifiers:
                continue
            record = PersonRecord(anchor_key(obs), obs.attributes)
            rid = record_id(record)
            if rid in arrivals or not record.normalized:
                continue
            keys = frozenset(self.matcher.blocking_keys(record))
            phones = [i.value for i in obs.identifiers if i.type == "phone"]
            search = frozenset(record_search_keys(record.normalized, phones))
            if keys or search:
                arrivals[rid] = _Arrival(record, rid, keys, obs.source, obs.observed_at, search)
        if not arrivals:
            return []
        known = tx.person_records(arrivals)
        return [a for rid, a in arrivals.items() if rid not in known]

    def _rows(
        self, tx: GraphTransaction, best: dict[tuple[str, str], tuple[ScoredPair, _Arrival]]
    ) -> list[EdgeRow]:
        if not best:
            return []
        # A stored edge keeps the higher weight of two sightings; its evidence must be of
        # that sighting, so a weaker pair for the same two identifiers is not written.
        stored = {
            (e.left, e.right): e
            for e in tx.edges_of({left for left, _ in best})
            if e.matcher == MATCHER_NAME
        }
        rows: list[EdgeRow] = []
        restatus: list[EdgeStatusRow] = []
        for slot, (pair, arrival) in sorted(best.items()):
            known = stored.get(slot)
            if known is not None and known.weight >= pair.weight:
                continue
            row = self._row(pair, arrival.source, arrival.observed_at, arrival.observed_at)
            if known is not None:
                decided = restatus_of_stronger_sighting(known, row)
                if decided is not None:
                    restatus.append(decided)
            rows.append(row)
        if restatus:
            tx.set_edge_status(restatus)
        return rows

    def _row(self, pair: ScoredPair, source: str, first_seen: str, last_seen: str) -> EdgeRow:
        """The edge of a scored pair: joined above the threshold, else held for review; a
        pair through a fixed-line phone is held whatever its weight (a household's
        number)."""
        landline = through_landline(pair.left, pair.right)
        joined = self.joins(pair.weight) and not landline
        if joined:
            reason = ""
        elif landline:
            reason = landline_reason(pair.weight)
        else:
            reason = review_reason(pair.weight)
        return EdgeRow(
            pair.left,
            pair.right,
            pair.matcher,
            pair.rule,
            pair.weight,
            STATUS_JOINED if joined else STATUS_HELD,
            source,
            canonical_json(pair.evidence),
            first_seen,
            last_seen,
            reason=reason,
        )


def fuzzy_linker(merge_threshold: float, matcher: FuzzyMatcher | None = None) -> FuzzyLinker:
    """The linker of the default matcher; it joins at the higher of its own threshold and
    the configured ``merge_threshold`` (a match probability must clear both)."""
    base = matcher or FuzzyMatcher()
    if merge_threshold > base.merge_threshold:
        base = replace(base, merge_threshold=merge_threshold)
    return FuzzyLinker(base)


__all__: Sequence[str] = ("FuzzyLinker", "FuzzyLinks", "anchor_key", "fuzzy_linker", "record_id")
