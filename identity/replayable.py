"""An iterable that can be iterated again from its start, over an iterator that cannot.

A store may run a transaction function more than once (Neo4j's managed transactions retry
on a transient error). A function that consumes chunks as a producer makes them must then
see the same chunks again: ``Replayable`` keeps every item taken so far, gives those first
on a new iteration, then goes on taking from the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Replayable(Generic[T]):
    def __init__(self, source: Iterable[T]) -> None:
        self._source = iter(source)
        self._taken: list[T] = []

    def __iter__(self) -> Iterator[T]:
        yield from self._taken
        for item in self._source:
            self._taken.append(item)
            yield item
