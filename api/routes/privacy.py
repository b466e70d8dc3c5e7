"""What privacy officers use: record consent, export a profile (an access request), erase
a profile or identifiers (the answer is the deletion receipt), read the audit log. Role
``privacy``; every action is audited under the key's name."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Query

from api.auth import Caller, Service, keyed_router
from api.errors import ApiError
from api.models import (
    MAX_BATCH,
    NOT_FOUND,
    AuditOut,
    ConsentIn,
    ConsentRecordedOut,
    ConsentRecordIn,
    DeletionReceiptOut,
    EraseIdentifiersIn,
    ExportOut,
)
from identity.errors import InputRefused, Refusal
from identity.input_rules import data_time, proof_json, source_name
from identity.privacy import ConsentInput
from identity.service import IdentityService
from identity.timeutil import utc_now

router = keyed_router("privacy")


@router.post(
    "/consent",
    response_model=ConsentRecordedOut,
    responses=NOT_FOUND,
    summary="Record consent statements about identifiers or whole profiles",
)
def record_consent(service: Service, caller: Caller, body: ConsentRecordIn) -> dict[str, Any]:
    _at_most(len(body.statements), "statements")
    statements = _consent_inputs(service, body.statements)
    profiles = service.privacy.record_consent(statements, caller.actor)
    return {"recorded": len(statements), "profiles": profiles}


@router.get(
    "/profiles/{profile_id}/export",
    response_model=ExportOut,
    responses=NOT_FOUND,
    summary="Everything held about a profile (an access request)",
)
def export(service: Service, profile_id: str) -> dict[str, Any]:
    return service.privacy.export_profile(profile_id)


@router.delete(
    "/profiles/{profile_id}",
    response_model=DeletionReceiptOut,
    responses=NOT_FOUND,
    summary="Erase a person: every identifier of the profile, for good",
)
def erase_profile(service: Service, caller: Caller, profile_id: str) -> dict[str, Any]:
    return service.privacy.erase_profile(profile_id, caller.actor).to_dict()


@router.post(
    "/identifiers/erase",
    response_model=DeletionReceiptOut,
    responses=NOT_FOUND,
    summary="Erase identifiers for good; what is left of their profiles is re-resolved",
)
def erase_identifiers(service: Service, caller: Caller, body: EraseIdentifiersIn) -> dict[str, Any]:
    _at_most(len(body.identifiers), "identifiers")
    keys = [
        service.normalize(i.type, i.value, f"identifiers[{index}]").key
        for index, i in enumerate(body.identifiers)
    ]
    return service.privacy.erase_identifiers(keys, caller.actor).to_dict()


@router.get("/audit", response_model=AuditOut, summary="Privacy and steward actions, oldest first")
def audit(
    service: Service,
    after: Annotated[int, Query(ge=0, le=2**62, description="last position already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100,
) -> dict[str, Any]:
    rows = service.privacy.audit(after, limit)
    return {
        "entries": [
            {
                "position": r.position,
                "at": r.at,
                "actor": r.actor,
                "action": r.action,
                "detail": json.loads(r.detail) if r.detail else {},
            }
            for r in rows
        ],
        "next_after": rows[-1].position if rows else after,
    }


def _at_most(count: int, what: str) -> None:
    if count > MAX_BATCH:
        raise ApiError(413, "batch_too_large", f"{count:,} {what}; at most {MAX_BATCH:,}")


def _consent_inputs(service: IdentityService, items: list[ConsentIn]) -> list[ConsentInput]:
    refusals: list[Refusal] = []
    statements: list[ConsentInput] = []
    max_proof = service.settings.max_proof_bytes
    for index, item in enumerate(items):
        where = f"statements[{index}]"
        subject: str | None = None
        try:
            if item.subject is not None:
                subject = service.normalize(
                    item.subject.type, item.subject.value, f"{where}.subject"
                ).key
        except InputRefused as e:
            refusals.extend(e.refusals)
            continue
        at = (
            utc_now()
            if item.at is None
            else data_time(item.at, f"{where}.at", "consent.at", "consent.at_range")
        )
        source = source_name(item.source, f"{where}.source", "consent.source")
        proof = proof_json(item.proof, f"{where}.proof", max_proof)
        if isinstance(at, Refusal) or isinstance(source, Refusal) or isinstance(proof, Refusal):
            refusals.extend(v for v in (at, source, proof) if isinstance(v, Refusal))
            continue
        statements.append(
            ConsentInput(
                purpose=item.purpose,
                status=item.status,
                at=at,
                source=source,
                subject=subject,
                profile_id=item.profile_id or "",
                proof=proof,
            )
        )
    if refusals:
        raise InputRefused(refusals)
    return statements
