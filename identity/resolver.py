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
from identity.profile import (
    build_document,
    consent_document,
    document_candidates,
    fact_candidates,
    pick_golden,
)
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
        evidence_json: dict[tuple[str, bool], str] = {}

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
            evidence = evidence_json.get((obs.source, obs.authenticated))
            for pair in self._matcher.pairs(keys, obs.source, obs.authenticated):
                if evidence is None:
                    evidence = evidence_json[(obs.source, obs.authenticated)] = _dumps(
                        pair.evidence
                    )
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
                        evidence,
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
        outcome.identifiers = len(identifiers)
        outcome.edges = len(edges)

        plan = self._resolve(tx, identifiers, joins, outcome)
        consent.extend(self._expand_profile_consent(tx, plan, profile_claims))
        tx.add_consent(consent)
        self._rebuild(tx, plan, facts, consent)
        outcome.touched_profiles = sorted(plan.touched)
        return outcome

    def _resolve(
        self,
        tx: GraphTransaction,
        identifiers: dict[str, IdentifierRow],
        joins: list[tuple[str, str]],
        outcome: BatchOutcome,
    ) -> _Plan:
        keys = list(identifiers)
        current = tx.profile_ids(keys)
        components = DisjointSet(keys)
        for key, profile_id in current.items():
            if profile_id is not None:
                components.union(key, _PROFILE_NODE + profile_id)
        for left, right in joins:
            components.union(left, right)

        existing_ids = {pid for pid in current.values() if pid is not None}
        plan = _Plan(previous=tx.get_profiles(existing_ids))
        founders: dict[str, list[str]] = {}
        for group in components.groups():
            profile_ids = sorted(
                n[len(_PROFILE_NODE) :] for n in group if n.startswith(_PROFILE_NODE)
            )
            members = [n for n in group if not n.startswith(_PROFILE_NODE)]
            if not profile_ids:
                founders[min(members)] = members
                continue
            survivor = min(profile_ids, key=lambda p: (plan.previous[p].created_at, p))
            absorbed = [p for p in profile_ids if p != survivor]
            if absorbed:
                tx.move_identifiers(absorbed, survivor)
                tx.add_aliases(dict.fromkeys(absorbed, survivor))
                tx.delete_profiles(absorbed)
                plan.merges[survivor] = absorbed
                outcome.profiles_merged += len(absorbed)
            plan.owner.update(dict.fromkeys(members, survivor))
            plan.touched.add(survivor)
        for founder, fresh_id in self._fresh_profile_ids(tx, sorted(founders)).items():
            plan.owner.update(dict.fromkeys(founders[founder], fresh_id))
            plan.touched.add(fresh_id)
            plan.created.add(fresh_id)
            outcome.profiles_created += 1
        tx.assign_profile({k: p for k, p in plan.owner.items() if current.get(k) != p})
        plan.first_seen = {k: r.first_seen for k, r in identifiers.items()}
        plan.last_seen = {k: r.last_seen for k, r in identifiers.items()}
        return plan

    def _fresh_profile_ids(self, tx: GraphTransaction, founding_keys: list[str]) -> dict[str, str]:
        """A new ID per founding key; on the rare clash with a live ID or an alias (the
        same key founded a profile before that was later erased or split away) the next
        attempt of the keyed hash is taken."""
        chosen: dict[str, str] = {}
        attempt = 0
        pending = founding_keys
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
        self, tx: GraphTransaction, plan: _Plan, claims: list[tuple[Observation, int]]
    ) -> list[ConsentRow]:
        """A profile-level statement counts for every identifier of the profile now."""
        if not claims:
            return []
        owners = {plan.owner[obs.identifiers[0].key] for obs, _ in claims}
        members = _members(plan, owners)
        rows = []
        for obs, index in claims:
            for key in sorted(members[plan.owner[obs.identifiers[0].key]]):
                rows.append(_consent_row(obs, key, index))
        return rows

    def _rebuild(
        self, tx: GraphTransaction, plan: _Plan, facts: list[FactRow], consent: list[ConsentRow]
    ) -> None:
        """New documents for the touched profiles, from their previous documents plus this
        batch: identifiers and golden attributes are updated incrementally; consent is
        re-derived from the store only where statements arrived or profiles merged."""
        if not plan.touched:
            return
        members = _members(plan, plan.touched)
        batch_facts: dict[str, list[FactRow]] = {}
        for fact in facts:
            batch_facts.setdefault(plan.owner[fact.identifier_key], []).append(fact)
        consent_due = set(plan.merges) | {plan.owner[row.subject_key] for row in consent}
        consent_due &= plan.touched
        consent_rows: dict[str, list[ConsentRow]] = {pid: [] for pid in consent_due}
        if consent_due:
            owner = {k: pid for pid in consent_due for k in members[pid]}
            for row in tx.consent_of(list(owner)):
                consent_rows[owner[row.subject_key]].append(row)
        unknown_consent = consent_document([], self._settings.purposes)

        keys_by_owner: dict[str, list[str]] = {}
        for key, owner_id in plan.owner.items():
            keys_by_owner.setdefault(owner_id, []).append(key)
        now = utc_now()
        changes: list[ChangeRow] = []
        documents: list[ProfileRow] = []
        for pid in sorted(plan.touched):
            old = plan.previous.get(pid)
            absorbed = plan.merges.get(pid, [])
            earlier = [d for d in (old, *(plan.previous[a] for a in absorbed)) if d is not None]
            candidates = [c for d in earlier for c in document_candidates(d)]
            candidates.extend(fact_candidates(batch_facts.get(pid, [])))
            lineage: list[dict[str, Any]] = json.loads(old.lineage) if old else []
            if absorbed:
                lineage.append({"event": "merge", "absorbed": absorbed, "at": now})
                changes.append(
                    ChangeRow(0, "merge", pid, now, _dumps({"survivor": pid, "absorbed": absorbed}))
                )
            new_keys = keys_by_owner.get(pid, [])
            created = [d.created_at for d in earlier] + [plan.first_seen[k] for k in new_keys]
            updated = [d.updated_at for d in earlier] + [plan.last_seen[k] for k in new_keys]
            if pid in consent_due:
                consent_json = consent_document(consent_rows[pid], self._settings.purposes)
            else:
                consent_json = old.consent if old is not None else unknown_consent
            documents.append(
                build_document(
                    pid,
                    members[pid],
                    pick_golden(candidates),
                    consent_json,
                    created_at=min(created),
                    updated_at=max(updated),
                    lineage=lineage,
                )
            )
        tx.put_profiles(documents)
        if changes:
            tx.append_changes(changes)


@dataclass(slots=True)
class _Plan:
    """What one batch does to profiles: who owns each batch key afterwards, which
    profiles it touched, created and merged, and their documents before the batch."""

    previous: dict[str, ProfileRow]
    owner: dict[str, str] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    created: set[str] = field(default_factory=set)
    merges: dict[str, list[str]] = field(default_factory=dict)
    first_seen: dict[str, str] = field(default_factory=dict)
    last_seen: dict[str, str] = field(default_factory=dict)


def _members(plan: _Plan, profile_ids: set[str]) -> dict[str, set[str]]:
    """Identifier keys of each profile after the batch, from the documents before it."""
    members: dict[str, set[str]] = {pid: set() for pid in profile_ids}
    for pid in profile_ids:
        for source in (pid, *plan.merges.get(pid, [])):
            row = plan.previous.get(source)
            if row is not None:
                members[pid].update(json.loads(row.identifiers))
    for key, pid in plan.owner.items():
        if pid in members:
            members[pid].add(key)
    return members


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
