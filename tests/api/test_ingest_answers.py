"""What an ingest answer tells each role, on every store. A loader may not look
identifiers up, so its answer must not tell a known, an unknown and an erased identifier
apart; an admin (who may look them up) gets the counts; privacy officers find every
suppression in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from identity.access import Role

KNOWN, UNKNOWN, ERASED = "known@example.com", "unknown@example.com", "erased@example.com"


def observation(email: str, day: int = 2) -> dict[str, Any]:
    return {
        "source": "crm",
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": "email", "value": email}],
    }


@pytest.fixture
def clients(clients: dict[Role, TestClient]) -> dict[Role, TestClient]:
    """A store holding KNOWN and having erased ERASED."""
    admin = clients[Role.ADMIN]
    assert admin.post("/v1/observations", json=[observation(KNOWN, 1)]).status_code == 200
    assert admin.post("/v1/observations", json=[observation(ERASED, 1)]).status_code == 200
    erased = clients[Role.PRIVACY].post(
        "/v1/identifiers/erase", json={"identifiers": [{"type": "email", "value": ERASED}]}
    )
    assert erased.status_code == 200, erased.text
    return clients


def answers(client: TestClient) -> dict[str, Any]:
    return {
        email: client.post("/v1/observations", json=[observation(email)]).json()
        for email in (KNOWN, UNKNOWN, ERASED)
    }


class TestLoaderAnswer:
    def test_is_the_same_for_a_known_an_unknown_and_an_erased_email(
        self, clients: dict[Role, TestClient]
    ) -> None:
        got = answers(clients[Role.LOADER])
        assert got == {
            email: {"accepted": 1, "rejected": 0, "rejections": [], "warnings": []}
            for email in (KNOWN, UNKNOWN, ERASED)
        }

    def test_the_bulk_answer_too(self, clients: dict[Role, TestClient]) -> None:
        got = [
            clients[Role.LOADER]
            .post(
                "/v1/observations/bulk",
                content=f'{{"source": "crm", "observed_at": "2026-01-02T12:00:00Z",'
                f' "identifiers": [{{"type": "email", "value": "{email}"}}]}}\n',
                headers={"Content-Type": "application/x-ndjson"},
            )
            .json()
            for email in (KNOWN, UNKNOWN, ERASED)
        ]
        assert got == [{"accepted": 1, "rejected": 0, "rejections": [], "warnings": []}] * 3


class TestAdminAnswer:
    def test_carries_the_counts(self, clients: dict[Role, TestClient]) -> None:
        got = answers(clients[Role.ADMIN])
        counts = ("profiles_created", "profiles_merged", "identifiers_suppressed")
        assert {email: tuple(a[c] for c in counts) for email, a in got.items()} == {
            KNOWN: (0, 0, 0),
            UNKNOWN: (1, 0, 0),
            ERASED: (0, 0, 1),
        }
        assert got[ERASED]["observations_suppressed"] == 1


class TestAuditLog:
    def test_notes_who_sent_an_erased_identifier_again_with_counts_only(
        self, clients: dict[Role, TestClient]
    ) -> None:
        answers(clients[Role.LOADER])
        entries = clients[Role.PRIVACY].get("/v1/audit").json()["entries"]
        noted = [e for e in entries if e["action"] == "ingest_suppressed"]
        assert [(e["actor"].split(":")[0], e["detail"]) for e in noted] == [
            ("loader", {"identifiers_suppressed": 1, "observations_suppressed": 1})
        ]
        assert ERASED not in str(entries)
