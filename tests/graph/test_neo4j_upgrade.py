"""A Neo4j database written by the model of schema version 1: refused with the command that
upgrades it, and upgraded in place by that command with every row kept.

The version-1 graph is written here in that model's own shapes (one ``Fact`` node per
attribute, ``profile_id`` properties, a ``:Placeholder`` edge end, ``Block``s holding
records by ``HOLDS {seq}``, a profile only as JSON text), as idgraph of version 1 wrote
them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graph.neo4j_store import Neo4jStore, shared_driver
from graph.neo4j_store.store import UPGRADE_COMMAND
from graph.records import (
    ChangeRow,
    ConsentRow,
    EdgeRow,
    FactRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)
from graph.store import StoreError

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.parametrize("store_name", ["neo4j"], indirect=True),
]

D1, D2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"
ANN, PHONE, COOKIE = "email:ann@example.com", "phone:+12125550100", "cookie:x1"
ATTRIBUTES = '{"first_name":{"observed_at":"' + D1 + '","source":"crm","value":"Ann"}}'
CONSENT = '{"email":{"statements":[],"status":"granted"}}'
IDENTIFIERS = f'["{ANN}","{PHONE}"]'

VERSION_1 = f"""
CREATE (:Meta {{name: 'schema_version', value: '1'}})
CREATE (ann:Identifier {{key: '{ANN}', type: 'email', value: 'ann@example.com',
                         profile_id: 'p-1', first_seen: '{D1}', last_seen: '{D2}', count: 2}})
CREATE (phone:Identifier {{key: '{PHONE}', type: 'phone', value: '+12125550100',
                           profile_id: 'p-1', first_seen: '{D1}', last_seen: '{D1}', count: 1,
                           generic: ''}})
CREATE (cookie:Identifier:Placeholder {{key: '{COOKIE}'}})
CREATE (ann)-[:LINK {{matcher: 'co_occurrence', rule: 'authenticated', weight: 1.0,
                      status: 'joined', reason: '', source: 'crm', evidence: '{{}}',
                      first_seen: '{D1}', last_seen: '{D1}', count: 1}}]->(phone)
CREATE (cookie)-[:LINK {{matcher: 'co_occurrence', rule: 'unauthenticated', weight: 0.7,
                         status: 'weak', source: 'web', evidence: '{{}}',
                         first_seen: '{D2}', last_seen: '{D2}', count: 3}}]->(ann)
CREATE (:Fact {{fact_key: '["{ANN}","o1","first_name"]', identifier_key: '{ANN}',
                observation_id: 'o1', name: 'first_name', value: 'Ann', source: 'crm',
                observed_at: '{D1}'}})
CREATE (:Fact {{fact_key: '["{ANN}","o1","city"]', identifier_key: '{ANN}',
                observation_id: 'o1', name: 'city', value: 'Bern', source: 'crm',
                observed_at: '{D1}'}})
CREATE (:Fact {{fact_key: '["{COOKIE}","o2","city"]', identifier_key: '{COOKIE}',
                observation_id: 'o2', name: 'city', value: 'Rome', source: 'web',
                observed_at: '{D2}'}})
CREATE (:Profile {{id: 'p-1', created_at: '{D1}', updated_at: '{D2}',
                   identifiers: '{IDENTIFIERS}', attributes: '{ATTRIBUTES}',
                   consent: '{CONSENT}', lineage: '[]'}})
CREATE (:Alias {{alias: 'p-0', target: 'p-1'}})
CREATE (:Consent {{statement_id: 's1', subject_key: '{ANN}', purpose: 'email',
                   status: 'granted', at: '{D1}', source: 'crm', proof: '{{}}'}})
CREATE (r1:PersonRecord {{id: 'r1', identifier_key: '{ANN}', fields: '{{"a":1}}'}})
CREATE (r2:PersonRecord {{id: 'r2', identifier_key: '{PHONE}', fields: '{{"b":2}}'}})
CREATE (block:Block {{key: 'dob:1980', size: 2}})
CREATE (block)-[:HOLDS {{seq: 0}}]->(r2)
CREATE (block)-[:HOLDS {{seq: 1}}]->(r1)
CREATE (:Change {{position: 1, kind: 'merge', profile_id: 'p-1', at: '{D2}', detail: '{{}}'}})
CREATE (:Counter {{name: 'changes', value: 1}})
CREATE (:Tombstone {{hash: 'h1'}})
"""

VERSION_1_SCHEMA = (
    "CREATE CONSTRAINT idgraph_fact_key IF NOT EXISTS FOR (n:Fact) REQUIRE n.fact_key IS UNIQUE",
    "CREATE INDEX idgraph_fact_identifier IF NOT EXISTS FOR (n:Fact) ON (n.identifier_key)",
    "CREATE INDEX idgraph_identifier_profile IF NOT EXISTS FOR (n:Identifier) ON (n.profile_id)",
)


@pytest.fixture
def version_1(settings_for_neo4j: dict[str, str]) -> dict[str, str]:
    driver = shared_driver(settings_for_neo4j["neo4j_uri"], settings_for_neo4j["neo4j_user"], "")
    with driver.session(database=settings_for_neo4j["neo4j_database"]) as session:
        for statement in VERSION_1_SCHEMA:
            session.run(statement).consume()
        session.run(VERSION_1).consume()
    return settings_for_neo4j


@pytest.fixture
def settings_for_neo4j(store_name: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """The Neo4j settings with the database emptied (the ``settings`` fixture's wipe)."""
    settings = request.getfixturevalue("settings")
    return {
        "neo4j_uri": settings.neo4j_uri,
        "neo4j_user": settings.neo4j_user,
        "neo4j_password": settings.neo4j_password,
        "neo4j_database": settings.neo4j_database,
    }


def _open(neo4j: dict[str, str]) -> Neo4jStore:
    return Neo4jStore(
        neo4j["neo4j_uri"], neo4j["neo4j_user"], neo4j["neo4j_password"], neo4j["neo4j_database"]
    )


def _upgrade_command(neo4j: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "IDGRAPH_STORE": "neo4j",
        "NEO4J_URI": neo4j["neo4j_uri"],
        "NEO4J_USER": neo4j["neo4j_user"],
        "NEO4J_PASSWORD": neo4j["neo4j_password"],
        "NEO4J_DATABASE": neo4j["neo4j_database"],
    }
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "--data-dir", str(tmp_path), "upgrade-store"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
    )


