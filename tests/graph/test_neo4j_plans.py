"""The plans of the hot queries (``graph.neo4j_store.plans``): every query a batch of the
ingest path or a lookup sends is planned by the real server (``EXPLAIN``, nothing run) and
must have no ``Eager`` operator (which makes the server hold every row of the batch before
writing any) and no scan where it starts from keys or IDs (an index seek is meant).

The database is filled a little first, so the planner sees labels, indexes and
relationships as it does on a loaded store."""

from __future__ import annotations

from typing import Any

import pytest

from graph.neo4j_store import shared_driver
from graph.neo4j_store.plans import HOT_QUERIES
from identity.service import IdentityService

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.parametrize("store_name", ["neo4j"], indirect=True),
]

SCANS = (
    "AllNodesScan",
    "NodeByLabelScan",
    "NodeIndexScan",
    "NodeUniqueIndexScan",
    "NodeIndexContainsScan",
    "NodeIndexEndsWithScan",
    "DirectedRelationshipTypeScan",
    "UndirectedRelationshipTypeScan",
    "DirectedAllRelationshipsScan",
    "UndirectedAllRelationshipsScan",
    "DirectedRelationshipIndexScan",
    "UndirectedRelationshipIndexScan",
)


def _operators(plan: dict[str, Any]) -> list[str]:
    """Every operator of a plan tree, without the runtime suffix (``Eager@neo4j``)."""
    found = [str(plan["operatorType"]).split("@")[0]]
    for child in plan.get("children", []):
        found.extend(_operators(child))
    return found


@pytest.fixture
def planned(service: IdentityService) -> dict[str, list[str]]:
    """The operators of every hot query, planned on a store holding a few profiles."""
    observations = [
        {
            "source": "crm",
            "observed_at": "2026-01-02T03:04:05Z",
            "authenticated": True,
            "identifiers": [
                {"type": "email", "value": f"person{i}@example.com"},
                {"type": "phone", "value": f"+1212555{i:04d}"},
            ],
            "attributes": {"first_name": "Ann", "last_name": f"Lee{i}", "postcode": "10001"},
            "consent": [{"purpose": "email", "status": "granted"}],
        }
        for i in range(20)
    ]
    service.ingest([service.parse(o).observation for o in observations])
    settings = service.settings
    driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    plans: dict[str, list[str]] = {}
    with driver.session(database=settings.neo4j_database) as session:
        for name, (query, parameters) in HOT_QUERIES.items():
            summary = session.run("EXPLAIN " + query, parameters).consume()  # type: ignore[arg-type]
            assert summary.plan is not None, name
            plans[name] = _operators(summary.plan)
    return plans


class TestHotQueryPlans:
    @pytest.mark.parametrize("name", sorted(HOT_QUERIES))
    def test_no_eager_operator(self, planned: dict[str, list[str]], name: str) -> None:
        assert "Eager" not in planned[name], planned[name]

    @pytest.mark.parametrize("name", sorted(HOT_QUERIES))
    def test_no_scan_where_a_seek_is_meant(self, planned: dict[str, list[str]], name: str) -> None:
        assert [op for op in planned[name] if op in SCANS] == [], planned[name]

    def test_the_reads_start_from_an_index_seek(self, planned: dict[str, list[str]]) -> None:
        reads = [name for name, (query, _) in HOT_QUERIES.items() if "MATCH" in query]
        unseeked = [name for name in reads if not any("Seek" in op for op in planned[name])]
        assert unseeked == []
