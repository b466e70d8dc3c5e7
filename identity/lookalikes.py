"""Look-alike identifiers: values a person cannot tell from another by eye.

``paypal@example.com`` written with U+0430 CYRILLIC SMALL LETTER A for its first ``a``
is a different mailbox from ``paypal@example.com`` and stays a different identifier, but
it is how a spoofer (or a broken keyboard mapping) makes a second identity that a steward
reads as the first. Such values are stored as they are and flagged (a warning with a
rule, never a refusal).

The checks are Unicode's (UTS #39, Unicode Security Mechanisms) as ICU implements them
(``SpoofChecker``), applied to each run of letters and digits between ASCII punctuation
(an email's local part and each domain label, a handle, a customer number), so that a
Cyrillic local part at a Latin domain is not "mixed":

- ``identifier.mixed_script``: scripts mixed beyond UTS #39's *highly restrictive* level
  (Latin with Cyrillic or Greek; Latin with Han and Kana, or with Han and Hangul, is
  allowed, as Japanese and Korean write);
- ``identifier.confusable``: written in another script but indistinguishable from a Latin
  string (its UTS #39 skeleton is ASCII), such as ``ape`` written in Cyrillic letters;
- ``identifier.mixed_numbers``: digits of more than one numbering system;
- ``identifier.invisible``: a combining mark repeated or otherwise invisible.

ASCII values are never flagged and cost one ``isascii`` call.
"""

from __future__ import annotations

import functools
import re

import icu

_CHECKS = icu.USpoofChecks
_RULES = (
    (_CHECKS.RESTRICTION_LEVEL, "identifier.mixed_script"),
    (_CHECKS.MIXED_NUMBERS, "identifier.mixed_numbers"),
    (_CHECKS.INVISIBLE, "identifier.invisible"),
)
_SEPARATORS = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
_NEUTRAL_SCRIPTS = frozenset({"Common", "Inherited"})
# One checker for the process: configured once, then only read (ICU allows concurrent
# checks on a checker that is no longer changed).
_checker = icu.SpoofChecker()


def lookalike_warnings(value: str) -> tuple[tuple[str, str], ...]:
    """``(rule, message)`` for each look-alike trait of a normalized identifier value."""
    if value.isascii():
        return ()
    return _warnings(value)


@functools.lru_cache(maxsize=16384)
def _warnings(value: str) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for part in _SEPARATORS.split(value):
        if part.isascii():
            continue
        failed = _checker.check(part)
        skeleton = _checker.getSkeleton(0, part)
        looks_like = f", looks like the Latin {skeleton!r}" if skeleton.isascii() else ""
        for bit, rule in _RULES:
            if failed & bit and rule not in found:
                found[rule] = _message(rule, part, looks_like)
        if looks_like and not failed and "identifier.confusable" not in found:
            found["identifier.confusable"] = f"{part!r} ({_scripts(part)}){looks_like}"
    return tuple(found.items())


def _message(rule: str, part: str, looks_like: str) -> str:
    if rule == "identifier.mixed_script":
        return f"{part!r} mixes scripts ({_scripts(part)}){looks_like}"
    if rule == "identifier.mixed_numbers":
        return f"{part!r} mixes digits of different numbering systems{looks_like}"
    return f"{part!r} holds invisible or repeated combining characters{looks_like}"


def _scripts(part: str) -> str:
    names = {icu.Script.getScript(ord(c)).getName() for c in part}
    return ", ".join(sorted(names - _NEUTRAL_SCRIPTS)) or "Common"
