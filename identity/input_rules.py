"""Rules a field meets wherever it comes in (an observation, ``POST /v1/consent``): source
names, data times and consent proofs. Each function returns the value as stored, or the
``Refusal`` that names the field, the value and the rule."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from identity.errors import Refusal
from identity.timeutil import EARLIEST, OutsideTheCalendar, format_timestamp, parse_timestamp

_SOURCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
FUTURE_SLACK = timedelta(days=1)
"""How far after its arrival a time that data states about itself may lie (clocks and
time zones disagree by less): a later one is refused, or a consent statement dated in
2099 would outrank every real one."""
_PREVIEW = 80


def source_name(value: object, field: str, rule: str) -> str | Refusal:
    """Letters, digits, ``_ . -``, at most 64; stored lower-case."""
    if not isinstance(value, str) or not _SOURCE.fullmatch(value.strip()):
        return Refusal(
            field,
            _preview(value),
            rule,
            "letters, digits, '_', '.', '-' only, at most 64 characters",
        )
    return value.strip().lower()


def data_time(value: object, field: str, rule: str, range_rule: str) -> str | Refusal:
    """An ISO 8601 time from 1900 on, kept to the second in UTC. ``rule`` names a value
    that is not such a time, ``range_rule`` one before 1900. (How far ahead a time may lie
    is the caller's rule.)"""
    if not isinstance(value, str):
        return Refusal(field, _preview(value), rule, "must be an ISO 8601 string")
    try:
        moment: datetime | None = parse_timestamp(value)
    except OutsideTheCalendar:
        moment = None
    except ValueError:
        return Refusal(
            field,
            _preview(value),
            rule,
            "must be an ISO 8601 time such as 2026-01-02T03:04:05Z",
        )
    if moment is None or moment < EARLIEST:
        return Refusal(
            field,
            value,
            range_rule,
            f"must lie between {format_timestamp(EARLIEST)} and a day from now",
        )
    return format_timestamp(moment)


def lies_ahead(stored_time: str) -> bool:
    """Whether a stored time (``data_time``'s result) is more than a day from now."""
    return stored_time > format_timestamp(datetime.now(UTC) + FUTURE_SLACK)


def proof_json(value: object, field: str, max_bytes: int) -> str | Refusal:
    """A consent proof (an object: form, document version, basis) as the canonical JSON
    stored with the statement, at most ``max_bytes`` bytes of it."""
    if not isinstance(value, Mapping):
        return Refusal(
            field,
            _preview(value),
            "consent.proof",
            "must be a JSON object (form, document version, basis)",
        )
    try:
        text = json.dumps(dict(value), sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return Refusal(
            field, _preview(value), "consent.proof", "must be a JSON object of finite values"
        )
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return Refusal(
            field,
            f"{size:,} bytes",
            "consent.proof_size",
            f"at most {max_bytes:,} bytes of JSON: keep the proof, not the document",
        )
    return text


def _preview(value: object) -> object:
    """The refused value as a refusal carries it: long text cut, containers described."""
    if isinstance(value, str):
        return value if len(value) <= _PREVIEW else value[:_PREVIEW] + "..."
    if isinstance(value, Mapping | list | tuple):
        return f"{type(value).__name__} of {len(value)}"
    return value
