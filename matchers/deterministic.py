"""Deterministic matching: identifiers seen together in one observation.

Every pair of identifiers in an observation gets an edge. A login (authenticated
observation) is strong evidence and weighs ``authenticated_weight`` (at or above the merge
threshold); plain co-occurrence (a cookie and a device in one web log line) weighs what
the source is configured to be worth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from matchers.pairs import ScoredPair

MATCHER_NAME = "co_occurrence"
RULE_AUTHENTICATED = "authenticated"
RULE_UNAUTHENTICATED = "unauthenticated"


@dataclass(frozen=True, slots=True)
class CoOccurrenceMatcher:
    authenticated_weight: float
    unauthenticated_weight: float
    unauthenticated_weight_by_source: Mapping[str, float] = field(default_factory=dict)

    def pairs(self, keys: Sequence[str], source: str, authenticated: bool) -> list[ScoredPair]:
        """One pair per two distinct keys; ``keys`` need not be sorted or distinct."""
        if authenticated:
            weight, rule = self.authenticated_weight, RULE_AUTHENTICATED
        else:
            weight = self.unauthenticated_weight_by_source.get(source, self.unauthenticated_weight)
            rule = RULE_UNAUTHENTICATED
        evidence = {"source": source, "authenticated": authenticated}
        return [
            ScoredPair(left, right, weight, MATCHER_NAME, rule, evidence)
            for left, right in combinations(sorted(set(keys)), 2)
        ]
