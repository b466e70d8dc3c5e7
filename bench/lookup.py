"""Lookup benchmark: the domain service beside raw point look-ups on the same store, one run.

    python -m bench.lookup [--people 5000] [--lookups 20000] [--store embedded|neo4j]

Loads a generated population into an empty store, then looks up the same random sequence
of stored identifiers (with repeats, as a lookup API sees them) two ways:

- raw: the floor for fetching the same data. Embedded: one prepared point query joining
  the identifier to its profile document on a plain ``sqlite3`` connection. Neo4j: the
  same point query in Cypher, one auto-commit query per look-up in one open session of the
  same driver the store uses;
- service: ``IdentityService.lookup(type, value)``: normalization of the value, the read
  transaction, the same query, and the profile object a caller gets;
- batch: ``IdentityService.lookup_batch`` of ``--batch`` identifiers at a time (the API's
  ``POST /v1/lookup/batch``), in identifiers per second.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bench.common import add_store_options, bench_service, timed
from bench.generate import generate
from bench.results import run_recorded
from graph.embedded import DATABASE_FILE
from identity.identifiers import Identifier
from identity.service import IdentityService
from tools import compiled_core

RAW_SQL = (
    "SELECT p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent,"
    " p.lineage FROM identifiers i JOIN profiles p ON p.id = i.profile_id WHERE i.key = ?"
)
RAW_CYPHER = (
    "MATCH (:Identifier {key: $key})-[:IN_PROFILE]->(p:Profile)"
    " RETURN p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent,"
    " p.lineage"
)


def raw_lookups(service: IdentityService, data_dir: Path, sample: list[Identifier]) -> float:
    """Seconds for the raw point look-ups of ``sample`` on the service's store."""
    if service.store.name == "neo4j":
        from graph.neo4j_store import shared_driver

        settings = service.settings
        driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        with driver.session(database=settings.neo4j_database, fetch_size=-1) as session:

            def cypher() -> None:
                for ident in sample:
                    row = session.run(RAW_CYPHER, key=ident.key).single()
                    assert row is not None

            return timed(cypher)
    connection = sqlite3.connect(data_dir / DATABASE_FILE)
    try:

        def sql() -> None:
            for ident in sample:
                row = connection.execute(RAW_SQL, (ident.key,)).fetchone()
                assert row is not None

        return timed(sql)
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000, help="identifiers per batch lookup")
    add_store_options(parser)
    args = parser.parse_args(argv)
    raw, _ = generate(args.people, seed=13)
    with bench_service(args) as (service, data_dir):
        observations = [service.parse(item).observation for item in raw]
        for start in range(0, len(observations), 1000):
            service.ingest(observations[start : start + 1000])
        keys = sorted({i.key for obs in observations for i in obs.identifiers})
        rng = random.Random(5)
        sample = [Identifier.from_key(rng.choice(keys)) for _ in range(args.lookups)]

        def through_service(to_dict: bool) -> Callable[[], None]:
            def work() -> None:
                for ident in sample:
                    profile = service.lookup(ident.type, ident.value)
                    if to_dict:
                        profile.to_dict()

            return work

        def in_batches() -> None:
            for start in range(0, len(sample), args.batch):
                answers = service.lookup_batch(
                    [(i.type, i.value) for i in sample[start : start + args.batch]]
                )
                assert all(a.profile is not None for a in answers)

        # Once untimed first: the first phase would otherwise pay for a cold server (and
        # cold caches) alone.
        raw_lookups(service, data_dir, sample)
        raw_seconds = raw_lookups(service, data_dir, sample)
        service_seconds = timed(through_service(False))
        document_seconds = timed(through_service(True))
        batch_seconds = timed(in_batches)
    n = len(sample)
    floor = "raw SQLite point look-ups" if args.store == "embedded" else "raw Cypher point look-ups"
    print(f"core: {compiled_core.status()}")
    print(
        f"store: {args.store}; profiles loaded from {len(observations):,} observations;"
        f" {n:,} lookups of {len(set(sample)):,} distinct identifiers"
    )
    print(f"{floor:<26}: {n / raw_seconds:10,.0f} lookups/s")
    print(
        f"{'service lookups':<26}: {n / service_seconds:10,.0f} lookups/s"
        f"  ({raw_seconds / service_seconds:.2f} of raw)"
    )
    print(
        f"{'service lookups + to_dict':<26}: {n / document_seconds:10,.0f} lookups/s"
        f"  ({raw_seconds / document_seconds:.2f} of raw)"
    )
    print(f"{f'batch lookups of {args.batch:,}':<26}: {n / batch_seconds:10,.0f} identifiers/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_recorded("lookup", main))
