"""Bulk stage 2, the matching half: fuzzy candidate pairs by a blocking join, scored in
worker processes by the fuzzy matcher itself.

Candidates are the pairs of records (of two identifiers) that share a blocking key held
by at most ``max_block_size`` records over the whole load: the rule of
``matchers.blocking``, which the incremental path applies batch by batch with the same
result. Each pair is scored by ``FuzzyMatcher.score`` (the same code as the incremental
path: same comparisons, levels, model, pruning and evidence), and each two identifiers
keep their best pair, as ``identity.fuzzy_linking`` keeps it: the edge's source and time
are those of the observation that brought the later of the pair's two records (ties
between pairs of equal weight: the earlier such observation).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from cli.bulk.pool import ordered_map
from cli.bulk.tables import BulkTables
from identity.canonical_json import canonical_json
from identity.fuzzy_linking import FuzzyLinker, review_reason
from matchers.attributes import PersonRecord

PAIRS_PER_JOB = 20_000

Job = list[tuple[str, str, str, str, str, str, int, int]]
"""Per pair: both record IDs, anchors and fields, and both lines."""

_SCORED = pa.schema(
    [
        ("left_key", pa.string()),
        ("right_key", pa.string()),
        ("weight", pa.float64()),
        ("evidence", pa.string()),
        ("later_line", pa.int64()),
    ]
)


class PairScorer:
    """Scores jobs of candidate pairs (in a worker), keeping records it has built."""

    def __init__(self, linker: FuzzyLinker) -> None:
        self._matcher = linker.matcher
        self._records: dict[str, PersonRecord] = {}

    def _record(self, record_id: str, anchor: str, fields: str) -> PersonRecord:
        found = self._records.get(record_id)
        if found is None:
            if len(self._records) > 200_000:
                self._records.clear()
            found = PersonRecord.from_normalized(anchor, json.loads(fields))
            self._records[record_id] = found
        return found

    def score(self, job: Job) -> list[tuple[str, str, float, str, int]]:
        scored: list[tuple[str, str, float, str, int]] = []
        for a_id, a_anchor, a_fields, b_id, b_anchor, b_fields, a_line, b_line in job:
            pair = self._matcher.score(
                self._record(a_id, a_anchor, a_fields), self._record(b_id, b_anchor, b_fields)
            )
            if pair is not None:
                scored.append(
                    (
                        pair.left,
                        pair.right,
                        pair.weight,
                        canonical_json(pair.evidence),
                        max(a_line, b_line),
                    )
                )
        return scored


def candidate_pairs(tables: BulkTables, max_block_size: int) -> int:
    """Build ``pairs``: each two records of two identifiers sharing a usable key, once."""
    tables.db.execute(
        "CREATE TABLE pairs AS SELECT DISTINCT a.record_id AS a_id, b.record_id AS b_id"
        " FROM blocks a JOIN blocks b ON a.block_key = b.block_key"
        " AND a.record_id < b.record_id AND a.anchor <> b.anchor"
        f" WHERE a.size <= {int(max_block_size)}"
    )
    return tables.count("pairs")


def _jobs(tables: BulkTables) -> Iterator[list[tuple[Any, ...]]]:
    query = (
        "SELECT p.a_id, a.anchor, a.fields, p.b_id, b.anchor, b.fields, a.line, b.line"
        " FROM pairs p JOIN records a ON a.record_id = p.a_id"
        " JOIN records b ON b.record_id = p.b_id"
    )
    yield from tables.batches(query, PAIRS_PER_JOB)


def score_pairs(
    tables: BulkTables,
    linker: FuzzyLinker,
    workers: int,
    progress: Callable[[int], None],
) -> int:
    """Score every candidate pair into ``fuzzy_edges`` (the best pair of two identifiers,
    as an edge row); the number of pairs scored."""
    scorer = PairScorer(linker)
    tables.db.execute(
        "CREATE TABLE scored (left_key VARCHAR, right_key VARCHAR, weight DOUBLE,"
        " evidence VARCHAR, later_line BIGINT)"
    )
    done = 0
    for job, scored in _scored_jobs(tables, scorer, workers):
        done += job
        if scored:
            batch = pa.table(list(zip(*scored, strict=True)), schema=_SCORED)
            tables.db.register("scored_batch", batch)
            tables.db.execute("INSERT INTO scored SELECT * FROM scored_batch")
            tables.db.unregister("scored_batch")
        progress(done)
    threshold = linker.merge_threshold
    tables.db.execute(
        "CREATE TABLE fuzzy_edges AS SELECT s.left_key, s.right_key, 'fuzzy' AS matcher,"
        " 'fellegi_sunter' AS rule, s.weight,"
        f" CASE WHEN s.weight >= {threshold!r} THEN 'joined' ELSE 'held' END AS status,"
        " o.source, s.evidence, o.observed_at AS first_seen, o.observed_at AS last_seen,"
        " 1 AS sightings, '' AS reason"
        " FROM (SELECT *, row_number() OVER (PARTITION BY left_key, right_key"
        " ORDER BY weight DESC, later_line) AS best FROM scored) s"
        " JOIN parsed_observations o ON o.line = s.later_line WHERE s.best = 1"
    )
    held = tables.db.execute(
        "SELECT left_key, right_key, weight FROM fuzzy_edges WHERE status = 'held'"
    ).fetchall()
    if held:
        reasons = pa.table(
            {
                "left_key": [h[0] for h in held],
                "right_key": [h[1] for h in held],
                "reason": [review_reason(h[2]) for h in held],
            }
        )
        tables.db.register("held_reasons", reasons)
        tables.db.execute(
            "UPDATE fuzzy_edges SET reason = h.reason FROM held_reasons h"
            " WHERE fuzzy_edges.left_key = h.left_key AND fuzzy_edges.right_key = h.right_key"
        )
        tables.db.unregister("held_reasons")
    return done


def _scored_jobs(
    tables: BulkTables, scorer: PairScorer, workers: int
) -> Iterator[tuple[int, list[tuple[str, str, float, str, int]]]]:
    def run(job: Job) -> tuple[int, Any]:
        return len(job), scorer.score(job)

    yield from ordered_map(run, _jobs(tables), workers)
