"""The HTTP API's response models (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
    code: str
    message: str
    refusals: list[RefusalOut] = Field(default_factory=list)


class ErrorOut(BaseModel):
    error: ErrorDetail


class HealthOut(BaseModel):
    status: str
    store: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such profile"},
    422: {"model": ErrorOut, "description": "input refused: field, value and rule"},
    503: {"model": ErrorOut, "description": "the store is unavailable"},
}
