"""Per-field comparisons: how alike two records are on one field, as a level.

A comparison reads the normalized fields of two records (``PersonRecord.normalized``) and
returns an ``Outcome``: the index of the level reached in its ``levels`` (0 is the
strongest agreement, the last is ``else``) and the two values compared, or None when
either record lacks the field (a missing value is no evidence either way). Level names
say what was measured so evidence reads as ``first_name: jaro_winkler>=0.92``.

A comparison with ``term_field`` set has its exact level adjusted by how common the agreed
value is (see ``fellegi_sunter``); ``Outcome.term`` carries that value. A name
comparison's ``transliterated`` level is adjusted the same way, by the name in its own
script: Kim and 김 agree on 김.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import NamedTuple

from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import ratio, token_set_ratio

from matchers.korean import canonical_surname
from matchers.korean_address import KoreanAddress, parse_korean_address, same_district
from matchers.name_levels import (
    Crossed,
    Initial,
    JamoOff,
    NamePair,
    NameRule,
    Similar,
    Swapped,
    Transliterated,
)
from matchers.scripts import HANGUL

Fields = Mapping[str, str]

EXACT = "exact"
ELSE = "else"


class Outcome(NamedTuple):
    """A tuple, not a dataclass: one is made per field of every candidate pair, and a
    tuple is made several times faster."""

    level: int
    left: str
    right: str
    term: str = ""
    """The agreed value when ``level`` is the exact (or transliterated) level of a
    term-adjusted comparison."""


class Comparison(ABC):
    """One field (or a pair of fields, for swapped names) compared at ordered levels."""

    name: str
    levels: tuple[str, ...]
    fields: tuple[str, ...]
    """The normalized fields read (blocking on one of them biases what EM learns)."""
    term_field: str | None = None
    """Field whose value frequencies adjust the exact level (common names count less)."""
    exact_field: str | None = None
    """Level 0 means equal values of this field, so its chance for two random records is
    the sum of squared value frequencies (used to estimate ``u`` without sampling)."""

    @abstractmethod
    def compare(self, left: Fields, right: Fields) -> Outcome | None: ...


class FieldComparison(Comparison):
    """One field present on both sides: equal values are level 0 (with the value as the
    term when term-frequency adjusted); ``_level`` grades the values that differ."""

    def compare(self, left: Fields, right: Fields) -> Outcome | None:
        name = self.name
        a, b = left.get(name), right.get(name)
        if not a or not b:
            return None
        if a == b:
            return Outcome(0, a, b, a if self.term_field else "")
        return Outcome(self._level(a, b, left, right), a, b)

    @abstractmethod
    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        """The level of two different values; ``left``/``right`` for fields read beside."""


def _at_least(metric: str, threshold: float) -> str:
    return f"{metric}>={threshold:g}"


class NameComparison(Comparison):
    """Exact, then the first of its ``rules`` two different names reach
    (``name_levels``), else. By default: swapped with another name field (first and last
    name both crossed); crossed once (one record's name is the other's other name:
    "Gillian Lodge" and "Lodge Adele", a swap with a second error); transliterated (one
    name in two scripts or two romanizations: 김/Kim, 민준/Min-joon, Lee/Yi); one letter
    off between two Hangul names (jamo); Jaro-Winkler at two thresholds; one of the two
    is an initial of the other.

    ``surname``: the field holds family names, whose Korean spellings are known
    (Lee/Yi/Rhee are one name); two spellings agree on the term of the Hangul surname
    they stand for, so that Kim and 김 count as common as 김 is."""

    def __init__(
        self,
        name: str,
        swap_with: str | None = None,
        thresholds: tuple[float, float] = (0.92, 0.8),
        term_frequency: bool = True,
        surname: bool = False,
        rules: tuple[NameRule, ...] | None = None,
    ) -> None:
        self.name = name
        self.swap_with = swap_with
        self.fields = (name, swap_with) if swap_with else (name,)
        self.thresholds = thresholds
        self.surname = surname
        if rules is None:
            swapped: tuple[NameRule, ...] = (
                (Swapped(swap_with, thresholds[0]), Crossed(swap_with, thresholds[0]))
                if swap_with
                else ()
            )
            rules = (
                *swapped,
                Transliterated(surname),
                JamoOff(1),
                *(Similar(t) for t in thresholds),
                Initial(),
            )
        self.rules = rules
        self.levels = (EXACT, *(r.label for r in rules), ELSE)
        self.term_field = name if term_frequency else None
        self.exact_field = name

    def compare(self, left: Fields, right: Fields) -> Outcome | None:
        name = self.name
        a, b = left.get(name), right.get(name)
        if not a or not b:
            return None
        if a == b:
            return Outcome(0, a, b, a if self.term_field else "")
        pair = NamePair(a, b, left, right)
        for level, rule in enumerate(self.rules, start=1):
            if rule.reached(pair):
                term = ""
                if self.term_field and isinstance(rule, Transliterated):
                    term = self.term(a if pair.script_a == HANGUL else b)
                return Outcome(level, a, b, term)
        return Outcome(len(self.levels) - 1, a, b)

    def term(self, value: str) -> str:
        """The value two spellings of one name agree on: a surname's Hangul form."""
        return canonical_surname(value) if self.surname else value


