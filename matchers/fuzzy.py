"""Fuzzy matching: person records that share no identifier, joined by their attributes.

``FuzzyMatcher`` ties the parts together: blocking keys say which records to compare
(``blocking``), comparisons give each field a level (``comparisons``), and a
Fellegi-Sunter model turns the levels into a match probability (``fellegi_sunter``). A
pair scoring at or above ``review_threshold`` becomes a ``ScoredPair`` whose weight is
that probability and whose evidence lists every field compared, both normalized values,
the level and its contribution in bits, and the total.

Thresholds (on the match probability):

``merge_threshold = 0.99``
    A pair joins profiles when the model puts the odds of a wrong join at 1 in 100 or
    less. Over-merging is the worst failure of an identity graph (one wrong join puts two
    people's consent and history together), so joining wants near-certainty; in bits this
    is about +6.6 after the prior, which with the default prior of 1e-5 needs roughly 23
    bits of evidence: an exact name with an exact birth date, or a misspelt surname with
    a birth date and a shared address, but never a name and a city alone.
``review_threshold = 0.5``
    Below it the pair is more likely two people than one, and a steward's queue filled
    with such pairs would hide the ones that matter; from even odds upwards the evidence
    is worth a human look (nothing is stored below it).

Incremental matching with a store (``match``): the store keeps the blocking index
``blocking key -> record keys``, each key filed while it is not known too common (see
``blocking``); for a batch of new records the resolver passes, per blocking key of the
batch, the records already filed under it. ``plan`` says which pairs to compare, which
keys are too common, which new records to file under which key, and which keys the batch
made too common (their earlier pairs are taken back by the caller).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from matchers.attributes import PersonRecord
from matchers.blocking import (
    DEFAULT_MAX_BLOCK_SIZE,
    BlockIndex,
    BlockingRule,
    blocking_keys,
    default_rules,
    usable,
)
from matchers.comparisons import Comparison, Outcome, default_comparisons
from matchers.fellegi_sunter import (
    FellegiSunterModel,
    MatchScore,
    default_model,
    probability_to_bits,
)
from matchers.pairs import ScoredPair

MATCHER_NAME = "fuzzy"
RULE_NAME = "fellegi_sunter"
DEFAULT_MERGE_THRESHOLD = 0.99
DEFAULT_REVIEW_THRESHOLD = 0.5

_ROUNDING = 1e-9
"""Bits of slack when pruning: sums in another order may differ in the last places."""

MERGE = "merge"
REVIEW = "review"

Pair = tuple[PersonRecord, PersonRecord]


@dataclass(frozen=True, slots=True)
class BlockingPlan:
    pairs: list[Pair]
    """Each pair once: a new record with a stored one or with an earlier new one."""
    too_common: frozenset[str]
    """Blocking keys held by more than ``max_block_size`` records: compared through by
    nobody."""
    additions: dict[str, list[PersonRecord]]
    """Blocking key -> the new records to append to it, in order."""
    overflowed: frozenset[str] = frozenset()
    """Keys that were compared through (two records or more, not too common) and that the
    new records make too common: the pairs compared through them before no longer count."""


@dataclass(frozen=True, slots=True)
class FuzzyMatcher:
    model: FellegiSunterModel = field(default_factory=default_model)
    comparisons: tuple[Comparison, ...] = field(default_factory=default_comparisons)
    rules: tuple[BlockingRule, ...] = field(default_factory=default_rules)
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    _pruning: tuple[tuple[Comparison, float, tuple[float, ...]], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    """The comparisons by most bits first, each with the most the ones after it can add
    and the bits of each of its levels (term frequencies aside)."""
    _evidence_needed: float = field(init=False, repr=False, compare=False, default=math.inf)
    """Bits of evidence (the prior aside) a pair needs to reach ``review_threshold``, less
    the slack for sums taken in another order."""

    def __post_init__(self) -> None:
        if not 0.0 < self.review_threshold <= self.merge_threshold <= 1.0:
            raise ValueError(
                "thresholds must satisfy 0 < review_threshold <= merge_threshold <= 1, got "
                f"{self.review_threshold} and {self.merge_threshold}"
            )
        for comparison in self.comparisons:
            known = self.model.comparisons.get(comparison.name)
            if known is None or known.levels != comparison.levels:
                raise ValueError(
                    f"the model has no parameters for comparison {comparison.name!r} "
                    f"with levels {comparison.levels}"
                )
        ordered = sorted(self.comparisons, key=lambda c: -self.model.most_bits(c.name))
        upside = [max(0.0, self.model.most_bits(c.name)) for c in ordered]
        object.__setattr__(
            self,
            "_pruning",
            tuple(
                (c, sum(upside[i + 1 :]), self.model.level_bits(c.name))
                for i, c in enumerate(ordered)
            ),
        )
        if self.review_threshold < 1.0:
            needed = probability_to_bits(self.review_threshold) - self.model.prior_bits
            object.__setattr__(self, "_evidence_needed", needed - _ROUNDING)

    def blocking_keys(self, record: PersonRecord) -> set[str]:
        return blocking_keys(record, self.rules)

    def compare(self, a: PersonRecord, b: PersonRecord) -> MatchScore:
        return self.model.score(
            (c.name, c.compare(a.normalized, b.normalized)) for c in self.comparisons
        )

    def score(self, a: PersonRecord, b: PersonRecord) -> ScoredPair | None:
        """The pair with its evidence, or None below ``review_threshold`` or when both
        records are anchored at one identifier."""
        if a.key == b.key:
            return None
        left, right = (a, b) if a.key < b.key else (b, a)
        outcomes = self._outcomes_unless_below_review(left, right)
        if outcomes is None:
            return None
        result = self.model.score((c.name, outcomes[c.name]) for c in self.comparisons)
        if result.probability < self.review_threshold:
            return None
        return ScoredPair(
            left.key,
            right.key,
            result.probability,
            MATCHER_NAME,
            RULE_NAME,
            self._evidence(result),
        )

    def _outcomes_unless_below_review(
        self, left: PersonRecord, right: PersonRecord
    ) -> dict[str, Outcome | None] | None:
        """Every comparison's outcome, or None as soon as the bits so far plus the most
        the remaining comparisons could add stay below the review threshold: nearly all
        blocked pairs are two people, and most are told apart by their first fields."""
        needed = self._evidence_needed
        model = self.model
        a, b = left.normalized, right.normalized
        total = 0.0
        outcomes: dict[str, Outcome | None] = {}
        for comparison, upside, level_bits in self._pruning:
            outcome = comparison.compare(a, b)
            outcomes[comparison.name] = outcome
            if outcome is not None:
                # contribution(...).bits, without building the contribution
                total += level_bits[outcome.level] + (
                    model.term_frequency_bits(comparison.name, outcome) if outcome.term else 0.0
                )
            if total + upside < needed:
                return None
        return outcomes

    def decision(self, pair: ScoredPair) -> str:
        return MERGE if pair.weight >= self.merge_threshold else REVIEW

    def plan(
        self,
        new_records: Sequence[PersonRecord],
        candidates_by_key: Mapping[str, Sequence[PersonRecord]],
        keys: Sequence[Iterable[str]] | None = None,
    ) -> BlockingPlan:
        """``candidates_by_key``: per blocking key of the new records, the records filed
        under it (at most ``max_block_size + 1``: one more says the key is too common).
        New records are taken in the order given, each paired with the stored ones and the
        earlier new ones through every key that all of them together leave usable.
        ``keys``: the blocking keys of each new record, when the caller has them."""
        index = BlockIndex(self.rules, self.max_block_size)
        for key, stored in candidates_by_key.items():
            index.preload(key, stored)
        known = keys if keys is not None else [None] * len(new_records)
        for record, record_keys in zip(new_records, known, strict=True):
            index.add(record, record_keys)
        additions = {key: filed for key in index.blocks if (filed := index.filed(key))}
        overflowed = frozenset(
            key
            for key, before in index.preloaded.items()
            if before >= 2
            and usable(before, self.max_block_size)
            and not usable(len(index.blocks[key]), self.max_block_size)
        )
        return BlockingPlan(index.pairs(), frozenset(index.too_common), additions, overflowed)

    def match(
        self,
        new_records: Sequence[PersonRecord],
        candidates_by_key: Mapping[str, Sequence[PersonRecord]],
    ) -> list[ScoredPair]:
        """Scored pairs at or above ``review_threshold`` between the new records and the
        stored ones, and among the new records; the best pair per two identifiers."""
        return self.score_pairs(self.plan(new_records, candidates_by_key).pairs)

    def score_pairs(self, pairs: Iterable[Pair]) -> list[ScoredPair]:
        best: dict[tuple[str, str], ScoredPair] = {}
        for a, b in pairs:
            scored = self.score(a, b)
            if scored is None:
                continue
            known = best.get((scored.left, scored.right))
            if known is None or scored.weight > known.weight:
                best[(scored.left, scored.right)] = scored
        return sorted(best.values(), key=lambda p: (p.left, p.right))

    def _evidence(self, result: MatchScore) -> dict[str, object]:
        fields: dict[str, object] = {}
        for c in result.contributions:
            entry: dict[str, object] = {
                "left": c.left,
                "right": c.right,
                "level": c.level,
                "bits": round(c.bits, 2),
            }
            if c.term_frequency_bits:
                entry["term_frequency_bits"] = round(c.term_frequency_bits, 2)
            fields[c.comparison] = entry
        return {
            "model": RULE_NAME,
            "fields": fields,
            "prior_bits": round(result.prior_bits, 2),
            "total_bits": round(result.total_bits, 2),
            "probability": result.probability,
            "decision": MERGE if result.probability >= self.merge_threshold else REVIEW,
        }
