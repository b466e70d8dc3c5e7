"""The Fellegi-Sunter model: how much each field's agreement says about a match.

For each comparison and level, ``m`` is the chance of that level when the two records are
the same person and ``u`` when they are not. A level contributes ``log2(m / u)`` bits:
positive for agreement that is rare by chance, negative for disagreement that is rare
among true matches. The total is those bits plus the prior, ``log2(p / (1 - p))`` where
``p`` is the chance that two records drawn at random are the same person; it maps to the
match probability ``1 / (1 + 2 ** -total)``.

Term-frequency adjustment: two records agreeing exactly on a name agree by chance about
as often as the name is common, so on the exact level of a term-adjusted comparison ``u``
is the share of records holding the agreed value (but not below ``tf_minimum_u``). An
exact "smith" counts less than the average exact surname, an exact "zbigniew" more.

Estimation from unlabelled records (``estimate_model``):

- ``u`` from random pairs (nearly all non-matches), via ``level_shares``; for a level
  that means "equal values" exactly, the chance is the sum of squared value shares
  (``collision_probability``), which needs no sampling to see rare agreement.
- ``m`` by expectation maximisation with ``u`` fixed, once per blocking rule over the
  pairs sharing that rule's key, with the comparisons that read the rule's fields left
  out of that session: pairs that share a birth date say nothing about how often matches
  agree on birth dates, but say much about how often they agree on names. Each
  comparison's ``m`` is the average over the sessions that could see it, weighted by the
  matches each session found.
- The prior from the expected number of matches among all blocked pairs (EM over the
  match share only), divided by the number of pairs the data could form.
- ``u`` of the exact levels is corrected for the matches among the "random" pairs
  (``correct_exact_u``): a duplicate shares its birth date, so the raw collision rate
  over-counts chance agreement.

Parameters go to and from plain dicts (``to_dict``/``from_dict``) for configuration and
storage; ``DEFAULT_PARAMETERS`` are shipped values for the default comparisons.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matchers.attributes import PersonRecord
from matchers.blocking import DEFAULT_MAX_BLOCK_SIZE, BlockingRule, candidate_pairs, default_rules
from matchers.comparisons import Comparison, Outcome, default_comparisons
from matchers.korean import surname_shares

TERM_LEVELS = frozenset({"transliterated"})
"""Levels besides the exact one whose outcome may carry a term (one value agreed on)."""

MISSING = -1
"""Level of a comparison that could not be made (a field absent on one side)."""

ComparisonVector = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LevelProbabilities:
    """``m`` and ``u`` of each level of one comparison, in the comparison's level order."""

    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]

    def __post_init__(self) -> None:
        if not len(self.levels) == len(self.m) == len(self.u):
            raise ValueError(f"levels, m and u differ in length: {self.levels}")
        for p in (*self.m, *self.u):
            if not 0.0 < p <= 1.0:
                raise ValueError(f"m and u must be in (0, 1], got {p} for {self.levels}")

    def bits(self, level: int) -> float:
        return math.log2(self.m[level] / self.u[level])


@dataclass(frozen=True, slots=True)
class Contribution:
    comparison: str
    level: str
    left: str
    right: str
    bits: float
    """Including ``term_frequency_bits``."""
    term_frequency_bits: float = 0.0


@dataclass(frozen=True, slots=True)
class MatchScore:
    prior_bits: float
    contributions: tuple[Contribution, ...]
    total_bits: float
    probability: float


def bits_to_probability(bits: float) -> float:
    if bits < -1000:
        return 0.0
    if bits > 1000:
        return 1.0
    return 1.0 / (1.0 + float(2.0**-bits))


