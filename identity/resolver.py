"""The resolver: keeps profiles equal to the guarded partition of the identity graph.

Every change (a batch of observations, an erasure, a steward's decision) names *seed*
identifiers. The resolver gathers their *cluster*: the seeds, every identifier of the
profiles they belong to, and everything reachable from those over eligible edges (joining
weight or approved, not rejected, no generic end). It partitions the cluster with
``identity.partition`` (deterministic, guards applied, independent of load order), gives
the pieces IDs with ``identity.profile_ids`` and writes what changed: profile assignments,
aliases, edge statuses (``joined`` or ``held`` with the reason), profile documents,
change-feed events. Nothing outside the cluster is read or written.

``Resolver`` is the facade over the jobs of a change, one module each:

- ``identity.staging``: storing a batch's chunks before it is resolved, and what the store
  holds afterwards (its merges mirrored);
- this module: resolving a cluster into a partition, its profile IDs, aliases and edge
  statuses, decided as a ``Resolution`` (``identity.cluster``);
- ``identity.documents``: the documents, lineage and change-feed events of a
  ``Resolution``.

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

from graph.records import EdgeRow, EdgeStatusRow, StoredIdentifier
from graph.store import GraphTransaction
from identity.cluster import Cluster, Resolution
from identity.documents import DocumentWriter
from identity.edge_status import (
    LINKING_STATUSES,
    STATUS_APPROVED,
    STATUS_HELD,
    STATUS_JOINED,
    STATUS_REJECTED,
)
from identity.fuzzy_linking import FuzzyLinker, fuzzy_linker, through_landline
from identity.guards import frequency_cap_reasons
from identity.observation import Observation
from identity.partition import CandidateEdge, partition_cluster
from identity.profile import Survivorship
from identity.profile_ids import assign_profile_ids
from identity.settings import Settings
from identity.staging import (
    BatchOutcome,
    BatchStager,
    Growth,
    profile_consent,
    seed_state,
)
from matchers.fuzzy import MATCHER_NAME as FUZZY_MATCHER


class Resolver:
    def __init__(self, settings: Settings, secret: str) -> None:
        self._settings = settings
        self._secret = secret.encode()
        self._survivorship = Survivorship(settings.survivorship, settings.source_priority)
        self.staging = BatchStager(settings, self._secret)
        self._documents = DocumentWriter(self._survivorship, settings.purposes)
        self._fuzzy_threshold = fuzzy_linker(settings.merge_threshold).merge_threshold

    @property
    def fuzzy(self) -> FuzzyLinker | None:
        """The fuzzy linker staging uses (``None``: fuzzy linking is off)."""
        return self.staging.fuzzy

    @fuzzy.setter
    def fuzzy(self, linker: FuzzyLinker | None) -> None:
        self.staging.fuzzy = linker

    @property
    def fuzzy_threshold(self) -> float:
        """The weight at which a fuzzy edge joins (see ``joins``)."""
        return self._fuzzy_threshold

    def joins(self, edge: EdgeRow) -> bool:
        """Whether the edge weighs enough to join: a fuzzy edge (a match probability) at
        the fuzzy matcher's merge threshold and not through a landline
        (``fuzzy_linking.through_landline``), any other at ``merge_threshold``."""
        if edge.matcher == FUZZY_MATCHER:
            return edge.weight >= self._fuzzy_threshold and not through_landline(
                edge.left, edge.right
            )
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
        return self.staging.identifier_hash(key)

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
        staged = self.staging.stage_chunks(tx, chunks)
        if staged.identifiers:
            self.reresolve(
                tx,
                staged.seeds(),
                staged.outcome,
                staged.growth,
                known=seed_state(tx, staged),
            )
        return staged.outcome

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
        (``identity.staging.seed_state``), instead of asking the store.
        """
        outcome = outcome or BatchOutcome()
        growth = growth or Growth()
        resolution = self._resolve(tx, seeds, known)
        if growth.profile_claims:
            growth.consent.extend(profile_consent(tx, resolution.owner, growth.profile_claims))
        tx.add_consent(growth.consent)
        self._documents.write(tx, resolution, growth, rebuild_all)
        outcome.profiles_created += len(resolution.created)
        outcome.profiles_merged += len(resolution.absorbed)
        outcome.profiles_split += len(resolution.split)
        outcome.touched_profiles = sorted(set(outcome.touched_profiles) | resolution.changed)
        return outcome

    def _resolve(
        self,
        tx: GraphTransaction,
        seeds: Collection[str],
        known: tuple[dict[str, StoredIdentifier], list[EdgeRow]] | None,
    ) -> Resolution:
        """Partition the cluster of the seeds and write the profile assignments, aliases,
        deleted profiles and edge statuses; the documents are left to the caller."""
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

        return Resolution(
            cluster=cluster,
            pieces=partition.pieces,
            ids=plan.ids,
            owner=owner,
            changed=_changed_pieces(cluster, partition.pieces, plan.ids, seeds),
            merged=plan.merged,
            absorbed=absorbed,
            split=plan.split,
            created=plan.created,
        )

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


def _changed_pieces(
    cluster: Cluster, pieces: list[list[str]], ids: list[str], seeds: Collection[str]
) -> set[str]:
    """The profiles whose documents are rewritten: new, holding a seed, or holding other
    identifiers than before."""
    seed_set = set(seeds)
    changed: set[str] = set()
    for piece, pid in zip(pieces, ids, strict=True):
        old = cluster.profiles.get(pid)
        if old is None or seed_set.intersection(piece) or cluster.members[pid] != piece:
            changed.add(pid)
    return changed
