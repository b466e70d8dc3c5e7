"""Person attributes as the fuzzy matcher compares them.

``normalize_attributes`` turns the attributes an observation carried into comparable
values, in every script (``scripts.fold``): NFKC, case folded, Latin accents folded,
punctuation and extra whitespace dropped, letters of other scripts kept; common
abbreviations of names and street types written out, dates as ``YYYY-MM-DD``, postcodes
without spaces. A value that normalizes to nothing is left out, so a comparison never
sees an empty string (the observation parser refuses such a value, see
``normalize_attribute``).

Compared fields (the keys of the normalized mapping):

``first_name``, ``middle_name``, ``last_name``
    From the attributes of those names, each written without spaces (``Jun Ho`` is
    ``junho``, ``김 민준`` is ``김민준``); when absent, split from ``full_name`` in the
    order its script writes names (``split_full_name``). A Hangul name is split again by
    one rule whichever way the source split it (``korean.split_hangul_name``).
``date_of_birth``
    ``YYYY-MM-DD`` from ``YYYY-MM-DD`` or ``YYYYMMDD``. The calendar is not checked: the
    observation parser already refuses impossible dates, and a keyed-in date with one
    wrong digit is still evidence.
``address``
    A Korean road-name or lot-number address in its canonical spelling
    (``korean_address``); any other address folded, street types written out.
``gender``, ``city``, ``postcode``, ``region``, ``country``
    As observed, normalized (gender ``m``/``f`` from ``M``/``F``, ``male``/``female``,
    ``남``/``여``).
``national_id``
    A government or social-security number carried as an attribute, compared like any
    other field (never trusted as an identifier by this matcher).
``email_local``
    The local part of an ``email`` attribute, or of the record's own key when it is an
    ``email:`` identifier, without dots, ``+tags``, ``-`` and ``_``, so that
    ``jane.doe@a.example`` and ``janedoe+x@b.example`` compare equal.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from matchers import korean
from matchers.korean_address import parse_korean_address
from matchers.scripts import HAN, HANGUL, KANA, fold, script_of

COMPARED_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "gender",
    "address",
    "city",
    "postcode",
    "region",
    "country",
    "national_id",
    "email_local",
)

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_EMAIL_SEPARATORS = re.compile(r"[._\-]+")

fold_text = fold
"""Words of letters and digits of any script (see ``scripts.fold``)."""

_NAME_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "jr", "sr", "ii", "iii"}
)
# Old record-keeping abbreviations of given names; nicknames are left to the similarity
# levels because "alex" is not always "alexander".
_NAME_ABBREVIATIONS = {
    "benj": "benjamin",
    "chas": "charles",
    "edw": "edward",
    "geo": "george",
    "jas": "james",
    "jno": "john",
    "jos": "joseph",
    "robt": "robert",
    "saml": "samuel",
    "thos": "thomas",
    "wm": "william",
}
_STREET_ABBREVIATIONS = {
    "apt": "apartment",
    "av": "avenue",
    "ave": "avenue",
    "blvd": "boulevard",
    "cct": "circuit",
    "cl": "close",
    "cr": "crescent",
    "cres": "crescent",
    "ct": "court",
    "dr": "drive",
    "hwy": "highway",
    "ln": "lane",
    "pde": "parade",
    "pl": "place",
    "rd": "road",
    "sq": "square",
    "ste": "suite",
    "tce": "terrace",
}
_PLACE_ABBREVIATIONS = {"ft": "fort", "mt": "mount", "pt": "port", "st": "saint"}
_GENDERS = {
    "m": "m",
    "male": "m",
    "man": "m",
    "남": "m",
    "남자": "m",
    "남성": "m",
    "f": "f",
    "female": "f",
    "woman": "f",
    "여": "f",
    "여자": "f",
    "여성": "f",
}


def _name_words(value: str) -> list[str]:
    return [_NAME_ABBREVIATIONS.get(w, w) for w in fold(value).split() if w not in _NAME_TITLES]


def normalize_name(value: str) -> str:
    """Folded, titles dropped, old abbreviations written out, and the words joined:
    ``Jun-ho``, ``Jun Ho`` and ``Junho`` are one name, as are ``김 민준`` and ``김민준``."""
    return "".join(_name_words(value))


def normalize_address(value: str) -> str:
    """A Korean road-name or lot-number address in its canonical spelling
    (``korean_address``); any other address folded with street types written out."""
    korean = parse_korean_address(value)
    if korean is not None:
        return korean.canonical()
    words = fold(value).split()
    written: list[str] = []
    for index, word in enumerate(words):
        if word == "st":
            following = words[index + 1] if index + 1 < len(words) else ""
            # "st kilda road" is Saint Kilda; "12 main st" and "main st apt 4" are streets.
            is_saint = following.isalpha() and following not in _STREET_ABBREVIATIONS
            written.append("saint" if is_saint else "street")
        else:
            written.append(_STREET_ABBREVIATIONS.get(word, word))
    return " ".join(written)


def normalize_place(value: str) -> str:
    words = fold(value).split()
    return " ".join(_PLACE_ABBREVIATIONS.get(w, w) for w in words)


def normalize_date(value: str) -> str:
    """``YYYY-MM-DD`` from eight digits in year, month, day order; else empty."""
    digits = re.sub(r"\D", "", value)
    if len(digits) != 8:
        return ""
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def normalize_code(value: str) -> str:
    """Postcodes and ID numbers: letters and digits only, upper case."""
    return _NOT_ALNUM.sub("", fold(value)).upper()


def normalize_gender(value: str) -> str:
    folded = fold(value)
    return _GENDERS.get(folded, folded)


def normalize_email_local(email: str) -> str:
    local = email.rpartition("@")[0] if "@" in email else ""
    local = local.split("+", 1)[0].casefold()
    return _EMAIL_SEPARATORS.sub("", local)


def split_full_name(value: str) -> tuple[str, str, str]:
    """(first, middle, last) of a full name, in the order its script writes it.

    "Last, First Middle" in any script. Hangul: family name first, spacing ignored
    (``korean.split_hangul_name``). Chinese and Japanese: family name first (the first
    word, or for Chinese characters without a space the first character). Latin:
    "First Middle Last", unless the name reads as a Korean name written family name
    first (``KANG DO HYUN``, ``Rhee Jun-ho``; see ``_latin_korean_order``); a Korean
    given name written in two words is one given name (``Jun Ho``).
    """
    if "," in value:
        last, _, rest = value.partition(",")
        words = _name_words(rest)
        return (words[0] if words else "", "".join(words[1:]), normalize_name(last))
    folded = fold(value)
    script = script_of(folded)
    if script == HANGUL and korean.is_hangul_name(folded):
        family, given = korean.split_hangul_name(folded)
        return given, "", family
    if script in (HAN, KANA):
        words = folded.split()
        if len(words) >= 2:
            return "".join(words[1:]), "", words[0]
        if script == HAN and len(folded) >= 2:
            return folded[1:], "", folded[0]
        return folded, "", ""
    words = _name_words(value)
    if len(words) < 2:
        return (words[0] if words else "", "", "")
    order = _latin_korean_order(words)
    if order == "family_first":
        return "".join(words[1:]), "", words[0]
    if order == "family_last":
        return "".join(words[:-1]), "", words[-1]
    return words[0], "".join(words[1:-1]), words[-1]


def _latin_korean_order(words: list[str]) -> str:
    """``family_first`` or ``family_last`` when the words read as a Korean name (one end
    is a Korean surname spelling, every other word reads as Hangul syllables; when both
    ends are surnames, the more common one is the family name, a tie keeps the Western
    order); else ""."""
    if not all(korean.is_korean_romanized(w) for w in words):
        return ""
    first, last = korean.surname_share(words[0]), korean.surname_share(words[-1])
    first_known = bool(korean.hangul_surnames(words[0]))
    last_known = bool(korean.hangul_surnames(words[-1]))
    if first_known and (not last_known or first > last):
        return "family_first"
    if last_known:
        return "family_last"
    return ""


# Memoized: a load repeats the same names, places and dates many times.
_NORMALIZERS = {
    name: functools.lru_cache(maxsize=1 << 16)(normalize)
    for name, normalize in {
        "first_name": normalize_name,
        "middle_name": normalize_name,
        "last_name": normalize_name,
        "date_of_birth": normalize_date,
        "gender": normalize_gender,
        "address": normalize_address,
        "city": normalize_place,
        "postcode": normalize_code,
        "region": normalize_place,
        "country": normalize_code,
        "national_id": normalize_code,
    }.items()
}


def normalize_attribute(name: str, value: str) -> str | None:
    """One attribute as the matcher compares it ("" when nothing comparable is left),
    or None for an attribute the matcher does not compare."""
    if name == "full_name":
        return " ".join(p for p in split_full_name(value) if p)
    normalize = _NORMALIZERS.get(name)
    return normalize(value) if normalize is not None else None


def normalize_attributes(attributes: Mapping[str, str], key: str = "") -> dict[str, str]:
    """The compared fields of one record; ``key`` (``type:value``) supplies the email
    local part when the record is anchored at an email address."""
    normalized = {
        name: normalize(attributes[name])
        for name, normalize in _NORMALIZERS.items()
        if attributes.get(name)
    }
    if "full_name" in attributes and not (
        normalized.get("first_name") or normalized.get("last_name")
    ):
        first, middle, last = split_full_name(attributes["full_name"])
        normalized.update(first_name=first, last_name=last)
        normalized.setdefault("middle_name", middle)
    last, first = normalized.get("last_name", ""), normalized.get("first_name", "")
    if last and first and korean.is_hangul_name(last) and korean.is_hangul_name(first):
        # However a source split a Hangul name, it is split again by one rule, so that
        # 선 + 우진 and 선우 + 진 (and 선우진 as a full name) compare as one name.
        last, first = korean.split_hangul_name(last + first)
        normalized.update(first_name=first, last_name=last)
    email = attributes.get("email") or (key[len("email:") :] if key.startswith("email:") else "")
    if email:
        normalized["email_local"] = normalize_email_local(email)
    return {name: value for name, value in normalized.items() if value}


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What one identifier says about a person: ``key`` is the identifier key
    (``type:value``) the record is anchored at, ``attributes`` the attributes as
    observed. ``normalized`` holds the compared fields, computed once."""

    key: str
    attributes: Mapping[str, str]
    normalized: Mapping[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "normalized", normalize_attributes(self.attributes, self.key))

    @classmethod
    def from_normalized(cls, key: str, fields: Mapping[str, str]) -> PersonRecord:
        """A record from fields normalized earlier (as a store keeps them): they are
        compared as given, not normalized again."""
        record = cls(key, {})
        object.__setattr__(record, "normalized", dict(fields))
        return record
