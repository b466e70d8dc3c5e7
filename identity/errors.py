"""The domain's errors. Adapters map them to HTTP answers and CLI report lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's verdict on one input item: the field, the value and the rule."""

    field: str
    value: object
    rule: str
    message: str

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.message} [{self.rule}]"


@dataclass(frozen=True, slots=True)
class Refusal(Finding):
    """Why one input item was refused."""


@dataclass(frozen=True, slots=True)
class Flag(Finding):
    """A warning: an item accepted and stored, with a trait worth a person's look (a
    look-alike identifier)."""


class IdgraphError(Exception):
    """Base of every error the domain raises on purpose."""


class InputRefused(IdgraphError, ValueError):
    """Input that breaks a rule. Carries one refusal per broken rule (at least one)."""

    def __init__(self, refusals: list[Refusal]) -> None:
        if not refusals:
            raise ValueError("InputRefused needs at least one refusal")
        self.refusals = refusals
        super().__init__("; ".join(str(r) for r in refusals))

    @property
    def first(self) -> Refusal:
        return self.refusals[0]


class IdentifierRefused(InputRefused):
    """An identifier that does not normalize or is blocked."""


class ObservationRejected(InputRefused):
    """An observation that cannot be ingested at all (nothing of it is stored)."""


class NotFound(IdgraphError, LookupError):
    """No profile answers the question."""


class ConfigurationError(IdgraphError, ValueError):
    """Configuration that cannot work; the message names the setting."""
