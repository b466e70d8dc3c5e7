"""What privacy officers do: erase a person or an identifier so it never comes back,
export everything held about a profile, and read the audit log.

Erasure removes the identifiers with their edges, attribute facts and consent
statements, re-resolves what is left of the affected profiles (which may split), keeps a
keyed-hash tombstone per erased identifier so later loads report it as suppressed instead
of storing it again, and writes a receipt to the audit log. The audit log never holds
personal data: counts, profile IDs and the request ID only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from graph.records import AuditRow, ChangeRow
from graph.store import GraphStore, GraphTransaction
from identity.errors import NotFound
from identity.profile import Profile
from identity.resolver import Resolver
from identity.stewardship import edge_to_dict
from identity.timeutil import utc_now


@dataclass(frozen=True, slots=True)
class DeletionReceipt:
    request_id: str
    at: str
    actor: str
    profiles: list[str]
    identifiers: int
    edges: int
    attributes: int
    consent_statements: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Privacy:
    def __init__(self, store: GraphStore, resolver: Resolver) -> None:
        self._store = store
        self._resolver = resolver

    def erase_identifiers(self, keys: Collection[str], actor: str) -> DeletionReceipt:
        """Erase identifiers (unknown keys are ignored; at least one must be known)."""
        return self._store.write(lambda tx: self._erase(tx, set(keys), actor))

    def erase_profile(self, profile_id: str, actor: str) -> DeletionReceipt:
        """Erase a person: every identifier of the profile (an alias names its survivor)."""

        def work(tx: GraphTransaction) -> DeletionReceipt:
            target = tx.resolve_aliases((profile_id,)).get(profile_id, profile_id)
            row = tx.get_profiles((target,)).get(target)
            if row is None:
                raise NotFound(f"no profile has the ID {profile_id!r}")
            return self._erase(tx, set(json.loads(row.identifiers)), actor)

        return self._store.write(work)

    def _erase(self, tx: GraphTransaction, keys: set[str], actor: str) -> DeletionReceipt:
        found = tx.get_identifiers(keys)
        if not found:
            raise NotFound("none of the identifiers is stored")
        erased = set(found)
        owners = {i.profile_id for i in found.values() if i.profile_id is not None}
        documents = tx.get_profiles(owners)
        neighbours = {end for edge in tx.edges_of(erased) for end in (edge.left, edge.right)}
        survivors = {
            k for row in documents.values() for k in json.loads(row.identifiers)
        } | neighbours
        survivors -= erased
        counts = tx.erase_identifiers(erased)
        tx.add_tombstones({self._resolver.identifier_hash(k) for k in erased})
        emptied = {
            pid for pid, row in documents.items() if not set(json.loads(row.identifiers)) - erased
        }
        if emptied:
            tx.delete_profiles(emptied)
        if survivors:
            self._resolver.reresolve(tx, survivors, rebuild_all=True)
        now = utc_now()
        receipt = DeletionReceipt(
            request_id=str(uuid.uuid4()),
            at=now,
            actor=actor,
            profiles=sorted(owners),
            identifiers=counts["identifiers"],
            edges=counts["edges"],
            attributes=counts["facts"],
            consent_statements=counts["consent"],
        )
        detail = {k: v for k, v in receipt.to_dict().items() if k not in ("at", "actor")}
        tx.append_changes(
            [
                ChangeRow(
                    0,
                    "erase",
                    pid,
                    now,
                    json.dumps(
                        {"request_id": receipt.request_id, "profile_erased": pid in emptied}
                    ),
                )
                for pid in sorted(owners)
            ]
        )
        tx.append_audit([AuditRow(0, now, actor, "erase", json.dumps(detail, sort_keys=True))])
        return receipt

    def export_profile(self, profile_id: str) -> dict[str, Any]:
        """Everything held about a profile: the golden document, each identifier with its
        sightings, every edge touching them, every attribute fact and consent statement."""

        def work(tx: GraphTransaction) -> dict[str, Any]:
            target = tx.resolve_aliases((profile_id,)).get(profile_id, profile_id)
            row = tx.get_profiles((target,)).get(target)
            if row is None:
                raise NotFound(f"no profile has the ID {profile_id!r}")
            keys = json.loads(row.identifiers)
            identifiers = tx.get_identifiers(keys)
            return {
                "profile": Profile(row).to_dict(),
                "identifiers": [
                    {
                        "key": k,
                        "type": i.type,
                        "value": i.value,
                        "first_seen": i.first_seen,
                        "last_seen": i.last_seen,
                        "count": i.count,
                        "generic": i.generic,
                    }
                    for k, i in sorted(identifiers.items())
                ],
                "edges": [edge_to_dict(e) for e in tx.edges_of(keys)],
                "attributes": sorted(
                    (
                        {
                            "identifier": f.identifier_key,
                            "name": f.name,
                            "value": f.value,
                            "source": f.source,
                            "observed_at": f.observed_at,
                            "observation": f.observation_id,
                        }
                        for f in tx.facts_of(keys)
                    ),
                    key=lambda f: (f["observed_at"], f["identifier"], f["name"]),
                ),
                "consent": sorted(
                    (
                        {
                            "subject": c.subject_key,
                            "purpose": c.purpose,
                            "status": c.status,
                            "at": c.at,
                            "source": c.source,
                            "proof": json.loads(c.proof),
                        }
                        for c in tx.consent_of(keys)
                    ),
                    key=lambda c: (c["at"], c["subject"], c["purpose"]),
                ),
            }

        return self._store.read(work)

    def audit(self, after: int = 0, limit: int = 100) -> list[AuditRow]:
        return self._store.read(lambda tx: tx.audit_after(after, limit))
