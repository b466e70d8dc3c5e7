"""``idgraph --store neo4j load --initial``: a first load through ``neo4j-admin database
import`` into an empty database of a local Neo4j of its own (the import stops the server
it imports into, so not the session's), then serving it.

It must give the profiles a normal load gives: the same documents, the same counts, and a
store whose invariants hold; a database with data is refused."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_params import TEST_SECRET

from bench.generate import generate
from cli.loading import load_file
from cli.main import main
from graph.embedded import EmbeddedStore
from graph.neo4j_store import Neo4jStore
from identity.service import IdentityService
from identity.settings import Settings
from tools import neo4j_local

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]


def _documents(service: IdentityService) -> list[dict[str, object]]:
    return [p.to_dict(with_lineage=False) for p in service.iter_profiles()]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    raw, _ = generate(80, seed=3)
    path = tmp_path / "world.ndjson"
    path.write_text("".join(json.dumps(item) + "\n" for item in raw), encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The local server's directory; the server the load starts is stopped after."""
    monkeypatch.setenv("NEO4J_LOCAL_HEAP", "512m")
    monkeypatch.setenv("IDGRAPH_SECRET", TEST_SECRET)
    directory = tmp_path / "neo4j"
    try:
        yield directory
    finally:
        neo4j_local.stop(directory)


def _initial_load(world: Path, home: Path, data_dir: Path) -> int:
    return main(
        [
            "--store",
            "neo4j",
            "--data-dir",
            str(data_dir),
            "load",
            "--initial",
            str(world),
            "--neo4j-dir",
            str(home),
        ]
    )


class TestInitialLoad:
    def test_serves_the_profiles_of_a_normal_load(
        self, world: Path, home: Path, tmp_path: Path
    ) -> None:
        assert _initial_load(world, home, tmp_path / "data") == 0
        server = neo4j_local.status(home)
        assert server is not None
        settings = Settings(data_dir=tmp_path / "data", store="neo4j", secret=TEST_SECRET)
        imported = IdentityService(Neo4jStore(server.uri, "neo4j", ""), settings)
        normal_dir = tmp_path / "normal"
        normal = IdentityService(
            EmbeddedStore(normal_dir), Settings(data_dir=normal_dir, secret=TEST_SECRET)
        )
        try:
            report = load_file(normal, world, io.StringIO())
            assert report.observations_accepted > 0
            assert _documents(imported) == _documents(normal)
            assert imported.counts() == normal.counts()
            assert imported.check().ok
        finally:
            imported.store.close()
            normal.store.close()

    def test_a_database_with_data_is_refused(
        self, world: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert _initial_load(world, home, tmp_path / "data") == 0
        assert _initial_load(world, home, tmp_path / "data") == 2
        assert "holds data" in capsys.readouterr().err
