"""The HTTP API over every store: health, lookups by identifier and by profile ID, and the
error bodies (404 not found, 422 with field, value and rule)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from identity.access import Role
from identity.service import IdentityService


def observation(*identifiers: tuple[str, str], day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "source": "crm",
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        **extra,
    }


def ingest(service: IdentityService, *observations: dict[str, Any]) -> None:
    service.ingest([service.parse(o).observation for o in observations])


@pytest.fixture
def client(service: IdentityService, keys: dict[Role, str]) -> Iterator[TestClient]:
    """A service's client: a reader's key."""
    headers = {"Authorization": f"Bearer {keys[Role.READER]}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


@pytest.fixture
def ann(service: IdentityService) -> str:
    """Ann's profile ID: an email and a phone, with a name and an email opt-out."""
    ingest(
        service,
        observation(
            ("email", "ann@example.com"),
            ("phone", "(212) 555-0100"),
            attributes={"first_name": "Ann"},
            consent=[
                {
                    "purpose": "email",
                    "status": "denied",
                    "subject": {"type": "email", "value": "ann@example.com"},
                }
            ],
        ),
    )
    return service.lookup("email", "ann@example.com").id


class TestHealthz:
    def test_answers_ok_with_the_store_name(
        self, client: TestClient, service: IdentityService
    ) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "store": service.store.name}


class TestLookup:
    def test_answers_the_profile(self, client: TestClient, ann: str) -> None:
        response = client.get("/v1/lookup", params={"type": "email", "value": "ann@example.com"})
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == ann
        assert body["identifiers"] == ["email:ann@example.com", "phone:+12125550100"]
        assert body["attributes"] == {"first_name": "Ann"}
        assert body["provenance"] == {
            "first_name": {"source": "crm", "observed_at": "2026-01-01T12:00:00Z"}
        }
        assert body["consent"]["email"]["status"] == "denied"
        assert body["consent"]["email"]["statements"][0]["subject"] == "email:ann@example.com"
        assert body["consent"]["sms"] == {"status": "unknown", "statements": []}
        assert (body["created_at"], body["updated_at"]) == (
            "2026-01-01T12:00:00Z",
            "2026-01-01T12:00:00Z",
        )
        assert body["lineage"] == []

    @pytest.mark.parametrize(
        ("kind", "raw"),
        [
            pytest.param("email", "  ANN@Example.COM ", id="an email in another case"),
            pytest.param("phone", "+1 212.555.0100", id="a phone in another format"),
            pytest.param("phone", "2125550100", id="a phone without punctuation"),
        ],
    )
    def test_normalizes_the_raw_value_first(
        self, client: TestClient, ann: str, kind: str, raw: str
    ) -> None:
        response = client.get("/v1/lookup", params={"type": kind, "value": raw})
        assert response.status_code == 200
        assert response.json()["id"] == ann

    def test_an_unknown_identifier_is_404_with_an_error_body(
        self, client: TestClient, ann: str
    ) -> None:
        response = client.get("/v1/lookup", params={"type": "email", "value": "Nobody@Example.com"})
        assert response.status_code == 404
        assert response.json() == {
            "error": {
                "code": "not_found",
                "message": "no profile holds email:nobody@example.com",
            }
        }

    @pytest.mark.parametrize(
        ("kind", "raw", "field", "rule"),
        [
            pytest.param(
                "email", "not-an-email", "identifier.value", "email.syntax", id="a bad email"
            ),
            pytest.param("phone", "12345", "identifier.value", "phone.valid", id="a short phone"),
            pytest.param(
                "email", "test@test.com", "identifier.value", "blocked_value", id="a blocked email"
            ),
            pytest.param(
                "fax", "2125550100", "identifier.type", "identifier.known_type", id="a bad type"
            ),
        ],
    )
    def test_a_value_that_does_not_normalize_is_422(
        self, client: TestClient, kind: str, raw: str, field: str, rule: str
    ) -> None:
        response = client.get("/v1/lookup", params={"type": kind, "value": raw})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "input_refused"
        assert [(r["field"], r["value"], r["rule"]) for r in error["refusals"]] == [
            (field, kind if field == "identifier.type" else raw, rule)
        ]
        assert error["message"] == error["refusals"][0]["message"]
        assert error["message"]

    @pytest.mark.parametrize(
        ("params", "missing"),
        [
            pytest.param({"type": "email"}, ["query.value"], id="no value"),
            pytest.param({"value": "ann@example.com"}, ["query.type"], id="no type"),
            pytest.param({}, ["query.type", "query.value"], id="neither"),
        ],
    )
    def test_a_missing_query_parameter_is_422(
        self, client: TestClient, params: dict[str, str], missing: list[str]
    ) -> None:
        response = client.get("/v1/lookup", params=params)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert [(r["field"], r["value"], r["rule"]) for r in error["refusals"]] == [
            (field, None, "missing") for field in missing
        ]


class TestGetProfile:
    def test_answers_the_profile(self, client: TestClient, ann: str) -> None:
        response = client.get(f"/v1/profiles/{ann}")
        assert response.status_code == 200
        assert response.json()["id"] == ann
        assert response.json()["identifiers"] == ["email:ann@example.com", "phone:+12125550100"]

    def test_a_merged_away_id_answers_the_survivor(
        self, client: TestClient, service: IdentityService, ann: str
    ) -> None:
        ingest(service, observation(("cookie", "ck-1"), day=5))
        younger = service.lookup("cookie", "ck-1").id
        ingest(service, observation(("cookie", "ck-1"), ("email", "ann@example.com"), day=6))

        response = client.get(f"/v1/profiles/{younger}")

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == ann
        assert body["identifiers"] == [
            "cookie:ck-1",
            "email:ann@example.com",
            "phone:+12125550100",
        ]
        assert [(e["event"], e["absorbed"]) for e in body["lineage"]] == [("merge", [younger])]

    def test_an_unknown_id_is_404(self, client: TestClient, ann: str) -> None:
        response = client.get("/v1/profiles/p-0000000000")
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": "no profile has the ID 'p-0000000000'"}
        }


class TestQueryParameters:
    @pytest.mark.parametrize(
        ("query", "field", "rule"),
        [
            pytest.param(
                "type=email&value=ann@example.com&limt=10",
                "query.limt",
                "query.known",
                id="an undeclared parameter is refused",
            ),
            pytest.param(
                "type=email&type=phone&value=ann@example.com",
                "query.type",
                "query.single",
                id="a parameter given twice is refused, not silently chosen",
            ),
        ],
    )
    def test_is_422_naming_the_parameter(
        self, client: TestClient, ann: str, query: str, field: str, rule: str
    ) -> None:
        response = client.get(f"/v1/lookup?{query}")
        assert response.status_code == 422
        refusals = response.json()["error"]["refusals"]
        assert [(r["field"], r["rule"]) for r in refusals] == [(field, rule)]