class DateComparison(FieldComparison):
    """``YYYY-MM-DD`` dates: exact; day and month swapped; one digit off (one digit
    changed, or two neighbouring digits transposed); same year; else."""

    def __init__(self, name: str = "date_of_birth") -> None:
        self.levels = (EXACT, "day_month_swapped", "one_digit_off", "same_year", ELSE)
        self.name = name
        self.fields = (name,)
        self.exact_field = name

    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
            return 1
        if OSA.distance(a.replace("-", ""), b.replace("-", ""), score_cutoff=1) <= 1:
            return 2
        if a[:4] == b[:4]:
            return 3
        return 4


class CodeComparison(FieldComparison):
    """Postcodes and ID numbers: exact, then at most N characters off (substituted,
    inserted, deleted or neighbours transposed) for each N of ``typos``, else."""

    def __init__(self, name: str, typos: tuple[int, ...] = (1,), term_frequency: bool = False):
        self.name = name
        self.fields = (name,)
        self.typos = typos
        self.levels = (
            EXACT,
            *(f"{n}_char{'s' if n > 1 else ''}_off" for n in typos),
            ELSE,
        )
        self.term_field = name if term_frequency else None
        self.exact_field = name

    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        distance = OSA.distance(a, b, score_cutoff=self.typos[-1])
        for level, typos in enumerate(self.typos, start=1):
            if distance <= typos:
                return level
        return len(self.levels) - 1


class StringComparison(FieldComparison):
    """Exact, Jaro-Winkler at each of ``thresholds``, else: cities, email local parts."""

    def __init__(
        self, name: str, thresholds: tuple[float, ...] = (0.9,), term_frequency: bool = False
    ) -> None:
        self.name = name
        self.fields = (name,)
        self.thresholds = thresholds
        self.levels = (EXACT, *(_at_least("jaro_winkler", t) for t in thresholds), ELSE)
        self.term_field = name if term_frequency else None
        self.exact_field = name

    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        similarity = JaroWinkler.similarity(a, b)
        for level, threshold in enumerate(self.thresholds, start=1):
            if similarity >= threshold:
                return level
        return len(self.levels) - 1


class EmailLocalComparison(StringComparison):
    """Email local parts: like ``StringComparison``, but two parts whose digits differ
    are ``else`` unless equal: ``bob.nguyen622`` and ``bob.nguyen625`` are two accounts
    numbered apart (often two people of one name), not a typo."""

    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        if _digits(a) != _digits(b):
            return len(self.levels) - 1
        return super()._level(a, b, left, right)


@functools.lru_cache(maxsize=1 << 16)
def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