class TestOpeningAnEarlierModel:
    def test_is_refused_with_the_command_that_upgrades_it(self, version_1: dict[str, str]) -> None:
        with pytest.raises(StoreError) as refused:
            _open(version_1)
        assert UPGRADE_COMMAND in str(refused.value)
        assert "schema version 1" in str(refused.value)


class TestUpgradeStore:
    def test_upgrades_in_place_keeping_every_row(
        self, version_1: dict[str, str], tmp_path: Path
    ) -> None:
        done = _upgrade_command(version_1, tmp_path)
        assert done.returncode == 0, done.stderr
        assert "upgraded" in done.stdout
        store = _open(version_1)
        try:
            found = store.read(
                lambda tx: (
                    tx.get_identifiers([ANN, PHONE, COOKIE]),
                    tx.edges_of([ANN]),
                    tx.facts_of([ANN, COOKIE]),
                    tx.get_profiles(["p-1"]),
                    tx.resolve_aliases(["p-0"]),
                    tx.consent_of([ANN]),
                    tx.person_records(["r1", "r2"]),
                    tx.block_members(["dob:1980"]),
                    tx.changes_after(0, 10),
                    tx.tombstoned(["h1"]),
                    tx.counts(),
                )
            )
            store.write(lambda tx: tx.append_changes([ChangeRow(0, "split", "p-1", D2, "{}")]))
            erased = store.write(lambda tx: tx.erase_identifiers([ANN]))
            left = store.read(lambda tx: tx.block_members(["dob:1980"]))
        finally:
            store.close()
        assert found == (
            {
                ANN: StoredIdentifier(ANN, "email", "ann@example.com", "p-1", D1, D2, 2),
                PHONE: StoredIdentifier(PHONE, "phone", "+12125550100", "p-1", D1, D1, 1),
            },
            [
                EdgeRow(
                    COOKIE,
                    ANN,
                    "co_occurrence",
                    "unauthenticated",
                    0.7,
                    "weak",
                    "web",
                    "{}",
                    D2,
                    D2,
                    3,
                ),
                EdgeRow(
                    ANN, PHONE, "co_occurrence", "authenticated", 1.0, "joined", "crm", "{}", D1, D1
                ),
            ],
            [
                FactRow("o2", COOKIE, "city", "Rome", "web", D2),
                FactRow("o1", ANN, "city", "Bern", "crm", D1),
                FactRow("o1", ANN, "first_name", "Ann", "crm", D1),
            ],
            {"p-1": ProfileRow("p-1", D1, D2, IDENTIFIERS, ATTRIBUTES, CONSENT, "[]")},
            {"p-0": "p-1"},
            [ConsentRow("s1", ANN, "email", "granted", D1, "crm", "{}")],
            {
                "r1": PersonRecordRow("r1", ANN, '{"a":1}'),
                "r2": PersonRecordRow("r2", PHONE, '{"b":2}'),
            },
            {"dob:1980": ["r2", "r1"]},
            [ChangeRow(1, "merge", "p-1", D2, "{}")],
            {"h1"},
            {
                "identifiers": 2,
                "edges": 2,
                "profiles": 1,
                "aliases": 1,
                "facts": 3,
                "consent": 1,
                "changes": 1,
                "tombstones": 1,
                "audit": 0,
            },
        )
        assert erased == {"identifiers": 1, "edges": 2, "facts": 2, "consent": 1}
        assert left == {"dob:1980": ["r2"]}

    def test_gives_profiles_their_attributes_and_consent_as_properties(
        self, version_1: dict[str, str], tmp_path: Path
    ) -> None:
        assert _upgrade_command(version_1, tmp_path).returncode == 0
        driver = shared_driver(version_1["neo4j_uri"], version_1["neo4j_user"], "")
        with driver.session(database=version_1["neo4j_database"]) as session:
            record = session.run(
                "MATCH (i:Identifier)-[:IN_PROFILE]->(p:Profile {id: 'p-1'})"
                " RETURN p.first_name AS name, p.consent_email AS email, count(i) AS members,"
                " COUNT { (:Fact) } AS facts, COUNT { (:Placeholder) } AS placeholders,"
                " COUNT { ()-[:HOLDS]->() } AS holds"
            ).single()
            indexes = {r["name"] for r in session.run("SHOW INDEXES YIELD name")}
        assert record is not None
        assert record.data() == {
            "name": "Ann",
            "email": "granted",
            "members": 2,
            "facts": 0,
            "placeholders": 0,
            "holds": 0,
        }
        assert indexes.isdisjoint(
            {"idgraph_fact_key", "idgraph_fact_identifier", "idgraph_identifier_profile"}
        )

    def test_run_again_says_the_store_is_up_to_date(
        self, version_1: dict[str, str], tmp_path: Path
    ) -> None:
        assert _upgrade_command(version_1, tmp_path).returncode == 0
        again = _upgrade_command(version_1, tmp_path)
        assert again.returncode == 0, again.stderr
        assert "up to date" in again.stdout
