"""The key before the body: a request to a keyed route without a valid key, or with a
role the route refuses, is answered 401/403 before a byte of its body is read, so a
malformed or huge body costs the server nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import ROUTERS
from api.auth import KeyFirstRoute
from api.roles import PUBLIC, ROUTE_ROLES
from identity.access import Role
from identity.service import IdentityService

BODY_ROUTES = [
    pytest.param("/v1/observations", id="ingest"),
    pytest.param("/v1/observations/bulk", id="bulk ingest"),
    pytest.param("/v1/lookup/batch", id="batch lookup"),
    pytest.param("/v1/merges", id="a steward's merge"),
    pytest.param("/v1/consent", id="a consent statement"),
    pytest.param("/v1/keys", id="a new key"),
]


@pytest.fixture
def service(embedded_service: IdentityService) -> IdentityService:
    """Keys do not depend on the store: these run on the embedded one only."""
    return embedded_service


def send_unreadable(app: FastAPI, path: str, key: str | None) -> tuple[int, dict[str, Any], bool]:
    """POST to the app with a 15 MB body announced whose stream fails if read: the
    answer's status and body, and whether the app tried to read it."""
    tried = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal tried
        tried = True
        raise ConnectionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"15000000")]
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), tried


class TestKeyBeforeBody:
    @pytest.mark.parametrize("path", BODY_ROUTES)
    def test_a_malformed_body_without_a_key_is_401(self, app: FastAPI, path: str) -> None:
        with TestClient(app) as client:
            response = client.post(
                path, content=b'{"not json', headers={"Content-Type": "application/json"}
            )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"

    @pytest.mark.parametrize("path", BODY_ROUTES)
    @pytest.mark.parametrize(
        ("caller", "status"),
        [
            pytest.param(None, 401, id="no key"),
            pytest.param("idg_not-a-key", 401, id="a wrong key"),
            pytest.param(Role.READER, 403, id="a role the route refuses"),
        ],
    )
    def test_the_body_of_a_refused_caller_is_never_read(
        self,
        app: FastAPI,
        keys: dict[Role, str],
        path: str,
        caller: Role | str | None,
        status: int,
    ) -> None:
        if path == "/v1/lookup/batch" and caller is Role.READER:
            caller = Role.LOADER  # readers may look up: a loader is refused there
        key = keys[caller] if isinstance(caller, Role) else caller
        answered, body, tried = send_unreadable(app, path, key)
        assert (answered, tried) == (status, False)
        assert body["error"]["code"] == {401: "unauthenticated", 403: "forbidden"}[status]

    def test_a_caller_the_route_admits_gets_the_body_checked(
        self, app: FastAPI, keys: dict[Role, str]
    ) -> None:
        with TestClient(app) as client:
            response = client.post(
                "/v1/observations",
                content=b'{"not json',
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {keys[Role.LOADER]}",
                },
            )
        assert response.status_code == 422
        assert response.json()["error"]["refusals"][0]["rule"] == "body.json"


class TestKeyedRoutes:
    def test_every_keyed_route_checks_the_key_before_the_body(self) -> None:
        keyed = [
            (method, route.path, type(route).__name__)
            for module in ROUTERS
            for route in module.router.routes
            if isinstance(route, APIRoute)
            for method in route.methods or ()
            if ROUTE_ROLES[(method, route.path)] != PUBLIC
        ]
        assert keyed
        assert [k for k in keyed if k[2] != KeyFirstRoute.__name__] == []
