"""What privacy officers do: erase a person or an identifier so it never comes back,
export everything held about a profile, and read the audit log.

Erasure removes the identifiers with their edges, attribute facts and consent
statements, re-resolves what is left of the affected profiles (which may split), keeps a
keyed-hash tombstone per erased identifier so later loads report it as suppressed instead
of storing it again, and writes a receipt to the audit log. An ingest by an API key that
sent erased identifiers again is noted there too (``suppression_audit``). The audit log
never holds personal data: counts, profile IDs and the request ID only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from graph.records import AuditRow, ChangeRow, ConsentRow
from graph.store import GraphStore, GraphTransaction
from identity.consent import (
    PROFILE_WIDE,
    ConsentStatus,
    counting_statements,
    dated_too_late,
)
from identity.errors import InputRefused, NotFound, Refusal
from identity.input_rules import lies_ahead
from identity.profile import Profile, statements_from_rows
from identity.resolver import Resolver
from identity.staging import BatchOutcome, Growth
from identity.stewardship import edge_to_dict
from identity.timeutil import format_timestamp, parse_timestamp, utc_now


@dataclass(frozen=True, slots=True)
class ConsentInput:
    """A consent statement to record: about ``subject`` (an identifier key) or, when that
    is None, about every identifier of ``profile_id``."""

    purpose: str
    status: str
    at: str
    source: str
    subject: str | None = None
    profile_id: str = ""
    proof: str = "{}"


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
    def __init__(self, store: GraphStore, resolver: Resolver, purposes: Sequence[str]) -> None:
        self._store = store
        self._resolver = resolver
        self._purposes = tuple(purposes)

    def erase_identifiers(self, keys: Collection[str], actor: str) -> DeletionReceipt:
        """Erase identifiers (unknown keys are ignored; at least one must be known)."""
        receipt = self._store.write(lambda tx: self._erase(tx, set(keys), actor))
        self._store.scrub()
        return receipt

    def erase_profile(self, profile_id: str, actor: str) -> DeletionReceipt:
        """Erase a person: every identifier of the profile (an alias names its survivor)."""

        def work(tx: GraphTransaction) -> DeletionReceipt:
            target = tx.resolve_aliases((profile_id,)).get(profile_id, profile_id)
            row = tx.get_profiles((target,)).get(target)
            if row is None:
                raise NotFound(f"no profile has the ID {profile_id!r}")
            return self._erase(tx, set(json.loads(row.identifiers)), actor)

        receipt = self._store.write(work)
        self._store.scrub()
        return receipt

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
        # Each identifier of an observation holds its attributes: the copies on identifiers
        # that are not erased (a cookie seen with the person's email) go too.
        erased_observations = {f.observation_id for f in tx.facts_of(erased)}
        copies = {
            (f.identifier_key, f.observation_id)
            for f in tx.facts_of(neighbours - erased)
            if f.observation_id in erased_observations
        }
        copied_facts = tx.delete_facts(copies)
        counts = tx.erase_identifiers(erased)
        tx.add_tombstones({self._resolver.identifier_hash(k) for k in erased})
        emptied = {
            pid for pid, row in documents.items() if not set(json.loads(row.identifiers)) - erased
        }
        if emptied:
            tx.delete_profiles(emptied)
            tx.delete_aliases_to(emptied)
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
            attributes=counts["facts"] + copied_facts,
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
                        "count": i.sightings,
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

    def record_consent(self, statements: Sequence[ConsentInput], actor: str) -> list[str]:
        """Record consent statements about stored identifiers (or, with ``subject`` None
        and ``profile_id`` set, about every identifier of a profile now). The profiles'
        effective consent is re-derived in the same transaction. Returns the profile IDs
        whose consent was re-derived."""

        refusals = [
            refusal
            for index, item in enumerate(statements)
            for refusal in self._consent_refusals(index, item)
        ]
        if refusals:
            raise InputRefused(refusals)

        def work(tx: GraphTransaction) -> list[str]:
            rows: list[ConsentRow] = []
            for index, item in enumerate(statements):
                via = ""
                if item.subject is not None:
                    subjects = [item.subject]
                    if not tx.get_identifiers(subjects):
                        raise NotFound(f"statement {index}: no stored identifier {item.subject}")
                else:
                    target = tx.resolve_aliases((item.profile_id,)).get(
                        item.profile_id, item.profile_id
                    )
                    row = tx.get_profiles((target,)).get(target)
                    if row is None:
                        raise NotFound(f"statement {index}: no profile {item.profile_id!r}")
                    subjects = json.loads(row.identifiers)
                    via = PROFILE_WIDE
                for subject in subjects:
                    fields = [subject, item.purpose, item.status, item.at, item.source, item.proof]
                    statement_id = hashlib.blake2b(
                        json.dumps([*fields, via] if via else fields).encode(), digest_size=16
                    ).hexdigest()
                    rows.append(
                        ConsentRow(
                            statement_id,
                            subject,
                            item.purpose,
                            item.status,
                            item.at,
                            item.source,
                            item.proof,
                            via,
                        )
                    )
            outcome = self._resolver.reresolve(
                tx, {r.subject_key for r in rows}, growth=Growth(consent=rows)
            )
            now = utc_now()
            tx.append_audit(
                [
                    AuditRow(
                        0,
                        now,
                        actor,
                        "record_consent",
                        json.dumps(
                            {"statements": len(rows), "profiles": len(outcome.touched_profiles)}
                        ),
                    )
                ]
            )
            return outcome.touched_profiles

        return self._store.write(work)

    def _consent_refusals(self, index: int, item: ConsentInput) -> list[Refusal]:
        where = f"statements[{index}]"
        refusals = []
        if item.purpose not in self._purposes:
            refusals.append(
                Refusal(
                    f"{where}.purpose",
                    item.purpose,
                    "consent.purpose",
                    f"known purposes: {', '.join(self._purposes)}",
                )
            )
        if item.status not in {s.value for s in ConsentStatus}:
            refusals.append(
                Refusal(
                    f"{where}.status",
                    item.status,
                    "consent.status",
                    "must be granted, denied or unknown",
                )
            )
        try:
            if lies_ahead(format_timestamp(parse_timestamp(item.at))):
                refusals.append(dated_too_late(f"{where}.at", item.at))
        except ValueError:
            refusals.append(Refusal(f"{where}.at", item.at, "consent.at", "not ISO 8601"))
        if item.subject is None and not item.profile_id:
            refusals.append(
                Refusal(
                    f"{where}.subject", None, "consent.subject", "name an identifier or a profile"
                )
            )
        return refusals

    def consent_of_identifier(self, key: str) -> dict[str, Any]:
        """May I use this address? The identifier's counting statement per purpose (its
        own, or one its profile passed on to it: ``identity.consent``; channel purposes
        are answered per address) beside its profile's effective consent."""

        def work(tx: GraphTransaction) -> dict[str, Any]:
            found = tx.profiles_by_identifier((key,))
            if key not in found:
                raise NotFound(f"no profile holds {key}")
            profile = Profile(found[key])
            counting = counting_statements(
                statements_from_rows(tx.consent_of((key,))), profile.identifiers
            )
            return {
                "identifier": key,
                "profile_id": profile.id,
                "identifier_consent": {
                    purpose: {"status": s.status.value, "statement": s.to_dict()}
                    for (_, purpose), s in sorted(counting.items())
                },
                "profile_consent": profile.to_dict()["consent"],
            }

        return self._store.read(work)

    def audit(self, after: int = 0, limit: int = 100) -> list[AuditRow]:
        return self._store.read(lambda tx: tx.audit_after(after, limit))


def suppression_audit(actor: str, outcome: BatchOutcome) -> AuditRow:
    """The audit entry of an ingest that suppressed erased identifiers: who sent them and
    how many, never which."""
    detail = {
        "identifiers_suppressed": outcome.suppressed_identifiers,
        "observations_suppressed": outcome.suppressed_observations,
    }
    return AuditRow(0, utc_now(), actor, "ingest_suppressed", json.dumps(detail, sort_keys=True))
