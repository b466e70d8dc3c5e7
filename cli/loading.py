"""``idgraph load``: read NDJSON or CSV, parse every line, ingest in atomic batches.

A bad line is written to the reject file with its line number and reasons and never stops
the load; a batch is stored whole or not at all, so a load killed part-way and run again
ends exactly like one clean load (ingest is idempotent).

On a machine with two CPUs or more, a file of some size is parsed in a worker process
(``cli.worker_iteration``) while this process ingests the batch before; the outcome is
the same line for line, only sooner.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from cli.column_map import ColumnMap
from cli.csv_rows import csv_records
from cli.encodings import FileEncoding, check_encoding, decode_line
from cli.worker_iteration import can_fork, iterate_in_worker
from identity.errors import Finding, ObservationRejected, Refusal
from identity.observation import Observation, ObservationParser, ParsedObservation
from identity.service import IdentityService
from identity.strict_json import bounded_lines, decode_document

FORMATS = ("ndjson", "csv")
# Below this size a load is over before a second process pays off.
WORKER_MIN_BYTES = 256 * 1024
# A batch is stored in chunks of this many observations as they are parsed (and resolved
# once at its end), so storing overlaps parsing also within one batch.
STORE_CHUNK = 1000


@dataclass(slots=True)
class LoadReport:
    lines_read: int = 0
    observations_accepted: int = 0
    identifiers_refused: int = 0
    lines_rejected: int = 0
    profiles_created: int = 0
    profiles_merged: int = 0
    identifiers_suppressed: int = 0
    identifiers_flagged: int = 0
    """Stored, but look-alikes (``identity.lookalikes``): in the reject file as warnings."""
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines_read": self.lines_read,
            "observations_accepted": self.observations_accepted,
            "identifiers_refused": self.identifiers_refused,
            "lines_rejected": self.lines_rejected,
            "profiles_created": self.profiles_created,
            "profiles_merged": self.profiles_merged,
            "identifiers_suppressed": self.identifiers_suppressed,
            "identifiers_flagged": self.identifiers_flagged,
        }


def detect_format(path: Path) -> str:
    return "csv" if path.suffix.lower() in (".csv", ".tsv") else "ndjson"


def _ndjson_lines(
    stream: IO[bytes], encoding: FileEncoding
) -> Iterator[tuple[int, object | Refusal]]:
    for number, raw in bounded_lines(stream):
        if isinstance(raw, Refusal):
            yield number, raw
        elif raw.strip():
            text = decode_line(raw, number, encoding)
            yield (
                number,
                _undecodable(encoding, raw) if text is None else decode_document(text, "line"),
            )


def _undecodable(encoding: FileEncoding, raw: bytes) -> Refusal:
    # line.utf8 as for a body or line read as UTF-8 anywhere (identity.strict_json).
    rule = "line.utf8" if encoding.codec == "utf-8" else "line.encoding"
    return Refusal("line", repr(raw[:80]), rule, f"its bytes are not {encoding.codec} text")


def _csv_lines(
    stream: IO[bytes],
    identifier_types: tuple[str, ...],
    warnings: list[str],
    encoding: FileEncoding,
    columns: ColumnMap | None,
) -> Iterator[tuple[int, object | Refusal]]:
    from cli.csv_mapping import CsvMapping

    def attribute_columns(header: list[str]) -> set[int]:
        fields = header if columns is None else columns.header(header)
        attributes = CsvMapping.from_header(fields, identifier_types).attributes
        return {i for i, column in enumerate(fields) if column in attributes}

    def decode(number: int, raw: bytes) -> str | Refusal:
        text = decode_line(raw, number, encoding)
        return _undecodable(encoding, raw) if text is None else text

    records = csv_records(stream, attribute_columns, decode)
    for number, header in records:
        if isinstance(header, Refusal):
            yield number, header
            continue
        break
    else:
        return
    fields = header if columns is None else columns.header(header)
    mapping = CsvMapping.from_header(fields, identifier_types)
    if mapping.ignored:
        warnings.append(f"ignored columns: {', '.join(mapping.ignored)}")
    for number, row in records:
        if isinstance(row, Refusal):
            yield number, row
        elif any(cell.strip() for cell in row):
            cells = (
                dict(zip(header, row, strict=True)) if columns is None else columns.row(header, row)
            )
            yield number, mapping.to_observation(cells)


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """One line's outcome: the parsed observation, or the refusals that reject it whole.
    ``position`` is how far into the file reading had got (for progress)."""

    number: int
    position: int
    parsed: ParsedObservation | None
    refusals: tuple[Refusal, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by constructor arguments: a frozen dataclass's default pickling looks
        # up its fields again for every object, and the worker sends one per line.
        return ParsedLine, (self.number, self.position, self.parsed, self.refusals)


@dataclass(frozen=True, slots=True)
class FileWarning:
    text: str


def parsed_lines(
    service: IdentityService,
    path: Path,
    file_format: str,
    encoding: FileEncoding | None = None,
    columns: ColumnMap | None = None,
) -> Generator[ParsedLine | FileWarning, None, None]:
    """Every non-blank line of the file, parsed, in order (warnings about the file, such
    as ignored CSV columns, where they arise). ``encoding``: as ``check_encoding`` found
    it (default UTF-8); ``columns``: a column-mapping file's map (CSV)."""
    warnings: list[str] = []
    encoding = encoding or FileEncoding("utf-8", False, frozenset())
    parse = service.parse
    if columns is not None and columns.source and columns.date_formats:
        settings = replace(
            service.settings,
            date_formats={**service.settings.date_formats, columns.source: columns.date_formats},
        )
        parse = ObservationParser(settings, service.normalizer).parse
    with path.open("rb") as stream:
        lines = (
            _csv_lines(stream, service.normalizer.types, warnings, encoding, columns)
            if file_format == "csv"
            else _ndjson_lines(stream, encoding)
        )
        for number, item in lines:
            if warnings:
                yield from (FileWarning(w) for w in warnings)
                warnings.clear()
            if isinstance(item, Refusal):
                yield ParsedLine(number, stream.tell(), None, (item,))
                continue
            try:
                parsed = parse(item)
            except ObservationRejected as e:
                yield ParsedLine(number, stream.tell(), None, tuple(e.refusals))
                continue
            yield ParsedLine(number, stream.tell(), parsed)
        yield from (FileWarning(w) for w in warnings)


