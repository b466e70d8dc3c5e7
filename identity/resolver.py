"""The resolver: keeps profiles equal to the guarded partition of the identity graph.

Every change (a batch of observations, an erasure, a steward's decision) names *seed*
identifiers. The resolver gathers their *cluster*: the seeds, every identifier of the
profiles they belong to, and everything reachable from those over eligible edges (joining
weight or approved, not rejected, no generic end). It partitions the cluster with
``identity.partition`` (deterministic, guards applied, independent of load order), gives
the pieces IDs with ``identity.profile_ids`` and writes what changed: profile assignments,
aliases, edge statuses (``joined`` or ``held`` with the reason), profile documents,
change-feed events. Nothing outside the cluster is read or written.

Rules written down here:

- A new profile's ID is a keyed hash of the smallest identifier key that founded it, so
  loading the same data in the same batches gives the same IDs (also after a crash and a
  re-load). IDs depend on history by design: other systems hold them, so they are never
  recomputed; the partition itself does not depend on history.
- On a merge the oldest profile (earliest ``created_at``, then smallest ID) survives; the
  others become aliases of it. On a split the piece with most of the old profile's
  identifiers keeps the ID, the others get new IDs. Both are change-feed events and
  lineage entries.
- ``created_at``/``updated_at`` are data times (first and last sighting of the profile's
  identifiers), so profiles do not depend on when a file was loaded.
- An identifier linked to more identifiers of a type than the frequency cap allows
  becomes generic: it stays stored and searchable (as its own profile) but its edges no
  longer join; the profiles it had joined are re-resolved. Fuzzy edges are not counted
  (look-alike records are not a shared identifier; see ``identity.guards``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.records import (
    ChangeRow,
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactRow,
    IdentifierRow,
    ProfileRow,
    StoredIdentifier,
)
from graph.store import GraphTransaction
from identity.canonical_json import canonical_json
from identity.fuzzy_linking import FuzzyLinker, anchor_key, fuzzy_linker
from identity.guards import frequency_cap_reasons
from identity.observation import Observation
from identity.partition import CandidateEdge, partition_cluster
from identity.profile import (
    GoldenValue,
    Survivorship,
    build_document,
    consent_document,
    document_candidates,
    fact_candidates,
)
from identity.profile_consent import consent_row, profile_statement_rows
from identity.profile_ids import assign_profile_ids
from identity.settings import Settings
from identity.timeutil import utc_now
from matchers.deterministic import CoOccurrenceMatcher
from matchers.fuzzy import MATCHER_NAME as FUZZY_MATCHER
from matchers.fuzzy import FuzzyMatcher

STATUS_JOINED = "joined"
STATUS_WEAK = "weak"
STATUS_HELD = "held"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
LINKING_STATUSES = frozenset({STATUS_JOINED, STATUS_HELD, STATUS_APPROVED})
STEWARD_MATCHER = "steward"


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


@dataclass(slots=True)
class Cluster:
    keys: set[str]
    identifiers: dict[str, StoredIdentifier]
    edges: dict[tuple[str, str, str, str], EdgeRow]
    profiles: dict[str, ProfileRow]
    generic: set[str]
    members: dict[str, list[str]] = field(default_factory=dict)
    """The identifier keys of each profile in ``profiles`` (its document, parsed once)."""


class Resolver:
    def __init__(self, settings: Settings, secret: str) -> None:
        self._settings = settings
        self._secret = secret.encode()
        self._survivorship = Survivorship(settings.survivorship, settings.source_priority)
        self._matcher = CoOccurrenceMatcher(
            settings.authenticated_weight,
            settings.unauthenticated_weight,
            settings.unauthenticated_weight_by_source,
        )
        self.fuzzy: FuzzyLinker | None = None
        self._fuzzy_threshold = fuzzy_linker(settings.merge_threshold).merge_threshold
        if settings.fuzzy_enabled:
            fitted = settings.fuzzy_model
            matcher = None if fitted is None else FuzzyMatcher(model=fitted)
            self.fuzzy = fuzzy_linker(settings.merge_threshold, matcher)

    def joins(self, edge: EdgeRow) -> bool:
        """Whether the edge weighs enough to join: a fuzzy edge (a match probability) at
        the fuzzy matcher's merge threshold, any other at ``merge_threshold``."""
        if edge.matcher == FUZZY_MATCHER:
            return edge.weight >= self._fuzzy_threshold
        return edge.weight >= self._settings.merge_threshold

    @property
    def survivorship(self) -> Survivorship:
        return self._survivorship

    def profile_id_for(self, founding_key: str, attempt: int = 0) -> str:
        digest = hashlib.blake2b(
            f"{founding_key}#{attempt}".encode(), key=self._secret, digest_size=10
        ).hexdigest()
        return f"p-{digest}"

    def identifier_hash(self, key: str) -> str:
        """The keyed hash of an identifier: what tombstones and the audit log keep."""
        return hashlib.blake2b(
            key.encode(), key=self._secret, digest_size=16, person=b"tombstone"
        ).hexdigest()

    # ingest ---------------------------------------------------------------------------

    def ingest(self, tx: GraphTransaction, observations: Sequence[Observation]) -> BatchOutcome:
        return self.ingest_chunks(tx, (observations,))

    def ingest_chunks(
        self, tx: GraphTransaction, chunks: Iterable[Sequence[Observation]]
    ) -> BatchOutcome:
        """Ingest the observations of all chunks as one batch. Each chunk is stored as it
        comes (identifiers, edges, facts, person records: what the store merges the same
        way in one call or several), and the cluster of all of them is resolved once at
        the end, so a caller can produce the next chunk while this one is stored. Profiles
        are those of one ``ingest`` of all the observations."""
        staged = self.stage_chunks(tx, chunks)
        if staged.identifiers:
            self.reresolve(
                tx,
                set(staged.identifiers),
                staged.outcome,
                staged.growth,
                known=self.seed_state(tx, staged),
            )
        return staged.outcome

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

    def seed_state(
        self, tx: GraphTransaction, staged: StagedBatch
    ) -> tuple[dict[str, StoredIdentifier], list[EdgeRow]]:
        """What ``get_identifiers`` and ``edges_of`` answer now for the batch's identifiers,
        reading only those stored before the batch: an identifier the batch stored first
        has exactly the batch's sightings, no profile yet, and no edges but the batch's,
        each as the store merged its repeats (``_add_edge`` merges them the same way)."""
        old = [key for key in staged.identifiers if key not in staged.fresh]
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
            edges.update((row.slot, row) for row in self.fuzzy.edges(tx, observations))
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

    # resolution -----------------------------------------------------------------------

    def reresolve(
        self,
        tx: GraphTransaction,
        seeds: Collection[str],
        outcome: BatchOutcome | None = None,
        growth: Growth | None = None,
        rebuild_all: bool = False,
        known: tuple[dict[str, StoredIdentifier], list[EdgeRow]] | None = None,
    ) -> BatchOutcome:
        """Re-partition the cluster of the seeds and write what changed.

        ``growth`` (from ingest) lets documents be updated incrementally; without it, or
        with ``rebuild_all``, every document of the cluster is rebuilt from its facts.
        ``known``: what ``get_identifiers(seeds)`` and ``edges_of(seeds)`` answer now
        (``seed_state``), instead of asking the store.
        """
        outcome = outcome or BatchOutcome()
        growth = growth or Growth()
        stored_now: dict[str, StoredIdentifier] | None = None
        if known is None:
            seed_edges = tx.edges_of(seeds)
        else:
            stored_now, seed_edges = known
        stored_seeds = self._update_generic(tx, seeds, seed_edges, stored_now)
        cluster = self.gather(tx, seeds, stored_seeds, seed_edges)

        eligible: list[CandidateEdge] = []
        cannot_links: list[tuple[str, str]] = []
        for edge in cluster.edges.values():
            if edge.left not in cluster.keys or edge.right not in cluster.keys:
                continue
            if edge.status == STATUS_REJECTED:
                cannot_links.append((edge.left, edge.right))
            elif edge.status == STATUS_APPROVED:
                eligible.append(CandidateEdge(edge.slot, edge.weight, forced=True))
            elif (
                edge.status in LINKING_STATUSES
                and self.joins(edge)
                and edge.left not in cluster.generic
                and edge.right not in cluster.generic
            ):
                eligible.append(CandidateEdge(edge.slot, edge.weight))
        partition = partition_cluster(cluster.keys, eligible, cannot_links, self._settings.guards)
        current = {k: cluster.identifiers[k].profile_id for k in cluster.keys}
        plan = assign_profile_ids(
            partition.pieces,
            current,
            {pid: row.created_at for pid, row in cluster.profiles.items()},
            lambda founders: self._fresh_profile_ids(tx, founders),
        )
        owner = {k: plan.ids[i] for i, piece in enumerate(partition.pieces) for k in piece}

        tx.assign_profile({k: pid for k, pid in owner.items() if current.get(k) != pid})
        absorbed = {old: survivor for survivor, olds in plan.merged.items() for old in olds}
        if absorbed:
            tx.add_aliases(absorbed)
        gone = set(cluster.profiles) - set(plan.ids)
        if gone:
            tx.delete_profiles(gone)
        self._update_edge_statuses(tx, cluster, partition.held)

        if growth.profile_claims:
            growth.consent.extend(self._expand_profile_consent(tx, owner, growth.profile_claims))
        tx.add_consent(growth.consent)

        changed = self._changed_pieces(cluster, partition.pieces, plan.ids, seeds, owner)
        self._write_documents(
            tx,
            cluster,
            partition.pieces,
            plan.ids,
            changed,
            owner,
            growth,
            plan.merged,
            plan.split,
            absorbed,
            rebuild_all,
        )
        outcome.profiles_created += len(plan.created)
        outcome.profiles_merged += len(absorbed)
        outcome.profiles_split += len(plan.split)
        outcome.touched_profiles = sorted(set(outcome.touched_profiles) | changed)
        return outcome

    def generic_reasons(self, tx: GraphTransaction, keys: Collection[str]) -> dict[str, str]:
        """The keys the frequency cap makes generic, with the reason."""
        return self._frequency_cap(keys, tx.edges_of(keys))

    def _frequency_cap(self, keys: Collection[str], edges: Sequence[EdgeRow]) -> dict[str, str]:
        """``generic_reasons`` from every edge of the keys: the cap counts identifiers seen
        together (linking edges of every matcher but the fuzzy one, see ``identity.guards``)."""
        linked = [
            (e.left, e.right)
            for e in edges
            if e.status in LINKING_STATUSES and e.matcher != FUZZY_MATCHER
        ]
        return frequency_cap_reasons(linked, keys, self._settings.guards)

    def _update_generic(
        self,
        tx: GraphTransaction,
        seeds: Collection[str],
        seed_edges: Sequence[EdgeRow],
        stored_now: dict[str, StoredIdentifier] | None = None,
    ) -> dict[str, StoredIdentifier]:
        """Mark seeds over the frequency cap generic, and unmark those back under it;
        returns the stored seeds with their marks as they are now. ``seed_edges``: every
        edge of the seeds (``edges_of(seeds)``), counted here instead of asking the store;
        ``stored_now``, when given, is what ``get_identifiers(seeds)`` answers."""
        wanted = self._frequency_cap(seeds, seed_edges)
        stored = tx.get_identifiers(seeds) if stored_now is None else stored_now
        changes = {
            key: wanted.get(key, "")
            for key, ident in stored.items()
            if ident.generic != wanted.get(key, "")
        }
        if changes:
            tx.set_generic(changes)
            stored = {
                key: ident._replace(generic=changes[key]) if key in changes else ident
                for key, ident in stored.items()
            }
        return stored

    def gather(
        self,
        tx: GraphTransaction,
        seeds: Collection[str],
        stored_seeds: Mapping[str, StoredIdentifier] | None = None,
        seed_edges: Sequence[EdgeRow] | None = None,
    ) -> Cluster:
        """The seeds, their profiles' identifiers and everything reachable from them over
        linking edges that can join (approved, or weighing enough: a held edge of the review
        band can never join, so the profile behind it cannot change the partition and is not
        read), never expanding through a generic identifier. ``stored_seeds``, when
        given, is what ``get_identifiers(seeds)`` answers now, and ``seed_edges`` what
        ``edges_of(seeds)`` answers (each saves reading it again)."""
        cluster = Cluster(set(), {}, {}, {}, set())
        frontier = set(seeds)
        while frontier:
            if stored_seeds is not None:
                cluster.identifiers.update(stored_seeds)
                stored_seeds = None
            else:
                cluster.identifiers.update(tx.get_identifiers(frontier))
            frontier &= cluster.identifiers.keys()
            cluster.keys |= frontier
            cluster.generic |= {k for k in frontier if cluster.identifiers[k].generic}
            reached: set[str] = set()
            new_profiles = {
                pid
                for k in frontier
                if (pid := cluster.identifiers[k].profile_id) is not None
                and pid not in cluster.profiles
            }
            for pid, row in tx.get_profiles(new_profiles).items():
                cluster.profiles[pid] = row
                cluster.members[pid] = json.loads(row.identifiers)
                reached.update(cluster.members[pid])
            expand = frontier - cluster.generic
            if seed_edges is not None:
                # The first round's frontier lies within the seeds: their edges are known.
                edges = [e for e in seed_edges if e.left in expand or e.right in expand]
                seed_edges = None
            else:
                edges = tx.edges_of(expand)
            for edge in edges:
                cluster.edges[edge.slot] = edge
                if edge.status in LINKING_STATUSES and (
                    edge.status == STATUS_APPROVED or self.joins(edge)
                ):
                    reached.update((edge.left, edge.right))
            frontier = reached - cluster.keys
        return cluster

    def _update_edge_statuses(
        self, tx: GraphTransaction, cluster: Cluster, held: dict[tuple[str, str, str, str], str]
    ) -> None:
        updates: list[EdgeStatusRow] = []
        for edge in cluster.edges.values():
            if edge.status not in (STATUS_JOINED, STATUS_HELD) or not self.joins(edge):
                continue
            if edge.left not in cluster.keys or edge.right not in cluster.keys:
                continue
            generic_end = next((k for k in (edge.left, edge.right) if k in cluster.generic), None)
            if generic_end is not None:
                reason = cluster.identifiers[generic_end].generic or f"generic: {generic_end}"
                want = (STATUS_HELD, reason)
            elif edge.slot in held:
                want = (STATUS_HELD, held[edge.slot])
            else:
                want = (STATUS_JOINED, "")
            if (edge.status, edge.reason) != want:
                updates.append(EdgeStatusRow(*edge.slot, *want))
        if updates:
            tx.set_edge_status(updates)

    def _fresh_profile_ids(self, tx: GraphTransaction, founding_keys: list[str]) -> dict[str, str]:
        """A new ID per founding key; on the rare clash with a live ID or an alias (the
        same key founded a profile before that was later merged, split or erased) the next
        attempt of the keyed hash is taken."""
        chosen: dict[str, str] = {}
        attempt = 0
        pending = sorted(founding_keys)
        while pending:
            candidates = {key: self.profile_id_for(key, attempt) for key in pending}
            ids = set(candidates.values())
            taken = set(tx.get_profiles(ids)) | set(tx.resolve_aliases(ids))
            taken |= set(chosen.values())
            pending = [key for key, pid in candidates.items() if pid in taken]
            chosen.update({k: p for k, p in candidates.items() if p not in taken})
            attempt += 1
        return chosen

    def _expand_profile_consent(
        self, tx: GraphTransaction, owner: dict[str, str], claims: list[tuple[Observation, int]]
    ) -> list[ConsentRow]:
        """The rows of the statements made without a subject (``profile_statement_rows``)."""
        anchors = {anchor_key(obs) for obs, _ in claims}
        recorded = {row.statement_id for row in tx.consent_of(anchors)}
        return profile_statement_rows(claims, owner, recorded)

    def _changed_pieces(
        self,
        cluster: Cluster,
        pieces: list[list[str]],
        ids: list[str],
        seeds: Collection[str],
        owner: dict[str, str],
    ) -> set[str]:
        seed_set = set(seeds)
        changed: set[str] = set()
        for piece, pid in zip(pieces, ids, strict=True):
            old = cluster.profiles.get(pid)
            if old is None or seed_set.intersection(piece) or cluster.members[pid] != piece:
                changed.add(pid)
        return changed

    def _write_documents(
        self,
        tx: GraphTransaction,
        cluster: Cluster,
        pieces: list[list[str]],
        ids: list[str],
        changed: set[str],
        owner: dict[str, str],
        growth: Growth,
        merged: dict[str, list[str]],
        split: dict[str, list[str]],
        absorbed: dict[str, str],
        rebuild_all: bool,
    ) -> None:
        if not changed:
            return
        # A piece grows incrementally when every old profile it touches lies wholly in it.
        whole: dict[str, bool] = {}
        for pid, members in cluster.members.items():
            targets = {owner.get(k) for k in members}
            whole[pid] = len(targets) == 1 and None not in targets
        full: set[str] = set()
        for piece, pid in zip(pieces, ids, strict=True):
            if pid not in changed:
                continue
            olds = {cluster.identifiers[k].profile_id for k in piece} - {None}
            if (
                rebuild_all
                or self._survivorship.needs_all_facts
                or not all(whole.get(o or "", False) for o in olds)
            ):
                full.add(pid)

        members_of = {pid: piece for piece, pid in zip(pieces, ids, strict=True)}
        full_keys = [k for pid in full for k in members_of[pid]]
        facts_full: dict[str, list[FactRow]] = {}
        for fact in tx.facts_of(full_keys):
            facts_full.setdefault(owner[fact.identifier_key], []).append(fact)
        batch_facts: dict[str, list[FactRow]] = {}
        for fact in growth.facts:
            if fact.identifier_key in owner:
                batch_facts.setdefault(owner[fact.identifier_key], []).append(fact)

        consent_due = (changed & (full | set(merged))) | {
            owner[c.subject_key] for c in growth.consent if c.subject_key in owner
        }
        consent_due &= changed
        consent_rows: dict[str, list[ConsentRow]] = {pid: [] for pid in consent_due}
        due_keys = {k: owner[k] for pid in consent_due for k in members_of[pid]}
        for statement in tx.consent_of(list(due_keys)):
            consent_rows[due_keys[statement.subject_key]].append(statement)
        purposes = self._settings.purposes
        unknown_consent = consent_document([], purposes, ())

        now = utc_now()
        changes: list[ChangeRow] = []
        documents: list[ProfileRow] = []
        split_from = {new: old for old, news in split.items() for new in news}
        for pid in sorted(changed):
            piece = members_of[pid]
            old = cluster.profiles.get(pid)
            lineage: list[dict[str, Any]] = []
            if pid in merged:
                lineage.append({"event": "merge", "absorbed": merged[pid], "at": now})
                changes.append(
                    ChangeRow(
                        0,
                        "merge",
                        pid,
                        now,
                        canonical_json({"survivor": pid, "absorbed": merged[pid]}),
                    )
                )
            if pid in split:
                lineage.append({"event": "split", "into": split[pid], "at": now})
                changes.append(
                    ChangeRow(
                        0, "split", pid, now, canonical_json({"profile": pid, "into": split[pid]})
                    )
                )
            if pid in split_from and old is None:
                lineage.append({"event": "split_from", "profile": split_from[pid], "at": now})
            golden: dict[str, GoldenValue]
            if pid in full:
                golden = self._survivorship.from_facts(facts_full.get(pid, []))
            else:
                earlier = [
                    cluster.profiles[o]
                    for o in ({cluster.identifiers[k].profile_id for k in piece} - {None})
                    if o in cluster.profiles
                ]
                candidates = [c for d in earlier for c in document_candidates(d)]
                candidates.extend(fact_candidates(batch_facts.get(pid, [])))
                golden = self._survivorship.pick(candidates)
            if pid in consent_due:
                rows = consent_rows[pid]
                consent_json = consent_document(rows, purposes, piece) if rows else unknown_consent
            else:
                consent_json = old.consent if old is not None else unknown_consent
            idents = [cluster.identifiers[k] for k in piece]
            documents.append(
                build_document(
                    pid,
                    piece,
                    golden,
                    consent_json,
                    created_at=min(i.first_seen for i in idents),
                    updated_at=max(i.last_seen for i in idents),
                    lineage_json=_extended_lineage(old, lineage),
                )
            )
        tx.put_profiles(documents)
        if changes:
            tx.append_changes(changes)