class AddressComparison(FieldComparison):
    """Street addresses: exact; similar at two thresholds (the better of token-set
    similarity, so word order and a missing second line do not count against, and
    similarity with spaces removed, so "wellsroad" is "wells road"); the same street with
    other house numbers (neighbours, or a mistyped number); else.

    Korean road-name and lot-number addresses (``korean_address``) are compared by their
    parts: province, district, road (or neighbourhood) and building (or lot) together,
    then the apartment building and unit where both give them: the same unit is exact;
    the same building with the unit on one side only ``same_building``; the same
    building with other units ``same_building_other_unit``; the same road with another
    building ``same_street_other_number``; another road, district or province ``else``.
    A road-name address and a lot-number address are not comparable (no evidence).

    An address without a street (a bare house or building number, in any country) is no
    evidence: ``152`` and ``테헤란로 152`` compare as missing, never as agreeing.
    """

    def __init__(self, name: str = "address", thresholds: tuple[float, float] = (0.9, 0.7)):
        self.name = name
        self.fields = (name,)
        self.thresholds = thresholds
        self.levels = (
            EXACT,
            *(_at_least("similarity", t) for t in thresholds),
            "same_building",
            "same_building_other_unit",
            "same_street_other_number",
            ELSE,
        )
        self.exact_field = name

    def compare(self, left: Fields, right: Fields) -> Outcome | None:
        a, b = left.get(self.name), right.get(self.name)
        if not a or not b or not _has_street(a) or not _has_street(b):
            return None
        if a == b:
            return Outcome(0, a, b)
        korean_a, korean_b = parse_korean_address(a), parse_korean_address(b)
        if korean_a is not None and korean_b is not None:
            level = self._korean_level(korean_a, korean_b)
            return None if level is None else Outcome(level, a, b)
        return Outcome(self._level(a, b, left, right), a, b)

    def _korean_level(self, a: KoreanAddress, b: KoreanAddress) -> int | None:
        other_number = len(self.thresholds) + 3
        if a.is_road != b.is_road:
            return None
        if not same_district(a, b) or (a.road or a.town) != (b.road or b.town):
            return len(self.levels) - 1
        if a.number != b.number:
            return other_number
        first = len(self.thresholds) + 1
        units = [(x.complex_building, x.unit) for x in (a, b) if x.complex_building or x.unit]
        if len(units) < 2:
            return 0 if not units else first
        (a_building, a_unit), (b_building, b_unit) = units
        if _differ(a_building, b_building) or _differ(a_unit, b_unit):
            return first + 1
        return 0

    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        a_numbers, a_street = _split_numbers(a)
        b_numbers, b_street = _split_numbers(b)
        if a_numbers and b_numbers and not a_numbers & b_numbers:
            if _similarity(a_street, b_street) >= self.thresholds[0]:
                return len(self.thresholds) + 3
            return len(self.levels) - 1
        similarity = _similarity(a, b)
        for level, threshold in enumerate(self.thresholds, start=1):
            if similarity >= threshold:
                return level
        return len(self.levels) - 1


def _differ(a: str, b: str) -> bool:
    return bool(a and b and a != b)


@functools.lru_cache(maxsize=1 << 16)
def _has_street(address: str) -> bool:
    return any(c.isalpha() for c in address)


# Memoized: one record's address is compared with every record it is paired with.
@functools.lru_cache(maxsize=1 << 16)
def _split_numbers(address: str) -> tuple[frozenset[str], str]:
    words = address.split()
    return frozenset(w for w in words if w.isdigit()), " ".join(w for w in words if not w.isdigit())


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    spaced = token_set_ratio(a, b)
    unspaced = ratio(a.replace(" ", ""), b.replace(" ", ""), score_cutoff=spaced)
    return max(spaced, unspaced) / 100


