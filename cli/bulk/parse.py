"""Bulk stage 1: every line parsed and normalized on every core, into Parquet columns.

The file is cut into byte ranges at line ends; each range is parsed in a forked worker
process by the service's own parser (``IdentityService.parse``, as ``idgraph load``
parses), and its rows are derived as ``identity.staging`` derives them for a batch: one
sighting per identifier, one co-occurrence edge per pair of identifiers of an observation
(joining at ``merge_threshold``, weak below), the attributes of the observation for each
of its identifiers (the facts), consent statements with a subject, the observations whose
statements have none (kept whole: the partition decides whom those reach), and a person
record per observation with attributes, anchored and identified as the fuzzy linker does.

A row's ``line`` is ``range << 32 | line within the range``: file order, without knowing
how many lines earlier ranges hold; ``RangeResult.lines`` gives the offsets afterwards.
CSV files are parsed as one range (a quoted cell may hold a line break).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cli.loading import ParsedLine, parsed_lines
from identity.canonical_json import canonical_json
from identity.edge_status import STATUS_JOINED, STATUS_WEAK
from identity.errors import ObservationRejected, Refusal
from identity.fuzzy_linking import anchor_key, record_id
from identity.observation import Observation
from identity.profile_consent import consent_row
from identity.service import IdentityService
from matchers.attributes import PersonRecord
from matchers.deterministic import CoOccurrenceMatcher
from matchers.fuzzy import FuzzyMatcher

LINE_BITS = 32
TABLES = ("identifiers", "edges", "observations", "attributes", "consent", "claims", "records")

# The same encoder as the embedded store's facts (``graph.embedded.transaction``).
_facts_json = json.JSONEncoder(separators=(",", ":")).encode

_STRING = pa.string()
SCHEMAS: dict[str, pa.Schema] = {
    "identifiers": pa.schema(
        [("line", pa.int64()), ("key", _STRING), ("type", _STRING), ("value", _STRING),
         ("observed_at", _STRING)]
    ),
    "edges": pa.schema(
        [("line", pa.int64()), ("left_key", _STRING), ("right_key", _STRING),
         ("matcher", _STRING), ("rule", _STRING), ("weight", pa.float64()),
         ("status", _STRING), ("source", _STRING), ("evidence", _STRING),
         ("observed_at", _STRING)]
    ),
    "observations": pa.schema(
        [("line", pa.int64()), ("observation_id", _STRING), ("source", _STRING),
         ("observed_at", _STRING), ("attributes", _STRING)]
    ),
    "attributes": pa.schema(
        [("line", pa.int64()), ("name", _STRING), ("value", _STRING)]
    ),
    "consent": pa.schema(
        [("line", pa.int64()), ("statement_id", _STRING), ("subject_key", _STRING),
         ("purpose", _STRING), ("status", _STRING), ("at", _STRING), ("source", _STRING),
         ("proof", _STRING), ("via", _STRING)]
    ),
    "claims": pa.schema([("line", pa.int64()), ("observation", pa.binary())]),
    "records": pa.schema(
        [("line", pa.int64()), ("record_id", _STRING), ("anchor", _STRING),
         ("fields", _STRING), ("keys", pa.list_(_STRING)), ("source", _STRING),
         ("observed_at", _STRING)]
    ),
}  # fmt: skip


@dataclass(slots=True)
class RangeResult:
    """What one range gave: its line count, the report's counts, its rejects (line within
    the range, status, refusals) and warnings about the file."""

    index: int
    lines: int = 0
    lines_read: int = 0
    accepted: int = 0
    rejected: int = 0
    identifiers_refused: int = 0
    rejects: list[tuple[int, str, tuple[Refusal, ...]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def byte_ranges(path: Path, target_bytes: int) -> list[tuple[int, int]]:
    """The file cut into ranges of about ``target_bytes``, each ending after a line end."""
    size = path.stat().st_size
    ranges: list[tuple[int, int]] = []
    with path.open("rb") as stream:
        start = 0
        while start < size:
            stream.seek(min(start + target_bytes, size))
            if stream.tell() < size:
                stream.readline()
            end = min(stream.tell(), size)
            ranges.append((start, end))
            start = end
    return ranges


class _Columns:
    """The rows of one range, column by column."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, list[Any]]] = {
            table: {name: [] for name in SCHEMAS[table].names} for table in TABLES
        }

    def add(self, table: str, *values: Any) -> None:
        for column, value in zip(self.columns[table].values(), values, strict=True):
            column.append(value)

    def write(self, directory: Path, index: int) -> None:
        for table, columns in self.columns.items():
            data = pa.table(columns, schema=SCHEMAS[table])
            pq.write_table(data, directory / f"{table}-{index:06d}.parquet", compression="zstd")