def probability_to_bits(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


@dataclass(frozen=True, slots=True)
class FellegiSunterModel:
    prior: float
    """Chance that two records drawn at random are the same person."""
    comparisons: Mapping[str, LevelProbabilities]
    term_frequencies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Comparison name -> value -> share of records holding it."""
    tf_minimum_u: float = 1e-6
    _level_bits: Mapping[str, tuple[float, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.prior < 1.0:
            raise ValueError(f"prior must be in (0, 1), got {self.prior}")
        if not 0.0 < self.tf_minimum_u <= 1.0:
            raise ValueError(f"tf_minimum_u must be in (0, 1], got {self.tf_minimum_u}")
        object.__setattr__(
            self,
            "_level_bits",
            {
                name: tuple(p.bits(level) for level in range(len(p.levels)))
                for name, p in self.comparisons.items()
            },
        )

    @property
    def prior_bits(self) -> float:
        return probability_to_bits(self.prior)

    def contribution(self, name: str, outcome: Outcome) -> Contribution:
        tf_bits = self.term_frequency_bits(name, outcome)
        return Contribution(
            name,
            self.comparisons[name].levels[outcome.level],
            outcome.left,
            outcome.right,
            self._level_bits[name][outcome.level] + tf_bits,
            tf_bits,
        )

    def term_frequency_bits(self, name: str, outcome: Outcome) -> float:
        if not outcome.term:
            return 0.0
        share = self.term_frequencies.get(name, {}).get(outcome.term)
        if share is None:
            return 0.0
        # Against the exact level's u, the chance agreement of the average value: on
        # another level that agrees on one value (a transliteration) the value is just
        # as much commoner or rarer than the average.
        u = self.comparisons[name].u[0]
        return math.log2(u / max(share, self.tf_minimum_u))

    def level_bits(self, name: str) -> tuple[float, ...]:
        """The bits of each level of the comparison, term frequencies aside."""
        return self._level_bits[name]

    def most_bits(self, name: str) -> float:
        """The most any outcome of the comparison can add (term frequencies included)."""
        levels = self.comparisons[name]
        most = max(self._level_bits[name])
        shares = self.term_frequencies.get(name)
        if shares:
            rarest = max(min(shares.values()), self.tf_minimum_u)
            most = max(
                most,
                *(
                    self._level_bits[name][level] + math.log2(levels.u[0] / rarest)
                    for level in range(len(levels.levels))
                    if level == 0 or levels.levels[level] in TERM_LEVELS
                ),
            )
        return most

    def score(self, outcomes: Iterable[tuple[str, Outcome | None]]) -> MatchScore:
        """Compared fields only: a missing field contributes nothing and is left out."""
        contributions = tuple(
            self.contribution(name, outcome) for name, outcome in outcomes if outcome is not None
        )
        total = self.prior_bits + sum(c.bits for c in contributions)
        return MatchScore(self.prior_bits, contributions, total, bits_to_probability(total))

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "tf_minimum_u": self.tf_minimum_u,
            "comparisons": {
                name: {"levels": list(p.levels), "m": list(p.m), "u": list(p.u)}
                for name, p in self.comparisons.items()
            },
            "term_frequencies": {name: dict(t) for name, t in self.term_frequencies.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FellegiSunterModel:
        return cls(
            prior=float(data["prior"]),
            tf_minimum_u=float(data.get("tf_minimum_u", 1e-6)),
            comparisons={
                name: LevelProbabilities(
                    tuple(str(x) for x in p["levels"]),
                    tuple(float(x) for x in p["m"]),
                    tuple(float(x) for x in p["u"]),
                )
                for name, p in data["comparisons"].items()
            },
            term_frequencies={
                name: {str(v): float(s) for v, s in t.items()}
                for name, t in data.get("term_frequencies", {}).items()
            },
        )


def term_frequencies(values: Iterable[str]) -> dict[str, float]:
    counts = Counter(v for v in values if v)
    total = sum(counts.values())
    return {value: count / total for value, count in counts.items()}


def collision_probability(shares: Mapping[str, float]) -> float:
    """Chance that two records holding a value hold the same one."""
    return sum(s * s for s in shares.values())


def level_shares(
    vectors: Iterable[ComparisonVector], level_counts: Sequence[int], smoothing: float = 0.5
) -> list[tuple[float, ...]]:
    """Per comparison, the share of each level among the vectors where it was made, with
    ``smoothing`` added to every count so an unseen level is rare, not impossible."""
    counts = [[0] * n for n in level_counts]
    for vector in vectors:
        for i, level in enumerate(vector):
            if level != MISSING:
                counts[i][level] += 1
    shares = []
    for row in counts:
        total = sum(row) + smoothing * len(row)
        shares.append(tuple((c + smoothing) / total for c in row))
    return shares


@dataclass(frozen=True, slots=True)
class EmResult:
    m: list[tuple[float, ...]]
    match_share: float
    """Expected share of matches among the pairs EM saw."""
    expected_matches: float
    iterations: int


def expectation_maximisation(
    vectors: Iterable[ComparisonVector],
    m: Sequence[Sequence[float]],
    u: Sequence[Sequence[float]],
    match_share: float = 0.1,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
    smoothing: float = 1.0,
) -> EmResult:
    """Estimate ``m`` and the match share of a set of (blocked) pairs with ``u`` fixed.

    Identical vectors are counted once, so the cost per iteration is the number of
    distinct vectors, not of pairs. ``smoothing`` is added to the expected count of every
    level, so no level is ever impossible for a match (one moved house, one mistyped
    every field) and no single field can veto a pair outright.
    """
    patterns = Counter(vectors)
    if not patterns:
        return EmResult([tuple(row) for row in m], match_share, 0.0, 0)
    log_u = [[math.log(p) for p in row] for row in u]
    current = [list(row) for row in m]
    share = match_share
    expected = 0.0
    iteration = 0
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported in the result)
        log_m = [[math.log(p) for p in row] for row in current]
        sums = [[smoothing] * len(row) for row in current]
        expected = 0.0
        total = 0
        for vector, count in patterns.items():
            log_ratio = math.log(share) - math.log1p(-share)
            for i, level in enumerate(vector):
                if level != MISSING:
                    log_ratio += log_m[i][level] - log_u[i][level]
            posterior = 1.0 / (1.0 + math.exp(-log_ratio)) if log_ratio > -700 else 0.0
            weight = posterior * count
            expected += weight
            total += count
            for i, level in enumerate(vector):
                if level != MISSING:
                    sums[i][level] += weight
        updated = [[s / sum(row) for s in row] for row in sums]
        new_share = min(max(expected / total, 1e-9), 1 - 1e-9)
        change = max(
            abs(new_share - share),
            max(
                abs(a - b)
                for new, old in zip(updated, current, strict=True)
                for a, b in zip(new, old, strict=True)
            ),
        )
        current, share = updated, new_share
        if change < tolerance:
            break
    return EmResult([tuple(row) for row in current], share, expected, iteration)


def correct_exact_u(agreement: float, m: float, prior: float, floor: float) -> float:
    """``u`` from the rate of agreement over all pairs, which mixes matches (share
    ``prior``, agreeing with chance ``m``) with non-matches: a = p m + (1 - p) u."""
    return max((agreement - prior * m) / (1.0 - prior), floor)


DEFAULT_PARAMETERS: Mapping[str, Any] = {
    # One pair in 100,000: a store of a few hundred thousand people with a few records
    # each. Estimating from the data replaces it. The m of a comparison's levels need
    # not add up to one here: levels added later (transliterated, jamo_1_off,
    # same_building ...) came beside the earlier ones, whose bits stayed as they were.
    "prior": 1e-5,
    "tf_minimum_u": 1e-6,
    "comparisons": {
        "first_name": {
            "levels": [
                "exact",
                "swapped_with_last_name",
                "crossed_with_last_name",
                "transliterated",
                "jamo_1_off",
                "jaro_winkler>=0.92",
                "jaro_winkler>=0.8",
                "initial",
                "else",
            ],
            # A name read across scripts agrees about as rarely by chance as one written
            # alike; one Hangul letter off is a typo about as often as a close spelling.
            "m": [0.86, 0.01, 0.01, 0.04, 0.02, 0.06, 0.03, 0.01, 0.02],
            "u": [0.01, 0.000001, 0.0002, 0.0006, 0.002, 0.004, 0.04, 0.01, 0.943199],
        },
        "middle_name": {
            "levels": [
                "exact",
                "transliterated",
                "jamo_1_off",
                "jaro_winkler>=0.92",
                "jaro_winkler>=0.8",
                "initial",
                "else",
            ],
            "m": [0.7, 0.02, 0.01, 0.05, 0.03, 0.12, 0.1],
            "u": [0.02, 0.002, 0.005, 0.01, 0.05, 0.05, 0.863],
        },
        "last_name": {
            "levels": [
                "exact",
                "transliterated",
                "jamo_1_off",
                "jaro_winkler>=0.92",
                "jaro_winkler>=0.8",
                "initial",
                "else",
            ],
            "m": [0.87, 0.03, 0.01, 0.06, 0.03, 0.01, 0.03],
            "u": [0.003, 0.0001, 0.001, 0.002, 0.03, 0.005, 0.9589],
        },
        "date_of_birth": {
            # One person's records rarely disagree on the birth date beyond a typo: a
            # namesake at the same address with another date (a parent and a child of
            # one name) must not reach the merge threshold.
            "levels": ["exact", "day_month_swapped", "one_digit_off", "same_year", "else"],
            "m": [0.943, 0.01, 0.04, 0.002, 0.005],
            "u": [0.00004, 0.00002, 0.0005, 0.012, 0.98744],
        },
        "gender": {
            "levels": ["exact", "else"],
            "m": [0.97, 0.03],
            "u": [0.5, 0.5],
        },
        "location": {
            # A shared postcode adds little to a shared address where one follows from
            # the other: the joint levels have about the same ``u`` as the address alone.
            # Neighbours in one apartment building are weak evidence, not none. Country
            # alone agrees among matches whenever one source has no address: as common
            # among matches as among any two records, no evidence either way.
            "levels": [
                "address:exact+postcode",
                "address:exact",
                "address:similarity>=0.9+postcode",
                "address:similarity>=0.9",
                "address:similarity>=0.7+postcode",
                "address:similarity>=0.7",
                "address:same_building+postcode",
                "address:same_building",
                "address:same_building_other_unit+postcode",
                "address:same_building_other_unit",
                "address:same_street_other_number+postcode",
                "address:same_street_other_number",
                "postcode:exact",
                "postcode:1_char_off",
                "city:exact",
                "city:jaro_winkler>=0.9",
                "region:exact",
                "country:exact",
                "else",
            ],
            "m": [
                0.5,
                0.05,
                0.12,
                0.03,
                0.03,
                0.01,
                0.03,
                0.01,
                0.005,
                0.002,
                0.015,
                0.005,
                0.06,
                0.01,
                0.04,
                0.01,
                0.02,
                0.3,
                0.08,
            ],
            "u": [
                0.00009,
                0.00001,
                0.00035,
                0.00005,
                0.0025,
                0.0005,
                0.0001,
                0.00002,
                0.0005,
                0.0002,
                0.0004,
                0.0001,
                0.004,
                0.015,
                0.01,
                0.01,
                0.15,
                0.3,
                0.51603,
            ],
        },
        "national_id": {
            "levels": ["exact", "1_char_off", "2_chars_off", "else"],
            "m": [0.9, 0.04, 0.01, 0.05],
            "u": [0.000001, 0.00001, 0.0001, 0.999889],
        },
        "email_local": {
            "levels": ["exact", "jaro_winkler>=0.9", "else"],
            "m": [0.6, 0.1, 0.3],
            "u": [0.0001, 0.001, 0.9989],
        },
    },
}


def default_model() -> FellegiSunterModel:
    """The shipped parameters, with the shares of the common Korean surnames in Hangul as
    the term frequencies of ``last_name`` (from ``name-variants``: 김 about 21%, 이 14%
    ...): without them two Korean records agreeing on 김 would count as much as two
    agreeing on a rare name. Latin spellings (``lee``) keep the level's average: Lee is
    not as common in a US file as 이 is in a Korean one."""
    return FellegiSunterModel.from_dict(
        {**DEFAULT_PARAMETERS, "term_frequencies": {"last_name": surname_shares()}}
    )


def estimate_match_share(
    vectors: Iterable[ComparisonVector],
    m: Sequence[Sequence[float]],
    u: Sequence[Sequence[float]],
    match_share: float = 0.1,
    max_iterations: int = 200,
    tolerance: float = 1e-9,
) -> tuple[float, float]:
    """EM over the match share only (``m`` and ``u`` fixed): the share and the expected
    number of matches among ``vectors``."""
    patterns = Counter(vectors)
    total = sum(patterns.values())
    if not total:
        return match_share, 0.0
    log_bf = {
        vector: sum(
            math.log(m[i][level] / u[i][level])
            for i, level in enumerate(vector)
            if level != MISSING
        )
        for vector in patterns
    }
    share, expected = match_share, 0.0
    for _ in range(max_iterations):
        prior_log_odds = math.log(share) - math.log1p(-share)
        expected = sum(
            count * _logistic(prior_log_odds + log_bf[vector]) for vector, count in patterns.items()
        )
        new_share = min(max(expected / total, 1e-12), 1 - 1e-9)
        if abs(new_share - share) < tolerance:
            share = new_share
            break
        share = new_share
    return share, expected


def _logistic(log_odds: float) -> float:
    if log_odds < -700:
        return 0.0
    if log_odds > 700:
        return 1.0
    return 1.0 / (1.0 + math.exp(-log_odds))


@dataclass(frozen=True, slots=True)
class Estimate:
    model: FellegiSunterModel
    blocked_pairs: int
    expected_matches: float
    """Expected matches among the blocked pairs under the fitted model."""
    matches_by_rule: dict[str, float]
    """Expected matches EM found among the pairs of each blocking rule."""


PairFilter = Callable[[PersonRecord, PersonRecord], bool]


def comparison_vector(
    comparisons: Sequence[Comparison], a: PersonRecord, b: PersonRecord
) -> ComparisonVector:
    outcomes = (c.compare(a.normalized, b.normalized) for c in comparisons)
    return tuple(MISSING if o is None else o.level for o in outcomes)


def estimate_model(
    records: Sequence[PersonRecord],
    comparisons: Sequence[Comparison] | None = None,
    rules: Sequence[BlockingRule] | None = None,
    *,
    keep: PairFilter | None = None,
    total_pairs: int | None = None,
    random_pairs: int = 20_000,
    start: FellegiSunterModel | None = None,
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
    seed: int = 0,
) -> Estimate:
    """Estimate a model from unlabelled records (no truth is used).

    ``keep`` limits the pairs considered (linking two lists: only pairs across them).
    ``total_pairs``: how many pairs the data could form (default ``n (n - 1) / 2``; for
    two lists, their sizes multiplied). ``start`` gives EM its first ``m`` and gives the
    parameters of comparisons the records never fill.
    """
    comparisons = tuple(comparisons or default_comparisons())
    rules = tuple(rules or default_rules())
    start = start or default_model()
    if total_pairs is None:
        total_pairs = len(records) * (len(records) - 1) // 2
    total_pairs = max(total_pairs, 1)
    level_counts = [len(c.levels) for c in comparisons]

    rng = random.Random(seed)
    sampled = [
        comparison_vector(comparisons, a, b)
        for a, b in (_random_pair(records, rng) for _ in range(random_pairs))
        if keep is None or keep(a, b)
    ]
    u = [list(row) for row in level_shares(sampled, level_counts)]
    collisions: dict[int, float] = {}
    for i, c in enumerate(comparisons):
        if c.exact_field:
            shares = term_frequencies(r.normalized.get(c.exact_field, "") for r in records)
            if shares:
                collisions[i] = collision_probability(shares)
                _set_first(u[i], collisions[i])

    m0 = [_start(start, c).m for c in comparisons]
    vectors: dict[tuple[int, int], ComparisonVector] = {}

    def vector(a: PersonRecord, b: PersonRecord) -> ComparisonVector:
        pair_id = (id(a), id(b)) if id(a) < id(b) else (id(b), id(a))
        found = vectors.get(pair_id)
        if found is None:
            found = vectors[pair_id] = comparison_vector(comparisons, a, b)
        return found

    m_sums = [[0.0] * n for n in level_counts]
    m_weights = [0.0] * len(comparisons)
    matches_by_rule: dict[str, float] = {}
    for rule in rules:
        masked = {i for i, c in enumerate(comparisons) if set(c.fields) & set(rule.fields)}
        pairs, _ = candidate_pairs(records, (rule,), max_block_size)
        session = [
            tuple(MISSING if i in masked else level for i, level in enumerate(vector(a, b)))
            for a, b in pairs
            if keep is None or keep(a, b)
        ]
        if not session or len(masked) == len(comparisons):
            continue
        em = expectation_maximisation(session, m0, u, match_share=0.3)
        matches_by_rule[rule.name] = em.expected_matches
        for i in range(len(comparisons)):
            if i not in masked:
                m_weights[i] += em.expected_matches
                for level, p in enumerate(em.m[i]):
                    m_sums[i][level] += em.expected_matches * p
    m = [
        tuple(s / m_weights[i] for s in m_sums[i]) if m_weights[i] > 0 else m0[i]
        for i in range(len(comparisons))
    ]

    blocked = list(vectors.values())
    share, expected = estimate_match_share(blocked, m, u)
    prior = min(max(expected / total_pairs, 1e-12), 0.5)
    for i, collision in collisions.items():
        _set_first(u[i], correct_exact_u(collision, m[i][0], prior, 1 / total_pairs))
    share, expected = estimate_match_share(blocked, m, u, share)
    prior = min(max(expected / total_pairs, 1e-12), 0.5)

    observed = [any(v[i] != MISSING for v in sampled) for i in range(len(comparisons))]
    model = FellegiSunterModel(
        prior=prior,
        comparisons={
            c.name: LevelProbabilities(c.levels, m[i], tuple(u[i]))
            if observed[i]
            else _start(start, c)
            for i, c in enumerate(comparisons)
        },
        term_frequencies={
            c.name: term_frequencies(r.normalized.get(c.term_field, "") for r in records)
            for c in comparisons
            if c.term_field
        },
        tf_minimum_u=start.tf_minimum_u,
    )
    return Estimate(model, len(blocked), expected, matches_by_rule)


def _random_pair(
    records: Sequence[PersonRecord], rng: random.Random
) -> tuple[PersonRecord, PersonRecord]:
    i = rng.randrange(len(records))
    j = rng.randrange(len(records) - 1)
    return records[i], records[j + 1 if j >= i else j]


def _set_first(shares: list[float], first: float) -> None:
    """Set the share of level 0 and rescale the others so the shares still sum to 1."""
    rest = sum(shares[1:])
    scale = (1.0 - first) / rest if rest > 0 else 0.0
    shares[0] = first
    for k in range(1, len(shares)):
        shares[k] *= scale


def _start(start: FellegiSunterModel, comparison: Comparison) -> LevelProbabilities:
    """The start model's parameters for ``comparison``, or a neutral guess."""
    known = start.comparisons.get(comparison.name)
    if known is not None and known.levels == comparison.levels:
        return known
    n = len(comparison.levels)
    rest = (0.3 / (n - 1),) * (n - 1)
    return LevelProbabilities(comparison.levels, (0.7, *rest), (0.7, *rest))


def model_summary(model: FellegiSunterModel) -> dict[str, Any]:
    """Bits per level, for reading a fitted model."""
    return {
        "prior_bits": round(model.prior_bits, 2),
        **{
            name: {
                level: round(math.log2(m / u), 2)
                for level, m, u in zip(p.levels, p.m, p.u, strict=True)
            }
            for name, p in model.comparisons.items()
        },
    }
