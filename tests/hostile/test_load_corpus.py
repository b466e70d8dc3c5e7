"""The hostile-input corpus through ``idgraph load`` on every store, NDJSON and CSV: no
traceback, every hostile line reported with its rule, every good line after it stored."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile_corpus import (
    ACCEPTED,
    CORPUS,
    CSV_CORPUS,
    REJECTED,
    WARNED,
    csv_corpus,
    good_csv_key,
    good_key,
    ndjson_corpus,
)

from cli.loading import LoadReport, load_file
from identity.service import IdentityService
from identity.settings import Settings

IDGRAPH = Path(sys.executable).with_name("idgraph")
PARSING = [
    pytest.param(False, id="parsed in the loading process"),
    pytest.param(True, id="parsed in a worker process"),
]


def load(
    service: IdentityService, path: Path, parse_worker: bool
) -> tuple[LoadReport, dict[int, dict[str, Any]]]:
    rejects = io.StringIO()
    report = load_file(service, path, rejects, parse_worker=parse_worker)
    reported = [json.loads(line) for line in rejects.getvalue().splitlines()]
    by_line = {r["line"]: r for r in reported}
    assert len(by_line) == len(reported), "one reject entry per line"
    return report, by_line


def named_rules(entry: dict[str, Any]) -> set[str]:
    findings = entry["refusals"] + entry.get("warnings", [])
    for finding in findings:
        assert set(finding) == {"field", "value", "rule", "message"}
        assert finding["field"]
        assert finding["rule"]
        assert finding["message"]
    return {f["rule"] for f in findings}


def stored(service: IdentityService, keys: list[str]) -> list[str]:
    answers = service.lookup_batch([tuple(k.split(":", 1)) for k in keys])
    return [a.key for a in answers if a.profile is not None]


class TestNdjsonCorpus:
    @pytest.mark.parametrize("parse_worker", PARSING)
    def test_each_hostile_line_is_named_and_every_good_line_stored(
        self, service: IdentityService, tmp_path: Path, parse_worker: bool
    ) -> None:
        path = tmp_path / "hostile.ndjson"
        path.write_bytes(ndjson_corpus())

        report, by_line = load(service, path, parse_worker)

        for index, hostile in enumerate(CORPUS):
            entry = by_line.get(2 * index + 1)
            if hostile.status == ACCEPTED:
                assert entry is None, hostile.name
                continue
            assert entry is not None, hostile.name
            assert entry["status"] == hostile.status, hostile.name
            assert set(hostile.rules) <= named_rules(entry), hostile.name
        assert not {line for line in by_line if line % 2 == 0}, "a good line was refused"
        good = [good_key(i) for i in range(len(CORPUS))]
        assert stored(service, good) == good
        assert report.lines_read == 2 * len(CORPUS)
        assert report.lines_rejected == sum(h.status == REJECTED for h in CORPUS)
        assert report.identifiers_flagged == sum(h.status == WARNED for h in CORPUS)


class TestCsvCorpus:
    @pytest.mark.parametrize(
        "line_end", [pytest.param(b"\n", id="LF"), pytest.param(b"\r\n", id="CRLF")]
    )
    @pytest.mark.parametrize("parse_worker", PARSING)
    def test_each_hostile_row_is_named_and_every_good_row_stored(
        self, service: IdentityService, tmp_path: Path, parse_worker: bool, line_end: bytes
    ) -> None:
        content, starts = csv_corpus(line_end)
        path = tmp_path / "hostile.csv"
        path.write_bytes(content)

        _, by_line = load(service, path, parse_worker)

        for start, hostile in zip(starts, CSV_CORPUS, strict=True):
            entry = by_line.pop(start, None)
            if hostile.status == ACCEPTED:
                assert entry is None, hostile.name
                continue
            assert entry is not None, hostile.name
            assert entry["status"] == hostile.status, hostile.name
            assert set(hostile.rules) <= named_rules(entry), hostile.name
        assert by_line == {}, "only hostile rows are reported"
        good = [good_csv_key(i) for i in range(len(CSV_CORPUS))]
        assert stored(service, good) == good


class TestTheCommand:
    """The same files through the ``idgraph`` executable: exit 0, no traceback."""

    @pytest.mark.parametrize(
        "name", [pytest.param("hostile.ndjson", id="NDJSON"), pytest.param("hostile.csv", id="CSV")]
    )
    def test_loads_to_the_end_without_a_traceback(
        self, settings: Settings, service: IdentityService, tmp_path: Path, name: str
    ) -> None:
        path = tmp_path / name
        path.write_bytes(ndjson_corpus() if name.endswith("ndjson") else csv_corpus()[0])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IDGRAPH_", "NEO4J_"))}
        env.update(
            IDGRAPH_STORE=settings.store,
            IDGRAPH_DATA_DIR=str(settings.data_dir),
            IDGRAPH_SECRET=settings.secret,
            NEO4J_URI=settings.neo4j_uri,
            NEO4J_USER=settings.neo4j_user,
            NEO4J_PASSWORD=settings.neo4j_password,
        )
        done = subprocess.run(
            [str(IDGRAPH), "load", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert (done.returncode, "Traceback" in done.stderr) == (0, False), done.stderr
        assert done.stdout.startswith("lines read ")
        assert "identifiers flagged as look-alikes" in done.stdout
