"""Staging a batch: its chunks stored, before the batch is resolved.

Each chunk's identifiers, co-occurrence and fuzzy edges, facts and person records are
stored as the chunk comes: the store merges them the same way in one call or several.
Identifiers of an erased person (tombstoned) are dropped first. Statements made without a
subject wait for the partition, which decides which identifiers they reach
(``profile_consent``; the rules are in ``identity.profile_consent``).

A ``StagedBatch`` also mirrors the store's merges: every identifier and edge of the batch,
merged over the chunks as the stores' upserts merge their repeats, and which identifiers
no earlier batch had stored. From it ``seed_state`` answers what the store holds now for
the batch's identifiers without reading back those the batch stored first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graph.records import ConsentRow, EdgeRow, FactRow, IdentifierRow, StoredIdentifier
from graph.rules import merge_batch_edge, merge_identifier_sightings
from graph.store import GraphTransaction
from identity.canonical_json import canonical_json
from identity.edge_status import STATUS_JOINED, STATUS_WEAK
from identity.fuzzy_linking import FuzzyLinker, anchor_key, fuzzy_linker
from identity.observation import Observation
from identity.profile_consent import consent_row, profile_statement_rows
from identity.settings import Settings
from matchers.deterministic import CoOccurrenceMatcher
from matchers.fuzzy import FuzzyMatcher


@dataclass(slots=True)
class BatchOutcome:
    observations: int = 0
    identifiers: int = 0
    edges: int = 0
    profiles_created: int = 0
    profiles_merged: int = 0
    profiles_split: int = 0
    suppressed_identifiers: int = 0
    suppressed_observations: int = 0
    touched_profiles: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Growth:
    """What a batch of observations added, for incremental profile documents."""

    facts: list[FactRow] = field(default_factory=list)
    consent: list[ConsentRow] = field(default_factory=list)
    profile_claims: list[tuple[Observation, int]] = field(default_factory=list)


@dataclass(slots=True)
class StagedBatch:
    """What the chunks of one batch stored before it is resolved: the outcome so far, the
    growth for documents, every identifier and edge merged over the chunks as the store
    merges them, and the identifiers no earlier batch had stored."""

    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    growth: Growth = field(default_factory=Growth)
    identifiers: dict[str, IdentifierRow] = field(default_factory=dict)
    edges: dict[tuple[str, str, str, str], EdgeRow] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    """Stored identifiers outside the batch whose fuzzy edges the batch took back or
    re-derived (``identity.fuzzy_linking``): resolved with the batch."""

    def seeds(self) -> set[str]:
        """The identifiers the batch re-resolves."""
        return set(self.identifiers) | self.touched


class BatchStager:
    """Stores the chunks of a batch: the co-occurrence matcher's edges (joining at
    ``merge_threshold``, weak below), the fuzzy linker's when fuzzy linking is on."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self._settings = settings
        self._secret = secret
        self._matcher = CoOccurrenceMatcher(
            settings.authenticated_weight,
            settings.unauthenticated_weight,
            settings.unauthenticated_weight_by_source,
        )
        self.fuzzy: FuzzyLinker | None = None
        if settings.fuzzy_enabled:
            fitted = settings.fuzzy_model
            matcher = None if fitted is None else FuzzyMatcher(model=fitted)
            self.fuzzy = fuzzy_linker(settings.merge_threshold, matcher)

    def identifier_hash(self, key: str) -> str:
        """The keyed hash of an identifier: what tombstones and the audit log keep."""
        return hashlib.blake2b(
            key.encode(), key=self._secret, digest_size=16, person=b"tombstone"
        ).hexdigest()

    def stage_chunks(
        self, tx: GraphTransaction, chunks: Iterable[Sequence[Observation]]
    ) -> StagedBatch:
        """Store every chunk (not yet resolved) and keep what the batch added."""
        staged = StagedBatch()
        for chunk in chunks:
            self._store_chunk(tx, chunk, staged)
        staged.outcome.identifiers = len(staged.identifiers)
        staged.outcome.edges = len(staged.edges)
        return staged

    def _store_chunk(
        self, tx: GraphTransaction, observations: Sequence[Observation], staged: StagedBatch
    ) -> None:
        """Store one chunk's identifiers, edges, facts and person records (not yet
        resolved) and add them to ``staged``."""
        outcome = staged.outcome
        growth = staged.growth
        outcome.observations += len(observations)
        observations = self._without_tombstoned(tx, observations, outcome)
        identifiers: dict[str, IdentifierRow] = {}
        edges: dict[tuple[str, str, str, str], EdgeRow] = {}
        threshold = self._settings.merge_threshold
        evidence_json: dict[tuple[str, bool], str] = {}
        facts_before = len(growth.facts)

        for obs in observations:
            obs_id = obs.observation_id
            keys = [i.key for i in obs.identifiers]
            for ident in obs.identifiers:
                _add_identifier(
                    identifiers,
                    IdentifierRow(
                        ident.key, ident.type, ident.value, obs.observed_at, obs.observed_at
                    ),
                )
                for name, value in obs.attributes.items():
                    growth.facts.append(
                        FactRow(obs_id, ident.key, name, value, obs.source, obs.observed_at)
                    )
            evidence = evidence_json.get((obs.source, obs.authenticated))
            for pair in self._matcher.pairs(keys, obs.source, obs.authenticated):
                if evidence is None:
                    evidence = evidence_json[(obs.source, obs.authenticated)] = canonical_json(
                        pair.evidence
                    )
                status = STATUS_JOINED if pair.weight >= threshold else STATUS_WEAK
                _add_edge(
                    edges,
                    EdgeRow(
                        pair.left,
                        pair.right,
                        pair.matcher,
                        pair.rule,
                        pair.weight,
                        status,
                        obs.source,
                        evidence,
                        obs.observed_at,
                        obs.observed_at,
                    ),
                )
            for index, claim in enumerate(obs.consent):
                if claim.subject is None:
                    growth.profile_claims.append((obs, index))
                else:
                    growth.consent.append(consent_row(obs, claim.subject, index))

        if self.fuzzy is not None:
            links = self.fuzzy.edges(tx, observations)
            for slot in links.replaced:
                edges.pop(slot, None)
                staged.edges.pop(slot, None)
            edges.update((row.slot, row) for row in links.rows)
            staged.touched |= links.touched
        unseen = [key for key in identifiers if key not in staged.identifiers]
        stored_before = tx.profile_ids(unseen)
        staged.fresh.update(key for key in unseen if key not in stored_before)
        tx.upsert_identifiers(list(identifiers.values()))
        tx.upsert_edges(list(edges.values()))
        tx.add_facts(growth.facts[facts_before:])
        for row in identifiers.values():
            _add_identifier(staged.identifiers, row)
        for edge in edges.values():
            _add_edge(staged.edges, edge)

    def _without_tombstoned(
        self, tx: GraphTransaction, observations: Sequence[Observation], outcome: BatchOutcome
    ) -> Sequence[Observation]:
        hashes = {i.key: self.identifier_hash(i.key) for o in observations for i in o.identifiers}
        dead = tx.tombstoned(set(hashes.values()))
        if not dead:
            return observations
        kept: list[Observation] = []
        for obs in observations:
            alive = tuple(i for i in obs.identifiers if hashes[i.key] not in dead)
            outcome.suppressed_identifiers += len(obs.identifiers) - len(alive)
            if not alive:
                outcome.suppressed_observations += 1
                continue
            if len(alive) < len(obs.identifiers):
                keys = {i.key for i in alive}
                obs = obs.restricted_to(keys)
            kept.append(obs)
        return kept


