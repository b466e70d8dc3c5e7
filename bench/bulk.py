"""Bulk load benchmark: normalization alone, the bulk load and the incremental load of one
world, in one run, taking turns; and, on request, lookups afterwards.

    python -m bench.bulk [--people 40000] [--names realistic|few] [--repeat 1]
                         [--skip-incremental] [--lookups 20000] [--file WORLD.ndjson]

- normalization: every line decoded and parsed (email-validator, phonenumbers) on one
  core, nothing stored: the baseline the aims are stated against;
- bulk: ``idgraph load --bulk`` into an empty embedded store (``cli.bulk``), every core;
- incremental: ``idgraph load --no-bulk`` into another empty store (batches of the
  default size, parsed in a worker).

Both loads of one round are checked to export the same profiles. It prints rates, the
ratio of the bulk rate to normalization, the peak RSS of the bulk load (its own process
and its largest worker), the store's bytes per observation, and the lookups per second
on the bulk-loaded store (``IdentityService.lookup`` of identifiers from the file).
``--file`` loads a world already written (``python -m bench.generate``); the loads run
as ``idgraph`` subprocesses so each one's peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_SECRET
from cli.garbage_collection import batch_collector
from identity.settings import Settings

IDGRAPH = Path(sys.executable).with_name("idgraph")


def normalization_rate(path: Path, limit: int) -> tuple[int, float]:
    """Lines parsed per second on one core (at most ``limit`` lines)."""
    from identity.identifiers import IdentifierNormalizer
    from identity.observation import ObservationParser

    settings = Settings()
    parser = ObservationParser(settings, IdentifierNormalizer(settings))
    with path.open("rb") as stream:
        lines = [line for _, line in zip(range(limit), stream, strict=False)]
    with batch_collector():
        started = time.perf_counter()
        for line in lines:
            parser.parse(json.loads(line))
        seconds = time.perf_counter() - started
    return len(lines), len(lines) / seconds


def load(path: Path, data_dir: Path, bulk: bool) -> tuple[float, str]:
    env = {**os.environ, "IDGRAPH_SECRET": BENCH_SECRET, "IDGRAPH_DATA_DIR": str(data_dir)}
    env.pop("IDGRAPH_STORE", None)
    started = time.perf_counter()
    done = subprocess.run(
        [IDGRAPH, "load", path, "--bulk" if bulk else "--no-bulk",
         "--rejects", data_dir.parent / f"{data_dir.name}.rejects"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"idgraph load failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started, done.stdout + done.stderr


def export_without_ids(data_dir: Path) -> list[str]:
    """The export with the history-bearing ``id`` left out, sorted: an incremental load
    in several batches founds profiles batch by batch, so its IDs may differ (by design:
    see ``identity.resolver``); one batch gives the bulk load's IDs too (tests/cli)."""
    env = {**os.environ, "IDGRAPH_SECRET": BENCH_SECRET, "IDGRAPH_DATA_DIR": str(data_dir)}
    out = data_dir.parent / f"{data_dir.name}.export"
    subprocess.run([IDGRAPH, "export", out], env=env, capture_output=True, check=True)
    profiles = []
    with out.open(encoding="utf-8") as lines:
        for line in lines:
            profile = json.loads(line)
            del profile["id"]
            profiles.append(json.dumps(profile, sort_keys=True))
    out.unlink()
    return sorted(profiles)


def lookup_rate(path: Path, data_dir: Path, count: int) -> float:
    from api.bootstrap import build_service

    keys: list[tuple[str, str]] = []
    with path.open("rb") as stream:
        for _, line in zip(range(count), stream, strict=False):
            ident = json.loads(line)["identifiers"][0]
            keys.append((ident["type"], ident["value"]))
    random.Random(5).shuffle(keys)
    service = build_service(Settings(data_dir=data_dir, secret=BENCH_SECRET))
    try:
        started = time.perf_counter()
        for kind, value in keys:
            service.lookup(kind, value)
        return len(keys) / (time.perf_counter() - started)
    finally:
        service.store.close()


def store_bytes(data_dir: Path) -> int:
    return sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--names", choices=("few", "realistic"), default="realistic")
    parser.add_argument("--file", type=Path, help="a world already written")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--normalize-lines", type=int, default=200_000)
    parser.add_argument("--scratch", type=Path, help="where the stores go (default: a temp dir)")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="idgraph-bulk-bench-", dir=args.scratch))
    try:
        path = args.file
        if path is None:
            path = scratch / "world.ndjson"
            subprocess.run(
                [sys.executable, "-m", "bench.generate", "--people", str(args.people),
                 "--names", args.names, "--seed", "11", "--out", str(path)],
                check=True, capture_output=True,
            )  # fmt: skip
        with path.open("rb") as stream:
            observations = sum(1 for _ in stream)
        print(f"world: {observations:,} observations ({path.stat().st_size / 2**20:,.0f} MiB)")
        for round_number in range(1, args.repeat + 1):
            lines, normalize = normalization_rate(path, args.normalize_lines)
            bulk_dir = scratch / f"bulk-{round_number}"
            bulk_seconds, bulk_out = load(path, bulk_dir, bulk=True)
            bulk_rate = observations / bulk_seconds
            rss = re.search(r"peak RSS .*", bulk_out)
            print(f"round {round_number}: normalization {normalize:,.0f} obs/s ({lines:,} lines)")
            print(
                f"  bulk        {bulk_rate:>9,.0f} obs/s  {bulk_seconds:7.1f} s"
                f"  ({bulk_rate / normalize:.2f} of normalization); {rss.group(0) if rss else ''}"
            )
            for stage in re.findall(r"^(?:parse|match|resolve|write) .*$", bulk_out, re.M):
                print(f"    {stage}")
            size = store_bytes(bulk_dir)
            print(f"  store       {size / 2**20:,.0f} MiB, {size / observations:,.0f} bytes/obs")
            if not args.skip_incremental:
                inc_dir = scratch / f"incremental-{round_number}"
                inc_seconds, _ = load(path, inc_dir, bulk=False)
                inc_rate = observations / inc_seconds
                same = export_without_ids(bulk_dir) == export_without_ids(inc_dir)
                print(
                    f"  incremental {inc_rate:>9,.0f} obs/s  {inc_seconds:7.1f} s"
                    f"  ({inc_rate / normalize:.2f} of normalization);"
                    f" bulk/incremental {bulk_rate / inc_rate:.1f}x; same profiles: {same}"
                )
                shutil.rmtree(inc_dir, ignore_errors=True)
            if args.lookups:
                rate = lookup_rate(path, bulk_dir, args.lookups)
                print(f"  lookups     {rate:>9,.0f} /s on the bulk-loaded store")
            shutil.rmtree(bulk_dir, ignore_errors=True)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
