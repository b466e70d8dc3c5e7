"""Per-key rate limits: a token bucket per API key with its role's rate and burst, 429
with ``Retry-After`` and the error body, refilled with time (an injected clock, no
sleeping), counted in ``/metrics``, on the lookup fast path as on every route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from store_params import TEST_SECRET

from api.app import create_app
from api.rate_limits import RateLimiter
from graph.embedded import EmbeddedStore
from identity.access import Role
from identity.service import IdentityService
from identity.settings import Settings


class Clock:
    """Seconds that go forward only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[IdentityService]:
    """Readers: 2 requests a second, 3 at once; loaders 1 a second; admins no limit.
    Limits do not depend on the store: the embedded one only."""
    settings = Settings(
        data_dir=tmp_path / "data",
        secret=TEST_SECRET,
        rate_limits={"reader": 2, "loader": 1, "admin": 0},
        rate_bursts={"reader": 3},
    )
    built = IdentityService(EmbeddedStore(settings.data_dir), settings)
    built.ingest(
        [
            built.parse(
                {
                    "source": "crm",
                    "observed_at": "2026-01-01T12:00:00Z",
                    "identifiers": [{"type": "email", "value": "ann@example.com"}],
                }
            ).observation
        ]
    )
    try:
        yield built
    finally:
        built.store.close()


@pytest.fixture
def client(service: IdentityService, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(service, clock=clock)) as client:
        yield client


def key_of(service: IdentityService, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.keys.create(role.value)}"}


ANN = {"type": "email", "value": "ann@example.com"}
NOBODY = {"type": "email", "value": "nobody@example.com"}


def statuses(client: TestClient, headers: dict[str, str], times: int, **params: str) -> list[int]:
    return [
        client.get("/v1/lookup", params=params or ANN, headers=headers).status_code
        for _ in range(times)
    ]


class TestLimit:
    def test_over_the_burst_a_key_gets_429_with_retry_after(
        self, client: TestClient, service: IdentityService
    ) -> None:
        reader = key_of(service, Role.READER)
        assert statuses(client, reader, 3) == [200, 200, 200]

        refused = client.get("/v1/changes", headers=reader)

        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {
            "error": {
                "code": "rate_limited",
                "message": "this key's rate limit (2 requests a second for the role 'reader')"
                " is reached; retry in 0.50 s",
            }
        }

    def test_another_key_of_the_same_role_is_not_affected(
        self, client: TestClient, service: IdentityService
    ) -> None:
        first, second = key_of(service, Role.READER), key_of(service, Role.READER)
        assert statuses(client, first, 4) == [200, 200, 200, 429]
        assert statuses(client, second, 3) == [200, 200, 200]

    def test_the_bucket_refills_with_time(
        self, client: TestClient, service: IdentityService, clock: Clock
    ) -> None:
        reader = key_of(service, Role.READER)
        assert statuses(client, reader, 4) == [200, 200, 200, 429]
        clock.now += 0.5
        assert statuses(client, reader, 2) == [200, 429]
        clock.now += 10
        assert statuses(client, reader, 4) == [200, 200, 200, 429], "at most the burst"

    def test_each_role_has_its_own_rate(self, client: TestClient, service: IdentityService) -> None:
        loader = key_of(service, Role.LOADER)
        answers = [
            client.post("/v1/observations", json=[], headers=loader).status_code for _ in range(2)
        ]
        assert answers == [200, 429]

    def test_a_rate_of_0_is_no_limit(self, client: TestClient, service: IdentityService) -> None:
        assert set(statuses(client, key_of(service, Role.ADMIN), 50)) == {200}


class TestFastPath:
    """The lookup fast path (a found profile) takes from the same bucket, and a lookup it
    hands to the route (not found) takes one token, not two."""

    def test_found_lookups_are_limited(self, client: TestClient, service: IdentityService) -> None:
        assert statuses(client, key_of(service, Role.READER), 4) == [200, 200, 200, 429]

    def test_a_lookup_the_route_answers_takes_one_token(
        self, client: TestClient, service: IdentityService
    ) -> None:
        assert statuses(client, key_of(service, Role.READER), 4, **NOBODY) == [404, 404, 404, 429]

    def test_the_route_and_the_fast_path_share_the_bucket(
        self, client: TestClient, service: IdentityService
    ) -> None:
        reader = key_of(service, Role.READER)
        assert client.get("/v1/changes", headers=reader).status_code == 200
        assert statuses(client, reader, 3) == [200, 200, 429]


class TestMetrics:
    def test_refusals_are_counted_by_route_and_role(
        self, client: TestClient, service: IdentityService
    ) -> None:
        reader = key_of(service, Role.READER)
        statuses(client, reader, 5)
        client.get("/v1/changes", headers=reader)

        text = client.get("/metrics").text

        assert 'idgraph_rate_limited_total{role="reader",route="/v1/lookup"} 2.0' in text
        assert 'idgraph_rate_limited_total{role="reader",route="/v1/changes"} 1.0' in text
        assert 'route="/v1/lookup",status="429"} 2.0' in text


class TestRateLimiter:
    def test_a_refused_request_takes_nothing(self, clock: Clock) -> None:
        limiter = RateLimiter(clock)
        assert [limiter.take("k", 1, 1) for _ in range(3)] == [0.0, 1.0, 1.0]
        clock.now += 1
        assert limiter.take("k", 1, 1) == 0.0

    def test_the_wait_is_the_time_to_one_token(self, clock: Clock) -> None:
        limiter = RateLimiter(clock)
        limiter.take("k", 4, 1)
        clock.now += 0.125
        assert limiter.take("k", 4, 1) == pytest.approx(0.125)
