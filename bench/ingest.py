"""Ingest benchmark: normalization alone beside full ingest, in one run.

    python -m bench.ingest [--people 5000] [--store embedded|neo4j] [--batch-size 10000]
                           [--parse-worker | --no-parse-worker] [--warm-up LOADS]

Both figures come from the same generated observations in the same process:

- normalization: JSON object -> validated, normalized ``Observation`` (the parser, with
  email-validator and phonenumbers), nothing stored. The normalizer's cache is cleared
  first, so every distinct raw value is normalized once, as in a real first load;
- full ingest: what ``idgraph load`` does with the same observations written as an NDJSON
  file (``cli.loading.load_file``): every line decoded and parsed, resolved and stored in
  batches. As in ``idgraph load``, on two CPUs or more the lines are parsed in a worker
  process while this one ingests (``--no-parse-worker``: all in this process).

Both run with Python's garbage collector set as ``idgraph load`` sets it
(``cli.garbage_collection``).

With ``--store neo4j`` the same observations are also ingested into an embedded store in
the same run, and the Neo4j rate is given as a share of that one. The Neo4j server is
warmed first: the same world is loaded ``--warm-up`` times (2 by default, 0 for a cold
server), the database emptied after each, so the timed load meets a server whose code is
compiled and whose plans are cached, as a long-running server is.

Beside the wall-clock rates it prints where the full ingest's time went: CPU time of this
Python process (resolver, driver), of the parse worker and, for a local Neo4j started for
the run, of the server; the rest of the wall time is waiting (disk, or the CPU taken by
other processes on a busy machine).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
from pathlib import Path

from bench.common import (
    SERVER_PIDS,
    add_store_options,
    bench_service,
    cpu_seconds,
    empty_neo4j,
    timed,
)
from bench.generate import generate
from bench.results import run_recorded
from cli.garbage_collection import batch_collector
from cli.loading import load_file, parse_in_worker
from identity.service import IdentityService
from identity.settings import Settings
from tools import compiled_core


def run(
    service: IdentityService,
    raw: list[dict[str, object]],
    batch_size: int,
    parse_worker: bool | None,
) -> dict[str, float]:
    def normalize_only() -> None:
        fresh = type(service.normalizer)(service.settings)
        parser = type(service.parser)(service.settings, fresh)
        for item in raw:
            parser.parse(item)

    with tempfile.TemporaryDirectory(prefix="idgraph-bench-") as scratch:
        path = Path(scratch) / "observations.ndjson"
        with path.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(item) + "\n" for item in raw)
        if parse_worker is None:
            parse_worker = parse_in_worker(path)

        def full_ingest() -> None:
            report = load_file(
                service, path, io.StringIO(), "ndjson", batch_size, parse_worker=parse_worker
            )
            if report.observations_accepted != len(raw):
                raise SystemExit(f"only {report.observations_accepted:,} lines accepted")

        normalize_seconds = timed(normalize_only)
        client_before = time.process_time()
        children_before = _children_cpu()
        server_before = [cpu_seconds(pid) for pid in SERVER_PIDS]
        ingest_seconds = timed(full_ingest)
    figures = {
        "observations": len(raw),
        "normalize_per_s": len(raw) / normalize_seconds,
        "ingest_per_s": len(raw) / ingest_seconds,
        "ingest_s": ingest_seconds,
        "client_cpu_s": time.process_time() - client_before,
        "worker_cpu_s": _children_cpu() - children_before,
        "parse_worker": parse_worker,
    }
    for pid, before in zip(SERVER_PIDS, server_before, strict=True):
        after = cpu_seconds(pid)
        if before is not None and after is not None:
            figures["server_cpu_s"] = after - before
    return figures


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=Settings().batch_size)
    parser.add_argument(
        "--parse-worker",
        action=argparse.BooleanOptionalAction,
        help="parse in a worker process (default: as idgraph load decides)",
    )
    parser.add_argument(
        "--warm-up",
        type=int,
        default=2,
        metavar="LOADS",
        help="Neo4j: load the world this many times (emptied after each) before the timed"
        " load; default 2",
    )
    add_store_options(parser)
    args = parser.parse_args(argv)
    raw, _ = generate(args.people, seed=11)
    embedded: dict[str, float] | None = None
    if args.store == "neo4j":
        embedded_args = argparse.Namespace(**{**vars(args), "store": "embedded", "data_dir": None})
        with bench_service(embedded_args) as (service, _), batch_collector():
            embedded = run(service, raw, args.batch_size, args.parse_worker)
    with bench_service(args) as (service, _), batch_collector():
        for _ in range(args.warm_up if args.store == "neo4j" else 0):
            run(service, raw, args.batch_size, args.parse_worker)
            empty_neo4j(service.settings)
        figures = run(service, raw, args.batch_size, args.parse_worker)
        counts = service.counts()
    ratio = figures["ingest_per_s"] / figures["normalize_per_s"]
    print(f"core: {compiled_core.status()}")
    print(
        f"store: {args.store}, observations: {figures['observations']:,},"
        f" batch size: {args.batch_size}, parsing "
        + ("in a worker process" if figures["parse_worker"] else "in this process")
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
            f", {figures['worker_cpu_s']:.1f} s in the parse worker"
            if figures["parse_worker"]
            else ""
        )
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
    if embedded is not None:
        print(
            f"embedded, same run   : {embedded['ingest_per_s']:10,.0f} observations/s;"
            f" Neo4j {figures['ingest_per_s'] / embedded['ingest_per_s']:.2f} of it"
            + (
                f" (server warmed by {args.warm_up} loads of the same world, emptied after each)"
                if args.warm_up
                else " (cold server)"
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(run_recorded("ingest", main))
