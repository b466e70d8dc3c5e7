"""``bulk_load``: a file into an empty store through the four bulk stages, with progress.

The load works in a scratch directory beside the store's data (``.bulk-PID``), removed at
the end; one left behind by a killed load is removed by the next. Stage lines go to the
progress stream (the terminal): counts and rates as a stage runs, its time when it ends.
"""

from __future__ import annotations

import resource
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cli.bulk.documents import prepare_golden
from cli.bulk.fuzzy import candidate_pairs, score_pairs
from cli.bulk.parse import RangeResult, cpu_count, parse_file
from cli.bulk.resolve import resolve
from cli.bulk.tables import BulkTables
from cli.bulk.write import write_all
from cli.loading import LoadReport, write_reject
from identity.service import IdentityService

SCRATCH_PREFIX = ".bulk-"


class StoreNotEmpty(Exception):
    """The bulk path writes new components only: a store holding data takes the
    incremental path."""


@dataclass(slots=True)
class StageTimes:
    seconds: dict[str, float] = field(default_factory=dict)


class StageProgress:
    """One line per stage on the progress stream: rewritten in place on a terminal (at
    most five times a second), printed once when the stage ends."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self._tty = stream is not None and stream.isatty()
        self.times = StageTimes()
        self._stage = ""
        self._unit = ""
        self._started = 0.0
        self._shown = 0.0

    def start(self, stage: str, unit: str) -> None:
        self._stage, self._unit = stage, unit
        self._started = self._shown = time.monotonic()

    def update(self, done: int) -> None:
        now = time.monotonic()
        if self._tty and now - self._shown >= 0.2:
            self._shown = now
            assert self._stream is not None
            self._stream.write("\r" + self._line(done, now))
            self._stream.flush()

    def finish(self, done: int, note: str = "") -> None:
        now = time.monotonic()
        self.times.seconds[self._stage] = now - self._started
        if self._stream is not None:
            self._stream.write(("\r" if self._tty else "") + self._line(done, now) + note + "\n")
            self._stream.flush()

    def _line(self, done: int, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        return (
            f"{self._stage:8} {done:>12,} {self._unit}  {done / elapsed:>10,.0f}/s"
            f"  {elapsed:7.1f} s"
        )


def peak_rss_bytes() -> tuple[int, int]:
    """The peak resident memory of this process and of its largest worker. This
    process's is the kernel's high-water mark of the running program (``VmHWM``; the
    ``ru_maxrss`` of a process keeps what the program before ``exec`` reached); Linux
    reports kilobytes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) * 1024
    except OSError:
        pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return own, children


def scratch_directory(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob(f"{SCRATCH_PREFIX}*"):
        pid = stale.name[len(SCRATCH_PREFIX) :]
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    directory = data_dir / f"{SCRATCH_PREFIX}{_pid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    return directory


def _pid() -> int:
    import os

    return os.getpid()


def store_is_empty(service: IdentityService) -> bool:
    counts = service.counts()
    return not any(counts.get(name, 0) for name in ("identifiers", "profiles", "aliases",
                                                     "tombstones", "edges"))  # fmt: skip


def bulk_load(
    service: IdentityService,
    path: Path,
    rejects: IO[str],
    file_format: str,
    progress_stream: IO[str] | None = sys.stderr,
    workers: int | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[LoadReport, StageTimes]:
    """Load ``path`` into the empty store of ``service`` (``StoreNotEmpty`` otherwise)."""
    if not store_is_empty(service):
        raise StoreNotEmpty("the store holds data")
    settings = service.settings
    workers = workers or cpu_count()
    budget = settings.memory_budget_mb << 20
    # A worker holds its range's rows as Python objects, some ten times the range's bytes.
    range_bytes = max(1 << 20, min(64 << 20, budget // (4 * 10 * max(workers, 1))))
    progress = StageProgress(progress_stream)
    report = LoadReport()
    directory = scratch_directory(settings.data_dir)
    tables: BulkTables | None = None
    try:
        progress.start("parse", "lines")
        offsets: list[int] = []

        def on_range(result: RangeResult) -> None:
            offset = sum(offsets)
            offsets.append(result.lines)
            for number, status, refusals in result.rejects:
                write_reject(rejects, offset + number, status, refusals)
            report.lines_read += result.lines_read
            report.observations_accepted += result.accepted
            report.lines_rejected += result.rejected
            report.identifiers_refused += result.identifiers_refused
            report.warnings.extend(result.warnings)
            progress.update(report.lines_read)

        parse_file(service, path, file_format, directory, workers, range_bytes, on_range)
        progress.finish(report.lines_read)
        _stage(on_stage, "parsed")

        # DuckDB gets half the budget; the scoring workers and this process the rest.
        tables = BulkTables(directory, budget // 2, workers)
        progress.start("match", "pairs")
        tables.group()
        linker = service.resolver.fuzzy
        scored = 0
        if linker is not None:
            candidate_pairs(tables, linker.matcher.max_block_size)
            scored = score_pairs(tables, linker, workers, progress.update)
        progress.finish(scored)
        _stage(on_stage, "matched")

        progress.start("resolve", "profiles")
        resolved = resolve(tables, service.resolver, settings)
        prepare_golden(tables, settings)
        report.profiles_created = resolved.profiles
        progress.finish(
            resolved.profiles,
            f"  ({resolved.identifiers:,} identifiers, {resolved.edges:,} edges,"
            f" {resolved.generic:,} generic, {resolved.partitioned:,} partitioned)",
        )
        _stage(on_stage, "resolved")

        progress.start("write", "rows")
        block_size = None if linker is None else linker.matcher.max_block_size
        written = write_all(service.store, tables, settings, block_size, progress.update)
        progress.finish(written)
        _stage(on_stage, "written")
    finally:
        if tables is not None:
            tables.close()
        shutil.rmtree(directory, ignore_errors=True)
    return report, progress.times


def _stage(on_stage: Callable[[str], None] | None, name: str) -> None:
    if on_stage is not None:
        on_stage(name)
