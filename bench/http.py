"""HTTP lookup benchmark: a live uvicorn on loopback, driven open-loop from another process.

    python -m bench.http [--people 5000] [--rate 1000] [--seconds 10] [--workers 1]
                         [--batch-size 100] [--batch-rate 20] [--connections 64]

Loads a generated population into a fresh embedded store, creates a reader key, starts
``idgraph serve --workers N --no-access-log`` in a subprocess (uvicorn; one worker unless
``--workers``) and then, from
this process, sends a bounded number of requests on a fixed schedule: request *i* is due at
``start + i / rate`` whatever happened to earlier ones (open loop, so a slow answer cannot
slow the offered load down and hide its own queueing). Latency is measured from the time a
request was due to the time its answer was read, so waiting for a free connection counts.

Phases, each printing throughput and p50/p99/max latency:

1. ``GET /healthz`` at the single-lookup rate: the HTTP floor (no key check, no store) on
   the same server, the baseline the lookups are compared with;
2. ``GET /v1/lookup`` of random stored identifiers at ``--rate`` for ``--seconds``;
3. the same at ``--low-rate``, to show the latency where the server keeps up;
4. ``POST /v1/lookup/batch`` of ``--batch-size`` identifiers at ``--batch-rate``;
5. the most single lookups the server answers: ``--connections`` requests kept in flight
   (closed loop) for a bounded count.

The client is a minimal asyncio HTTP/1.1 client over keep-alive connections, lighter than
a general-purpose one, so that on a small machine the client starves the server as little
as possible; the server runs in its own process. uvicorn uses ``uvloop`` and
``httptools`` when they are installed (``pip install uvloop httptools``, as
``uvicorn[standard]`` does), and so does the client; the first line of the output says
which ran.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from api.bootstrap import build_service
from bench.common import BENCH_SECRET
from bench.generate import generate
from bench.results import run_recorded
from identity.settings import Settings

AIM_P99_MS = 10.0


@dataclass
class Phase:
    name: str
    offered: int
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    server_cpu: float = 0.0
    """CPU seconds the server process used during the phase (user + system)."""

    def report(self, unit: str = "requests", per_request: int = 1) -> str:
        done = len(self.latencies)
        if not done:
            return f"{self.name:<34} no answers"
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(done - 1, int(done * 0.99))] * 1000
        rate = done / self.seconds
        bad = {s: n for s, n in self.statuses.items() if s != 200}
        extra = f" non-200 {bad}" if bad else ""
        throughput = f"{rate:7,.0f} req/s"
        if per_request > 1:
            throughput += f" ({rate * per_request:9,.0f} {unit}/s)"
        cpu = self.server_cpu / done * 1000
        return (
            f"{self.name:<34} {done:6,} answers {throughput}"
            f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  max {ordered[-1] * 1000:7.2f} ms"
            f"  server CPU {cpu:5.2f} ms/req{extra}"
        )


class Connection:
    """One keep-alive HTTP/1.1 connection; answers are read by Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def get(path: str, key: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()


def post(path: str, body: bytes, key: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def open_loop(
    name: str, port: int, requests: Sequence[bytes], rate: float, connections: int
) -> Phase:
    """Send ``requests`` at ``rate`` per second on their schedule over a pool of
    connections; each latency runs from the request's due time to its answer."""
    phase = Phase(name, len(requests))
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    clock = time.perf_counter  # uvloop's loop.time() ticks in whole milliseconds
    start = clock() + 0.05

    async def one(index: int, raw: bytes) -> None:
        due = start + index / rate
        connection = await pool.get()
        status = await connection.request(raw)
        phase.latencies.append(clock() - due)
        phase.statuses[status] = phase.statuses.get(status, 0) + 1
        pool.put_nowait(connection)

    tasks = []
    for index, raw in enumerate(requests):
        delay = start + index / rate - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, raw)))
    await asyncio.gather(*tasks)
    phase.seconds = clock() - start
    while not pool.empty():
        pool.get_nowait().close()
    return phase


