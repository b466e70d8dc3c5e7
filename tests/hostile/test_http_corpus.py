"""The hostile-input corpus through every HTTP write route on every store: never a 500,
always the one error body with each refusal's field, value and rule, and (for the
ingest routes) every good item after a hostile one stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hostile_corpus import (
    ACCEPTED,
    CORPUS,
    WARNED,
    Hostile,
    good_key,
    good_line,
    ndjson_corpus,
)

from api.app import create_app
from identity.access import Role
from identity.service import IdentityService

NDJSON = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(service: IdentityService) -> Iterator[TestClient]:
    """One client with an admin key: every route's own checks, not its role's, are tested
    here (tests/api/test_roles.py covers the roles)."""
    key = service.keys.create(Role.ADMIN.value, "hostile")
    with TestClient(create_app(service), headers=bearer(key)) as made:
        yield made


def error_shape(response: Any) -> dict[str, Any]:
    """The documented error body; every refusal in it named by field, value and rule."""
    assert response.status_code != 500, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "refusals"}
    for refusal in error.get("refusals", []):
        assert set(refusal) == {"field", "value", "rule", "message"}
        assert refusal["field"]
        assert refusal["rule"]
    return dict(error)


def rules_of(error: dict[str, Any]) -> set[str]:
    return {r["rule"] for r in error.get("refusals", [])}


def findings(entries: list[dict[str, Any]]) -> set[str]:
    return {f["rule"] for e in entries for f in e.get("refusals", [e])}


class TestBulkUpload:
    def test_each_hostile_line_is_named_and_every_good_line_stored(
        self, client: TestClient, service: IdentityService
    ) -> None:
        response = client.post("/v1/observations/bulk", content=ndjson_corpus(), headers=NDJSON)

        assert response.status_code == 200, response.text
        body = response.json()
        rejections = {r["index"]: r for r in body["rejections"]}
        warnings: dict[int, list[dict[str, Any]]] = {}
        for warning in body["warnings"]:
            warnings.setdefault(warning["index"], []).append(warning)
        for index, hostile in enumerate(CORPUS):
            line = 2 * index + 1
            if hostile.status == ACCEPTED:
                assert line not in rejections and line not in warnings, hostile.name
            elif hostile.status == WARNED:
                assert set(hostile.rules) <= findings(warnings[line]), hostile.name
            else:
                assert set(hostile.rules) <= findings([rejections[line]]), hostile.name
        assert all(line % 2 for line in rejections), "a good line was rejected"
        good = [good_key(i) for i in range(len(CORPUS))]
        answers = service.lookup_batch([tuple(k.split(":", 1)) for k in good])
        assert [a.key for a in answers if a.profile] == good


def _as_array_item(hostile: Hostile) -> bytes:
    return b"[" + hostile.line + b", " + good_line(0) + b"]"


class TestJsonIngest:
    @pytest.mark.parametrize(
        "hostile",
        [
            pytest.param(h, id=h.name)
            for h in CORPUS
            # A byte order mark is allowed at the start of a body, not inside an array.
            if h.decodes and not h.line.startswith(b"\xef\xbb\xbf")
        ],
    )
    def test_a_hostile_item_is_rejected_alone(
        self, client: TestClient, service: IdentityService, hostile: Hostile
    ) -> None:
        response = client.post("/v1/observations", content=_as_array_item(hostile), headers=JSON)

        if response.status_code != 200:
            error = error_shape(response)
            if response.status_code == 413:
                # An array far beyond any route's use refuses the whole body.
                assert rules_of(error) == {"body.max_items"}
            else:
                # So does an item the schema refuses (not an object).
                assert "observation.object" in hostile.rules
                assert response.status_code == 422
            return
        body = response.json()
        rejected = {r["index"]: r for r in body["rejections"]}
        if hostile.status in (ACCEPTED, WARNED):
            assert (body["accepted"], rejected) == (2, {}), hostile.name
            if hostile.status == WARNED:
                assert set(hostile.rules) <= findings(body["warnings"])
        else:
            assert set(rejected) == {0}, hostile.name
            assert set(hostile.rules) <= findings([rejected[0]]), hostile.name
        assert service.lookup_batch([("cookie", "good-0")])[0].profile is not None

    @pytest.mark.parametrize(
        "hostile",
        [
            pytest.param(h, id=h.name)
            for h in CORPUS
            if not h.decodes and h.rules != ("line.max_bytes",) and h.status != ACCEPTED
        ],
    )
    def test_a_body_that_is_not_strict_json_is_refused_whole_with_its_rule(
        self, client: TestClient, service: IdentityService, hostile: Hostile
    ) -> None:
        response = client.post("/v1/observations", content=_as_array_item(hostile), headers=JSON)

        error = error_shape(response)
        assert response.status_code == 422
        assert error["code"] == "invalid_request"
        expected = {r.replace("line.", "body.") for r in hostile.rules}
        assert expected == rules_of(error), hostile.name
        assert service.counts()["identifiers"] == 0


# Raw JSON texts that break the strict reading, each with the rule it must name. Each is
# put where a route expects a string, a number or an object.
HOSTILE_VALUES = [
    ('"\\ud800"', "body.surrogate"),
    ("9" * 5000, "body.number"),
    ("NaN", "body.number"),
    ("-Infinity", "body.number"),
    ("1e999", "body.number"),
    ('{"a":' * 100_000 + "1" + "}" * 100_000, "body.depth"),
    ('{"a":' * 40 + "1" + "}" * 40, "body.depth"),
    ("[" + ",".join(["1"] * 20_000) + "]", "body.max_items"),
]
# Values of the wrong type or odd content: the route's schema or rules answer them.
ODD_VALUES = [
    '"' + "x" * 100_000 + '"',
    '"a\\u0000b"',
    '"a\\u001b[2Jb"',
    '"\\u202eevil"',
    '"p\\u0430ypal@example.com"',
    '"\\uff41@\\uff45xample.com"',
    '"0001-01-01T00:00:00+14:00"',
    '""',
    "12345",
    "-0.0",
    "null",
    "true",
    '["a"]',
    "[]",
    '{"a": "b"}',
]
# Bodies that are not strict JSON at all.
BAD_BODIES = [
    (b"\xff\xfe{}", "body.utf8"),
    (b'{"a": 1, "a": 2}', "body.duplicate_key"),
    (b'{"a": ', "body.json"),
    (b"{} {}", "body.json"),
    (b"[" * 50_000 + b"]" * 50_000, "body.depth"),
]
_HOLE = "__HOLE__"


def _body(template: dict[str, Any], hole_text: str) -> bytes:
    return json.dumps(template).replace(f'"{_HOLE}"', hole_text).encode()


# Each write route's body with one hole where a hostile value goes.
WRITE_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/lookup/batch", {"identifiers": [{"type": "cookie", "value": _HOLE}]}),
    ("POST", "/v1/lookup/batch", {"identifiers": [{"type": _HOLE, "value": "c"}]}),
    (
        "POST",
        "/v1/consent",
        {"statements": [{"purpose": "email", "status": "denied", "source": _HOLE}]},
    ),
    (
        "POST",
        "/v1/consent",
        {"statements": [{"purpose": "email", "status": "denied", "source": "s", "at": _HOLE}]},
    ),
    (
        "POST",
        "/v1/consent",
        {"statements": [{"purpose": "email", "status": "denied", "source": "s", "proof": _HOLE}]},
    ),
    ("POST", "/v1/review/approve", {"left": _HOLE, "right": "b", "matcher": "m", "rule": "r"}),
    ("POST", "/v1/review/reject", {"left": "a", "right": "b", "matcher": _HOLE, "rule": "r"}),
    ("POST", "/v1/merges", {"first": _HOLE, "second": "p2"}),
    ("POST", "/v1/profiles/p1/split", {"identifiers": [_HOLE]}),
    ("POST", "/v1/identifiers/erase", {"identifiers": [{"type": "email", "value": _HOLE}]}),
    ("POST", "/v1/keys", {"role": "reader", "label": _HOLE}),
]
ROUTES = [
    pytest.param(method, path, template, id=f"{path} {json.dumps(template)[:70]}")
    for method, path, template in WRITE_ROUTES
]


class TestEveryWriteRoute:
    @pytest.mark.parametrize(("method", "path", "template"), ROUTES)
    def test_a_value_that_is_not_strict_json_is_refused_with_its_rule(
        self, client: TestClient, method: str, path: str, template: dict[str, Any]
    ) -> None:
        for hole_text, rule in HOSTILE_VALUES:
            content = _body(template, hole_text)
            response = client.request(method, path, content=content, headers=JSON)

            error = error_shape(response)
            expected = 413 if rule == "body.max_items" else 422
            assert (response.status_code, rules_of(error)) == (expected, {rule}), hole_text[:40]

    @pytest.mark.parametrize(("method", "path", "template"), ROUTES)
    def test_a_wrong_or_odd_value_gets_an_answer_never_a_500(
        self, client: TestClient, method: str, path: str, template: dict[str, Any]
    ) -> None:
        for hole_text in ODD_VALUES:
            content = _body(template, hole_text)
            response = client.request(method, path, content=content, headers=JSON)

            assert response.status_code in (200, 201, 404, 413, 422), (
                hole_text[:40],
                response.text,
            )
            if response.status_code >= 400:
                error_shape(response)

    @pytest.mark.parametrize(("method", "path", "template"), ROUTES)
    def test_a_body_that_is_not_strict_json_is_422_with_its_rule(
        self, client: TestClient, method: str, path: str, template: object
    ) -> None:
        for content, rule in BAD_BODIES:
            response = client.request(method, path, content=content, headers=JSON)

            error = error_shape(response)
            assert (response.status_code, error["code"], rules_of(error)) == (
                422,
                "invalid_request",
                {rule},
            ), content[:40]


class TestConsent:
    @pytest.mark.parametrize(
        ("statement", "rule"),
        [
            pytest.param({"at": "0001-01-01T00:00:00+14:00"}, "consent.at_range", id="year 1"),
            pytest.param({"at": "1899-12-31T23:59:59Z"}, "consent.at_range", id="1899"),
            pytest.param({"proof": {"scan": "x" * 5_000_000}}, "consent.proof_size", id="5 MB"),
            pytest.param({"source": "web form"}, "consent.source", id="a source with a space"),
            pytest.param({"source": "s" * 100}, "consent.source", id="a source of 100"),
        ],
    )
    def test_refused_with_the_rule_and_nothing_recorded(
        self, client: TestClient, service: IdentityService, statement: dict[str, Any], rule: str
    ) -> None:
        service.ingest([service.parse(json.loads(good_line(0))).observation])
        good = {
            "purpose": "email",
            "status": "denied",
            "source": "web",
            "subject": {"type": "cookie", "value": "good-0"},
        }
        body = {"statements": [good, {**good, **statement}]}

        response = client.post("/v1/consent", json=body)

        error = error_shape(response)
        assert response.status_code == 422
        assert rules_of(error) == {rule}
        assert [r["field"].split(".")[0] for r in error["refusals"]] == ["statements[1]"]
        assert service.counts()["consent"] == 0

    def test_3600_statements_are_413(self, client: TestClient) -> None:
        statement = {"purpose": "email", "status": "denied", "source": "web", "profile_id": "p"}
        response = client.post("/v1/consent", json={"statements": [statement] * 3600})

        assert error_shape(response)["code"] == "batch_too_large"
        assert response.status_code == 413
