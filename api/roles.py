"""Which roles may use which route: one explicit table, checked on every request and by
``tests/api/test_roles.py`` against the app's routes (a route missing here is refused
with 403 for every role but admin, and fails that test).

``admin`` may use every route. ``PUBLIC`` routes need no key: health, readiness and
metrics are read by orchestrators and Prometheus on the internal network, carry no
personal data (metric labels are route templates, never paths or values), and must
answer when the key store itself is down. The stewards' page (``/steward``) is public too:
it is a static page that calls the routes here with the key its user types in.
"""

from __future__ import annotations

from typing import Final, Literal

from identity.access import Role

PUBLIC: Final = "public"
"""Routes anyone may call without a key."""
ADMIN_ONLY: frozenset[Role] = frozenset()

READER, LOADER, STEWARD, PRIVACY = Role.READER, Role.LOADER, Role.STEWARD, Role.PRIVACY

ROUTE_ROLES: dict[tuple[str, str], frozenset[Role] | Literal["public"]] = {
    # operations
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/steward"): PUBLIC,
    # services: lookups and the change feed
    ("GET", "/v1/lookup"): frozenset({READER}),
    ("POST", "/v1/lookup/batch"): frozenset({READER}),
    ("GET", "/v1/profiles/{profile_id}"): frozenset({READER, STEWARD, PRIVACY}),
    ("GET", "/v1/consent"): frozenset({READER, PRIVACY}),
    ("GET", "/v1/changes"): frozenset({READER}),
    # batch loaders
    ("POST", "/v1/observations"): frozenset({LOADER}),
    ("POST", "/v1/observations/bulk"): frozenset({LOADER}),
    # data stewards
    ("GET", "/v1/review"): frozenset({STEWARD}),
    ("POST", "/v1/review/approve"): frozenset({STEWARD}),
    ("POST", "/v1/review/reject"): frozenset({STEWARD}),
    ("POST", "/v1/merges"): frozenset({STEWARD}),
    ("POST", "/v1/profiles/{profile_id}/split"): frozenset({STEWARD}),
    ("GET", "/v1/explain"): frozenset({STEWARD}),
    ("GET", "/v1/profiles/{profile_id}/graph"): frozenset({STEWARD}),
    ("GET", "/v1/search"): frozenset({STEWARD, PRIVACY}),
    # privacy officers
    ("POST", "/v1/consent"): frozenset({PRIVACY}),
    ("GET", "/v1/profiles/{profile_id}/export"): frozenset({PRIVACY}),
    ("DELETE", "/v1/profiles/{profile_id}"): frozenset({PRIVACY}),
    ("POST", "/v1/identifiers/erase"): frozenset({PRIVACY}),
    ("GET", "/v1/audit"): frozenset({PRIVACY}),
    # admins only
    ("GET", "/v1/keys"): ADMIN_ONLY,
    ("POST", "/v1/keys"): ADMIN_ONLY,
    ("DELETE", "/v1/keys/{digest}"): ADMIN_ONLY,
    ("GET", "/v1/stats"): ADMIN_ONLY,
}


def may_use(role: Role, method: str, path: str) -> bool:
    """Whether a key of the role may call the route (method and path template)."""
    allowed = ROUTE_ROLES.get((method, path), ADMIN_ONLY)
    return role is Role.ADMIN or allowed == PUBLIC or role in allowed