async def closed_loop(name: str, port: int, requests: Sequence[bytes], connections: int) -> Phase:
    """Keep ``connections`` requests in flight until every request is answered."""
    phase = Phase(name, len(requests))
    queue = list(reversed(requests))
    clock = time.perf_counter

    async def worker() -> None:
        connection = await Connection.open(port)
        while queue:
            raw = queue.pop()
            sent = clock()
            status = await connection.request(raw)
            phase.latencies.append(clock() - sent)
            phase.statuses[status] = phase.statuses.get(status, 0) + 1
        connection.close()

    started = clock()
    await asyncio.gather(*(worker() for _ in range(connections)))
    phase.seconds = clock() - started
    return phase


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children (uvicorn's workers),
    from Linux ``/proc``."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def measured(pid: int, phase: Awaitable[Phase]) -> Phase:
    """Run a phase and note the server's CPU time it took: on a shared machine the
    latencies say how long requests waited, the CPU time what each one cost.

    This client's garbage collector is off during a phase (a full collection here would
    pause the sending and count as server latency); the server's runs as in production."""
    gc.collect()
    gc.disable()
    try:
        before = cpu_seconds(pid)
        done = await phase
        done.server_cpu = cpu_seconds(pid) - before
    finally:
        gc.enable()
    return done


def _have(fast: str, fallback: str) -> str:
    """What uvicorn's ``auto`` settings pick: the optional fast package when installed."""
    return fast if importlib.util.find_spec(fast) else fallback


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``idgraph serve`` as an operator runs it, without the per-request access log and
    without a rate limit on the bench's reader key (what is measured is what the server
    can answer, more than one reader key may make by default)."""
    env = {**os.environ, "IDGRAPH_SECRET": BENCH_SECRET}
    config = data_dir / "bench.toml"
    config.write_text("rate_limits = { reader = 0 }\n", encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("uvicorn exited before it answered") from None
            time.sleep(0.1)
    server.kill()
    raise SystemExit("uvicorn did not answer within 60 s")


def load(data_dir: Path, people: int) -> tuple[list[tuple[str, str]], str, int]:
    """Generate and load a population; the stored identifiers as (type, raw value), a
    reader key and the number of profiles."""
    raw, _ = generate(people, seed=13)
    service = build_service(Settings(data_dir=data_dir, secret=BENCH_SECRET))
    try:
        observations = [service.parse(item).observation for item in raw]
        for start in range(0, len(observations), 1000):
            service.ingest(observations[start : start + 1000])
        stored = sorted({(i.type, i.value) for obs in observations for i in obs.identifiers})
        key = service.keys.create("reader", "bench")
        profiles = service.counts()["profiles"]
    finally:
        service.store.close()
    return stored, key, profiles


def lookup_path(kind: str, value: str) -> str:
    return "/v1/lookup?" + urllib.parse.urlencode({"type": kind, "value": value})


async def run(
    args: argparse.Namespace, port: int, pid: int, stored: list[tuple[str, str]], key: str
) -> None:
    rng = random.Random(5)
    count = int(args.rate * args.seconds)
    singles = [get(lookup_path(*rng.choice(stored)), key) for _ in range(count)]
    batch_count = max(1, int(args.batch_rate * args.seconds))
    batches = [
        post(
            "/v1/lookup/batch",
            json.dumps(
                {
                    "identifiers": [
                        {"type": t, "value": v}
                        for t, v in (rng.choice(stored) for _ in range(args.batch_size))
                    ]
                }
            ).encode(),
            key,
        )
        for _ in range(batch_count)
    ]
    await closed_loop("warm-up", port, singles[:500], 8)
    low = singles[: int(args.low_rate * args.seconds)]
    phases = [
        await measured(
            pid,
            open_loop(
                f"healthz at {args.rate:,.0f}/s (floor)",
                port,
                [get("/healthz")] * count,
                args.rate,
                args.connections,
            ),
        ),
        await measured(
            pid,
            open_loop(
                f"single lookups at {args.rate:,.0f}/s",
                port,
                singles,
                args.rate,
                args.connections,
            ),
        ),
        await measured(
            pid,
            open_loop(f"single lookups at {args.low_rate:,.0f}/s", port, low, args.low_rate, 16),
        ),
    ]
    batch = await measured(
        pid,
        open_loop(
            f"batch of {args.batch_size} at {args.batch_rate:,.0f}/s",
            port,
            batches,
            args.batch_rate,
            args.connections,
        ),
    )
    most = await measured(
        pid, closed_loop("single lookups, 16 in flight", port, singles[: args.max_count], 16)
    )
    for phase in phases:
        print(phase.report())
    print(batch.report("identifiers", args.batch_size))
    print(most.report())
    single = phases[1]
    ordered = sorted(single.latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    verdict = "met" if p99 < AIM_P99_MS else "missed"
    print(f"aim: single-lookup p99 < {AIM_P99_MS:.0f} ms at {args.rate:,.0f}/s: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=1000.0, help="single lookups per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--low-rate", type=float, default=250.0, help="single lookups per second, second run"
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--batch-rate", type=float, default=20.0, help="batches per second")
    parser.add_argument("--connections", type=int, default=64, help="client connection pool")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (CPU is per worker)"
    )
    parser.add_argument(
        "--max-count", type=int, default=5000, help="requests of the closed-loop phase"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="idgraph-bench-http-") as scratch:
        data_dir = Path(scratch) / "data"
        stored, key, profiles = load(data_dir, args.people)
        port = free_port()
        server = start_server(data_dir, port, args.workers)
        try:
            print(
                f"uvicorn on 127.0.0.1:{port} (loop {_have('uvloop', 'asyncio')}, http"
                f" {_have('httptools', 'h11')}), embedded store: {profiles:,} profiles,"
                f" {len(stored):,} identifiers; client and server in separate processes,"
                f" {os.cpu_count()} CPUs"
            )
            if importlib.util.find_spec("uvloop"):
                import uvloop

                uvloop.run(run(args, port, server.pid, stored, key))
            else:
                asyncio.run(run(args, port, server.pid, stored, key))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_recorded("http", main))