class ExactComparison(FieldComparison):
    """Exact or else: gender, region, country."""

    def __init__(self, name: str, term_frequency: bool = False) -> None:
        self.levels = (EXACT, ELSE)
        self.name = name
        self.fields = (name,)
        self.term_field = name if term_frequency else None
        self.exact_field = name

    def _level(self, a: str, b: str, left: Fields, right: Fields) -> int:
        return 1


class HierarchyComparison(Comparison):
    """Several correlated fields read as one: the first part (in order) that agrees at any
    level but ``else`` gives the level, named ``part:level``; ``else`` when every part
    present disagrees; None when no part is present on both sides.

    Street address, postcode, city, region and country of one person agree or disagree
    together; added up as independent fields they would count one shared home four
    times, enough to join two relatives living together.

    ``corroborated_by`` splits each level of the first part in two: with that comparison
    agreeing exactly as well (``address:exact+postcode``) or not. Whether a shared
    postcode adds anything to a shared address is then learnt (``u`` of the joint level)
    rather than assumed: nothing where postcodes follow from addresses, much where they
    are independent.
    """

    def __init__(
        self,
        name: str,
        parts: tuple[Comparison, ...],
        corroborated_by: Comparison | None = None,
    ) -> None:
        self.name = name
        self.parts = parts
        self.corroborated_by = corroborated_by
        self.fields = tuple(
            dict.fromkeys(
                f
                for c in (*parts, *([corroborated_by] if corroborated_by else []))
                for f in c.fields
            )
        )
        first, *rest = parts
        if corroborated_by:
            first_levels = tuple(
                label
                for level in first.levels[:-1]
                for label in (
                    f"{first.name}:{level}+{corroborated_by.name}",
                    f"{first.name}:{level}",
                )
            )
        else:
            first_levels = tuple(f"{first.name}:{level}" for level in first.levels[:-1])
        self.levels = (
            *first_levels,
            *(f"{part.name}:{level}" for part in rest for level in part.levels[:-1]),
            ELSE,
        )

    def compare(self, left: Fields, right: Fields) -> Outcome | None:
        first, *rest = self.parts
        disagreement = first.compare(left, right)
        if disagreement is not None and disagreement.level < len(first.levels) - 1:
            level = disagreement.level
            if self.corroborated_by:
                corroboration = self.corroborated_by.compare(left, right)
                level = 2 * level + (0 if corroboration and corroboration.level == 0 else 1)
            return Outcome(level, disagreement.left, disagreement.right)
        offset = (len(first.levels) - 1) * (2 if self.corroborated_by else 1)
        for part in rest:
            outcome = part.compare(left, right)
            if outcome is not None:
                if outcome.level < len(part.levels) - 1:
                    return Outcome(offset + outcome.level, outcome.left, outcome.right)
                disagreement = disagreement or outcome
            offset += len(part.levels) - 1
        if disagreement is None:
            return None
        return Outcome(len(self.levels) - 1, disagreement.left, disagreement.right)


def location_comparison() -> HierarchyComparison:
    """Address (split by a shared postcode), then postcode, city, region, country."""
    postcode = CodeComparison("postcode", typos=(1,))
    return HierarchyComparison(
        "location",
        (
            AddressComparison("address"),
            postcode,
            StringComparison("city"),
            ExactComparison("region"),
            ExactComparison("country"),
        ),
        corroborated_by=postcode,
    )


def default_comparisons() -> tuple[Comparison, ...]:
    """Every compared field of ``attributes.COMPARED_FIELDS``, the place fields read as one
    ``location``; first and last name and the email local part are term-frequency
    adjusted. Swapped names are a level of ``first_name`` only: one swap is one piece of
    evidence, not one per name."""
    return (
        NameComparison("first_name", swap_with="last_name"),
        NameComparison("middle_name", term_frequency=False),
        NameComparison("last_name", surname=True),
        DateComparison("date_of_birth"),
        ExactComparison("gender"),
        location_comparison(),
        CodeComparison("national_id", typos=(1, 2)),
        EmailLocalComparison("email_local", term_frequency=True),
    )
