"""Blocking: which records are worth comparing at all.

Comparing every record with every other grows with the square of the data; blocking
compares only records that share a blocking key. A key is a string prefixed by the name of
the rule that made it (``surname_year:S530|1980``), so a store can keep the keys as an
index ``blocking key -> record keys`` and a new record is matched against the records
already loaded under its keys.

A key shared by many records says little (``dob:1970-01-01``, one phonetic code for
"Smith" in one year) and would make blocks quadratic. A block holds at most
``max_block_size`` records, in arrival order: a record arriving at a full block is not
compared through that key, and the key is reported as too common. Because this depends only
on arrival order, loading records in one batch or in ten gives the same candidate pairs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from matchers.attributes import PersonRecord

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


def _surname_year(f: Fields) -> str:
    last, born = soundex(f.get("last_name", "")), f.get("date_of_birth", "")[:4]
    return f"{last}|{born}" if last and born else ""


def _names(f: Fields) -> str:
    # Sorted, so first and last name swapped give the same key.
    first, last = soundex(f.get("first_name", "")), soundex(f.get("last_name", ""))
    return "|".join(sorted((first, last))) if first and last else ""


def _postcode_initial(f: Fields) -> str:
    postcode, first = f.get("postcode", ""), f.get("first_name", "")
    return f"{postcode}|{first[0]}" if postcode and first else ""


def _postcode_house_number(f: Fields) -> str:
    postcode = f.get("postcode", "")
    number = next((w for w in f.get("address", "").split() if w.isdigit()), "")
    return f"{postcode}|{number}" if postcode and number else ""


def _field(name: str) -> Callable[[Fields], str]:
    return lambda f: f.get(name, "")


def default_rules() -> tuple[BlockingRule, ...]:
    """Surname sound with birth year; both names' sounds (in either order); birth date;
    postcode with first initial; postcode with house number; national ID; email local
    part. A true match is found when any one of these survives the typos."""
    return (
        BlockingRule("surname_year", _surname_year, ("last_name", "date_of_birth")),
        BlockingRule("names", _names, ("first_name", "last_name")),
        BlockingRule("dob", _field("date_of_birth"), ("date_of_birth",)),
        BlockingRule("postcode_initial", _postcode_initial, ("postcode", "first_name")),
        BlockingRule("postcode_house_number", _postcode_house_number, ("postcode", "address")),
        BlockingRule("national_id", _field("national_id"), ("national_id",)),
        BlockingRule("email_local", _field("email_local"), ("email_local",)),
    )


def blocking_keys(record: PersonRecord, rules: Iterable[BlockingRule]) -> set[str]:
    fields = record.normalized
    return {key for rule in rules if (key := rule.key(fields)) is not None}


@dataclass(slots=True)
class BlockIndex:
    """Blocks in arrival order, each capped at ``max_block_size`` records.

    ``preload`` puts in what a store already holds under a key (in arrival order);
    ``add`` files one record and returns the earlier records it must be compared with.
    """

    rules: tuple[BlockingRule, ...]
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE
    blocks: dict[str, list[PersonRecord]] = field(default_factory=dict)
    too_common: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.max_block_size < 2:
            raise ValueError(f"max_block_size must be at least 2, got {self.max_block_size}")

    def preload(self, key: str, records: Sequence[PersonRecord]) -> None:
        self.blocks[key] = list(records[: self.max_block_size])
        if len(records) >= self.max_block_size:
            self.too_common.add(key)

    def add(self, record: PersonRecord, keys: Iterable[str] | None = None) -> list[PersonRecord]:
        """``keys``: the record's blocking keys under ``rules`` when already known."""
        if keys is None:
            keys = blocking_keys(record, self.rules)
        found: list[PersonRecord] = []
        blocks_joined = 0
        for key in sorted(keys):
            block = self.blocks.setdefault(key, [])
            if len(block) >= self.max_block_size:
                self.too_common.add(key)
                continue
            found += [earlier for earlier in block if earlier.key != record.key]
            block.append(record)
            blocks_joined += 1
        if blocks_joined > 1:
            # A record met in two blocks is one candidate (kept where first met).
            found = list({id(earlier): earlier for earlier in found}.values())
        return found

    def pair_count(self) -> int:
        """Pairs the blocks can make at most (an upper bound: a pair sharing two keys
        counts twice)."""
        return sum(len(b) * (len(b) - 1) // 2 for b in self.blocks.values())


def candidate_pairs(
    records: Iterable[PersonRecord],
    rules: tuple[BlockingRule, ...],
    max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
) -> tuple[list[tuple[PersonRecord, PersonRecord]], set[str]]:
    """Each pair of records sharing a blocking key once, earlier record first, and the
    keys found too common."""
    index = BlockIndex(rules, max_block_size)
    pairs = [(earlier, record) for record in records for earlier in index.add(record)]
    return pairs, index.too_common
