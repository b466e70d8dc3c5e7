"""Per-key rate limits: a token bucket for each API key (by its digest), with the rate
and burst of the key's role (``Settings.rate_limits``, ``Settings.rate_bursts``).

A key's bucket holds at most ``burst`` tokens and refills at ``rate`` tokens a second; a
request takes one, and a request that finds less than one is refused (429) with the time
until one is there. Refused requests take nothing, so a caller that waits as told gets
through. Buckets live in this process: with ``idgraph serve --workers N`` each worker
limits on its own, so one key may make up to N times the rate in all.

Only keys that exist get a bucket (requests without a valid key are refused before), so
the table grows with the number of keys, not with what callers send.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Called on the event loop only (the key check and the lookup fast path), so the
    buckets need no lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, rate: float, burst: float) -> float:
        """Take a token from the key's bucket: 0.0 when there was one (the request may
        go on), else the seconds until there will be one. A rate of 0 is no limit."""
        if rate <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(burst, now)
        else:
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate


def retry_after(wait: float) -> str:
    """The ``Retry-After`` header: whole seconds, at least one."""
    return str(max(1, math.ceil(wait)))
