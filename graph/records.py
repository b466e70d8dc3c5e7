"""The rows a store keeps. Plain values only: times are ``YYYY-MM-DDTHH:MM:SSZ`` strings,
structured fields are JSON strings, so every store keeps them the same way.

Rows are named tuples, not dataclasses: an ingest builds and reads a great many of them,
and a tuple is built faster (and goes to SQLite as it is)."""

from __future__ import annotations

import json
from typing import NamedTuple


class IdentifierRow(NamedTuple):
    """An identifier sighting to upsert: first/last seen widen, count adds up."""

    key: str
    type: str
    value: str
    first_seen: str
    last_seen: str
    sightings: int = 1


class StoredIdentifier(NamedTuple):
    key: str
    type: str
    value: str
    profile_id: str | None
    first_seen: str
    last_seen: str
    sightings: int
    generic: str = ""
    """Why the identifier is generic (linked to too many others), or empty."""


class EdgeRow(NamedTuple):
    """An edge to upsert, keyed by (left, right, matcher, rule) with left < right.

    A repeat merges into the stored edge by ``graph.rules.merge_edge``: the larger weight,
    the new source and evidence, widened times, added sightings; the status (an
    ``EdgeStatus``) changes only from ``weak``.
    """

    left: str
    right: str
    matcher: str
    rule: str
    weight: float
    status: str
    source: str
    evidence: str
    first_seen: str
    last_seen: str
    sightings: int = 1
    reason: str = ""
    """Why a ``held`` edge does not join (the guard it would break), else empty."""

    @property
    def slot(self) -> tuple[str, str, str, str]:
        return (self.left, self.right, self.matcher, self.rule)


class EdgeStatusRow(NamedTuple):
    left: str
    right: str
    matcher: str
    rule: str
    status: str
    reason: str = ""


class FactRow(NamedTuple):
    """One attribute value seen with one identifier in one observation."""

    observation_id: str
    identifier_key: str
    name: str
    value: str
    source: str
    observed_at: str


class FactGroupRow(NamedTuple):
    """The attribute facts one observation gave one identifier, as one row: ``attributes``
    is a JSON object of name -> value (the ``FactRow``s of those names)."""

    identifier_key: str
    observation_id: str
    source: str
    observed_at: str
    attributes: str

    def facts(self) -> list[FactRow]:
        values: dict[str, str] = json.loads(self.attributes)
        return [
            FactRow(
                self.observation_id, self.identifier_key, name, value, self.source, self.observed_at
            )
            for name, value in values.items()
        ]


class ConsentRow(NamedTuple):
    statement_id: str
    subject_key: str
    purpose: str
    status: str
    at: str
    source: str
    proof: str
    via: str = ""
    """Empty for the subject's own statement; else the statement was made about the
    profile the subject was in, through ``via`` (see ``identity.consent``)."""


class ProfileRow(NamedTuple):
    """A golden profile as served: the document is denormalized so a lookup is one read."""

    id: str
    created_at: str
    updated_at: str
    identifiers: str
    attributes: str
    consent: str
    lineage: str


class ChangeRow(NamedTuple):
    position: int
    kind: str
    profile_id: str
    at: str
    detail: str


class AuditRow(NamedTuple):
    """Who did what, when, with counts: never personal data (identifiers appear only as
    keyed hashes)."""

    position: int
    at: str
    actor: str
    action: str
    detail: str


class PersonRecordRow(NamedTuple):
    """What one identifier said about a person, kept for fuzzy matching.

    ``id`` names the record (the matcher derives it from the identifier and the fields,
    so a repeat is one record); ``fields`` is a JSON object of the normalized fields the
    matcher compares. Blocks (filed by ``add_person_records``) list record IDs.
    """

    id: str
    identifier_key: str
    fields: str
