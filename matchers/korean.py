"""Korean names: family name first, surname spellings, and one key for every romanization.

Sources, so that nothing here is a hand-typed romanization table:

- Hangul letters come from Unicode's own decomposition (``scripts.jamo``), Latin readings
  of Hangul from ``anyascii`` (``scripts.to_latin``: the Revised Romanization's letters).
- Surname spellings and how common each surname is come from ``name-variants``: per Hangul
  surname the romanizations in use (Revised Romanization, McCune-Reischauer and the usual
  passport and diaspora spellings: 김 Kim/Gim, 이 Lee/Yi/Rhee/I, 박 Park/Pak/Bak, 최
  Choi/Choe, 정 Jung/Jeong/Chung ...) and, for the most common ones, the number of
  bearers (Statistics Korea).
- The two-syllable family names (남궁, 제갈, 선우 ...) are a short list written here: no
  maintained package lists them.

``romanization_key`` is an algorithm (like Soundex), not a table: it folds the differences
between the romanization systems (aspirated and plain consonants written apart or alike,
``eo``/``ŏ``/``u``, ``oo``/``u``, ``j``/``ch``, ``r``/``l``, hyphens and spaces) so that
준호, Junho, Jun-ho, Joon Ho and MR's Chun-ho have one key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from name_variants.korean_given_names import (  # type: ignore[import-untyped]
    KOREAN_GIVEN_NAME_VARIANTS,
)
from name_variants.korean_surnames import (  # type: ignore[import-untyped]
    KOREAN_SURNAME_VARIANTS,
)

from matchers.scripts import fold, is_hangul_syllable, to_latin

COMPOUND_SURNAMES = frozenset(
    {"남궁", "제갈", "선우", "황보", "독고", "사공", "서문", "동방", "어금", "망절", "소봉", "장곡"}
)
"""Two-syllable family names still borne in Korea."""

KOREAN_POPULATION = 51_000_000
"""For the share of each surname: its bearers over the population they were counted in."""

COMMON_SURNAME_SHARE = 0.01
"""A surname borne by this share of the population or more is common: a block keyed on it
and a birth year alone would hold too many people (김 about 21%, 이 15%, 박 8%)."""


def split_hangul_name(name: str) -> tuple[str, str]:
    """(family name, given name) of a Hangul full name, family name first, spaces
    ignored: two syllables when the name has three or more and starts with a
    two-syllable family name, else one. The same letters always split the same way,
    whichever way a source spaced or split them."""
    letters = "".join(name.split())
    if len(letters) >= 3 and letters[:2] in COMPOUND_SURNAMES:
        return letters[:2], letters[2:]
    if len(letters) >= 2:
        return letters[:1], letters[1:]
    return letters, ""


def is_hangul_name(name: str) -> bool:
    return bool(name) and all(is_hangul_syllable(c) for c in name if not c.isspace())


@functools.cache
def _surname_tables() -> tuple[
    dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, float]
]:
    forms: dict[str, frozenset[str]] = {}
    by_form: dict[str, set[str]] = {}
    shares: dict[str, float] = {}
    entries: Mapping[str, Mapping[str, object]] = KOREAN_SURNAME_VARIANTS
    for hangul, entry in entries.items():
        latin = {fold(f).replace(" ", "") for f in _spellings(entry)}
        latin.add(to_latin(hangul).replace(" ", ""))
        forms[hangul] = frozenset(f for f in latin if f)
        for form in forms[hangul]:
            by_form.setdefault(form, set()).add(hangul)
        bearers = entry.get("frequency")
        if isinstance(bearers, int):
            shares[hangul] = bearers / KOREAN_POPULATION
    return forms, {f: frozenset(h) for f, h in by_form.items()}, shares


def _spellings(entry: Mapping[str, object]) -> list[str]:
    spelt = entry.get("forms")
    return [str(f) for f in spelt] if isinstance(spelt, list) else []


def surname_forms(hangul: str) -> frozenset[str]:
    """The Latin spellings of a Hangul surname (empty for one the tables lack)."""
    return _surname_tables()[0].get(hangul, frozenset())


def hangul_surnames(latin: str) -> frozenset[str]:
    """The Hangul surnames a Latin spelling may stand for (``lee`` is 이; ``no`` 노 or 로)."""
    return _surname_tables()[1].get(latin, frozenset())


def surname_share(name: str) -> float:
    """Share of people in Korea bearing the surname (Hangul, or the most common one a
    Latin spelling may stand for); 0 when not known to be common."""
    shares = _surname_tables()[2]
    if is_hangul_name(name):
        return shares.get(name, 0.0)
    return max((shares.get(h, 0.0) for h in hangul_surnames(name)), default=0.0)


def surname_shares() -> dict[str, float]:
    """Hangul surname -> share of people in Korea bearing it (the common ones)."""
    return dict(_surname_tables()[2])


def is_common_surname(name: str) -> bool:
    return surname_share(name) >= COMMON_SURNAME_SHARE


def same_surname(a: str, b: str) -> bool:
    """Two spellings of one Korean surname: Hangul and a Latin form of it, or two Latin
    forms of one Hangul surname (Lee and Yi, Park and Pak)."""
    a_hangul, b_hangul = is_hangul_name(a), is_hangul_name(b)
    if a_hangul and b_hangul:
        return a == b
    if a_hangul:
        return a in hangul_surnames(b)
    if b_hangul:
        return b in hangul_surnames(a)
    return bool(hangul_surnames(a) & hangul_surnames(b))


def canonical_surname(name: str) -> str:
    """The Hangul surname a value stands for when there is exactly one (``kim`` is 김),
    else the value."""
    if is_hangul_name(name):
        return name
    found = hangul_surnames(name)
    return next(iter(found)) if len(found) == 1 else name


# Spellings of one sound, longest first: vowels as RR, MR (diacritics folded) and
# passports write them; then consonants that the systems write apart or alike.
_VOWELS = (
    ("yeo", "yo"),
    ("eo", "o"),
    ("eu", "u"),
    ("oo", "u"),
    ("ou", "u"),
    ("ee", "i"),
    ("oi", "oe"),
    ("ae", "e"),
    ("ai", "e"),
)
_VOWEL_PATTERN = re.compile("|".join(re.escape(v) for v, _ in _VOWELS))
_VOWEL_SPELLING = dict(_VOWELS)
_CONSONANTS = str.maketrans({"g": "k", "d": "t", "b": "p", "j": "c", "r": "l", "f": "p"})
_ASPIRATION = re.compile(r"(?<=[kptcsl])h")
_DOUBLED = re.compile(r"(.)\1+")
_NOT_LETTER = re.compile(r"[^a-z]+")


@functools.lru_cache(maxsize=1 << 16)
def romanization_key(value: str) -> str:
    """One key for the romanizations of a Korean name (Hangul is read in Latin first):
    ``준호``, ``junho``, ``jun-ho``, ``joon ho`` and ``chun-ho`` all give ``cunhu``."""
    text = _NOT_LETTER.sub("", to_latin(value))
    text = _VOWEL_PATTERN.sub(lambda m: _VOWEL_SPELLING[m.group()], text)
    text = text.replace("o", "u").replace("tch", "c").replace("ch", "c").replace("sh", "s")
    text = text.replace("ng", "\x00").translate(_CONSONANTS).replace("\x00", "ng")
    text = _ASPIRATION.sub("", text)
    return _DOUBLED.sub(r"\1", text)


@functools.cache
def _syllables() -> frozenset[str]:
    """Latin spellings of Hangul syllables: each syllable read by ``anyascii``, and the
    given-name and surname spellings ``name-variants`` knows."""
    read = {to_latin(chr(c)) for c in range(0xAC00, 0xD7A4)}
    given: Mapping[str, Mapping[str, object]] = KOREAN_GIVEN_NAME_VARIANTS
    for hangul, entry in given.items():
        if len(hangul) == 1:
            read.update(fold(f) for f in _spellings(entry))
    for forms in _surname_tables()[0].values():
        read.update(forms)
    return frozenset(s for s in read if s.isalpha())


@functools.lru_cache(maxsize=1 << 14)
def is_korean_romanized(token: str) -> bool:
    """Whether a Latin word (hyphens allowed) reads as one to three Hangul syllables."""
    parts = [p for p in re.split(r"[-\s]+", fold(token)) if p]
    if not parts or not all(p.isascii() and p.isalpha() for p in parts):
        return False
    return sum(_syllable_count(p) for p in parts) <= 3 and all(_syllable_count(p) for p in parts)


@functools.lru_cache(maxsize=1 << 14)
def _syllable_count(word: str) -> int:
    """The fewest syllables ``word`` splits into (0 when it does not split)."""
    known = _syllables()
    best = [0] + [0] * len(word)
    for end in range(1, len(word) + 1):
        candidates = [
            best[start] + 1
            for start in range(max(0, end - 7), end)
            if (start == 0 or best[start]) and word[start:end] in known
        ]
        best[end] = min(candidates, default=0)
    return best[len(word)]