def parse_in_worker(path: Path) -> bool:
    """Whether ``load_file`` parses in a worker by default: when a second CPU is there
    and the file is big enough for it to pay off."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return can_fork() and (cpus or 1) >= 2 and path.stat().st_size >= WORKER_MIN_BYTES


def load_file(
    service: IdentityService,
    path: Path,
    rejects: IO[str],
    file_format: str | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, LoadReport], None] | None = None,
    parse_worker: bool | None = None,
    encoding: str = "utf-8",
    columns: ColumnMap | None = None,
) -> LoadReport:
    """``parse_worker``: parse in a worker process (None: ``parse_in_worker(path)``).
    ``encoding``: the file's (``cli.encodings``), checked before anything is stored
    (``EncodingMismatch`` when the file is in another); ``columns``: a column map."""
    report = LoadReport()
    size = batch_size or service.settings.batch_size
    kind = file_format or detect_format(path)
    checked = check_encoding(path, encoding)
    if parse_worker is None:
        parse_worker = parse_in_worker(path)
    lines: Generator[ParsedLine | FileWarning, None, None] = (
        iterate_in_worker(lambda: parsed_lines(service, path, kind, checked, columns))
        if parse_worker
        else parsed_lines(service, path, kind, checked, columns)
    )
    # Closed on the way out, also on an error: the worker stops and the file is closed
    # now, not when the traceback lets go of this frame.
    with contextlib.closing(lines):
        chunks = _observation_chunks(lines, rejects, report, size, progress)
        for first in chunks:
            outcome = service.ingest_chunks(_rest_of_batch(first, chunks))
            report.profiles_created += outcome.profiles_created
            report.profiles_merged += outcome.profiles_merged
            report.identifiers_suppressed += outcome.suppressed_identifiers
    return report


def _observation_chunks(
    lines: Iterable[ParsedLine | FileWarning],
    rejects: IO[str],
    report: LoadReport,
    batch_size: int,
    progress: Callable[[int, LoadReport], None] | None,
) -> Iterator[tuple[list[Observation], bool]]:
    """The accepted observations in chunks of at most ``STORE_CHUNK``, each with whether
    it ends a batch of ``batch_size``; rejects and the report's line counts are written on
    the way."""
    chunk_size = min(batch_size, STORE_CHUNK)
    chunk: list[Observation] = []
    in_batch = 0
    position = 0
    for line in lines:
        if isinstance(line, FileWarning):
            report.warnings.append(line.text)
            continue
        report.lines_read += 1
        if line.parsed is None:
            write_reject(rejects, line.number, "rejected", line.refusals)
            report.lines_rejected += 1
            report.identifiers_refused += _identifiers_among(line.refusals)
            continue
        refusals, warnings = line.parsed.refusals, line.parsed.warnings
        if refusals or warnings:
            status = "accepted_in_part" if refusals else "accepted_with_warnings"
            write_reject(rejects, line.number, status, refusals, warnings)
            report.identifiers_refused += _identifiers_among(refusals)
            report.identifiers_flagged += len({w.field for w in warnings})
        chunk.append(line.parsed.observation)
        report.observations_accepted += 1
        in_batch += 1
        position = line.position
        if len(chunk) >= chunk_size or in_batch >= batch_size:
            ends_batch = in_batch >= batch_size
            yield chunk, ends_batch
            if ends_batch:
                in_batch = 0
            chunk = []
            if progress is not None:
                progress(position, report)
    if chunk:
        yield chunk, True


def _rest_of_batch(
    first: tuple[list[Observation], bool], chunks: Iterator[tuple[list[Observation], bool]]
) -> Iterator[list[Observation]]:
    """``first`` and the chunks after it up to the one that ends the batch."""
    chunk, ends_batch = first
    yield chunk
    while not ends_batch:
        following = next(chunks, None)
        if following is None:
            return
        chunk, ends_batch = following
        yield chunk


def _identifiers_among(refusals: Sequence[Refusal]) -> int:
    return sum(1 for r in refusals if r.field.startswith("identifiers["))


def write_reject(
    rejects: IO[str],
    line: int,
    status: str,
    refusals: Sequence[Refusal],
    warnings: Sequence[Finding] = (),
) -> None:
    entry: dict[str, object] = {
        "line": line,
        "status": status,
        "refusals": [r.to_dict() for r in refusals],
    }
    if warnings:
        entry["warnings"] = [w.to_dict() for w in warnings]
    rejects.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


class ProgressBar:
    """A one-line progress bar on a terminal (stderr); silent when not a terminal."""

    def __init__(self, total_bytes: int, stream: IO[str] = sys.stderr) -> None:
        self._total = max(total_bytes, 1)
        self._stream = stream
        self._enabled = stream.isatty()
        self._started = time.monotonic()
        self._last = 0.0

    def __call__(self, done_bytes: int, report: LoadReport) -> None:
        now = time.monotonic()
        if not self._enabled or now - self._last < 0.2:
            return
        self._last = now
        share = min(done_bytes / self._total, 1.0)
        filled = int(share * 30)
        rate = report.lines_read / max(now - self._started, 1e-9)
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {share:6.1%}  {report.lines_read:,} lines"
            f"  {rate:,.0f} lines/s  {report.lines_rejected:,} rejected"
        )
        self._stream.flush()

    def finish(self) -> None:
        if self._enabled:
            self._stream.write("\n")
            self._stream.flush()
