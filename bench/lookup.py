"""Lookup benchmark: the domain service beside raw SQLite point look-ups, one run.

    python -m bench.lookup [--people 5000] [--lookups 20000]

Loads a generated population into the embedded store, then looks up the same random
sequence of stored identifiers (with repeats, as a lookup API sees them) two ways:

- raw SQLite: one prepared point query joining the identifier to its profile document
  on a plain ``sqlite3`` connection: the floor for fetching the same data;
- service: ``IdentityService.lookup(type, value)``: normalization of the value, the read
  transaction, the same query, and the profile object a caller gets.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
from pathlib import Path

from bench.common import BENCH_SECRET, timed
from bench.generate import generate
from graph.embedded import DATABASE_FILE, EmbeddedStore
from identity.identifiers import Identifier
from identity.service import IdentityService
from identity.settings import Settings

RAW_QUERY = (
    "SELECT p.id, p.created_at, p.updated_at, p.identifiers, p.attributes, p.consent,"
    " p.lineage FROM identifiers i JOIN profiles p ON p.id = i.profile_id WHERE i.key = ?"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--lookups", type=int, default=20000)
    args = parser.parse_args(argv)
    raw, _ = generate(args.people, seed=13)
    with tempfile.TemporaryDirectory(prefix="idgraph-bench-") as scratch:
        settings = Settings(data_dir=Path(scratch), secret=BENCH_SECRET)
        service = IdentityService(EmbeddedStore(settings.data_dir), settings)
        observations = [service.parse(item).observation for item in raw]
        for start in range(0, len(observations), 1000):
            service.ingest(observations[start : start + 1000])
        keys = sorted({i.key for obs in observations for i in obs.identifiers})
        rng = random.Random(5)
        sample = [Identifier.from_key(rng.choice(keys)) for _ in range(args.lookups)]

        connection = sqlite3.connect(Path(scratch) / DATABASE_FILE)

        def raw_lookups() -> None:
            for ident in sample:
                row = connection.execute(RAW_QUERY, (ident.key,)).fetchone()
                assert row is not None

        def service_lookups() -> None:
            for ident in sample:
                service.lookup(ident.type, ident.value)

        def service_documents() -> None:
            for ident in sample:
                service.lookup(ident.type, ident.value).to_dict()

        raw_seconds = timed(raw_lookups)
        service_seconds = timed(service_lookups)
        document_seconds = timed(service_documents)
        connection.close()
        service.store.close()
    n = len(sample)
    print(
        f"profiles loaded from {len(observations):,} observations; {n:,} lookups of"
        f" {len(set(sample)):,} distinct identifiers"
    )
    print(f"raw SQLite point look-ups : {n / raw_seconds:10,.0f} lookups/s")
    print(
        f"service lookups           : {n / service_seconds:10,.0f} lookups/s"
        f"  ({raw_seconds / service_seconds:.2f} of raw)"
    )
    print(
        f"service lookups + to_dict : {n / document_seconds:10,.0f} lookups/s"
        f"  ({raw_seconds / document_seconds:.2f} of raw)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
