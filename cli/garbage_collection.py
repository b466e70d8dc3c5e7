"""How idgraph's batch commands (every command but ``serve``: ``load``, ``fit-model``,
``check``, ``export``, ...) run Python's cyclic garbage collector.

Python starts a collection of the youngest generation every 700 net allocations of
container objects, and every tenth of those also collects the middle one, every tenth of
those the whole heap. A load allocates millions of short-lived tuples, dicts and lists
(rows, records, candidate pairs) that reference counting frees on its own, while it keeps
large caches alive (normalized values, stored person records), so the collector mostly
walks live objects to find nothing, a sizeable share of a large load's time (see
docs/benchmarks.md). With the thresholds below the youngest generation is collected every
50,000 allocations and a full collection comes far less often; the ingest has the same
result and nearly no time in the collector.

Cycles are still collected, only later: what idgraph builds is nearly all acyclic, so
the memory held meanwhile is small. ``idgraph serve`` is left at Python's defaults (it
freezes its start-up objects instead, see ``api.serving``): there a rarer but longer
young collection would land on requests in flight.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLDS = (50_000, 20, 10)


@contextmanager
def batch_collector() -> Iterator[None]:
    """The collector thresholds for batch work (see the module) while inside; the earlier
    ones after (tests run commands in their own process)."""
    before = gc.get_threshold()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