def _extended_lineage(old: ProfileRow | None, events: list[dict[str, Any]]) -> str:
    """The profile's lineage (a JSON list) with the new events; the stored text as is when
    there are none, which is nearly every document an ingest rewrites."""
    if old is None:
        return canonical_json(events)
    if not events:
        return old.lineage
    earlier: list[dict[str, Any]] = json.loads(old.lineage)
    return canonical_json(earlier + events)


def _add_identifier(rows: dict[str, IdentifierRow], row: IdentifierRow) -> None:
    seen = rows.get(row.key)
    if seen is None:
        rows[row.key] = row
    else:
        rows[row.key] = IdentifierRow(
            row.key,
            row.type,
            row.value,
            min(seen.first_seen, row.first_seen),
            max(seen.last_seen, row.last_seen),
            seen.sightings + row.sightings,
        )


def _add_edge(rows: dict[tuple[str, str, str, str], EdgeRow], row: EdgeRow) -> None:
    """Merge a repeat of an edge as the stores' upsert does (see ``EdgeRow``), with the
    fuzzy linker's re-status of a stronger sighting: joined if either is, else the later
    row's status and reason."""
    seen = rows.get(row.slot)
    if seen is None:
        rows[row.slot] = row
    else:
        joined = STATUS_JOINED in (seen.status, row.status)
        rows[row.slot] = EdgeRow(
            row.left,
            row.right,
            row.matcher,
            row.rule,
            max(seen.weight, row.weight),
            STATUS_JOINED if joined else row.status,
            row.source,
            row.evidence,
            min(seen.first_seen, row.first_seen),
            max(seen.last_seen, row.last_seen),
            seen.sightings + row.sightings,
            "" if joined else row.reason,
        )
