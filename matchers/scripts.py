"""Text in any script: folded for comparison without losing a letter, and read in Latin.

``fold`` is how every person attribute is compared: NFKC (full-width letters are ASCII,
half-width katakana are katakana), case folded, Latin letters without their accents (as
the matcher always compared them: ``José`` is ``jose``), apostrophes dropped, every other
mark of punctuation a space, and letters of every other script kept as they are. A value
made only of punctuation folds to nothing; a value with a letter or digit of any script
never does.

``script_of`` names the script of a folded value (``latin``, ``hangul``, ``han``, ``kana``,
``cyrillic``, ``greek``, ``arabic``, ``hebrew``, ``other``); ``latin`` also for digits only.
``to_latin`` reads a value of any script in Latin letters through ``anyascii`` (Hangul by
the Revised Romanization's letters, Chinese characters in pinyin, kana in Hepburn, Cyrillic,
Greek and Arabic letter by letter), folded like any Latin text. ``jamo`` spells Hangul
syllables in their letters (Unicode's canonical decomposition, so ``한`` is ``ᄒ ᅡ ᆫ``) and
``initial_consonants`` keeps the first letter of each syllable (``김민준`` is ``ᄀᄆᄌ``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

LATIN = "latin"
HANGUL = "hangul"
HAN = "han"
KANA = "kana"
CYRILLIC = "cyrillic"
GREEK = "greek"
ARABIC = "arabic"
HEBREW = "hebrew"
OTHER = "other"

# Letters that NFKD does not split into a base letter and a mark.
_UNSPLIT_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4\u02bc]")
_NOT_ASCII_WORD = re.compile(r"[^0-9a-z]+")

# Unicode blocks by first letter's code point: enough to tell the scripts apart that the
# matcher reads differently (a letter's script property is not in ``unicodedata``).
_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, GREEK),
    (0x1F00, 0x1FFF, GREEK),
    (0x0400, 0x052F, CYRILLIC),
    (0x0590, 0x05FF, HEBREW),
    (0x0600, 0x06FF, ARABIC),
    (0x0750, 0x077F, ARABIC),
    (0x1100, 0x11FF, HANGUL),
    (0x3130, 0x318F, HANGUL),
    (0xA960, 0xA97F, HANGUL),
    (0xAC00, 0xD7AF, HANGUL),
    (0xD7B0, 0xD7FF, HANGUL),
    (0x3040, 0x30FF, KANA),
    (0x31F0, 0x31FF, KANA),
    (0x3400, 0x4DBF, HAN),
    (0x4E00, 0x9FFF, HAN),
    (0xF900, 0xFAFF, HAN),
    (0x20000, 0x3134F, HAN),
)


def _char_script(char: str) -> str:
    point = ord(char)
    if point < 0x0370:
        return LATIN
    for low, high, script in _SCRIPT_RANGES:
        if low <= point <= high:
            return script
    return OTHER


@functools.lru_cache(maxsize=1 << 17)
def fold(value: str) -> str:
    """Words of letters and digits of any script, separated by single spaces."""
    if value.isascii():
        return " ".join(_NOT_ASCII_WORD.sub(" ", _APOSTROPHES.sub("", value.lower())).split())
    text = unicodedata.normalize("NFKC", value).casefold()
    text = _APOSTROPHES.sub("", text)
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char if char.isalnum() else " ")
        elif _char_script(char) == LATIN:
            if char.isalnum():
                out.append(without_accents(char))
            elif not unicodedata.combining(char):
                out.append(" ")
            # an accent left over on a Latin letter goes, as it does from a composed one
        elif _char_script(char) == GREEK:
            # Greek accents (tonos, dialytika) are written or left out at will.
            out.append(without_accents(char) if char.isalpha() else " ")
        elif char.isalnum() or (
            unicodedata.category(char) in ("Mn", "Mc") and out and out[-1] != " "
        ):
            # A letter or digit of another script, or a mark on one (Devanagari vowel
            # signs, Hangul jamo): kept. A mark on nothing (an emoji's variation
            # selector) is not a letter.
            out.append(char)
        else:
            out.append(" ")
    return " ".join("".join(out).split())


def without_accents(value: str) -> str:
    """Case-folded, decomposed (NFKD) and stripped of combining marks."""
    decomposed = unicodedata.normalize("NFKD", value.casefold().translate(_UNSPLIT_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=1 << 16)
def script_of(value: str) -> str:
    """The script of the first letter (digits and spaces are read past): ``latin`` for a
    value with no letter."""
    for char in value:
        if char.isalpha():
            return _char_script(char)
    return LATIN


def is_latin(value: str) -> bool:
    return script_of(value) == LATIN


@functools.lru_cache(maxsize=1 << 16)
def to_latin(value: str) -> str:
    """``value`` read in Latin letters, folded (``김 민준`` is ``gim minjun``)."""
    if value.isascii():
        return fold(value)
    return fold(anyascii(value))


@functools.lru_cache(maxsize=1 << 16)
def jamo(value: str) -> str:
    """Hangul syllables spelt in their letters (conjoining jamo); other text as it is."""
    return unicodedata.normalize("NFD", value)


_CHOSEONG_FIRST, _CHOSEONG_LAST = 0x1100, 0x1112


@functools.lru_cache(maxsize=1 << 16)
def initial_consonants(value: str) -> str:
    """The first letter of each Hangul syllable of ``value`` (other characters dropped)."""
    return "".join(c for c in jamo(value) if _CHOSEONG_FIRST <= ord(c) <= _CHOSEONG_LAST)


def is_hangul_syllable(char: str) -> bool:
    return 0xAC00 <= ord(char) <= 0xD7A3
