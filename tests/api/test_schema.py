"""Conformance: schemathesis generates requests from the app's OpenAPI schema (valid and
invalid ones, a bounded number per route) and sends them with an admin key to the ASGI
app; every answer must be a documented status with a body matching its declared model,
and no answer a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from identity.access import Role
from identity.service import IdentityService

EXAMPLES_PER_ROUTE = 15
NOT_EXPRESSIBLE = [schemathesis.checks.positive_data_acceptance]
"""Whether a value normalizes (an email's syntax, a phone number's region, a blocked
value, a configured consent purpose) is the domain's rule, not JSON Schema's: a
schema-valid ``value`` may be refused with 422 naming field, value and rule. Every other
check runs: no 5xx, documented statuses and bodies, schema-violating requests refused."""


schemathesis.serializer.alias("application/x-ndjson", "text/plain")
APP = create_app(cast(IdentityService, None))
"""Built once for its schema; each test attaches a fresh store's service (the routes find
the service on ``app.state``)."""
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def admin_headers(embedded_service: IdentityService) -> Iterator[dict[str, str]]:
    embedded_service.ingest(
        [
            embedded_service.parse(
                {
                    "source": "crm",
                    "observed_at": "2026-01-01T12:00:00Z",
                    "authenticated": True,
                    "identifiers": [{"type": "email", "value": "ann@example.com"}],
                }
            ).observation
        ]
    )
    APP.state.service = embedded_service
    try:
        yield {"Authorization": f"Bearer {embedded_service.keys.create(Role.ADMIN.value)}"}
    finally:
        APP.state.service = None


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_ROUTE,
    # The same examples every run: a random draw sometimes drops the Authorization header
    # or adds a nameless query parameter that never reaches the wire (the admin header and
    # URL encoding put them back), and schemathesis then reports a "schema-violating
    # request accepted" that the app never received.
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_app_answers_as_its_schema_says(case: Any, admin_headers: dict[str, str]) -> None:
    excluded = NOT_EXPRESSIBLE
    if case.operation.path == "/v1/observations/bulk":
        # The NDJSON body is text: a "wrongly typed" body schemathesis makes (an object,
        # a number) goes on the wire as a line of text like any other; the route reports
        # each such line as a rejection, as it should.
        excluded = [*excluded, schemathesis.checks.negative_data_rejection]
    case.call_and_validate(headers=admin_headers, excluded_checks=excluded)
