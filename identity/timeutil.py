"""Timestamps as the stores keep them: UTC, second precision, ``YYYY-MM-DDTHH:MM:SSZ``.

One fixed format means string order is time order in every store. Sub-second precision
is dropped on purpose: it never decides an identity question.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def parse_timestamp(text: str) -> datetime:
    """Parse ISO 8601; a time without an offset is taken as UTC. Raises ValueError."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


FUTURE_SLACK = timedelta(days=1)
"""How far after its arrival a time that data states about itself may lie (clocks and
time zones disagree by less): a later one is refused, or a statement dated in 2099 would
outrank every real one."""


def beyond_tomorrow(moment: datetime) -> bool:
    return moment > datetime.now(UTC) + FUTURE_SLACK


def utc_now() -> str:
    return format_timestamp(datetime.now(UTC))