class RangeParser:
    """Parses ranges of one file into Parquet files in ``directory`` (in a worker)."""

    def __init__(
        self, service: IdentityService, path: Path, file_format: str, directory: Path
    ) -> None:
        settings = service.settings
        self._service = service
        self._path = path
        self._format = file_format
        self._directory = directory
        self._threshold = settings.merge_threshold
        self._matcher = CoOccurrenceMatcher(
            settings.authenticated_weight,
            settings.unauthenticated_weight,
            settings.unauthenticated_weight_by_source,
        )
        linker = service.resolver.fuzzy
        self._fuzzy: FuzzyMatcher | None = None if linker is None else linker.matcher

    def parse(self, job: tuple[int, int, int]) -> RangeResult:
        index, start, end = job
        result = RangeResult(index)
        columns = _Columns()
        base = index << LINE_BITS
        evidence: dict[tuple[str, bool], str] = {}
        for line in self._lines(start, end, result):
            result.lines_read += 1
            if line.parsed is None:
                result.rejected += 1
                result.identifiers_refused += _identifiers_among(line.refusals)
                result.rejects.append((line.number, "rejected", line.refusals))
                continue
            if line.parsed.refusals:
                result.identifiers_refused += _identifiers_among(line.parsed.refusals)
                result.rejects.append((line.number, "accepted_in_part", line.parsed.refusals))
            result.accepted += 1
            self._rows(base | line.number, line.parsed.observation, columns, evidence)
        columns.write(self._directory, index)
        return result

    def _lines(self, start: int, end: int, result: RangeResult) -> Iterator[ParsedLine]:
        if self._format == "csv":
            for item in parsed_lines(self._service, self._path, "csv"):
                if isinstance(item, ParsedLine):
                    result.lines = item.number
                    yield item
                else:
                    result.warnings.append(item.text)
            return
        with self._path.open("rb") as stream:
            stream.seek(start)
            number = 0
            while stream.tell() < end:
                raw = stream.readline()
                if not raw:
                    break
                number += 1
                if not raw.strip():
                    continue
                yield self._parsed(number, raw)
            result.lines = number

    def _parsed(self, number: int, raw: bytes) -> ParsedLine:
        # What ``cli.loading`` does with one NDJSON line.
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            refusal = Refusal("line", repr(raw[:80]), "line.utf8", f"not UTF-8: {e}")
            return ParsedLine(number, 0, None, (refusal,))
        try:
            item = json.loads(text)
        except json.JSONDecodeError as e:
            refusal = Refusal("line", text.strip()[:200], "line.json", f"not JSON: {e}")
            return ParsedLine(number, 0, None, (refusal,))
        try:
            return ParsedLine(number, 0, self._service.parse(item))
        except ObservationRejected as e:
            return ParsedLine(number, 0, None, tuple(e.refusals))

    def _rows(
        self,
        line: int,
        obs: Observation,
        columns: _Columns,
        evidence_json: dict[tuple[str, bool], str],
    ) -> None:
        """The rows ``identity.staging`` stores for the observation."""
        at = obs.observed_at
        for ident in obs.identifiers:
            columns.add("identifiers", line, ident.key, ident.type, ident.value, at)
        attributes = dict(obs.attributes)
        columns.add(
            "observations",
            line,
            obs.observation_id,
            obs.source,
            at,
            _facts_json(attributes) if attributes else "",
        )
        for name, value in attributes.items():
            columns.add("attributes", line, name, value)
        keys = [i.key for i in obs.identifiers]
        evidence = evidence_json.get((obs.source, obs.authenticated))
        for pair in self._matcher.pairs(keys, obs.source, obs.authenticated):
            if evidence is None:
                evidence = evidence_json[(obs.source, obs.authenticated)] = canonical_json(
                    pair.evidence
                )
            status = STATUS_JOINED if pair.weight >= self._threshold else STATUS_WEAK
            columns.add(
                "edges",
                line,
                pair.left,
                pair.right,
                pair.matcher,
                pair.rule,
                pair.weight,
                status,
                obs.source,
                evidence,
                at,
            )
        claims_without_subject = False
        for index, claim in enumerate(obs.consent):
            if claim.subject is None:
                claims_without_subject = True
            else:
                columns.add("consent", line, *consent_row(obs, claim.subject, index))
        if claims_without_subject:
            columns.add("claims", line, pickle.dumps(obs, protocol=pickle.HIGHEST_PROTOCOL))
        if self._fuzzy is not None and attributes and obs.identifiers:
            record = PersonRecord(anchor_key(obs), obs.attributes)
            if record.normalized:
                record_keys = sorted(self._fuzzy.blocking_keys(record))
                if record_keys:
                    columns.add(
                        "records",
                        line,
                        record_id(record),
                        record.key,
                        canonical_json(dict(record.normalized)),
                        record_keys,
                        obs.source,
                        at,
                    )


def _identifiers_among(refusals: tuple[Refusal, ...]) -> int:
    return sum(1 for r in refusals if r.field.startswith("identifiers["))


def parse_file(
    service: IdentityService,
    path: Path,
    file_format: str,
    directory: Path,
    workers: int,
    range_bytes: int,
    on_range: Callable[[RangeResult], None],
) -> list[RangeResult]:
    """Parse the whole file into ``directory``; ``on_range`` sees each range's result in
    file order as it is done. With ``workers`` > 1 the ranges are parsed in forked worker
    processes (the kernel ends them if this process is killed)."""
    from cli.bulk.pool import ordered_map

    ranges = (
        [(0, 0, path.stat().st_size)]
        if file_format == "csv"
        else [(i, start, end) for i, (start, end) in enumerate(byte_ranges(path, range_bytes))]
    )
    parser = RangeParser(service, path, file_format, directory)
    results: list[RangeResult] = []
    for result in ordered_map(parser.parse, ranges, workers):
        on_range(result)
        results.append(result)
    return results


def cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)
