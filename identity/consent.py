"""Consent statements and the effective consent of a profile.

A statement is an identifier's **own** when it names the identifier: as its subject, or
as one of the identifiers of the observation that made it. A statement about a whole
profile also reaches the profile's other identifiers, **inherited** ``via`` the
identifier it was made through (or ``PROFILE_WIDE`` for a privacy officer's statement
about the profile).

Per identifier and purpose the counting statement is:

- its latest own statement when that is a denial: nothing inherited lifts an opt-out
  the identifier made itself;
- otherwise the later of its latest own and its latest inherited statement (on a tie in
  time, *denied* counts);
- an inherited grant (or *unknown*) counts only while the identifier shares a profile
  with the identifier it came through: when the link that carried it is undone, the
  grant stays behind. An inherited denial always counts (over-applying an opt-out is
  safe; under-applying a permission is the safe side too).

The profile's status per purpose is *denied* if any identifier's counting statement is
denied, else *granted* if any is granted, else *unknown*: a wrong merge can never turn
an opt-out into a permission, and neither can a split after it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from identity.errors import Refusal

PROFILE_WIDE = "*"
"""``via`` of a statement a privacy officer made about a whole profile: it reaches every
identifier the profile had then, and no split takes it away (it still never lifts an
identifier's own denial)."""


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    UNKNOWN = "unknown"


_TIE_RANK = {ConsentStatus.UNKNOWN: 0, ConsentStatus.GRANTED: 1, ConsentStatus.DENIED: 2}


@dataclass(frozen=True, slots=True)
class ConsentStatement:
    """One recorded statement about one identifier (``subject``, a ``type:value`` key)."""

    subject: str
    purpose: str
    status: ConsentStatus
    at: str
    source: str
    proof: str = "{}"
    via: str = ""
    """Empty for the subject's own statement; else what it was inherited through."""

    @property
    def sort_key(self) -> tuple[str, int, str]:
        return (self.at, _TIE_RANK[self.status], self.source)

    def to_dict(self) -> dict[str, Any]:
        document = {
            "subject": self.subject,
            "purpose": self.purpose,
            "status": self.status.value,
            "at": self.at,
            "source": self.source,
            "proof": json.loads(self.proof),
        }
        if self.via:
            document["via"] = self.via
        return document


@dataclass(frozen=True, slots=True)
class EffectiveConsent:
    purpose: str
    status: ConsentStatus
    statements: tuple[ConsentStatement, ...]
    """The counting statements that decided the status (empty when unknown)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "statements": [s.to_dict() for s in self.statements],
        }


def counting_statements(
    statements: Iterable[ConsentStatement], members: Collection[str] | None = None
) -> dict[tuple[str, str], ConsentStatement]:
    """The counting statement per (subject, purpose), by the rules of the module
    docstring; ``members`` are the identifiers of the subjects' profile (None: an
    inherited statement is taken to have come through a member)."""
    own: dict[tuple[str, str], ConsentStatement] = {}
    inherited: dict[tuple[str, str], ConsentStatement] = {}
    for statement in statements:
        if statement.via:
            if (
                members is not None
                and statement.status is not ConsentStatus.DENIED
                and statement.via != PROFILE_WIDE
                and statement.via not in members
            ):
                continue
            latest = inherited
        else:
            latest = own
        slot = (statement.subject, statement.purpose)
        current = latest.get(slot)
        if current is None or statement.sort_key > current.sort_key:
            latest[slot] = statement
    if not inherited:
        return own
    counting = dict(inherited)
    for slot, statement in own.items():
        other = counting.get(slot)
        if (
            other is None
            or statement.status is ConsentStatus.DENIED
            or statement.sort_key > other.sort_key
        ):
            counting[slot] = statement
    return counting


def effective_consent(
    statements: Iterable[ConsentStatement],
    purposes: Sequence[str],
    members: Collection[str] | None = None,
) -> dict[str, EffectiveConsent]:
    by_purpose: dict[str, list[ConsentStatement]] = {p: [] for p in purposes}
    for statement in counting_statements(statements, members).values():
        by_purpose.setdefault(statement.purpose, []).append(statement)
    result: dict[str, EffectiveConsent] = {}
    for purpose, counting in sorted(by_purpose.items()):
        if not counting:  # most purposes of most profiles: nothing to sort
            result[purpose] = _unknown(purpose)
            continue
        for status in (ConsentStatus.DENIED, ConsentStatus.GRANTED):
            deciding = tuple(
                sorted((s for s in counting if s.status is status), key=lambda s: (s.subject, s.at))
            )
            if deciding:
                result[purpose] = EffectiveConsent(purpose, status, deciding)
                break
        else:
            result[purpose] = _unknown(purpose)
    return result


@functools.lru_cache(maxsize=256)
def _unknown(purpose: str) -> EffectiveConsent:
    """No statement counts for the purpose (immutable, so one object per purpose)."""
    return EffectiveConsent(purpose, ConsentStatus.UNKNOWN, ())


def dated_too_late(field: str, value: object) -> Refusal:
    """The refusal of a statement dated beyond ``input_rules.lies_ahead``."""
    return Refusal(
        field,
        value,
        "consent.at.not_future",
        "a consent statement may not be dated more than a day after it is received",
    )
