"""Blocking: which records are worth comparing at all.

Comparing every record with every other grows with the square of the data; blocking
compares only records that share a blocking key. A key is a string prefixed by the name of
the rule that made it (``surname_year:S530|1980``), so a store can keep the keys as an
index ``blocking key -> record keys`` and a new record is matched against the records
already loaded under its keys.

A key shared by many records says little (``dob:1970-01-01``, one phonetic code for
"Smith" in one year) and would make blocks quadratic. A key held by more than
``max_block_size`` records is *too common*: no pair is compared through it, whichever
records came first (frequency-aware: how many records hold the key decides, never their
arrival). The candidate pairs are therefore a function of the set of records alone: one
batch or ten, in any order, and the bulk path's blocking join give the same pairs. A store
files a record under a key while the key holds at most ``max_block_size`` records (so up to
``max_block_size + 1`` entries: enough to know the key is too common); when a batch makes
a key too common, the pairs compared through it before are taken back
(``identity.fuzzy_linking``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from matchers import korean
from matchers.attributes import PersonRecord
from matchers.korean_address import parse_korean_address
from matchers.scripts import initial_consonants, is_latin, to_latin

Fields = Mapping[str, str]

DEFAULT_MAX_BLOCK_SIZE = 100

_SOUNDEX_DIGITS = {
    letter: digit
    for digit, letters in {
        "1": "bfpv",
        "2": "cgjkqsxz",
        "3": "dt",
        "4": "l",
        "5": "mn",
        "6": "r",
    }.items()
    for letter in letters
}


@functools.lru_cache(maxsize=1 << 16)
def soundex(word: str) -> str:
    """American Soundex: the first letter and three digits for the consonant sounds that
    follow ("Robert" and "Rupert" are R163); empty when ``word`` has no letter a-z."""
    letters = [c for c in word.lower() if "a" <= c <= "z"]
    if not letters:
        return ""
    code = [letters[0].upper()]
    previous = _SOUNDEX_DIGITS.get(letters[0], "")
    for letter in letters[1:]:
        digit = _SOUNDEX_DIGITS.get(letter, "")
        if digit and digit != previous:
            code.append(digit)
            if len(code) == 4:
                break
        # "h" and "w" do not separate two letters of one sound; vowels do.
        if letter not in "hw":
            previous = digit
    return "".join(code).ljust(4, "0")


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """``make`` returns the part of the key after ``name:``, or "" when the record lacks
    what the rule needs."""

    name: str
    make: Callable[[Fields], str]
    fields: tuple[str, ...]
    """The normalized fields the key is made of."""

    def key(self, fields: Fields) -> str | None:
        value = self.make(fields)
        return f"{self.name}:{value}" if value else None


@functools.lru_cache(maxsize=1 << 16)
def name_code(name: str) -> str:
    """Soundex of a name in any script: of a Latin name as written, of any other read in
    Latin (``Иванов`` and ``Ivanov`` share I151)."""
    return soundex(name if is_latin(name) else to_latin(name))


def _surname_year(f: Fields) -> str:
    last, born = f.get("last_name", ""), f.get("date_of_birth", "")
    code = name_code(last)
    if not code or not born:
        return ""
    # A common surname (김, 이, 박 ...) with a birth year alone would block thousands.
    return f"{code}|{born if korean.is_common_surname(last) else born[:4]}"


def _names(f: Fields) -> str:
    # Sorted, so first and last name swapped give the same key.
    last = f.get("last_name", "")
    first, surname = name_code(f.get("first_name", "")), name_code(last)
    if not first or not surname:
        return ""
    key = "|".join(sorted((first, surname)))
    if korean.is_common_surname(last):
        born = f.get("date_of_birth", "")[:4]
        return f"{key}|{born}" if born else ""
    return key


def _korean_names(f: Fields) -> str:
    """The family name a Korean name stands for and the given name's romanization key,
    in whichever script or romanization the record wrote them (김민준, Kim Min-jun and
    Gim Minjun share ``김|mincun``); with the birth year for a common surname."""
    last, first = f.get("last_name", ""), f.get("first_name", "")
    if not last or not first:
        return ""
    surname = korean.canonical_surname(last)
    if not korean.is_hangul_name(surname):
        return ""
    key = f"{surname}|{korean.romanization_key(first)}"
    if korean.is_common_surname(surname):
        born = f.get("date_of_birth", "")[:4]
        return f"{key}|{born}" if born else ""
    return key


def _hangul_initials(f: Fields) -> str:
    """The first letters of the syllables of a Hangul name (김민준 is ᄀᄆᄌ) with the birth
    year: a mistyped vowel or final consonant keeps them."""
    last, first, born = f.get("last_name", ""), f.get("first_name", ""), f.get("date_of_birth", "")
    if not born or not korean.is_hangul_name(last + first):
        return ""
    return f"{initial_consonants(last + first)}|{born[:4]}"


def _postcode_initial(f: Fields) -> str:
    postcode, first = f.get("postcode", ""), f.get("first_name", "")
    return f"{postcode}|{first[0]}" if postcode and first else ""


def _postcode_house_number(f: Fields) -> str:
    postcode = f.get("postcode", "")
    number = next((w for w in f.get("address", "").split() if w.isdigit()), "")
    return f"{postcode}|{number}" if postcode and number else ""


def _korean_building(f: Fields) -> str:
    """Road and building number (or neighbourhood and lot) of a Korean address."""
    address = parse_korean_address(f.get("address", ""))
    if address is None:
        return ""
    return f"{address.road or address.town}|{address.number}"


def _field(name: str) -> Callable[[Fields], str]:
    return lambda f: f.get(name, "")


def default_rules() -> tuple[BlockingRule, ...]:
    """Surname sound with birth year; both names' sounds (in either order); the Korean
    name in any script or romanization; the first letters of a Hangul name's syllables
    with the birth year; birth date; postcode with first initial; postcode with house
    number; a Korean address's road and building; national ID; email local part. A true
    match is found when any one of these survives the typos. Keys on a common Korean
    surname carry the full birth date or the birth year besides (see ``_surname_year``):
    what is common is known before any record arrives, so it never depends on their
    order."""
    return (
        BlockingRule("surname_year", _surname_year, ("last_name", "date_of_birth")),
        BlockingRule("names", _names, ("first_name", "last_name")),
        BlockingRule("korean_names", _korean_names, ("first_name", "last_name")),
        BlockingRule(
            "hangul_initials", _hangul_initials, ("first_name", "last_name", "date_of_birth")
        ),
        BlockingRule("dob", _field("date_of_birth"), ("date_of_birth",)),
        BlockingRule("postcode_initial", _postcode_initial, ("postcode", "first_name")),
        BlockingRule("postcode_house_number", _postcode_house_number, ("postcode", "address")),
        BlockingRule("korean_building", _korean_building, ("address",)),
        BlockingRule("national_id", _field("national_id"), ("national_id",)),
        BlockingRule("email_local", _field("email_local"), ("email_local",)),
    )


def blocking_keys(record: PersonRecord, rules: Iterable[BlockingRule]) -> set[str]:
    fields = record.normalized
    return {key for rule in rules if (key := rule.key(fields)) is not None}


def usable(size: int, max_block_size: int) -> bool:
    """Whether a key held by ``size`` records is compared through (not too common)."""
    return size <= max_block_size


def files_under(size_before: int, max_block_size: int) -> bool:
    """Whether a record is filed under a key that ``size_before`` records are filed
    under: while the key is not yet known too common (so at most ``max_block_size + 1``
    entries)."""
    return size_before <= max_block_size


@dataclass(slots=True)
class BlockIndex:
    """Blocks of records, each compared in full while at most ``max_block_size`` records
    hold its key; a key held by more is too common and compares nothing.

    ``preload`` puts in what a store already holds under a key (its filed records, at most
    ``max_block_size + 1`` of them); ``add`` files the new records; ``pairs`` answers, for
    the added records, every pair with an earlier record (stored, or added before it)
    sharing a key that is not too common, once the sizes of all the additions are known.
    """

    rules: tuple[BlockingRule, ...]
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    blocks: dict[str, list[PersonRecord]] = field(default_factory=dict)
    preloaded: dict[str, int] = field(default_factory=dict)
    added: list[tuple[PersonRecord, tuple[str, ...]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.max_block_size < 2:
            raise ValueError(f"max_block_size must be at least 2, got {self.max_block_size}")

    def preload(self, key: str, records: Sequence[PersonRecord]) -> None:
        self.blocks[key] = list(records)
        self.preloaded[key] = len(records)

    def add(self, record: PersonRecord, keys: Iterable[str] | None = None) -> None:
        """``keys``: the record's blocking keys under ``rules`` when already known."""
        if keys is None:
            keys = blocking_keys(record, self.rules)
        ordered = tuple(sorted(keys))
        for key in ordered:
            self.blocks.setdefault(key, []).append(record)
        self.added.append((record, ordered))

    @property
    def too_common(self) -> set[str]:
        return {k for k, b in self.blocks.items() if not usable(len(b), self.max_block_size)}

    def pairs(self) -> list[tuple[PersonRecord, PersonRecord]]:
        """(earlier, added) for every added record, partners in the order met (blocks by
        key, each in filing order), each once; none of one identifier."""
        position = {id(r): i for i, (r, _) in enumerate(self.added)}
        found: list[tuple[PersonRecord, PersonRecord]] = []
        for index, (record, keys) in enumerate(self.added):
            met: dict[int, PersonRecord] = {}
            for key in keys:
                block = self.blocks[key]
                if not usable(len(block), self.max_block_size):
                    continue
                for earlier in block:
                    if earlier is record:
                        break
                    if earlier.key != record.key and position.get(id(earlier), -1) < index:
                        met.setdefault(id(earlier), earlier)
            found.extend((earlier, record) for earlier in met.values())
        return found

    def filed(self, key: str) -> list[PersonRecord]:
        """The added records a store files under ``key`` (``files_under``)."""
        block = self.blocks.get(key, [])
        before = self.preloaded.get(key, 0)
        room = max(0, self.max_block_size + 1 - before)
        return block[before : before + room]

    def pair_count(self) -> int:
        """Pairs the usable blocks can make at most (an upper bound: a pair sharing two
        keys counts twice)."""
        return sum(
            len(b) * (len(b) - 1) // 2
            for b in self.blocks.values()
            if usable(len(b), self.max_block_size)
        )


def candidate_pairs(
    records: Iterable[PersonRecord],
    rules: tuple[BlockingRule, ...],
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
) -> tuple[list[tuple[PersonRecord, PersonRecord]], set[str]]:
    """Each pair of records sharing a blocking key that is not too common, once, earlier
    record first, and the keys found too common."""
    index = BlockIndex(rules, max_block_size)
    for record in records:
        index.add(record)
    return index.pairs(), index.too_common
