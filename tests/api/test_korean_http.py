"""Korean customers over HTTP on every store: Hangul values percent-encoded, phone lookups
that name their region, the stewards' search in any script, and a malformed request
(raw UTF-8 in the URL) answered with the JSON error body."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.http_protocols import JsonH11Protocol, JsonHttpToolsProtocol
from identity.access import Role
from identity.service import IdentityService


def observation(*identifiers: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "source": "shop",
        "observed_at": "2026-01-02T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        **extra,
    }


@pytest.fixture
def minjun(service: IdentityService) -> str:
    """김민준 with a Korean mobile; his romanized sign-up elsewhere joins by attributes."""
    address = "서울특별시 강남구 테헤란로 152, 101동 1203호"
    for data in (
        observation(
            ("customer_id", "shop/M1"),
            ("phone", "010-1234-5678"),
            attributes={
                "full_name": "김민준",
                "date_of_birth": "1993-11-02",
                "address": address,
                "postcode": "06236",
                "country": "KR",
            },
        ),
        observation(
            ("email", "minjun@example.com"),
            attributes={
                "full_name": "KIM MIN JUN",
                "date_of_birth": "1993-11-02",
                "address": address,
            },
        ),
        observation(
            ("customer_id", "shop/M2"),
            attributes={"full_name": "이서연", "date_of_birth": "1995-01-31", "country": "KR"},
        ),
    ):
        service.ingest([service.parse(data).observation])
    return service.lookup("customer_id", "shop/M1").id


class TestRegion:
    def test_a_local_number_is_found_when_the_lookup_names_its_region(
        self, clients: dict[Role, TestClient], minjun: str
    ) -> None:
        reader = clients[Role.READER]
        found = reader.get(
            "/v1/lookup", params={"type": "phone", "value": "010-1234-5678", "region": "KR"}
        )
        assert found.status_code == 200, found.text
        assert found.json()["id"] == minjun
        # Without the region the server's default (US) reads it: not a valid number.
        refused = reader.get("/v1/lookup", params={"type": "phone", "value": "010-1234-5678"})
        assert refused.status_code == 422
        international = reader.get(
            "/v1/lookup", params={"type": "phone", "value": "0082-10-1234-5678"}
        )
        assert international.json()["id"] == minjun

    def test_a_batch_names_its_region(self, clients: dict[Role, TestClient], minjun: str) -> None:
        asked = {"identifiers": [{"type": "phone", "value": "010 1234 5678"}], "region": "KR"}
        body = clients[Role.READER].post("/v1/lookup/batch", json=asked).json()
        assert body["results"][0]["profile"]["id"] == minjun

    def test_a_region_that_is_no_country_code_is_422(self, clients: dict[Role, TestClient]) -> None:
        response = clients[Role.READER].get(
            "/v1/lookup", params={"type": "phone", "value": "010-1234-5678", "region": "korea"}
        )
        assert response.status_code == 422


class TestSearch:
    @pytest.mark.parametrize(
        "params",
        [
            pytest.param({"name": "김민준"}, id="hangul"),
            pytest.param({"name": "김 민준"}, id="hangul spaced"),
            pytest.param({"name": "Kim Min-jun"}, id="romanized"),
            pytest.param({"name": "Minjoon Gim"}, id="another romanization, given name first"),
            pytest.param({"date_of_birth": "1993-11-02"}, id="birth date"),
            pytest.param({"phone": "5678"}, id="the last four digits"),
            pytest.param({"phone": "010-1234-5678"}, id="a local number"),
            pytest.param({"postcode": "06236"}, id="postcode"),
            pytest.param({"name": "김민준", "date_of_birth": "1993-11-02"}, id="both"),
        ],
    )
    def test_finds_the_profile(
        self, clients: dict[Role, TestClient], minjun: str, params: dict[str, str]
    ) -> None:
        response = clients[Role.STEWARD].get("/v1/search", params=params)
        assert response.status_code == 200, response.text
        assert [p["id"] for p in response.json()["profiles"]] == [minjun]

    @pytest.mark.parametrize(
        "params",
        [
            pytest.param({"name": "김민준", "date_of_birth": "1990-01-01"}, id="another date"),
            pytest.param({"phone": "9999"}, id="other digits"),
            pytest.param({"name": "박민준"}, id="another family name"),
        ],
    )
    def test_finds_nothing(
        self, clients: dict[Role, TestClient], minjun: str, params: dict[str, str]
    ) -> None:
        response = clients[Role.PRIVACY].get("/v1/search", params=params)
        assert response.json() == {"profiles": [], "next_after": None}

    def test_pages(
        self, clients: dict[Role, TestClient], service: IdentityService, minjun: str
    ) -> None:
        namesake = observation(
            ("customer_id", "shop/M3"),
            attributes={"full_name": "김민준", "date_of_birth": "1971-05-05", "country": "KR"},
        )
        service.ingest([service.parse(namesake).observation])
        other = service.lookup("customer_id", "shop/M3").id
        steward = clients[Role.STEWARD]
        first = steward.get("/v1/search", params={"name": "김민준", "limit": 1}).json()
        assert first["next_after"] is not None
        after = {"name": "김민준", "limit": 1, "after": first["next_after"]}
        second = steward.get("/v1/search", params=after).json()
        assert second["next_after"] is None
        found = [p["id"] for p in first["profiles"] + second["profiles"]]
        assert found == sorted([minjun, other])

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            pytest.param({}, "query", id="no criterion"),
            pytest.param({"name": "김"}, "name", id="a family name alone"),
            pytest.param({"phone": "12"}, "phone", id="too few digits"),
        ],
    )
    def test_a_query_that_cannot_be_searched_is_422(
        self, clients: dict[Role, TestClient], params: dict[str, str], field: str
    ) -> None:
        response = clients[Role.STEWARD].get("/v1/search", params=params)
        assert response.status_code == 422
        assert [r["field"] for r in response.json()["error"]["refusals"]] == [field]

    def test_readers_may_not_search(self, clients: dict[Role, TestClient]) -> None:
        assert clients[Role.READER].get("/v1/search", params={"name": "김민준"}).status_code == 403

    def test_every_search_is_audited_without_its_values(
        self, clients: dict[Role, TestClient], service: IdentityService, minjun: str
    ) -> None:
        clients[Role.STEWARD].get("/v1/search", params={"name": "김민준", "phone": "5678"})
        [row] = [r for r in service.privacy.audit() if r.action == "search"]
        assert row.actor.endswith("test steward") or "steward" in row.actor
        assert "김" not in row.detail and "5678" not in row.detail
        assert '"criteria": ["name", "phone"]' in row.detail


@pytest.fixture
def raw_server(embedded_service: IdentityService, request: pytest.FixtureRequest) -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(embedded_service),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        http=request.param,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class TestMalformedRequest:
    @pytest.mark.parametrize(
        "raw_server",
        [
            pytest.param(JsonHttpToolsProtocol, id="httptools"),
            pytest.param(JsonH11Protocol, id="h11"),
        ],
        indirect=True,
    )
    def test_raw_utf8_in_the_url_gets_the_json_error_body(self, raw_server: int) -> None:
        request = "GET /v1/lookup?type=email&value=김@example.kr HTTP/1.1\r\nHost: x\r\n\r\n"
        with socket.create_connection(("127.0.0.1", raw_server), timeout=10) as sock:
            sock.sendall(request.encode("utf-8"))
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400")
        assert b"content-type: application/json" in head.lower()
        assert b'"code": "malformed_request"' in body
        assert "percent-encoded" in body.decode()