def seed_state(
    tx: GraphTransaction, staged: StagedBatch
) -> tuple[dict[str, StoredIdentifier], list[EdgeRow]]:
    """What ``get_identifiers`` and ``edges_of`` answer now for the batch's identifiers,
    reading only those stored before the batch: an identifier the batch stored first
    has exactly the batch's sightings, no profile yet, and no edges but the batch's,
    each as the store merged its repeats (``_add_edge`` merges them the same way)."""
    old = [key for key in staged.seeds() if key not in staged.fresh]
    stored = tx.get_identifiers(old)
    for key in staged.fresh:
        row = staged.identifiers[key]
        stored[key] = StoredIdentifier(
            row.key, row.type, row.value, None, row.first_seen, row.last_seen, row.sightings
        )
    edges = {edge.slot: edge for edge in tx.edges_of(old)}
    fresh = staged.fresh
    for slot, edge in staged.edges.items():
        if slot not in edges and (edge.left in fresh or edge.right in fresh):
            edges[slot] = edge
    return stored, [edges[slot] for slot in sorted(edges)]


def profile_consent(
    tx: GraphTransaction, owner: dict[str, str], claims: list[tuple[Observation, int]]
) -> list[ConsentRow]:
    """The rows of the batch's statements made without a subject, now that ``owner``
    (identifier -> profile) is known (``identity.profile_consent``)."""
    anchors = {anchor_key(obs) for obs, _ in claims}
    recorded = {row.statement_id for row in tx.consent_of(anchors)}
    return profile_statement_rows(claims, owner, recorded)


def _add_identifier(rows: dict[str, IdentifierRow], row: IdentifierRow) -> None:
    """Merge a repeat of an identifier as the stores' upsert does."""
    seen = rows.get(row.key)
    rows[row.key] = row if seen is None else merge_identifier_sightings(seen, row)


def _add_edge(rows: dict[tuple[str, str, str, str], EdgeRow], row: EdgeRow) -> None:
    """Merge a repeat of an edge as the store does over a batch (``merge_batch_edge``)."""
    seen = rows.get(row.slot)
    rows[row.slot] = row if seen is None else merge_batch_edge(seen, row)
