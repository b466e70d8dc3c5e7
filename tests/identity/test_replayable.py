"""``Replayable``: a store that runs a transaction function again sees the same chunks."""

from __future__ import annotations

from collections.abc import Iterator

from identity.replayable import Replayable


class TestReplayable:
    def test_a_second_iteration_gives_what_the_first_took_then_the_rest(self) -> None:
        produced: list[int] = []

        def source() -> Iterator[int]:
            for n in range(5):
                produced.append(n)
                yield n

        replay = Replayable(source())
        first = iter(replay)
        assert [next(first), next(first)] == [0, 1]
        assert list(replay) == [0, 1, 2, 3, 4]
        assert produced == [0, 1, 2, 3, 4]
        assert list(replay) == [0, 1, 2, 3, 4]

    def test_an_empty_source_gives_nothing_each_time(self) -> None:
        replay: Replayable[int] = Replayable(iter([]))
        assert list(replay) == list(replay) == []
