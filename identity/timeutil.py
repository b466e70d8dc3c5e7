"""Timestamps as the stores keep them: UTC, second precision, ``YYYY-MM-DDTHH:MM:SSZ``.

One fixed format means string order is time order in every store. Sub-second precision
is dropped on purpose: it never decides an identity question.
"""

from __future__ import annotations

from datetime import UTC, datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Not strftime: glibc writes year 999 as "999", which would break string order.
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""No data time (observation, consent statement) lies before this: an earlier one is a
placeholder or a mistake, and near year 1 an offset moves it out of the calendar."""


class OutsideTheCalendar(ValueError):
    """A well-formed time that its offset moves before year 1 or past year 9999 in UTC
    (``0001-01-01T00:00:00+14:00``)."""


def parse_timestamp(text: str) -> datetime:
    """Parse ISO 8601; a time without an offset is taken as UTC. Raises ValueError (and
    its ``OutsideTheCalendar`` for a time that has no UTC equivalent)."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as e:
        raise OutsideTheCalendar(f"{text!r} lies outside the calendar in UTC") from e


def utc_now() -> str:
    return format_timestamp(datetime.now(UTC))
