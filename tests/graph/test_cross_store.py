"""The same observation file loaded through ``idgraph load`` gives the same profiles on
every store: the exports of the embedded store and of Neo4j are byte-for-byte equal, for
the file as generated and for the same lines shuffled; and the shuffled load holds the same
profiles as the ordered one (only the IDs, which depend on history, may differ)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from identity.settings import Settings

REPO = Path(__file__).resolve().parents[2]
IDGRAPH = Path(sys.executable).with_name("idgraph")
TIMEOUT = 300
SECRET = "cross-store-secret"
BATCH = "25"
"""Small batches, so profiles grow and merge across batches, not only inside one."""

BAD_LINES = [
    '{"source": "crm", "observed_at": "2026-01-01T12:00:00Z", "identifiers": [',
    json.dumps(
        {
            "source": "crm",
            "observed_at": "2026-01-01T12:00:00Z",
            "identifiers": [{"type": "fax", "value": "123"}],
        }
    ),
    json.dumps(
        {
            "source": "crm",
            "observed_at": "2026-01-01T12:00:00Z",
            "identifiers": [{"type": "email", "value": "not an email"}],
        }
    ),
    json.dumps(
        {
            "source": "crm",
            "observed_at": "2026-01-01T12:00:00Z",
            "identifiers": [
                {"type": "email", "value": "test@test.com"},
                {"type": "phone", "value": "(212) 555-0199"},
            ],
        }
    ),
    json.dumps({"source": "crm", "observed_at": "2026-01-01T12:00:00Z"}),
]


def observation_lines(workdir: Path) -> list[str]:
    """Generated people (merges, consent, attributes) with bad lines among them."""
    people = workdir / "people.ndjson"
    subprocess.run(
        [sys.executable, "-m", "bench.generate", "--people", "60", "--seed", "23", "--out", people],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    lines = people.read_text(encoding="utf-8").splitlines()
    for offset, bad in enumerate(BAD_LINES):
        lines.insert(offset * 41 % len(lines), bad)
    return lines


def run_idgraph(settings: Settings, workdir: Path, *args: str | Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDGRAPH_", "NEO4J_"))}
    env.update(
        IDGRAPH_STORE=settings.store,
        IDGRAPH_DATA_DIR=str(settings.data_dir),
        IDGRAPH_SECRET=settings.secret,
        NEO4J_URI=settings.neo4j_uri,
        NEO4J_USER=settings.neo4j_user,
        NEO4J_PASSWORD=settings.neo4j_password,
        NEO4J_DATABASE=settings.neo4j_database,
    )
    done = subprocess.run(
        [str(IDGRAPH), *(str(a) for a in args)],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)


def wipe(settings: Settings) -> None:
    from graph.neo4j_store import shared_driver

    driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    with driver.session(database=settings.neo4j_database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def load_and_export(settings: Settings, workdir: Path, lines: list[str], name: str) -> bytes:
    """Load ``lines`` into an empty store of ``settings`` and return its export."""
    if settings.store == "neo4j":
        wipe(settings)
    source = workdir / f"{name}.ndjson"
    source.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    rejects = workdir / f"{name}.{settings.store}.rejects"
    run_idgraph(settings, workdir, "load", source, "--batch-size", BATCH, "--rejects", rejects)
    assert len(rejects.read_text(encoding="utf-8").splitlines()) >= len(BAD_LINES)
    out = workdir / f"{name}.{settings.store}.export.ndjson"
    run_idgraph(settings, workdir, "export", out)
    return out.read_bytes()


def without_ids(export: bytes) -> list[str]:
    profiles = [json.loads(line) for line in export.decode("utf-8").splitlines()]
    for profile in profiles:
        del profile["id"]
    return sorted(json.dumps(p, sort_keys=True, ensure_ascii=False) for p in profiles)


@pytest.fixture(scope="module")
def exports(
    neo4j_settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], bytes]:
    """(store, order) -> export, for both stores and both orders of the same lines."""
    workdir = tmp_path_factory.mktemp("cross-store")
    ordered = observation_lines(workdir)
    shuffled = ordered[:]
    random.Random(3).shuffle(shuffled)
    found: dict[tuple[str, str], bytes] = {}
    for store in ("embedded", "neo4j"):
        for order, lines in (("ordered", ordered), ("shuffled", shuffled)):
            settings = Settings(
                data_dir=workdir / f"{store}-{order}", store=store, secret=SECRET
            ).with_overrides(**neo4j_settings)
            found[(store, order)] = load_and_export(settings, workdir, lines, order)
    return found


@pytest.mark.neo4j
class TestLoadingTheSameFile:
    @pytest.mark.parametrize(
        "order",
        [
            pytest.param("ordered", id="in the generated order"),
            pytest.param("shuffled", id="in a shuffled order"),
        ],
    )
    def test_gives_identical_exports_on_both_stores(
        self, exports: dict[tuple[str, str], bytes], order: str
    ) -> None:
        embedded, neo4j = exports[("embedded", order)], exports[("neo4j", order)]
        assert len(embedded.splitlines()) > 30
        assert embedded == neo4j

    def test_in_another_order_gives_the_same_profiles_up_to_their_ids(
        self, exports: dict[tuple[str, str], bytes]
    ) -> None:
        ordered = without_ids(exports[("embedded", "ordered")])
        assert ordered == without_ids(exports[("embedded", "shuffled")])
        assert any('"consent"' in p and '"denied"' in p for p in ordered)
