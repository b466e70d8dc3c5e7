"""The HTTP API's request and response models (the OpenAPI schema is generated from
these) and the error answers each kind of route declares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 1000
"""Most identifiers in one batch lookup, observations in one JSON ingest, statements in
one consent request; beyond it the answer is 413."""


class ProvenanceOut(BaseModel):
    source: str
    observed_at: str


class ConsentStatementOut(BaseModel):
    subject: str
    purpose: str
    status: str
    at: str
    source: str
    proof: dict[str, Any] = Field(default_factory=dict)


class EffectiveConsentOut(BaseModel):
    status: str = Field(description="granted, denied or unknown")
    statements: list[ConsentStatementOut] = Field(
        description="the counting statements that decided the status"
    )


class ProfileOut(BaseModel):
    id: str
    identifiers: list[str] = Field(description="type:value keys, sorted")
    attributes: dict[str, str] = Field(description="golden attributes")
    provenance: dict[str, ProvenanceOut] = Field(description="source and time of each value")
    consent: dict[str, EffectiveConsentOut] = Field(description="effective consent per purpose")
    created_at: str
    updated_at: str
    lineage: list[dict[str, Any]] = Field(default_factory=list)


class RefusalOut(BaseModel):
    field: str
    value: Any = None
    rule: str
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable: not_found, input_refused, ...")
    message: str
    refusals: list[RefusalOut] = Field(default_factory=list)


class ErrorOut(BaseModel):
    error: ErrorDetail


class HealthOut(BaseModel):
    status: str
    store: str


# --- lookup -----------------------------------------------------------------------------


class IdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="identifier type, e.g. email", examples=["email"])
    value: str = Field(description="raw value; normalized before use", examples=["Ann@Example.com"])


class BatchLookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifiers: list[IdentifierIn] = Field(
        description=f"up to {MAX_BATCH:,} identifiers; more is refused with 413"
    )
    region: str | None = Field(
        None,
        pattern="^[A-Z]{2}$",
        description="country of local phone numbers (ISO 3166 alpha-2, e.g. KR);"
        " default: the server's default region",
    )


class BatchAnswerOut(BaseModel):
    index: int = Field(description="position in the request")
    key: str | None = Field(description="the normalized type:value, null when refused")
    profile: ProfileOut | None = Field(description="null when no profile holds it")
    refusals: list[RefusalOut] = Field(description="why the value does not normalize")


class BatchLookupOut(BaseModel):
    found: int
    results: list[BatchAnswerOut]


class IdentifierConsentOut(BaseModel):
    status: str
    statement: ConsentStatementOut


class ConsentAnswerOut(BaseModel):
    identifier: str = Field(description="the normalized key asked about")
    profile_id: str
    identifier_consent: dict[str, IdentifierConsentOut] = Field(
        description="this address's own latest statement per purpose"
    )
    profile_consent: dict[str, EffectiveConsentOut] = Field(
        description="the profile's effective consent per purpose, with its statements"
    )


class ChangeOut(BaseModel):
    position: int
    kind: str = Field(description="merge, split, manual_merge, manual_split, approve, ...")
    profile_id: str
    at: str
    detail: dict[str, Any]


class ChangesOut(BaseModel):
    changes: list[ChangeOut]
    next_after: int = Field(description="pass as `after` to read on")


# --- ingest -----------------------------------------------------------------------------


class RejectionOut(BaseModel):
    index: int = Field(
        description="position in the JSON array (from 0), or line number in NDJSON (from 1)"
    )
    reason: str
    refusals: list[RefusalOut]


class IngestWarningOut(RefusalOut):
    index: int = Field(description="the accepted item's position, as in rejections")


class IngestOut(BaseModel):
    """The counts after ``rejections`` are given only to a key whose role may also look
    identifiers up (admin): with them a loader could tell a known, an unknown and an
    erased identifier apart. Suppressions are noted in the audit log either way."""

    accepted: int
    rejected: int
    rejections: list[RejectionOut]
    warnings: list[IngestWarningOut] = Field(
        description="accepted and stored, but worth a look: look-alike identifiers"
        " (identifier.mixed_script, identifier.confusable, ...)"
    )
    profiles_created: int | None = None
    profiles_merged: int | None = None
    identifiers_suppressed: int | None = Field(
        None, description="identifiers erased before, not stored again (tombstoned)"
    )
    observations_suppressed: int | None = Field(
        None, description="observations with nothing left to store"
    )


# --- stewardship ------------------------------------------------------------------------


class EdgeSlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    left: str = Field(description="identifier key, as in the review queue")
    right: str
    matcher: str
    rule: str


class EdgeOut(BaseModel):
    left: str
    right: str
    matcher: str
    rule: str
    weight: float
    status: str
    reason: str
    source: str
    evidence: dict[str, Any] | list[Any]
    first_seen: str
    last_seen: str
    count: int


class ReviewEdgeOut(EdgeOut):
    left_profile: str | None = Field(description="the profile holding ``left`` now")
    right_profile: str | None = Field(description="the profile holding ``right`` now")


class ReviewPageOut(BaseModel):
    edges: list[ReviewEdgeOut]
    total: int = Field(description="edges with the status, before the filters")
    next_after: str | None = Field(description="cursor for the next page, null at the end")


class SearchPageOut(BaseModel):
    profiles: list[ProfileOut]
    next_after: str | None = Field(description="cursor for the next page, null at the end")


class StewardOutcomeOut(BaseModel):
    action: str
    profiles: list[str] = Field(description="the profiles the action left")
    merged: int
    split: int
    position: int = Field(description="the action's position on the change feed")


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: str = Field(description="profile ID")
    second: str = Field(description="profile ID")


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifiers: list[str] = Field(
        description="type:value of the identifiers to move out (raw values are normalized)"
    )


class ExplainOut(BaseModel):
    left: str
    right: str
    path: list[EdgeOut] = Field(description="the edges joining them, strongest path")


class NodeOut(BaseModel):
    key: str
    type: str
    generic: str
    first_seen: str
    last_seen: str
    count: int


class ProfileGraphOut(BaseModel):
    profile_id: str
    nodes: list[NodeOut]
    edges: list[EdgeOut]


# --- privacy ----------------------------------------------------------------------------


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(examples=["email"])
    status: str = Field(description="granted, denied or unknown", examples=["denied"])
    source: str = Field(description="where the statement was captured", examples=["web-form"])
    at: str | None = Field(default=None, description="ISO time; default now")
    subject: IdentifierIn | None = Field(
        default=None, description="the identifier it is about; omit to name a profile"
    )
    profile_id: str | None = Field(
        default=None, description="the profile it is about (every identifier of it)"
    )
    proof: dict[str, Any] = Field(
        default_factory=dict, description="how it was captured: form, document version, basis"
    )


class ConsentRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statements: list[ConsentIn] = Field(description=f"up to {MAX_BATCH:,} statements")


class ConsentRecordedOut(BaseModel):
    recorded: int
    profiles: list[str] = Field(description="profiles whose effective consent was re-derived")


class EraseIdentifiersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifiers: list[IdentifierIn] = Field(description=f"up to {MAX_BATCH:,} identifiers")


class DeletionReceiptOut(BaseModel):
    request_id: str
    at: str
    actor: str
    profiles: list[str]
    identifiers: int
    edges: int
    attributes: int
    consent_statements: int


class ExportedIdentifierOut(BaseModel):
    key: str
    type: str
    value: str
    first_seen: str
    last_seen: str
    count: int
    generic: str


class ExportedFactOut(BaseModel):
    identifier: str
    name: str
    value: str
    source: str
    observed_at: str
    observation: str


class ExportOut(BaseModel):
    profile: ProfileOut
    identifiers: list[ExportedIdentifierOut]
    edges: list[EdgeOut]
    attributes: list[ExportedFactOut]
    consent: list[ConsentStatementOut]


class AuditEntryOut(BaseModel):
    position: int
    at: str
    actor: str = Field(description="role and key digest prefix, or the CLI's actor")
    action: str
    detail: dict[str, Any] = Field(description="counts and IDs, never personal data")


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_after: int


# --- admin ------------------------------------------------------------------------------


class KeyCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["reader", "loader", "steward", "privacy", "admin"]
    label: str = Field(default="", max_length=200, description="who holds it")


class KeyOut(BaseModel):
    digest: str = Field(description="SHA-256 of the key: the key itself is never stored")
    role: str
    label: str
    created_at: str
    revoked_at: str


class KeyCreatedOut(KeyOut):
    key: str = Field(description="the key: shown this once")


class KeysOut(BaseModel):
    keys: list[KeyOut]


class StatsOut(BaseModel):
    counts: dict[str, int]


# --- error answers ------------------------------------------------------------------------


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


KEYED_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("missing, unknown or revoked API key"),
    403: _error("the key's role may not use this route"),
    413: _error("the request body or batch is too large"),
    422: _error("input refused: field, value and rule"),
    429: _error("the key's rate limit is reached; retry after Retry-After seconds"),
    500: _error("an internal error (the body names no detail)"),
    503: _error("the store is unavailable"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _error("no such profile, identifier or edge")}
PUBLIC_ERRORS: dict[int | str, dict[str, Any]] = {
    500: KEYED_ERRORS[500],
    503: KEYED_ERRORS[503],
}
