"""Work spread over forked worker processes, results in the order of the jobs.

The function is inherited by the forked workers (never pickled: it may hold the parser,
the matcher and the models); only jobs and results cross the process boundary, and at
most two jobs per worker are in flight, so a long stream of jobs is never all in memory.
Each worker asks the kernel to end it when this process dies
(``cli.worker_iteration.die_with``), so a killed load leaves no worker behind. With one
worker, or where forking is not used, the jobs run in this process.
"""

from __future__ import annotations

import collections
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

from cli.worker_iteration import can_fork, die_with

J = TypeVar("J")
R = TypeVar("R")

_FUNCTION: Callable[[Any], Any] | None = None


def _call(job: Any) -> Any:
    assert _FUNCTION is not None
    return _FUNCTION(job)


def ordered_map(function: Callable[[J], R], jobs: Iterable[J], workers: int) -> Iterator[R]:
    """``function(job)`` for every job, in order, computed by ``workers`` processes."""
    if workers <= 1 or not can_fork():
        yield from map(function, jobs)
        return
    global _FUNCTION
    _FUNCTION = function
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=die_with, initargs=(os.getpid(),))
    pending: collections.deque[AsyncResult[Any]] = collections.deque()
    try:
        for job in jobs:
            pending.append(pool.apply_async(_call, (job,)))
            while len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _FUNCTION = None
