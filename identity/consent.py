"""Consent statements and the effective consent of a profile.

Per identifier and purpose the latest statement counts (on a tie in time, *denied*
counts). The profile's status per purpose is *denied* if any identifier's counting
statement is denied, else *granted* if any is granted, else *unknown*: a wrong merge can
never turn an opt-out into a permission.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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

    @property
    def sort_key(self) -> tuple[str, int, str]:
        return (self.at, _TIE_RANK[self.status], self.source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "purpose": self.purpose,
            "status": self.status.value,
            "at": self.at,
            "source": self.source,
            "proof": json.loads(self.proof),
        }


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
    statements: Iterable[ConsentStatement],
) -> dict[tuple[str, str], ConsentStatement]:
    """The latest statement per (subject, purpose)."""
    latest: dict[tuple[str, str], ConsentStatement] = {}
    for statement in statements:
        slot = (statement.subject, statement.purpose)
        current = latest.get(slot)
        if current is None or statement.sort_key > current.sort_key:
            latest[slot] = statement
    return latest


def effective_consent(
    statements: Iterable[ConsentStatement], purposes: Sequence[str]
) -> dict[str, EffectiveConsent]:
    by_purpose: dict[str, list[ConsentStatement]] = {p: [] for p in purposes}
    for statement in counting_statements(statements).values():
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
