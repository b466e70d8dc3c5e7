"""The single lookup's hot path answers only the ordinary case, exactly as the route would,
and leaves everything else to the route."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.lookup_fast_path import LookupFastPath
from api.routes import lookup
from identity.access import Role
from identity.service import IdentityService

ANN = {
    "source": "crm",
    "observed_at": "2026-01-01T12:00:00Z",
    "authenticated": True,
    "identifiers": [
        {"type": "email", "value": "ann@example.com"},
        {"type": "phone", "value": "+12125550100"},
    ],
    "attributes": {"first_name": "Ann"},
}


@pytest.fixture
def fast_app(embedded_service: IdentityService) -> FastAPI:
    embedded_service.ingest([embedded_service.parse(ANN).observation])
    return create_app(embedded_service)


class Downstream:
    """Stands in for the FastAPI app behind the middleware: records that it was asked."""

    def __init__(self) -> None:
        self.asked = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.asked += 1
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(
    app: FastAPI, path: str, query: str, headers: list[tuple[bytes, bytes]], method: str = "GET"
) -> tuple[Downstream, list[Message]]:
    downstream = Downstream()
    route = next(r for r in lookup.router.routes if getattr(r, "path", "") == "/v1/lookup")
    middleware = LookupFastPath(downstream, route=route)
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
        "app": app,
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    return downstream, sent


def auth(key: str, scheme: str = "Bearer") -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"{scheme} {key}".encode())]


class TestWhoAnswers:
    def test_the_ordinary_lookup_is_answered_without_the_route(
        self, fast_app: FastAPI, embedded_service: IdentityService
    ) -> None:
        key = embedded_service.keys.create(Role.READER.value)
        downstream, sent = call(
            fast_app, "/v1/lookup", "type=email&value=ANN@example.com", auth(key)
        )
        assert downstream.asked == 0
        assert sent[0]["status"] == 200

    @pytest.mark.parametrize(
        ("role", "path", "query", "scheme", "method"),
        [
            pytest.param(
                None,
                "/v1/lookup",
                "type=email&value=ann@example.com",
                "Bearer",
                "GET",
                id="no key goes to the route (which answers 401)",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email&value=ann@example.com",
                "Basic",
                "GET",
                id="another scheme goes to the route",
            ),
            pytest.param(
                Role.LOADER,
                "/v1/lookup",
                "type=email&value=ann@example.com",
                "Bearer",
                "GET",
                id="a role without the route goes to the route (403)",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email&value=ann@example.com&x=1",
                "Bearer",
                "GET",
                id="an unknown parameter goes to the route",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email&type=phone&value=1",
                "Bearer",
                "GET",
                id="a repeated parameter goes to the route",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email",
                "Bearer",
                "GET",
                id="a missing parameter goes to the route",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email&value=ann@",
                "Bearer",
                "GET",
                id="a value that does not normalize goes to the route (422)",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email&value=bob@example.com",
                "Bearer",
                "GET",
                id="an identifier nobody holds goes to the route (404)",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup",
                "type=email&value=ann@example.com",
                "Bearer",
                "POST",
                id="another method goes to the route",
            ),
            pytest.param(
                Role.READER,
                "/v1/lookup/batch",
                "",
                "Bearer",
                "GET",
                id="another path goes to the route",
            ),
        ],
    )
    def test_anything_else_is_left_to_the_route(
        self,
        fast_app: FastAPI,
        embedded_service: IdentityService,
        role: Role | None,
        path: str,
        query: str,
        scheme: str,
        method: str,
    ) -> None:
        headers = [] if role is None else auth(embedded_service.keys.create(role.value), scheme)
        downstream, sent = call(fast_app, path, query, headers, method)
        assert downstream.asked == 1
        assert sent[0]["status"] == 299


class TestAnswer:
    def test_is_the_routes_answer_and_is_counted_under_the_route(
        self, fast_app: FastAPI, embedded_service: IdentityService
    ) -> None:
        key = embedded_service.keys.create(Role.READER.value)
        url = "/v1/lookup?type=phone&value=%2B1%20212%20555%200100"
        with TestClient(fast_app) as client:
            fast = client.get(url, headers={"Authorization": f"Bearer {key}"})
            # Two spaces: FastAPI's bearer scheme strips them, the fast path leaves the
            # request to the route, so this answer is the route's.
            routed = client.get(url, headers={"Authorization": f"Bearer  {key} "})
            metrics = client.get("/metrics").text
        assert fast.status_code == routed.status_code == 200
        assert fast.content == routed.content
        assert fast.headers["content-type"] == routed.headers["content-type"]
        assert fast.json()["identifiers"] == ["email:ann@example.com", "phone:+12125550100"]
        assert (
            'idgraph_http_requests_total{method="GET",route="/v1/lookup",status="200"} 2.0'
            in metrics
        )
