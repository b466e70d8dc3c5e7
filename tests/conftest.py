"""Shared fixtures: every store-backed test runs against every store.

The Neo4j server is real: ``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``) when set,
otherwise the local server from ``tools.neo4j_local`` started once per session. If it
cannot start, the Neo4j tests fail; they are never skipped.

Every test that needs Neo4j carries the ``neo4j`` marker (added at collection to each
test run with the Neo4j store or the Neo4j settings), and the page tests carry
``browser``, so that ``-m "not neo4j and not browser"`` is the fast lane (``make
test-fast``, docs/development.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_params import STORE_PARAMS, TEST_SECRET, _wipe_neo4j

from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from identity.service import IdentityService
from identity.settings import Settings
from tools.compiled_core import stale_modules


def pytest_configure(config: pytest.Config) -> None:
    stale = stale_modules()
    if stale:
        raise pytest.UsageError(
            f"compiled modules older than their sources: {', '.join(stale)};"
            " rebuild them (make core), or drop them and test the sources"
            " (python -m tools.compiled_core drop-stale; make test-fast does)"
        )


def needs_neo4j(item: pytest.Item) -> bool:
    """Run with the Neo4j store (the ``store_name`` parameter) or given the Neo4j
    settings (directly or through another fixture)."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("store_name") == "neo4j":
        return True
    return "neo4j_settings" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if needs_neo4j(item) and item.get_closest_marker("neo4j") is None:
            item.add_marker(pytest.mark.neo4j)
        # Any test that drives the headless browser (directly or through a page fixture).
        if "browser" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "browser"
        ):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if os.environ.get("NEO4J_URI"):
        yield {
            "neo4j_uri": os.environ["NEO4J_URI"],
            "neo4j_user": os.environ.get("NEO4J_USER", "neo4j"),
            "neo4j_password": os.environ.get("NEO4J_PASSWORD", ""),
            "neo4j_database": os.environ.get("NEO4J_DATABASE", "neo4j"),
        }
        return
    from tools import neo4j_local

    data_dir = Path(os.environ.get("IDGRAPH_TEST_NEO4J_DIR") or tmp_path_factory.mktemp("neo4j"))
    server = neo4j_local.start(data_dir)
    try:
        yield {
            "neo4j_uri": server.uri,
            "neo4j_user": "neo4j",
            "neo4j_password": "",
            "neo4j_database": "neo4j",
        }
    finally:
        neo4j_local.stop(data_dir)


@pytest.fixture(params=STORE_PARAMS)
def store_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def settings(store_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    base = Settings(data_dir=tmp_path / "data", store=store_name, secret=TEST_SECRET)
    if store_name == "neo4j":
        neo4j: dict[str, str] = request.getfixturevalue("neo4j_settings")
        _wipe_neo4j(**neo4j)
        return base.with_overrides(**neo4j)
    return base


@pytest.fixture
def store(settings: Settings) -> Iterator[GraphStore]:
    from api.bootstrap import build_service

    service = build_service(settings)
    try:
        yield service.store
    finally:
        service.store.close()


@pytest.fixture
def service(settings: Settings) -> Iterator[IdentityService]:
    from api.bootstrap import build_service

    built = build_service(settings)
    try:
        yield built
    finally:
        built.store.close()


@pytest.fixture
def embedded_service(tmp_path: Path) -> Iterator[IdentityService]:
    """For tests of domain rules that do not depend on the store."""
    settings = Settings(data_dir=tmp_path / "data", secret=TEST_SECRET)
    built = IdentityService(EmbeddedStore(settings.data_dir), settings)
    try:
        yield built
    finally:
        built.store.close()
