"""What the store-backed tests share: the store parameters, the test secret and a Neo4j
wipe. A module of its own (not conftest.py) because test modules import it, and two
conftest.py files in one run make ``from conftest import`` ambiguous."""

from __future__ import annotations

import pytest

TEST_SECRET = "test-secret-0123456789"

STORE_PARAMS = [
    pytest.param("embedded", id="embedded"),
    pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j),
]


def _wipe_neo4j(neo4j_uri: str, neo4j_user: str, neo4j_password: str, neo4j_database: str) -> None:
    """Delete every node and relationship; constraints and indexes stay (start-up keeps
    them idempotently). Takes the keys of ``neo4j_settings``."""
    from graph.neo4j_store import shared_driver

    driver = shared_driver(neo4j_uri, neo4j_user, neo4j_password)
    with driver.session(database=neo4j_database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
