"""The levels of a name comparison, each a rule of its own.

A ``NameComparison`` (``comparisons``) tries its rules in order on two different names and
gives the level of the first rule reached; ``exact`` comes before them all and ``else``
after. A rule sees both names and both records (``NamePair``), so that a rule may read
another field (a swap with the last name) and the costly readings of a pair (similarity,
script, Latin reading) are made once. A new kind of agreement (a nickname, an initial
with a suffix) is one more ``NameRule`` put in the comparison's order.

Scripts: two names in one script other than Hangul are compared as written (Jaro-Winkler
over the letters); two Hangul names letter by letter (``jamo``: 민준 and 민쥰 differ in
one letter, 민준 and 민수 in two); a name in one script and a name in another, or two
Latin spellings of one Korean name, through their Latin reading (``transliterated``).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Mapping

from rapidfuzz.distance import OSA, JaroWinkler

from matchers import korean
from matchers.scripts import ARABIC, HANGUL, HEBREW, LATIN, jamo, script_of, to_latin

Fields = Mapping[str, str]

_CONSONANT_SCRIPTS = frozenset({ARABIC, HEBREW})
"""Scripts that write few or no vowels: compared with a Latin name by consonants."""


class NamePair:
    """Two different names of one field and the records they come from."""

    __slots__ = ("_latin", "_similarity", "a", "b", "left", "right", "script_a", "script_b")

    def __init__(self, a: str, b: str, left: Fields, right: Fields) -> None:
        self.a = a
        self.b = b
        self.left = left
        self.right = right
        self.script_a = script_of(a)
        self.script_b = script_of(b)
        self._similarity = -1.0
        self._latin: tuple[str, str] | None = None

    @property
    def same_script(self) -> bool:
        return self.script_a == self.script_b

    @property
    def hangul(self) -> bool:
        """Both names in Hangul."""
        return self.script_a == HANGUL and self.script_b == HANGUL

    def latin(self) -> tuple[str, str]:
        """Both names read in Latin: by ``romanization_key`` when either is Hangul (so the
        romanization systems agree), else by ``to_latin`` without spaces."""
        if self._latin is None:
            if HANGUL in (self.script_a, self.script_b):
                self._latin = (korean.romanization_key(self.a), korean.romanization_key(self.b))
            else:
                self._latin = (_plain_latin(self.a), _plain_latin(self.b))
        return self._latin

    def similarity(self) -> float:
        """Jaro-Winkler of the names as written in one script, of their Latin readings
        across scripts."""
        if self._similarity < 0:
            a, b = (self.a, self.b) if self.same_script else self.latin()
            self._similarity = JaroWinkler.similarity(a, b)
        return self._similarity


@functools.lru_cache(maxsize=1 << 16)
def _plain_latin(value: str) -> str:
    return to_latin(value).replace(" ", "")


@functools.lru_cache(maxsize=1 << 16)
def _consonants(value: str) -> str:
    """A Latin reading without vowels and doubled letters (``muhammad`` is ``mhmd``)."""
    out: list[str] = []
    for char in _plain_latin(value):
        if char not in "aeiouy" and (not out or out[-1] != char):
            out.append(char)
    return "".join(out)


class NameRule(ABC):
    label: str

    @abstractmethod
    def reached(self, pair: NamePair) -> bool: ...


class Swapped(NameRule):
    """Both names crossed: this record's name is the other's ``other`` field and back."""

    def __init__(self, other: str, threshold: float) -> None:
        self.other = other
        self.threshold = threshold
        self.label = f"swapped_with_{other}"

    def reached(self, pair: NamePair) -> bool:
        crossed = _crossed(pair, self.other, self.threshold)
        return crossed is not None and all(crossed)


class Crossed(NameRule):
    """One name crossed over ("Gillian Lodge" and "Lodge Adele": a swap with a second
    error)."""

    def __init__(self, other: str, threshold: float) -> None:
        self.other = other
        self.threshold = threshold
        self.label = f"crossed_with_{other}"

    def reached(self, pair: NamePair) -> bool:
        crossed = _crossed(pair, self.other, self.threshold)
        return crossed is not None and any(crossed)


def _crossed(pair: NamePair, other: str, threshold: float) -> tuple[bool, bool] | None:
    a_other, b_other = pair.left.get(other), pair.right.get(other)
    if not a_other or not b_other or pair.similarity() >= threshold:
        return None
    return (
        _alike(pair.a, b_other, threshold),
        _alike(a_other, pair.b, threshold),
    )


def _alike(a: str, b: str, threshold: float) -> bool:
    if a == b:
        return True
    if script_of(a) != script_of(b):
        if HANGUL in (script_of(a), script_of(b)):
            return korean.romanization_key(a) == korean.romanization_key(b)
        return _plain_latin(a) == _plain_latin(b)
    return JaroWinkler.similarity(a, b) >= threshold


class Transliterated(NameRule):
    """One name in two scripts, or two Latin spellings of one Korean name: a Hangul name
    and its romanization (김/Kim, 민준/Min-joon), two romanizations of one Hangul name
    (Lee/Yi/Rhee, Park/Pak, Junho/Chun-ho), Chinese, Japanese kana, Cyrillic and Greek
    read in Latin alike, Arabic and Hebrew with the consonants of a Latin name.
    ``surname``: the names are family names, whose spellings ``korean`` knows."""

    label = "transliterated"

    def __init__(self, surname: bool) -> None:
        self.surname = surname

    def reached(self, pair: NamePair) -> bool:
        a, b = pair.a, pair.b
        if self.surname and korean.same_surname(a, b):
            return True
        if pair.same_script:
            if pair.script_a != LATIN:
                return False
            # Two Latin names: only as spellings of one Korean name (the keys first: they
            # are cheaper to compare than the words are to read as Hangul syllables).
            same_key = korean.romanization_key(a) == korean.romanization_key(b)
            return (
                (same_key or _same_korean_full_name(pair))
                and korean.is_korean_romanized(a)
                and korean.is_korean_romanized(b)
            )
        latin_a, latin_b = pair.latin()
        if latin_a == latin_b:
            return True
        if pair.script_a in _CONSONANT_SCRIPTS or pair.script_b in _CONSONANT_SCRIPTS:
            return bool(_consonants(a)) and _consonants(a) == _consonants(b)
        return HANGUL in (pair.script_a, pair.script_b) and _same_korean_full_name(pair)


def _same_korean_full_name(pair: NamePair) -> bool:
    """The whole Korean name agrees read in Latin, whichever word a Latin source took for
    the family name: ``Seon Do Yun`` may be 선도윤 or 도윤 선, and 안시우 written
    ``An Si U`` splits as ``Ansi U`` as well as ``An Siu``."""
    left, right = _full_name_keys(pair.left), _full_name_keys(pair.right)
    return bool(left and right and set(left) & set(right))


def _full_name_keys(fields: Fields) -> tuple[str, str] | None:
    first, last = fields.get("first_name"), fields.get("last_name")
    if not first or not last:
        return None
    given, family = korean.romanization_key(first), korean.romanization_key(last)
    return (family + given, given + family)


class JamoOff(NameRule):
    """Two Hangul names that differ in at most ``letters`` letters (jamo): a typed
    vowel or final consonant off, not another syllable."""

    def __init__(self, letters: int = 1) -> None:
        self.letters = letters
        self.label = f"jamo_{letters}_off"

    def reached(self, pair: NamePair) -> bool:
        if not pair.hangul:
            return False
        return OSA.distance(jamo(pair.a), jamo(pair.b), score_cutoff=self.letters) <= self.letters


class Similar(NameRule):
    """Jaro-Winkler at or above ``threshold`` (never between two Hangul names: their
    syllables are compared letter by letter instead)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.label = f"jaro_winkler>={threshold:g}"

    def reached(self, pair: NamePair) -> bool:
        return not pair.hangul and pair.similarity() >= self.threshold


class Initial(NameRule):
    """One name is the initial of the other."""

    label = "initial"

    def reached(self, pair: NamePair) -> bool:
        a, b = pair.a, pair.b
        return (len(a) == 1 or len(b) == 1) and a[0] == b[0]
