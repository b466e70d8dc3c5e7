"""Keys by which stewards find people: filed in the blocking index beside the blocking
keys, but never used to pair records (so they hold every record, with no cap).

``search_name:`` the family name a name stands for (Hangul surnames by their spellings:
Kim, Gim and 김 are one) and the given name's romanization key, so a name written in any
script or romanization finds the others (``김민준``, ``Kim Min-jun``, ``MINJOON GIM``);
``search_born:`` the birth date; ``search_postcode:``; ``search_phone:`` the last four
digits of a phone number seen with the record (Korean call centres ask for them:
휴대폰 뒷자리).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matchers import korean
from matchers.attributes import normalize_code, normalize_date, split_full_name

PREFIX = "search_"
PHONE_DIGITS = 4
"""Digits of a phone number's end that a search key holds."""


def name_key(first: str, last: str) -> str:
    family = korean.romanization_key(korean.canonical_surname(last))
    return f"{PREFIX}name:{family}|{korean.romanization_key(first)}"


def record_search_keys(fields: Mapping[str, str], phones: Iterable[str] = ()) -> set[str]:
    """The search keys of one record (``fields``: normalized) and the phone numbers
    (E.164) of its observation."""
    keys: set[str] = set()
    first, last = fields.get("first_name", ""), fields.get("last_name", "")
    if first and last:
        keys.add(name_key(first, last))
    if born := fields.get("date_of_birth"):
        keys.add(f"{PREFIX}born:{born}")
    if postcode := fields.get("postcode"):
        keys.add(f"{PREFIX}postcode:{postcode}")
    for phone in phones:
        digits = "".join(c for c in phone if c.isdigit())
        if len(digits) >= PHONE_DIGITS:
            keys.add(f"{PREFIX}phone:{digits[-PHONE_DIGITS:]}")
    return keys


def query_keys(
    name: str | None = None,
    date_of_birth: str | None = None,
    postcode: str | None = None,
    phone: str | None = None,
) -> dict[str, str]:
    """Criterion -> the key to read for it; a criterion that gives no key is left out
    (see ``query_problems``)."""
    keys: dict[str, str] = {}
    if name:
        first, _, last = split_full_name(name)
        if first and last:
            keys["name"] = name_key(first, last)
    if date_of_birth and (born := normalize_date(date_of_birth)):
        keys["date_of_birth"] = f"{PREFIX}born:{born}"
    if postcode and (code := normalize_code(postcode)):
        keys["postcode"] = f"{PREFIX}postcode:{code}"
    digits = phone_digits(phone or "")
    if len(digits) >= PHONE_DIGITS:
        keys["phone"] = f"{PREFIX}phone:{digits[-PHONE_DIGITS:]}"
    return keys


def phone_digits(fragment: str) -> str:
    return "".join(c for c in fragment if c.isdigit())


def phone_matches(fragment: str, e164: str) -> bool:
    """Whether a phone number (E.164) holds the digits of a fragment, written locally
    (``010-1234-5678``: the trunk 0 is not in E.164) or internationally."""
    digits = phone_digits(fragment).lstrip("0")
    return bool(digits) and digits in phone_digits(e164)
