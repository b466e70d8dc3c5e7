"""Bulk stage 4: the resolved rows into the store, through ``insert_resolved``.

One transaction (``GraphStore.write``) writes everything, so a load killed at any point
leaves the store as it was, and running it again is one clean load. Inside it, each kind
of row goes in key order, in calls of ``ROWS_PER_CALL`` rows, read from DuckDB as they
go (never all in memory). The work reads DuckDB afresh each time it runs, so a store
that retries a transaction (Neo4j) writes the same rows again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from cli.bulk.documents import document_batches
from cli.bulk.tables import BulkTables
from graph.records import ConsentRow, EdgeRow, FactGroupRow, PersonRecordRow, StoredIdentifier
from graph.store import GraphStore, GraphTransaction, ResolvedRows
from identity.settings import Settings

ROWS_PER_CALL = 20_000

_IDENTIFIERS = (
    "SELECT i.key, i.type, i.value, w.profile_id, i.first_seen, i.last_seen, i.sightings,"
    " coalesce(g.reason, '') FROM identifiers i JOIN owner w ON w.key = i.key"
    " LEFT JOIN generic g ON g.key = i.key ORDER BY i.key"
)
_EDGES = (
    "SELECT left_key, right_key, matcher, rule, weight, status, source, evidence, first_seen,"
    " last_seen, sightings, reason FROM final_edges ORDER BY left_key, right_key, matcher, rule"
)
_FACTS = (
    "SELECT DISTINCT ON (i.key, o.observation_id) i.key, o.observation_id, o.source,"
    " o.observed_at, o.attributes FROM parsed_identifiers i"
    " JOIN parsed_observations o ON o.line = i.line WHERE o.attributes <> ''"
    " ORDER BY i.key, o.observation_id, i.line"
)
_CONSENT = (
    'SELECT statement_id, subject_key, purpose, status, "at", source, proof, via FROM consent'
    " ORDER BY statement_id"
)


def _records(max_block_size: int) -> str:
    # Filed while the key is not known too common: its first max_block_size + 1 records.
    return (
        "SELECT r.record_id, r.anchor, r.fields,"
        f" list(b.block_key ORDER BY b.block_key) FILTER (WHERE b.arrival <= {max_block_size + 1})"
        " FROM records r JOIN blocks b ON b.record_id = r.record_id"
        " GROUP BY r.record_id, r.anchor, r.fields, r.line ORDER BY r.line"
    )


def _batches(tables: BulkTables, query: str) -> Iterator[list[tuple[Any, ...]]]:
    return tables.batches(query, ROWS_PER_CALL)


def write_all(
    store: GraphStore,
    tables: BulkTables,
    settings: Settings,
    max_block_size: int | None,
    progress: Callable[[int], None],
) -> int:
    """Write every resolved row in one transaction; the number of rows written."""

    def work(tx: GraphTransaction) -> int:
        written = 0

        def put(rows: ResolvedRows, count: int) -> None:
            nonlocal written
            tx.insert_resolved(rows)
            written += count
            progress(written)

        for batch in _batches(tables, _IDENTIFIERS):
            put(ResolvedRows(identifiers=[StoredIdentifier(*r) for r in batch]), len(batch))
        for batch in _batches(tables, _EDGES):
            put(ResolvedRows(edges=[EdgeRow(*r) for r in batch]), len(batch))
        for batch in _batches(tables, _FACTS):
            put(ResolvedRows(facts=[FactGroupRow(*r) for r in batch]), len(batch))
        for batch in _batches(tables, _CONSENT):
            put(ResolvedRows(consent=[ConsentRow(*r) for r in batch]), len(batch))
        if max_block_size is not None:
            for batch in _batches(tables, _records(max_block_size)):
                put(
                    ResolvedRows(
                        person_records=[PersonRecordRow(i, a, f) for i, a, f, _ in batch],
                        blocks={i: keys for i, _, _, keys in batch if keys},
                    ),
                    len(batch),
                )
        for documents in document_batches(tables, settings):
            put(ResolvedRows(profiles=documents), len(documents))
        return written

    return store.write(work)
