"""Birth dates written the way a source writes them, read by the formats it declares.

A source declares its formats in the ``date_formats`` setting (per source, and a
``default`` for the others). ``YYYY-MM-DD`` is always understood besides; without a
declaration ``YYYYMMDD`` is too. Formats:

``YYYY-MM-DD``, ``YYYY.MM.DD``, ``YYYY/MM/DD``, ``YYYYMMDD``
    Year, month, day (``1993.11.02``; ``1993. 11. 2.`` as Korean forms print it).
``YYYY년 MM월 DD일``
    The Korean written date (``1993년 11월 2일``).
``YYMMDD``, ``YY.MM.DD``
    Two-digit year: the century is the latest that does not put the date in the future
    (``930131`` is 1993-01-31; ``200131`` is 2020-01-31 from 2020 on). A two-digit year
    cannot tell a baby from a centenarian; a source that knows better declares
    ``YYMMDD@19`` (every year in the 1900s) or ``YYMMDD@20``.
``DD/MM/YYYY``, ``DD.MM.YYYY``, ``DD-MM-YYYY``, ``MM/DD/YYYY``, ``MM-DD-YYYY``
    Day and month first.

One or two digits are accepted for day and month where a separator stands between them.
A value that no declared format reads is refused with the formats it was tried with; a
value that two declared formats read as different dates (``03/04/1990`` under both
``DD/MM/YYYY`` and ``MM/DD/YYYY``) is refused as ambiguous with both readings, never
guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

ISO = "YYYY-MM-DD"
DEFAULT_FORMATS: tuple[str, ...] = (ISO, "YYYYMMDD")

_PATTERNS: dict[str, tuple[str, str]] = {
    # format -> (regex with named groups, how the year is written)
    "YYYY-MM-DD": (r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})", "full"),
    "YYYY.MM.DD": (r"(?P<y>\d{4})\s*\.\s*(?P<m>\d{1,2})\s*\.\s*(?P<d>\d{1,2})\.?", "full"),
    "YYYY/MM/DD": (r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})", "full"),
    "YYYYMMDD": (r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})", "full"),
    "YYYY년 MM월 DD일": (r"(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일", "full"),
    "YYMMDD": (r"(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})", "short"),
    "YY.MM.DD": (r"(?P<y>\d{2})\s*\.\s*(?P<m>\d{1,2})\s*\.\s*(?P<d>\d{1,2})\.?", "short"),
    "DD/MM/YYYY": (r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})", "full"),
    "DD.MM.YYYY": (r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})", "full"),
    "DD-MM-YYYY": (r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})", "full"),
    "MM/DD/YYYY": (r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})", "full"),
    "MM-DD-YYYY": (r"(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>\d{4})", "full"),
}
_FIXED_CENTURY = re.compile(r"(?P<base>YYMMDD|YY\.MM\.DD)@(?P<century>1[89]|20)")

KNOWN_FORMATS: tuple[str, ...] = (*_PATTERNS, "YYMMDD@19", "YYMMDD@20")


class DateFormatError(ValueError):
    """A declared format that is not one of ``KNOWN_FORMATS``."""


@dataclass(frozen=True, slots=True)
class DateReading:
    """What the formats made of a value: the date, or why there is none."""

    value: date | None
    rule: str = ""
    message: str = ""


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats as given, or ``DateFormatError`` naming the unknown one."""
    for name in formats:
        base = _FIXED_CENTURY.fullmatch(name)
        if name not in _PATTERNS and base is None:
            raise DateFormatError(
                f"unknown date format {name!r}; known: {', '.join(KNOWN_FORMATS)}"
            )
    return tuple(formats)


def effective_formats(declared: Sequence[str] | None) -> tuple[str, ...]:
    """The declared formats with ``YYYY-MM-DD`` first; the defaults when none."""
    chosen = tuple(declared) if declared else DEFAULT_FORMATS
    return (ISO, *(f for f in chosen if f != ISO))


def read_date(text: str, formats: Sequence[str], today: date) -> DateReading:
    """``text`` read by each of ``formats`` (see the module docstring)."""
    readings: dict[date, str] = {}
    impossible = ""
    for name in formats:
        outcome = _read(text.strip(), name, today)
        if isinstance(outcome, date):
            readings.setdefault(outcome, name)
        elif outcome:
            impossible = outcome
    if len(readings) == 1:
        return DateReading(next(iter(readings)))
    if len(readings) > 1:
        both = " or ".join(f"{d.isoformat()} ({name})" for d, name in sorted(readings.items()))
        return DateReading(None, "ambiguous", f"reads as {both}: declare one format")
    if impossible:
        return DateReading(None, "calendar", impossible)
    return DateReading(
        None, "format", f"must be a date written {' or '.join(formats)} (the declared formats)"
    )


def _read(text: str, name: str, today: date) -> date | str | None:
    """The date, a sentence on why the numbers are no date, or None when the format does
    not fit at all."""
    fixed = _FIXED_CENTURY.fullmatch(name)
    pattern, year_kind = _PATTERNS[fixed.group("base") if fixed else name]
    found = _compiled(pattern).fullmatch(text)
    if found is None:
        return None
    year, month, day = int(found.group("y")), int(found.group("m")), int(found.group("d"))
    if year_kind == "short":
        if fixed is not None:
            year += int(fixed.group("century")) * 100
        else:
            year += 100 * (today.year // 100)
            candidate = _try_date(year, month, day)
            if candidate is None or candidate > today:
                year -= 100
    made = _try_date(year, month, day)
    if made is None:
        return f"{text} is no calendar date under {name}"
    return made


def _try_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
