"""The embedded store out of space: SQLite's own page limit (``max_page_count``) gives the
SQLITE_FULL a full disk gives. A write that finds no space fails whole with the cause
named, the store stays consistent, readiness reports it, and all is well once space is
back; over HTTP the answer is a 503 that says why."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from store_params import TEST_SECRET

from api.app import create_app
from graph.embedded import EmbeddedStore
from graph.store import STORE_FULL, StoreError
from identity.access import Role
from identity.service import IdentityService
from identity.settings import Settings

UNLIMITED = 1_000_000_000


class CappedStore(EmbeddedStore):
    """An embedded store whose database may not grow past ``pages`` pages."""

    def __init__(self, data_dir: Path) -> None:
        self.pages = UNLIMITED
        super().__init__(data_dir)

    def _connection(self) -> sqlite3.Connection:
        connection = super()._connection()
        connection.execute(f"PRAGMA max_page_count = {self.pages}")
        return connection

    def fill_up(self) -> None:
        """No page beyond those in use now."""
        self.pages = 1


def people(first: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "source": "crm",
            "observed_at": "2026-01-02T00:00:00Z",
            "authenticated": True,
            "identifiers": [
                {"type": "email", "value": f"person{n}@example.com"},
                {"type": "customer_id", "value": f"crm/{n}"},
            ],
            "attributes": {"first_name": f"Name{n}", "city": "Boston" * 20},
        }
        for n in range(first, first + count)
    ]


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[tuple[CappedStore, IdentityService]]:
    store = CappedStore(tmp_path / "data")
    service = IdentityService(store, Settings(data_dir=tmp_path / "data", secret=TEST_SECRET))
    try:
        yield store, service
    finally:
        store.close()


def ingest(service: IdentityService, items: list[dict[str, object]]) -> None:
    service.ingest_items(list(enumerate(items)))


class TestAWriteWithoutSpace:
    def test_fails_whole_with_its_cause_and_keeps_what_was_stored(
        self, capped: tuple[CappedStore, IdentityService]
    ) -> None:
        store, service = capped
        ingest(service, people(0, 20))
        before = service.counts()
        store.fill_up()
        with pytest.raises(StoreError) as failed:
            ingest(service, people(20, 400))
        assert failed.value.cause == STORE_FULL
        assert "rollback" not in str(failed.value)
        assert service.counts() == before
        assert service.health() is not None
        store.pages = UNLIMITED
        assert service.health() is None
        assert service.check().ok
        ingest(service, people(20, 400))
        assert service.counts()["profiles"] == 420
        assert service.check().ok


class TestOverHttp:
    def test_ingest_answers_503_with_the_cause_and_readiness_follows_the_space(
        self, capped: tuple[CappedStore, IdentityService]
    ) -> None:
        store, service = capped
        key = service.keys.create(Role.LOADER.value, "loader")
        with TestClient(create_app(service)) as client:
            headers = {"Authorization": f"Bearer {key}"}
            assert client.post("/v1/observations", json=people(0, 5), headers=headers).is_success
            store.fill_up()
            response = client.post("/v1/observations", json=people(5, 400), headers=headers)
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "store_full"
            assert response.headers["Retry-After"] == "60"
            ready = client.get("/readyz")
            assert (ready.status_code, ready.json()["error"]["code"]) == (503, "store_full")
            store.pages = UNLIMITED
            assert client.get("/readyz").status_code == 200
            assert client.post("/v1/observations", json=people(5, 400), headers=headers).is_success
        assert service.counts()["profiles"] == 405
        assert service.check().ok
