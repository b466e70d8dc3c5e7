"""The record every matcher returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Evidence that two identifiers belong to one person.

    ``left < right`` always, so one pair has one spelling. ``weight`` is in [0, 1];
    ``rule`` names the rule of ``matcher`` that fired; ``evidence`` says what was compared
    and how it scored, for a steward to read.
    """

    left: str
    right: str
    weight: float
    matcher: str
    rule: str
    evidence: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.left < self.right:
            raise ValueError(f"pair must be ordered and distinct: {self.left!r}, {self.right!r}")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"weight must be in [0, 1], got {self.weight}")
