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
        """``identifiers``, ``co_edges``, ``records`` and ``blocks`` from the parsed rows."""
        db = self.db
        db.execute(
            "CREATE TABLE identifiers AS SELECT key, any_value(type) AS type,"
            " any_value(value) AS value, min(observed_at) AS first_seen,"
            " max(observed_at) AS last_seen, count(*) AS sightings"
            " FROM parsed_identifiers GROUP BY key"
        )
        db.execute(
            "CREATE TABLE co_edges AS SELECT left_key, right_key, matcher, rule,"
            " max(weight) AS weight,"
            " CASE WHEN bool_or(status = 'joined') THEN 'joined' ELSE arg_max(status, line)"
            " END AS status, arg_max(source, line) AS source,"
            " arg_max(evidence, line) AS evidence, min(observed_at) AS first_seen,"
            " max(observed_at) AS last_seen, count(*) AS sightings, '' AS reason"
            " FROM parsed_edges GROUP BY left_key, right_key, matcher, rule"
        )
        db.execute(
            "CREATE TABLE records AS SELECT record_id, min(line) AS line,"
            " arg_min(anchor, line) AS anchor, arg_min(fields, line) AS fields,"
            " arg_min(keys, line) AS keys, arg_min(source, line) AS source,"
            " arg_min(observed_at, line) AS observed_at"
            " FROM parsed_records GROUP BY record_id"
        )
        db.execute(
            "CREATE TABLE blocks AS SELECT b.block_key, b.record_id, b.anchor, b.line,"
            " count(*) OVER (PARTITION BY b.block_key) AS size,"
            " row_number() OVER (PARTITION BY b.block_key ORDER BY b.line) AS arrival"
            " FROM (SELECT unnest(keys) AS block_key, record_id, anchor, line FROM records) b"
        )
