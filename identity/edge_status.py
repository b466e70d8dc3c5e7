"""The statuses an edge of the identity graph carries, and which of them link.

- ``weak``: evidence weighing less than ``merge_threshold``; it never links, and a
  stronger repeat of the edge makes it ``joined``.
- ``joined``: the edge joins its identifiers (the partition and its guards agreed).
- ``held``: the edge does not join, for the reason stored with it (a guard, a generic
  end, a fuzzy pair in the review band); re-resolving may join it later.
- ``approved`` / ``rejected``: a steward's must-link / cannot-link.
"""

from __future__ import annotations

STATUS_JOINED = "joined"
STATUS_WEAK = "weak"
STATUS_HELD = "held"
STATUS_APPROVED = "approved"
STATUS_REJECTED = "rejected"
LINKING_STATUSES = frozenset({STATUS_JOINED, STATUS_HELD, STATUS_APPROVED})
