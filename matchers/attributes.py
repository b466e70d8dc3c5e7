"""Person attributes as the fuzzy matcher compares them.

``normalize_attributes`` turns the attributes an observation carried into comparable
values: accents folded, case folded, punctuation and extra whitespace dropped, common
abbreviations of names and street types written out, dates as ``YYYY-MM-DD``, postcodes
without spaces. A value that normalizes to nothing is left out, so a comparison never
sees an empty string.

Compared fields (the keys of the normalized mapping):

``first_name``, ``middle_name``, ``last_name``
    From the attributes of those names; when absent, split from ``full_name`` ("Jane Q
    Doe" or "Doe, Jane Q").
``date_of_birth``
    ``YYYY-MM-DD`` from ``YYYY-MM-DD`` or ``YYYYMMDD``. The calendar is not checked: the
    observation parser already refuses impossible dates, and a keyed-in date with one
    wrong digit is still evidence.
``gender``, ``address``, ``city``, ``postcode``, ``region``, ``country``
    As observed, normalized.
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
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

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

# Letters that NFKD does not split into a base letter and a mark.
_UNSPLIT_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_EMAIL_SEPARATORS = re.compile(r"[._\-]+")

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
_GENDERS = {"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "woman": "f"}


@functools.lru_cache(maxsize=1 << 17)
def fold_text(value: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents and case folded,
    apostrophes dropped (``O'Brien`` is ``obrien``), other punctuation a space."""
    # ASCII text (most values) has nothing to decompose and only case to fold: the same
    # result without a loop over its characters.
    bare = value.lower() if value.isascii() else without_accents(value)
    return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", bare)).split())


def without_accents(value: str) -> str:
    """Case-folded, decomposed (NFKD) and stripped of combining marks."""
    decomposed = unicodedata.normalize("NFKD", value.casefold().translate(_UNSPLIT_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_name(value: str) -> str:
    words = [w for w in fold_text(value).split() if w not in _NAME_TITLES]
    return " ".join(_NAME_ABBREVIATIONS.get(w, w) for w in words)


def normalize_address(value: str) -> str:
    words = fold_text(value).split()
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
    words = fold_text(value).split()
    return " ".join(_PLACE_ABBREVIATIONS.get(w, w) for w in words)


def normalize_date(value: str) -> str:
    """``YYYY-MM-DD`` from eight digits in year, month, day order; else empty."""
    digits = re.sub(r"\D", "", value)
    if len(digits) != 8:
        return ""
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def normalize_code(value: str) -> str:
    """Postcodes and ID numbers: letters and digits only, upper case."""
    return _NOT_ALNUM.sub("", fold_text(value)).upper()


def normalize_gender(value: str) -> str:
    folded = fold_text(value)
    return _GENDERS.get(folded, folded)


def normalize_email_local(email: str) -> str:
    local = email.rpartition("@")[0] if "@" in email else ""
    local = local.split("+", 1)[0].casefold()
    return _EMAIL_SEPARATORS.sub("", local)


def split_full_name(value: str) -> tuple[str, str, str]:
    """(first, middle, last) from "First Middle Last" or "Last, First Middle"."""
    if "," in value:
        last, _, rest = value.partition(",")
        words = normalize_name(rest).split()
        return (words[0] if words else "", " ".join(words[1:]), normalize_name(last))
    words = normalize_name(value).split()
    if len(words) < 2:
        return (words[0] if words else "", "", "")
    return words[0], " ".join(words[1:-1]), words[-1]


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
