"""The graph a Neo4j user reads (docs/neo4j.md): what ingest writes is the documented model,
and every query the document shows runs against it and finds what it says it finds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from graph.neo4j_store import shared_driver
from identity.service import IdentityService

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.parametrize("store_name", ["neo4j"], indirect=True),
]

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "neo4j.md"
WHEN = "2026-01-02T03:04:05Z"


def _documented_queries() -> list[str]:
    blocks = re.findall(r"```cypher\n(.*?)```", DOCUMENT.read_text(encoding="utf-8"), re.S)
    return [q.strip() for block in blocks for q in block.split(";") if q.strip()]


@pytest.fixture
def loaded(service: IdentityService) -> tuple[IdentityService, str]:
    """Ann (email and phone, one profile, email consent granted) and a cookie held apart by
    a weak link; the profile ID."""
    observations: list[dict[str, Any]] = [
        {
            "source": "crm",
            "observed_at": WHEN,
            "authenticated": True,
            "identifiers": [
                {"type": "email", "value": "ann@example.com"},
                {"type": "phone", "value": "+12125550100"},
            ],
            "attributes": {"first_name": "Ann", "last_name": "Lee", "city": "Boston"},
            "consent": [{"purpose": "email", "status": "granted"}],
        },
        {
            "source": "web",
            "observed_at": WHEN,
            "identifiers": [
                {"type": "email", "value": "ann@example.com"},
                {"type": "cookie", "value": "ck-1"},
            ],
        },
    ]
    service.ingest([service.parse(o).observation for o in observations])
    return service, service.lookup("email", "ann@example.com").id


def _run(service: IdentityService, query: str, **parameters: Any) -> list[dict[str, Any]]:
    settings = service.settings
    driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    with driver.session(database=settings.neo4j_database) as session:
        return [record.data() for record in session.run(query, parameters)]  # type: ignore[arg-type]


class TestTheModel:
    def test_a_profile_carries_its_golden_attributes_and_consent_as_properties(
        self, loaded: tuple[IdentityService, str]
    ) -> None:
        service, profile = loaded
        rows = _run(
            service,
            "MATCH (:Identifier {key: 'email:ann@example.com'})-[:IN_PROFILE]->(p:Profile)"
            " RETURN p.id AS id, p.first_name AS first_name, p.city AS city,"
            " p.consent_email AS email, p.consent_sms AS sms",
        )
        assert rows == [
            {
                "id": profile,
                "first_name": "Ann",
                "city": "Boston",
                "email": "granted",
                "sms": "unknown",
            }
        ]

    def test_identifiers_hold_their_facts_and_no_node_per_fact_or_placeholder(
        self, loaded: tuple[IdentityService, str]
    ) -> None:
        service, _ = loaded
        rows = _run(
            service,
            "MATCH (i:Identifier {key: 'phone:+12125550100'})"
            " RETURN size(i.facts) AS facts, COUNT { (:Fact) } AS fact_nodes,"
            " COUNT { (:Placeholder) } AS placeholders, COUNT { ()-[:HOLDS]->() } AS holds",
        )
        assert rows == [{"facts": 3, "fact_nodes": 0, "placeholders": 0, "holds": 0}]

    def test_every_documented_query_runs(self, loaded: tuple[IdentityService, str]) -> None:
        service, profile = loaded
        queries = _documented_queries()
        assert len(queries) >= 8
        answered = [bool(_run(service, query, profile=profile)) for query in queries]
        # Every one finds something in this little graph but those for held links and
        # generic identifiers (it has neither).
        none_here = [
            i for i, q in enumerate(queries) if "status: 'held'" in q or "generic <> ''" in q
        ]
        assert [i for i, found in enumerate(answered) if not found] == none_here
