"""The collector thresholds of idgraph's batch commands."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from cli.garbage_collection import BATCH_THRESHOLDS, batch_collector


@pytest.fixture
def default_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        yield gc.get_threshold()
    finally:
        gc.set_threshold(*before)


class TestBatchCollector:
    def test_batch_work_runs_with_the_batch_thresholds(
        self, default_thresholds: tuple[int, int, int]
    ) -> None:
        with batch_collector():
            inside = gc.get_threshold()
        assert inside == BATCH_THRESHOLDS != default_thresholds

    def test_the_earlier_thresholds_come_back_after(
        self, default_thresholds: tuple[int, int, int]
    ) -> None:
        with batch_collector():
            pass
        assert gc.get_threshold() == default_thresholds

    def test_the_earlier_thresholds_come_back_when_the_work_fails(
        self, default_thresholds: tuple[int, int, int]
    ) -> None:
        with pytest.raises(RuntimeError, match="load failed"), batch_collector():
            raise RuntimeError("load failed")
        assert gc.get_threshold() == default_thresholds
