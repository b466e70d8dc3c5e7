"""The resolver: turns a batch of observations into store writes and keeps profiles
equal to the connected components of joining edges.

Incremental: a batch reads only the profiles of the identifiers it carries, joins them
with a union-find over the batch's joining edges, merges where a component now spans
several profiles, and rebuilds the documents of the profiles it touched. Nothing else in
the store is read or written.

Rules written down here:
- A new profile's ID is a keyed hash of the smallest identifier key that founded it, so
  loading the same data gives the same IDs (also after a crash and a re-load).
- On a merge the oldest profile (earliest ``created_at``, then smallest ID) survives; the
  others become aliases of it and a ``merge`` event goes to the change feed.
- ``created_at``/``updated_at`` are data times (first and last observation), not wall
  clock, so profiles do not depend on when a file was loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.records import (
    ChangeRow,
    ConsentRow,
    EdgeRow,
    FactRow,
    IdentifierRow,
    ProfileRow,
)
from graph.store import GraphTransaction
from identity.components import DisjointSet
from identity.observation import Observation
from identity.profile import build_document
from identity.settings import Settings
from identity.timeutil import utc_now
from matchers.deterministic import CoOccurrenceMatcher

STATUS_JOINED = "joined"
STATUS_WEAK = "weak"
_PROFILE_NODE = "\x00profile:"


@dataclass(slots=True)
class BatchOutcome:
    observations: int = 0
    identifiers: int = 0
    edges: int = 0
    profiles_created: int = 0
    profiles_merged: int = 0
    touched_profiles: list[str] = field(default_factory=list)


class Resolver:
    def __init__(self, settings: Settings, secret: str) -> None:
        self._settings = settings
        self._secret = secret.encode()
        self._matcher = CoOccurrenceMatcher(
            settings.authenticated_weight,
            settings.unauthenticated_weight,
            settings.unauthenticated_weight_by_source,
        )

    def profile_id_for(self, founding_key: str, attempt: int = 0) -> str:
        digest = hashlib.blake2b(
            f"{founding_key}#{attempt}".encode(), key=self._secret, digest_size=10
        ).hexdigest()
        return f"p-{digest}"

    def ingest(self, tx: GraphTransaction, observations: Sequence[Observation]) -> BatchOutcome:
        outcome = BatchOutcome(observations=len(observations))
        identifiers: dict[str, IdentifierRow] = {}
        edges: dict[tuple[str, str, str, str], EdgeRow] = {}
        facts: list[FactRow] = []
        consent: list[ConsentRow] = []
        profile_claims: list[tuple[Observation, int]] = []
        joins: list[tuple[str, str]] = []
        threshold = self._settings.merge_threshold

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
                    facts.append(
                        FactRow(obs_id, ident.key, name, value, obs.source, obs.observed_at)
                    )
            for pair in self._matcher.pairs(keys, obs.source, obs.authenticated):
                status = STATUS_JOINED if pair.weight >= threshold else STATUS_WEAK
                if status == STATUS_JOINED:
                    joins.append((pair.left, pair.right))
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
                        _dumps(pair.evidence),
                        obs.observed_at,
                        obs.observed_at,
                    ),
                )
            for index, claim in enumerate(obs.consent):
                if claim.subject is None:
                    profile_claims.append((obs, index))
                else:
                    consent.append(_consent_row(obs, claim.subject, index))

        tx.upsert_identifiers(list(identifiers.values()))
        tx.upsert_edges(list(edges.values()))
        tx.add_facts(facts)
        tx.add_consent(consent)
        outcome.identifiers = len(identifiers)
        outcome.edges = len(edges)

        touched, merges, previous = self._resolve(tx, list(identifiers), joins, outcome)
        if profile_claims:
            self._expand_profile_consent(tx, profile_claims)
        self._rebuild(tx, touched, merges, previous)
        outcome.touched_profiles = sorted(touched)
        return outcome

    def _resolve(
        self,
        tx: GraphTransaction,
        keys: list[str],
        joins: list[tuple[str, str]],
        outcome: BatchOutcome,
    ) -> tuple[set[str], dict[str, list[str]], dict[str, ProfileRow]]:
        current = tx.profile_ids(keys)
        components = DisjointSet(keys)
        for key, profile_id in current.items():
            if profile_id is not None:
                components.union(key, _PROFILE_NODE + profile_id)
        for left, right in joins:
            components.union(left, right)

        existing_ids = {pid for pid in current.values() if pid is not None}
        existing = tx.get_profiles(existing_ids)
        touched: set[str] = set()
        merges: dict[str, list[str]] = {}
        assignments: dict[str, str] = {}
        for group in components.groups():
            profile_ids = sorted(
                n[len(_PROFILE_NODE) :] for n in group if n.startswith(_PROFILE_NODE)
            )
            unassigned = [
                n for n in group if not n.startswith(_PROFILE_NODE) and current.get(n) is None
            ]
            if not profile_ids:
                survivor = self._fresh_profile_id(tx, min(unassigned))
                outcome.profiles_created += 1
            else:
                survivor = min(profile_ids, key=lambda p: (existing[p].created_at, p))
                absorbed = [p for p in profile_ids if p != survivor]
                if absorbed:
                    tx.move_identifiers(absorbed, survivor)
                    tx.add_aliases(dict.fromkeys(absorbed, survivor))
                    tx.delete_profiles(absorbed)
                    merges[survivor] = absorbed
                    outcome.profiles_merged += len(absorbed)
            assignments.update(dict.fromkeys(unassigned, survivor))
            touched.add(survivor)
        tx.assign_profile(assignments)
        return touched, merges, existing

    def _fresh_profile_id(self, tx: GraphTransaction, founding_key: str) -> str:
        attempt = 0
        while True:
            candidate = self.profile_id_for(founding_key, attempt)
            if not tx.id_in_use(candidate):
                return candidate
            attempt += 1

    def _expand_profile_consent(
        self, tx: GraphTransaction, claims: list[tuple[Observation, int]]
    ) -> None:
        """A profile-level statement counts for every identifier of the profile now."""
        first_keys = {obs.identifiers[0].key for obs, _ in claims}
        owners = tx.profile_ids(first_keys)
        members = tx.identifiers_of({p for p in owners.values() if p is not None})
        rows = []
        for obs, index in claims:
            owner = owners.get(obs.identifiers[0].key)
            for ident in members.get(owner or "", []):
                rows.append(_consent_row(obs, ident.key, index))
        tx.add_consent(rows)

    def _rebuild(
        self,
        tx: GraphTransaction,
        profile_ids: set[str],
        merges: dict[str, list[str]],
        previous: dict[str, ProfileRow],
    ) -> None:
        if not profile_ids:
            return
        members = tx.identifiers_of(profile_ids)
        keys = [i.key for group in members.values() for i in group]
        owner = {i.key: pid for pid, group in members.items() for i in group}
        facts_by_profile: dict[str, list[FactRow]] = {}
        for fact in tx.facts_of(keys):
            facts_by_profile.setdefault(owner[fact.identifier_key], []).append(fact)
        consent_by_profile: dict[str, list[ConsentRow]] = {}
        for row in tx.consent_of(keys):
            consent_by_profile.setdefault(owner[row.subject_key], []).append(row)

        now = utc_now()
        changes: list[ChangeRow] = []
        documents: list[ProfileRow] = []
        for pid in sorted(profile_ids):
            group = members.get(pid, [])
            old = previous.get(pid)
            absorbed = merges.get(pid, [])
            lineage: list[dict[str, Any]] = json.loads(old.lineage) if old else []
            created = [i.first_seen for i in group]
            if old:
                created.append(old.created_at)
            created.extend(previous[a].created_at for a in absorbed if a in previous)
            if absorbed:
                lineage.append({"event": "merge", "absorbed": absorbed, "at": now})
                changes.append(
                    ChangeRow(0, "merge", pid, now, _dumps({"survivor": pid, "absorbed": absorbed}))
                )
            documents.append(
                build_document(
                    pid,
                    [i.key for i in group],
                    facts_by_profile.get(pid, []),
                    consent_by_profile.get(pid, []),
                    self._settings.purposes,
                    created_at=min(created),
                    updated_at=max(i.last_seen for i in group),
                    lineage=lineage,
                )
            )
        tx.put_profiles(documents)
        if changes:
            tx.append_changes(changes)


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
            seen.count + row.count,
        )


def _add_edge(rows: dict[tuple[str, str, str, str], EdgeRow], row: EdgeRow) -> None:
    slot = (row.left, row.right, row.matcher, row.rule)
    seen = rows.get(slot)
    if seen is None:
        rows[slot] = row
    else:
        rows[slot] = EdgeRow(
            row.left,
            row.right,
            row.matcher,
            row.rule,
            max(seen.weight, row.weight),
            STATUS_JOINED if STATUS_JOINED in (seen.status, row.status) else row.status,
            row.source,
            row.evidence,
            min(seen.first_seen, row.first_seen),
            max(seen.last_seen, row.last_seen),
            seen.count + row.count,
        )


def _consent_row(obs: Observation, subject: str, index: int) -> ConsentRow:
    claim = obs.consent[index]
    statement_id = hashlib.blake2b(
        f"{obs.observation_id}#{index}#{subject}".encode(), digest_size=16
    ).hexdigest()
    return ConsentRow(
        statement_id, subject, claim.purpose, claim.status.value, claim.at, obs.source, claim.proof
    )


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
