"""What every query of a transaction shares: running it inside the managed transaction,
noting the operation for the error message, the shapes of parameters, and the
transaction's unsent writes (``Pending``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final, LiteralString

import neo4j

from graph.neo4j_store.pending import Pending

_NO_LIMIT: Final = 2**63 - 1
"""SQLite reads a negative LIMIT as "no limit"; Cypher needs a number."""


class Progress:
    """What a unit of work was doing, for the error message if it fails."""

    __slots__ = ("operation",)

    def __init__(self) -> None:
        self.operation: str | None = None


def unique(values: Collection[str]) -> list[str]:
    """Distinct values (UNWIND would otherwise repeat matches), in a fixed order."""
    return sorted(set(values))


def limit_of(limit: int) -> int:
    return _NO_LIMIT if limit < 0 else int(limit)


class QueryRunner:
    """One managed Neo4j transaction; the operations of ``Neo4jTransaction`` build on
    these ways of running a query, and keep their writes in ``_pending`` until
    ``_send_pending`` (at the end of the unit of work, or before a read the pending writes
    cannot answer)."""

    def __init__(self, tx: neo4j.ManagedTransaction, progress: Progress | None = None) -> None:
        self._tx = tx
        self._progress = progress or Progress()
        self._pending = Pending()

    def _send_pending(self) -> None:
        """Write what is pending; the server then holds everything (overridden)."""

    def _write(self, operation: str, query: LiteralString, **parameters: Any) -> None:
        self._progress.operation = operation
        self._tx.run(query, parameters).consume()

    def _read(self, operation: str, query: LiteralString, **parameters: Any) -> list[list[Any]]:
        self._progress.operation = operation
        return [record.values() for record in self._tx.run(query, parameters)]

    def _collected(self, operation: str, query: LiteralString, **parameters: Any) -> list[Any]:
        """The one ``rows`` list of a query ending in ``RETURN collect(...) AS rows``: one
        record instead of one per row, which the driver decodes faster."""
        self._progress.operation = operation
        rows: list[Any] = self._tx.run(query, parameters).single(strict=True)[0]
        return rows

    def _single(self, operation: str, query: LiteralString, **parameters: Any) -> dict[str, Any]:
        self._progress.operation = operation
        return self._tx.run(query, parameters).single(strict=True).data()
