"""Ingest benchmark: normalization alone beside full ingest, in one run.

    python -m bench.ingest [--people 5000] [--store embedded|neo4j] [--batch-size 1000]

Both figures come from the same generated observations in the same process:

- normalization: JSON object -> validated, normalized ``Observation`` (the parser, with
  email-validator and phonenumbers), nothing stored. The normalizer's cache is cleared
  first, so every distinct raw value is normalized once, as in a real first load;
- full ingest: the same parse plus resolution and the store's transactions, in batches.

Both run with Python's garbage collector set as ``idgraph load`` sets it
(``api.garbage_collection``).

Beside the wall-clock rates it prints where the full ingest's time went: CPU time of this
Python process (parsing, resolver, driver) and, for a local Neo4j started for the run, CPU
time of the server; the rest of the wall time is waiting (disk, or the CPU taken by other
processes on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import time

from api.garbage_collection import batch_collector
from bench.common import (
    SERVER_PIDS,
    add_store_options,
    bench_service,
    cpu_seconds,
    timed,
)
from bench.generate import generate
from identity.observation import Observation
from identity.service import IdentityService
from tools import compiled_core


def run(
    service: IdentityService, raw: list[dict[str, object]], batch_size: int
) -> dict[str, float]:
    def normalize_only() -> None:
        fresh = type(service.normalizer)(service.settings)
        parser = type(service.parser)(service.settings, fresh)
        for item in raw:
            parser.parse(item)

    def full_ingest() -> None:
        batch: list[Observation] = []
        for item in raw:
            batch.append(service.parse(item).observation)
            if len(batch) >= batch_size:
                service.ingest(batch)
                batch = []
        service.ingest(batch)

    normalize_seconds = timed(normalize_only)
    client_before = time.process_time()
    server_before = [cpu_seconds(pid) for pid in SERVER_PIDS]
    ingest_seconds = timed(full_ingest)
    figures = {
        "observations": len(raw),
        "normalize_per_s": len(raw) / normalize_seconds,
        "ingest_per_s": len(raw) / ingest_seconds,
        "ingest_s": ingest_seconds,
        "client_cpu_s": time.process_time() - client_before,
    }
    for pid, before in zip(SERVER_PIDS, server_before, strict=True):
        after = cpu_seconds(pid)
        if before is not None and after is not None:
            figures["server_cpu_s"] = after - before
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=1000)
    add_store_options(parser)
    args = parser.parse_args(argv)
    raw, _ = generate(args.people, seed=11)
    with bench_service(args) as (service, _), batch_collector():
        figures = run(service, raw, args.batch_size)
        counts = service.counts()
    ratio = figures["ingest_per_s"] / figures["normalize_per_s"]
    print(f"core: {compiled_core.status()}")
    print(
        f"store: {args.store}, observations: {figures['observations']:,},"
        f" batch size: {args.batch_size}"
    )
    print(f"normalization only : {figures['normalize_per_s']:10,.0f} observations/s")
    print(
        f"full ingest        : {figures['ingest_per_s']:10,.0f} observations/s"
        f"  ({ratio:.2f} of normalization)"
    )
    print(
        f"full ingest time   : {figures['ingest_s']:.1f} s wall;"
        f" CPU {figures['client_cpu_s']:.1f} s in this process"
        + (
            f", {figures['server_cpu_s']:.1f} s in the Neo4j server"
            if "server_cpu_s" in figures
            else ""
        )
        + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"stored: {counts['identifiers']:,} identifiers, {counts['edges']:,} edges,"
        f" {counts['profiles']:,} profiles"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
