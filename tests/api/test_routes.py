"""Each route's answers beyond the journey: bad input (413 and 422 bodies naming field,
value and rule), stewardship and privacy details, operations (health, readiness,
metrics) and the error bodies of 404, 405, 500 and 503. On the embedded store: the
routes are thin, the stores are covered by the journey and the contract suite."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from graph.store import StoreError
from identity.access import Role
from identity.service import IdentityService


@pytest.fixture
def service(embedded_service: IdentityService) -> IdentityService:
    return embedded_service


def observation(*identifiers: tuple[str, str], day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "source": "crm",
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        **extra,
    }


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


def refusals_of(response: Any) -> list[tuple[str, Any, str]]:
    return [(r["field"], r["value"], r["rule"]) for r in error_of(response, 422)["refusals"]]


@pytest.fixture
def loader(clients: dict[Role, TestClient]) -> TestClient:
    return clients[Role.LOADER]


@pytest.fixture
def ann(loader: TestClient, service: IdentityService) -> str:
    loader.post(
        "/v1/observations",
        json=[observation(("email", "ann@example.com"), ("customer_id", "crm/1"))],
    )
    return service.lookup("email", "ann@example.com").id


class TestBatchLookup:
    def test_more_than_1000_identifiers_is_413(self, clients: dict[Role, TestClient]) -> None:
        asked = [{"type": "cookie", "value": f"ck-{i}"} for i in range(1001)]
        response = clients[Role.READER].post("/v1/lookup/batch", json={"identifiers": asked})
        error = error_of(response, 413)
        assert error == {"code": "batch_too_large", "message": "1,001 identifiers; at most 1,000"}

    def test_1000_identifiers_answer_in_order(
        self, clients: dict[Role, TestClient], ann: str
    ) -> None:
        asked = [{"type": "cookie", "value": f"ck-{i}"} for i in range(999)]
        asked.append({"type": "email", "value": "Ann@Example.com"})
        body = clients[Role.READER].post("/v1/lookup/batch", json={"identifiers": asked}).json()
        assert body["found"] == 1
        assert [r["index"] for r in body["results"]] == list(range(1000))
        assert body["results"][-1]["profile"]["id"] == ann

    def test_a_value_that_does_not_normalize_is_refused_alone(
        self, clients: dict[Role, TestClient]
    ) -> None:
        asked = [{"type": "email", "value": "bob@"}, {"type": "cookie", "value": "ck-1"}]
        body = clients[Role.READER].post("/v1/lookup/batch", json={"identifiers": asked}).json()
        first, second = body["results"]
        assert (first["key"], first["profile"]) == (None, None)
        assert [(r["field"], r["rule"]) for r in first["refusals"]] == [
            ("identifiers[0].value", "email.syntax")
        ]
        assert (second["key"], second["refusals"]) == ("cookie:ck-1", [])

    @pytest.mark.parametrize(
        ("body", "field", "rule"),
        [
            pytest.param({}, "body.identifiers", "missing", id="no identifiers field"),
            pytest.param(
                {"identifiers": [{"type": "email"}]},
                "body.identifiers.0.value",
                "missing",
                id="an identifier without a value",
            ),
            pytest.param(
                {"identifiers": "ann@example.com"},
                "body.identifiers",
                "list_type",
                id="identifiers not a list",
            ),
        ],
    )
    def test_a_body_off_the_schema_is_422(
        self, clients: dict[Role, TestClient], body: Any, field: str, rule: str
    ) -> None:
        response = clients[Role.READER].post("/v1/lookup/batch", json=body)
        assert [(f, r) for f, _, r in refusals_of(response)] == [(field, rule)]
        assert error_of(response, 422)["code"] == "invalid_request"


class TestChanges:
    @pytest.mark.parametrize(
        ("params", "field", "rule"),
        [
            pytest.param({"limit": 0}, "query.limit", "greater_than_equal", id="a zero limit"),
            pytest.param({"limit": 1001}, "query.limit", "less_than_equal", id="a limit over 1000"),
            pytest.param({"after": -1}, "query.after", "greater_than_equal", id="a negative after"),
            pytest.param(
                {"after": "x"}, "query.after", "int_parsing", id="a position not a number"
            ),
        ],
    )
    def test_a_bad_position_or_limit_is_422(
        self, clients: dict[Role, TestClient], params: dict[str, Any], field: str, rule: str
    ) -> None:
        response = clients[Role.READER].get("/v1/changes", params=params)
        assert [(f, r) for f, _, r in refusals_of(response)] == [(field, rule)]


class TestIngest:
    def test_more_than_1000_observations_is_413(self, loader: TestClient) -> None:
        items = [observation(("cookie", f"ck-{i}")) for i in range(1001)]
        error = error_of(loader.post("/v1/observations", json=items), 413)
        assert error["code"] == "batch_too_large"

    @pytest.mark.parametrize(
        ("body", "field", "rule"),
        [
            pytest.param({"source": "crm"}, "body", "list_type", id="an object, not an array"),
            pytest.param([1, 2], "body.0", "dict_type", id="an array of numbers"),
        ],
    )
    def test_a_body_that_is_no_array_of_objects_is_422(
        self, loader: TestClient, body: Any, field: str, rule: str
    ) -> None:
        response = loader.post("/v1/observations", json=body)
        assert next((f, r) for f, _, r in refusals_of(response)) == (field, rule)

    def test_a_rejected_item_stores_nothing_and_an_accepted_one_everything(
        self, loader: TestClient, service: IdentityService
    ) -> None:
        items = [
            observation(("cookie", "ck-1"), ("email", "not-an-email")),
            observation(("cookie", "ck-2"), ("email", "eve@example.com")),
            {"source": "crm"},
        ]
        body = loader.post("/v1/observations", json=items).json()
        assert (body["accepted"], body["rejected"]) == (1, 2)
        assert [(r["index"], r["refusals"][0]["field"]) for r in body["rejections"]] == [
            (0, "identifiers[1].value"),
            (2, "observed_at"),
        ]
        assert all(r["reason"] == r["refusals"][0]["message"] for r in body["rejections"])
        found = service.lookup_batch([("cookie", "ck-1"), ("cookie", "ck-2")])
        assert [a.profile is None for a in found] == [True, False]
        assert found[1].profile is not None
        assert found[1].profile.to_dict()["identifiers"] == [
            "cookie:ck-2",
            "email:eve@example.com",
        ]

    def test_ndjson_counts_lines_and_names_each_rejected_line(self, loader: TestClient) -> None:
        lines = [
            json.dumps(observation(("cookie", "ck-1"))),
            "",
            '{"source": "crm", "identifiers": [',
            json.dumps(observation(("phone", "12345"))),
            json.dumps(observation(("cookie", "ck-2"), day=2)),
        ]
        response = loader.post(
            "/v1/observations/bulk",
            content="\n".join(lines).encode() + b"\n\xff\xfe\n",
            headers={"Content-Type": "application/x-ndjson"},
        )
        body = response.json()
        assert (body["accepted"], body["rejected"]) == (2, 3)
        assert [(r["index"], r["refusals"][0]["rule"]) for r in body["rejections"]] == [
            (3, "line.json"),
            (4, "identifiers.one_valid"),
            (6, "line.utf8"),
        ]

    def test_a_body_over_the_size_limit_is_413(
        self, service: IdentityService, keys: dict[Role, str]
    ) -> None:
        app = create_app(service, max_body_bytes=1000)
        headers = {"Authorization": f"Bearer {keys[Role.LOADER]}"}
        big = (
            "\n".join(json.dumps(observation(("cookie", f"ck-{i}"))) for i in range(20))
        ).encode()
        with TestClient(app, headers=headers) as client:
            declared = client.post("/v1/observations/bulk", content=big)
            streamed = client.post("/v1/observations/bulk", content=iter([big[:600], big[600:]]))
        for response in (declared, streamed):
            assert error_of(response, 413) == {
                "code": "too_large",
                "message": "the request body exceeds the limit of 1,000 bytes",
            }
        assert service.counts()["identifiers"] == 0


class TestStewardship:
    @pytest.fixture
    def held(self, loader: TestClient, ann: str) -> str:
        """A second CRM number for Ann: the per-source limit holds the edge for review."""
        loader.post(
            "/v1/observations",
            json=[observation(("email", "ann@example.com"), ("customer_id", "crm/2"), day=2)],
        )
        return ann

    def test_the_review_queue_pages_held_edges_and_approving_one_takes_it_out(
        self, clients: dict[Role, TestClient], held: str
    ) -> None:
        steward = clients[Role.STEWARD]
        page = steward.get("/v1/review", params={"limit": 1, "reason": "limit"}).json()
        (edge,) = page["edges"]
        assert (edge["status"], page["total"]) == ("held", 1)
        assert "more than 1 customer_id" in edge["reason"]
        rest = steward.get("/v1/review", params={"after": page["next_after"]}).json()
        assert rest["edges"] == []
        slot = {k: edge[k] for k in ("left", "right", "matcher", "rule")}

        approved = steward.post("/v1/review/approve", json=slot).json()

        assert approved["action"] == "approve"
        now_approved = steward.get("/v1/review", params={"status": "approved"}).json()
        assert [e["left"] for e in now_approved["edges"]] == [edge["left"]]
        held_now = steward.get("/v1/review").json()["edges"]
        assert edge["left"] not in [e["left"] for e in held_now]

    def test_each_held_edge_names_the_profiles_of_its_ends(
        self, clients: dict[Role, TestClient], held: str
    ) -> None:
        (edge,) = clients[Role.STEWARD].get("/v1/review").json()["edges"]
        reader = clients[Role.READER]
        ann = reader.get("/v1/lookup", params={"type": "email", "value": "ann@example.com"})
        crm2 = reader.get("/v1/lookup", params={"type": "customer_id", "value": "crm/2"})
        by_key = {"email:ann@example.com": ann.json()["id"], "customer_id:crm/2": crm2.json()["id"]}
        assert by_key[edge["left"]] != by_key[edge["right"]], "held apart"
        assert (edge["left_profile"], edge["right_profile"]) == (
            by_key[edge["left"]],
            by_key[edge["right"]],
        )

    def test_a_cursor_not_given_by_the_queue_is_422(self, clients: dict[Role, TestClient]) -> None:
        response = clients[Role.STEWARD].get("/v1/review", params={"after": "bogus"})
        assert refusals_of(response) == [("after", "bogus", "cursor")]

    def test_an_unknown_edge_is_404(self, clients: dict[Role, TestClient]) -> None:
        slot = {"left": "cookie:a", "right": "cookie:b", "matcher": "m", "rule": "r"}
        error = error_of(clients[Role.STEWARD].post("/v1/review/reject", json=slot), 404)
        assert error["code"] == "not_found"

    def test_merge_then_split_by_hand(
        self,
        clients: dict[Role, TestClient],
        loader: TestClient,
        ann: str,
        service: IdentityService,
    ) -> None:
        loader.post("/v1/observations", json=[observation(("email", "bob@example.com"), day=2)])
        bob = service.lookup("email", "bob@example.com").id
        steward = clients[Role.STEWARD]

        merged = steward.post("/v1/merges", json={"first": ann, "second": bob}).json()
        (survivor,) = merged["profiles"]
        graph = steward.get(f"/v1/profiles/{survivor}/graph").json()
        split = steward.post(
            f"/v1/profiles/{survivor}/split", json={"identifiers": ["email:BOB@example.com"]}
        ).json()

        assert (merged["merged"], split["split"]) == (1, 1)
        assert [n["key"] for n in graph["nodes"]] == [
            "customer_id:crm/1",
            "email:ann@example.com",
            "email:bob@example.com",
        ]
        assert (
            service.lookup("email", "bob@example.com").id
            != service.lookup("email", "ann@example.com").id
        )

    @pytest.mark.parametrize(
        ("moved", "field", "rule"),
        [
            pytest.param(["ann@example.com"], "identifiers[0]", "identifier.key", id="no type"),
            pytest.param(["email:ann@"], "identifiers[0].value", "email.syntax", id="a bad email"),
            pytest.param(["cookie:other"], "identifiers", "split.identifiers", id="a stranger"),
            pytest.param(
                ["email:ann@example.com", "customer_id:crm/1"],
                "identifiers",
                "split.identifiers",
                id="every identifier",
            ),
        ],
    )
    def test_a_split_naming_the_wrong_identifiers_is_422(
        self, clients: dict[Role, TestClient], ann: str, moved: list[str], field: str, rule: str
    ) -> None:
        response = clients[Role.STEWARD].post(
            f"/v1/profiles/{ann}/split", json={"identifiers": moved}
        )
        assert [(f, r) for f, _, r in refusals_of(response)] == [(field, rule)]

    def test_explaining_identifiers_of_two_profiles_is_404(
        self, clients: dict[Role, TestClient], ann: str
    ) -> None:
        response = clients[Role.STEWARD].get(
            "/v1/explain", params={"left": "email:ann@example.com", "right": "cookie:zzz"}
        )
        assert error_of(response, 404)["code"] == "not_found"


class TestConsentAndPrivacy:
    def test_a_statement_dated_beyond_tomorrow_is_refused_with_its_rule(
        self, clients: dict[Role, TestClient], ann: str
    ) -> None:
        statement = {
            "purpose": "email",
            "status": "granted",
            "source": "web-form",
            "at": "2099-01-01T00:00:00Z",
            "subject": {"type": "email", "value": "ann@example.com"},
        }
        response = clients[Role.PRIVACY].post("/v1/consent", json={"statements": [statement]})
        refusals = error_of(response, 422)["refusals"]
        assert [(r["field"], r["rule"]) for r in refusals] == [
            ("statements[0].at", "consent.at.not_future")
        ]

    def test_recorded_consent_is_answered_with_its_statement_and_exported(
        self, clients: dict[Role, TestClient], ann: str
    ) -> None:
        privacy = clients[Role.PRIVACY]
        statement = {
            "purpose": "email",
            "status": "denied",
            "source": "web-form",
            "at": "2026-02-01T09:30:00+01:00",
            "subject": {"type": "email", "value": "ANN@example.com"},
            "proof": {"form": "unsubscribe-v2"},
        }
        recorded = privacy.post("/v1/consent", json={"statements": [statement]}).json()
        consent = (
            clients[Role.READER]
            .get("/v1/consent", params={"type": "email", "value": "ann@example.com"})
            .json()
        )
        exported = privacy.get(f"/v1/profiles/{ann}/export").json()

        assert recorded == {"recorded": 1, "profiles": [ann]}
        expected = {
            "subject": "email:ann@example.com",
            "purpose": "email",
            "status": "denied",
            "at": "2026-02-01T08:30:00Z",
            "source": "web-form",
            "proof": {"form": "unsubscribe-v2"},
        }
        assert consent["identifier_consent"]["email"] == {"status": "denied", "statement": expected}
        assert consent["profile_consent"]["email"] == {"status": "denied", "statements": [expected]}
        assert exported["consent"] == [expected]
        assert [i["key"] for i in exported["identifiers"]] == [
            "customer_id:crm/1",
            "email:ann@example.com",
        ]

    def test_bad_statements_are_422_naming_each(self, clients: dict[Role, TestClient]) -> None:
        statements = [
            {"purpose": "fax", "status": "maybe", "source": "x", "profile_id": "p-1"},
            {"purpose": "email", "status": "granted", "source": "x", "at": "yesterday"},
            {"purpose": "email", "status": "granted", "source": "x"},
        ]
        response = clients[Role.PRIVACY].post("/v1/consent", json={"statements": statements})
        assert [(f, r) for f, _, r in refusals_of(response)] == [("statements[1].at", "consent.at")]
        del statements[1]
        response = clients[Role.PRIVACY].post("/v1/consent", json={"statements": statements})
        assert [(f, r) for f, _, r in refusals_of(response)] == [
            ("statements[0].purpose", "consent.purpose"),
            ("statements[0].status", "consent.status"),
            ("statements[1].subject", "consent.subject"),
        ]

    def test_erasing_an_identifier_answers_a_receipt(
        self, clients: dict[Role, TestClient], ann: str
    ) -> None:
        body = {"identifiers": [{"type": "customer_id", "value": "crm/1"}]}
        receipt = clients[Role.PRIVACY].post("/v1/identifiers/erase", json=body).json()
        assert (receipt["identifiers"], receipt["profiles"]) == (1, [ann])
        assert receipt["actor"].startswith("privacy:")

    @pytest.mark.parametrize(
        ("identifiers", "status"),
        [
            pytest.param([{"type": "email", "value": "zed@example.com"}], 404, id="unknown"),
            pytest.param([{"type": "email", "value": "zed@"}], 422, id="not an email"),
            pytest.param([{"type": "cookie", "value": "c"}] * 1001, 413, id="more than 1000"),
        ],
    )
    def test_erasing_what_is_not_there_or_not_valid_stores_nothing(
        self,
        clients: dict[Role, TestClient],
        ann: str,
        service: IdentityService,
        identifiers: list[dict[str, str]],
        status: int,
    ) -> None:
        response = clients[Role.PRIVACY].post(
            "/v1/identifiers/erase", json={"identifiers": identifiers}
        )
        assert response.status_code == status
        assert service.counts()["tombstones"] == 0


class TestKeysRoutes:
    def test_a_created_key_is_shown_once_and_works(self, clients: dict[Role, TestClient]) -> None:
        admin = clients[Role.ADMIN]
        created = admin.post("/v1/keys", json={"role": "reader", "label": "crm"})
        key = created.json()["key"]
        listed = admin.get("/v1/keys").json()["keys"]
        assert created.status_code == 201
        assert key not in json.dumps(listed)
        assert [k["label"] for k in listed][-1] == "crm"
        answer = clients[Role.ADMIN].get("/v1/changes", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200

    @pytest.mark.parametrize(
        ("method", "path", "body", "status", "code"),
        [
            pytest.param(
                "POST", "/v1/keys", {"role": "owner"}, 422, "invalid_request", id="a role"
            ),
            pytest.param(
                "DELETE", "/v1/keys/abc", None, 422, "invalid_request", id="a short digest"
            ),
            pytest.param("DELETE", "/v1/keys/ffffffffff", None, 404, "not_found", id="no key"),
        ],
    )
    def test_bad_key_requests(
        self,
        clients: dict[Role, TestClient],
        method: str,
        path: str,
        body: Any,
        status: int,
        code: str,
    ) -> None:
        response = clients[Role.ADMIN].request(method, path, json=body)
        assert error_of(response, status)["code"] == code


class TestOperations:
    def test_health_and_readiness_need_no_key(self, app: FastAPI, service: IdentityService) -> None:
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok", "store": "embedded"}
            assert client.get("/readyz").json() == {"status": "ready", "store": "embedded"}

    def test_readiness_is_503_when_the_store_does_not_answer(
        self, app: FastAPI, service: IdentityService, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(work: object) -> object:
            raise StoreError("database is locked")

        monkeypatch.setattr(service.store, "read", broken)
        with TestClient(app) as client:
            error = error_of(client.get("/readyz"), 503)
            assert client.get("/healthz").status_code == 200
        assert error == {
            "code": "store_unavailable",
            "message": "the store is unavailable; retry later",
        }

    def test_metrics_count_requests_by_route_template_ingests_and_merges(
        self, clients: dict[Role, TestClient], loader: TestClient, ann: str
    ) -> None:
        loader.post("/v1/observations", json=[observation(("cookie", "ck-1"), day=2)])
        loader.post(
            "/v1/observations",
            json=[observation(("cookie", "ck-1"), ("email", "ann@example.com"), day=3), {}],
        )
        clients[Role.READER].get(f"/v1/profiles/{ann}")
        clients[Role.READER].get("/no/such/path")

        text = clients[Role.READER].get("/metrics").text

        assert 'idgraph_observations_total{outcome="accepted"} 3.0' in text
        assert 'idgraph_observations_total{outcome="rejected"} 1.0' in text
        assert "idgraph_profile_merges_total 1.0" in text
        assert (
            'idgraph_http_requests_total{method="GET",route="/v1/profiles/{profile_id}",'
            'status="200"} 1.0'
        ) in text
        assert 'route="unmatched",status="404"' in text
        assert (
            "idgraph_http_request_duration_seconds_count"
            '{method="POST",route="/v1/observations"} 3.0'
        ) in text
        assert ann not in text

    def test_each_app_counts_alone(self, service: IdentityService) -> None:
        first, second = create_app(service), create_app(service)
        with TestClient(first) as client:
            client.get("/healthz")
        with TestClient(second) as client:
            text = client.get("/metrics").text
        assert 'route="/healthz"' not in text


class TestErrorBodies:
    def test_an_unknown_path_is_404(self, clients: dict[Role, TestClient]) -> None:
        assert error_of(clients[Role.READER].get("/v2/nothing"), 404) == {
            "code": "not_found",
            "message": "Not Found",
        }

    def test_a_wrong_method_is_405(self, clients: dict[Role, TestClient]) -> None:
        assert error_of(clients[Role.READER].put("/v1/changes"), 405)["code"] == (
            "method_not_allowed"
        )

    def test_an_unexpected_error_is_500_without_detail(
        self, service: IdentityService, keys: dict[Role, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_: object) -> object:
            raise RuntimeError("secret internals")

        monkeypatch.setattr(service, "changes", broken)
        headers = {"Authorization": f"Bearer {keys[Role.READER]}"}
        with TestClient(create_app(service), headers=headers, raise_server_exceptions=False) as c:
            response = c.get("/v1/changes")
        assert error_of(response, 500) == {
            "code": "internal",
            "message": "an internal error; the server log has details",
        }

    def test_a_failing_store_is_503(
        self, service: IdentityService, keys: dict[Role, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        headers = {"Authorization": f"Bearer {keys[Role.READER]}"}
        service.keys.identify(keys[Role.READER])

        def broken(*args: object) -> object:
            raise StoreError("connection refused to bolt://secret-host")

        monkeypatch.setattr(service.store, "read", broken)
        monkeypatch.setattr(service.store, "profile_by_identifier", broken)
        with TestClient(create_app(service), headers=headers) as client:
            response = client.get("/v1/lookup", params={"type": "cookie", "value": "c"})
        assert error_of(response, 503) == {
            "code": "store_unavailable",
            "message": "the store is unavailable; retry later",
        }

    def test_the_log_of_a_failing_store_quotes_no_value(
        self,
        service: IdentityService,
        keys: dict[Role, str],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        headers = {"Authorization": f"Bearer {keys[Role.READER]}"}
        service.keys.identify(keys[Role.READER])

        def broken(*args: object) -> object:
            try:
                raise sqlite3.IntegrityError("UNIQUE failed: key = 'email:ann@example.com'")
            except sqlite3.IntegrityError as e:
                raise StoreError(f"embedded store: write failed: {e}") from e

        monkeypatch.setattr(service.store, "profile_by_identifier", broken)
        with TestClient(create_app(service), headers=headers) as client:
            client.get("/v1/lookup", params={"type": "cookie", "value": "c"})
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "IntegrityError" in logged
        assert "ann@example.com" not in logged
