"""The route x role matrix: every route of the app, called with every role's key, with no
key and with a wrong key. Generated from the app's routes, so a route that
``api.roles.ROUTE_ROLES`` does not name fails here."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import ROUTERS
from api.roles import PUBLIC, ROUTE_ROLES
from identity.access import Role
from identity.service import IdentityService

ROUTES = sorted(
    (method, route.path)
    for module in ROUTERS
    for route in module.router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
)
CALLERS = [*Role, "no key", "wrong key"]


@pytest.fixture
def service(embedded_service: IdentityService) -> IdentityService:
    """Roles do not depend on the store: the matrix runs on the embedded one only."""
    return embedded_service


def call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    concrete = re.sub(r"\{[^}]+\}", "p-unknown", path)
    body: dict[str, str] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, concrete, json=body, headers=headers).status_code


def expected(method: str, path: str, caller: Role | str) -> str:
    allowed = ROUTE_ROLES[(method, path)]
    if allowed == PUBLIC:
        return "answers"
    if not isinstance(caller, Role):
        return "401"
    return "answers" if caller is Role.ADMIN or caller in allowed else "403"


class TestRouteTable:
    def test_every_route_of_the_app_has_an_entry(self, app: FastAPI) -> None:
        served = {
            (method.upper(), path)
            for path, operations in app.openapi()["paths"].items()
            for method in operations
        }
        assert served == set(ROUTES)
        assert sorted(served - set(ROUTE_ROLES)) == []

    def test_every_entry_names_a_route(self) -> None:
        assert sorted(set(ROUTE_ROLES) - set(ROUTES)) == []

    @pytest.mark.parametrize(
        ("method", "path", "role"),
        [
            pytest.param("GET", "/v1/lookup", Role.READER, id="readers look up"),
            pytest.param("POST", "/v1/observations", Role.LOADER, id="loaders ingest"),
            pytest.param("POST", "/v1/merges", Role.STEWARD, id="stewards merge"),
            pytest.param(
                "DELETE", "/v1/profiles/{profile_id}", Role.PRIVACY, id="privacy officers erase"
            ),
        ],
    )
    def test_each_group_reaches_its_own_routes_only(
        self, method: str, path: str, role: Role
    ) -> None:
        others = {r for r in Role if r not in (role, Role.ADMIN)}
        assert role in ROUTE_ROLES[(method, path)]
        assert not others & set(ROUTE_ROLES[(method, path)])


class TestMatrix:
    @pytest.mark.parametrize(("method", "path"), [pytest.param(*r, id=" ".join(r)) for r in ROUTES])
    def test_each_caller_gets_what_the_table_says(
        self,
        app: FastAPI,
        keys: dict[Role, str],
        method: str,
        path: str,
    ) -> None:
        headers: dict[Role | str, dict[str, str]] = {
            role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()
        }
        headers["no key"] = {}
        headers["wrong key"] = {"Authorization": "Bearer idg_not-a-key"}
        with TestClient(app) as client:
            got = {}
            for caller in CALLERS:
                status = call(client, method, path, headers[caller])
                got[caller] = "answers" if status not in (401, 403) else str(status)
                assert status != 500, (caller, status)
        assert got == {caller: expected(method, path, caller) for caller in CALLERS}

    def test_a_revoked_key_is_401(self, app: FastAPI, keys: dict[Role, str]) -> None:
        with TestClient(app) as client:
            listed = client.get("/v1/keys", headers={"Authorization": f"Bearer {keys[Role.ADMIN]}"})
            reader = next(k for k in listed.json()["keys"] if k["role"] == "reader")
            revoked = client.delete(
                f"/v1/keys/{reader['digest'][:10]}",
                headers={"Authorization": f"Bearer {keys[Role.ADMIN]}"},
            )
            answer = client.get(
                "/v1/changes", headers={"Authorization": f"Bearer {keys[Role.READER]}"}
            )
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"]
        assert answer.status_code == 401
        assert answer.json() == {
            "error": {"code": "unauthenticated", "message": "unknown or revoked API key"}
        }
        assert answer.headers["www-authenticate"] == "Bearer"

    def test_a_forbidden_role_gets_an_error_body_naming_role_and_route(
        self, app: FastAPI, keys: dict[Role, str]
    ) -> None:
        with TestClient(app) as client:
            answer = client.get(
                "/v1/audit", headers={"Authorization": f"Bearer {keys[Role.READER]}"}
            )
        assert answer.status_code == 403
        assert answer.json() == {
            "error": {"code": "forbidden", "message": "the role 'reader' may not GET /v1/audit"}
        }
