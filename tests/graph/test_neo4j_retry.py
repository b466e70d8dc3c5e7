"""A batch ingested in chunks on Neo4j, when the driver runs its transaction again: a
managed transaction that fails with a retryable error (a lost connection, a deadlock) is
run again by the driver, and the chunks taken before must be given again, not made again
and not lost. The server is real; the failure is injected into one store call."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from neo4j.exceptions import SessionExpired

from bench.generate import generate
from graph.embedded import EmbeddedStore
from graph.neo4j_store import Neo4jStore, Neo4jTransaction
from graph.records import EdgeRow, IdentifierRow
from graph.store import GraphTransaction
from identity.observation import Observation
from identity.service import IdentityService

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.parametrize("store_name", ["neo4j"], indirect=True),
]

CHUNK = 50


def _documents(service: IdentityService) -> list[dict[str, object]]:
    return sorted(
        (p.to_dict(with_lineage=False) for p in service.iter_profiles()),
        key=lambda d: str(d["id"]),
    )


class TestChunkedBatchRetried:
    def test_a_rerun_transaction_gets_every_chunk_again_each_made_once(
        self, service: IdentityService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        raw, _ = generate(40, seed=7)
        observations = [service.parse(item).observation for item in raw]
        chunks = [observations[i : i + CHUNK] for i in range(0, len(observations), CHUNK)]
        assert len(chunks) >= 3
        made: list[int] = []

        def producer() -> Iterator[list[Observation]]:
            for number, chunk in enumerate(chunks):
                made.append(number)
                yield chunk

        real = Neo4jTransaction.upsert_edges
        calls: list[int] = []

        def upsert_edges_losing_the_connection_once(
            tx: Neo4jTransaction, rows: Sequence[EdgeRow]
        ) -> None:
            calls.append(len(rows))
            if len(calls) == 2:
                raise SessionExpired("the connection was lost in the second chunk")
            real(tx, rows)

        monkeypatch.setattr(
            Neo4jTransaction, "upsert_edges", upsert_edges_losing_the_connection_once
        )
        outcome = service.ingest_chunks(producer())

        assert made == list(range(len(chunks)))
        # Two chunks stored before the failure, then every chunk again in the rerun.
        assert len(calls) == 2 + len(chunks)
        other = tmp_path / "one-batch"
        one = IdentityService(EmbeddedStore(other), replace(service.settings, data_dir=other))
        try:
            assert outcome == one.ingest(observations)
            assert _documents(service) == _documents(one)
        finally:
            one.store.close()


class TestConcurrentCreation:
    def test_a_writer_beaten_to_a_new_identifier_runs_again_and_merges_into_it(
        self, service: IdentityService
    ) -> None:
        """Both writers read the identifier as absent and decide to create it; the one
        that commits second fails on the uniqueness constraint, and its work runs again on
        what the first committed."""
        store = service.store
        settings = service.settings
        other = Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
        )
        row = IdentifierRow(
            "cookie:raced", "cookie", "raced", "2026-01-02T00:00:00Z", "2026-01-02T00:00:00Z"
        )
        attempts: list[int] = []

        def work(tx: GraphTransaction) -> None:
            attempts.append(len(attempts))
            assert tx.profile_ids([row.key]) == ({} if len(attempts) == 1 else {row.key: None})
            if len(attempts) == 1:
                other.write(lambda tx2: tx2.upsert_identifiers([row]))
            tx.upsert_identifiers([row])

        try:
            store.write(work)
        finally:
            other.close()
        assert len(attempts) == 2
        stored = store.read(lambda tx: tx.get_identifiers([row.key]))
        assert stored[row.key].sightings == 2
