"""Bulk stage 2, the grouping half: the parsed rows merged as the stores merge them.

``BulkTables`` owns the DuckDB database of one load (a file in the load's scratch
directory, ``memory_limit`` from the memory budget, spilling to the same directory) and
builds, from the Parquet files of ``cli.bulk.parse``:

- ``identifiers``: one row per key; seen-times widen, sightings add up
  (``graph.rules.merge_identifier_sightings``);
- ``co_edges``: one row per edge slot; the largest weight, ``joined`` if any sighting
  joined, source and evidence of the last sighting in file order, seen-times widened,
  sightings added (``graph.rules.merge_batch_edge``);
- ``records``: one row per person record ID, from its first observation in file order
  (the fuzzy linker's arrival); ``blocks``: each record under each of its blocking keys,
  with the key's size over the whole load.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from cli.bulk.parse import TABLES


class BulkTables:
    def __init__(self, directory: Path, memory_bytes: int, threads: int) -> None:
        self.directory = directory
        self.db = duckdb.connect(str(directory / "bulk.duckdb"))
        spill = directory / "spill"
        spill.mkdir(exist_ok=True)
        self.db.execute(f"SET memory_limit = '{max(memory_bytes // (1 << 20), 128)}MB'")
        self.db.execute(f"SET temp_directory = '{spill}'")
        self.db.execute(f"SET threads = {max(threads, 1)}")
        self.db.execute("SET preserve_insertion_order = false")
        for table in TABLES:
            files = str(directory / f"{table}-*.parquet")
            self.db.execute(f"CREATE VIEW parsed_{table} AS SELECT * FROM read_parquet('{files}')")

    def close(self) -> None:
        self.db.close()

    def batches(self, query: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``query`` in lists of at most ``size``, read as they are used (on
        a cursor of its own, so other statements may run meanwhile)."""
        reader = self.db.cursor().sql(query).to_arrow_reader(size)
        assert reader is not None
        for batch in reader:
            columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            yield list(zip(*columns, strict=True))

    def count(self, table: str) -> int:
        found = self.db.execute(f"SELECT count(*) FROM {table}").fetchone()
        return 0 if found is None else int(found[0])

    def group(self) -> None:
        """``identifiers``, ``co_edges``, ``records`` and ``blocks`` from the parsed rows.

        Each step is one statement of one kind (a group-by of numbers, a join back to the
        first or last row, a window), each materialized: so every operator can spill to
        disk under the memory limit (an aggregate of strings, like ``arg_max``, keeps its
        states in memory, and operators of one statement share the limit)."""
        db = self.db
        db.execute(
            "CREATE TABLE identifier_sightings AS SELECT key, min(observed_at) AS first_seen,"
            " max(observed_at) AS last_seen, count(*) AS sightings, min(line) AS first_line"
            " FROM parsed_identifiers GROUP BY key"
        )
        db.execute(
            "CREATE TABLE identifiers AS SELECT i.key, i.type, i.value, g.first_seen,"
            " g.last_seen, g.sightings FROM identifier_sightings g JOIN parsed_identifiers i"
            " ON i.key = g.key AND i.line = g.first_line"
        )
        db.execute(
            "CREATE TABLE edge_sightings AS SELECT left_key, right_key, matcher, rule,"
            " max(weight) AS weight, bool_or(status = 'joined') AS joined,"
            " min(observed_at) AS first_seen, max(observed_at) AS last_seen,"
            " count(*) AS sightings, max(line) AS last_line"
            " FROM parsed_edges GROUP BY left_key, right_key, matcher, rule"
        )
        db.execute(
            "CREATE TABLE co_edges AS SELECT g.left_key, g.right_key, g.matcher, g.rule,"
            " g.weight, CASE WHEN g.joined THEN 'joined' ELSE e.status END AS status,"
            " e.source, e.evidence, g.first_seen, g.last_seen, g.sightings, '' AS reason"
            " FROM edge_sightings g JOIN parsed_edges e ON e.line = g.last_line"
            " AND e.left_key = g.left_key AND e.right_key = g.right_key"
            " AND e.matcher = g.matcher AND e.rule = g.rule"
        )
        db.execute(
            "CREATE TABLE record_arrivals AS SELECT record_id, min(line) AS line"
            " FROM parsed_records GROUP BY record_id"
        )
        db.execute(
            "CREATE TABLE records AS SELECT r.record_id, r.line, r.anchor, r.fields, r.keys,"
            " r.source, r.observed_at FROM record_arrivals f JOIN parsed_records r"
            " ON r.record_id = f.record_id AND r.line = f.line"
        )
        db.execute(
            "CREATE TABLE block_entries AS SELECT unnest(keys) AS block_key, record_id,"
            " anchor, line FROM records"
        )
        db.execute(
            "CREATE TABLE block_sizes AS SELECT block_key, count(*) AS size FROM block_entries"
            " GROUP BY block_key"
        )
        db.execute(
            "CREATE TABLE block_arrivals AS SELECT block_key, record_id, anchor, line,"
            " row_number() OVER (PARTITION BY block_key ORDER BY line) AS arrival"
            " FROM block_entries"
        )
        db.execute(
            "CREATE TABLE blocks AS SELECT b.block_key, b.record_id, b.anchor, b.line, s.size,"
            " b.arrival FROM block_arrivals b JOIN block_sizes s ON s.block_key = b.block_key"
        )
        for table in ("identifier_sightings", "edge_sightings", "record_arrivals",
                      "block_entries", "block_arrivals"):  # fmt: skip
            db.execute(f"DROP TABLE {table}")
