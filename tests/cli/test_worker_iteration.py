"""``iterate_in_worker``: a forked worker's items arrive in order; its failures surface here."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator

import pytest

from cli.worker_iteration import WorkerFailed, iterate_in_worker


def _numbers_then_error(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValueError("line 7 is not what it seems")


def _numbers_then_killed(n: int) -> Iterator[int]:
    yield from range(n)
    os.kill(os.getpid(), signal.SIGKILL)
    yield n


class TestIterateInWorker:
    @pytest.mark.parametrize(
        ("count", "chunk_size"),
        [
            pytest.param(1000, 7, id="many chunks, the last one short"),
            pytest.param(3, 200, id="fewer items than one chunk"),
            pytest.param(0, 10, id="nothing at all"),
        ],
    )
    def test_yields_every_item_in_order(self, count: int, chunk_size: int) -> None:
        items = list(iterate_in_worker(lambda: range(count), chunk_size=chunk_size, max_chunks=2))
        assert items == list(range(count))
        assert multiprocessing.active_children() == []

    def test_an_error_in_the_worker_is_raised_here_after_the_items_before_it(self) -> None:
        received: list[int] = []
        with pytest.raises(WorkerFailed, match="line 7 is not what it seems"):
            for item in iterate_in_worker(lambda: _numbers_then_error(5), chunk_size=2):
                received.append(item)
        assert received == [0, 1, 2, 3, 4]
        assert multiprocessing.active_children() == []

    def test_a_worker_that_dies_is_reported(self) -> None:
        with pytest.raises(WorkerFailed, match="stopped without finishing"):
            list(iterate_in_worker(lambda: _numbers_then_killed(5), chunk_size=100))

    def test_a_consumer_that_stops_early_leaves_no_worker_behind(self) -> None:
        items = iterate_in_worker(lambda: range(10**9), chunk_size=10, max_chunks=2)
        assert next(items) == 0
        items.close()
        assert multiprocessing.active_children() == []
