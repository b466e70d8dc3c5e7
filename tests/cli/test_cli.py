"""The ``idgraph`` command in a subprocess, on every store: ``load`` (summary, reject file,
idempotent reload, CSV mapping), ``lookup`` (JSON and exit codes) and a load killed with
SIGKILL part-way and run again, which must end exactly like one clean load."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import build_service
from identity.settings import Settings

REPO = Path(__file__).resolve().parents[2]
IDGRAPH = Path(sys.executable).with_name("idgraph")
TIMEOUT = 300


@dataclass
class Cli:
    """Runs ``idgraph`` against the store of ``settings``, configured by environment only."""

    settings: Settings
    workdir: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IDGRAPH_", "NEO4J_"))}
        env.update(
            IDGRAPH_STORE=self.settings.store,
            IDGRAPH_DATA_DIR=str(self.settings.data_dir),
            IDGRAPH_SECRET=self.settings.secret,
            NEO4J_URI=self.settings.neo4j_uri,
            NEO4J_USER=self.settings.neo4j_user,
            NEO4J_PASSWORD=self.settings.neo4j_password,
            NEO4J_DATABASE=self.settings.neo4j_database,
        )
        return env

    def command(self, *args: str | Path) -> list[str]:
        return [str(IDGRAPH), *(str(a) for a in args)]

    def run(self, *args: str | Path, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(*args),
            env=self.env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert done.returncode == expect, (done.returncode, done.stdout, done.stderr)
        return done

    def load(self, path: Path, *extra: str, rejects: Path | None = None) -> str:
        rejects = rejects or self.workdir / f"{path.name}.rejects"
        return self.run("load", path, "--rejects", rejects, *extra).stdout

    def export(self, name: str) -> bytes:
        out = self.workdir / name
        self.run("export", out)
        return out.read_bytes()

    def fresh(self, name: str) -> Cli:
        """An empty store for a second, independent load: a new data directory, or (one
        Neo4j database only) the same database wiped. Export what you need first."""
        if self.settings.store == "neo4j":
            wipe_neo4j(self.settings)
            return self
        return Cli(self.settings.with_overrides(data_dir=self.workdir / name), self.workdir)


def wipe_neo4j(settings: Settings) -> None:
    from graph.neo4j_store import shared_driver

    driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
    with driver.session(database=settings.neo4j_database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


@pytest.fixture
def cli(settings: Settings, tmp_path: Path) -> Cli:
    return Cli(settings, tmp_path)


def ndjson(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def obs(*identifiers: tuple[str, object], day: int = 1, source: str = "crm", **extra: Any) -> str:
    data: dict[str, Any] = {
        "source": source,
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
        **extra,
    }
    return json.dumps(data)


MIXED = [
    # 1: good
    obs(
        ("email", "ann@example.com"), ("phone", "(212) 555-0100"), attributes={"first_name": "Ann"}
    ),
    # 2: not JSON
    '{"source": "crm", "observed_at": "2026-01-01T12:00:00Z", "identifiers": [',
    # 3: one unknown identifier type, the rest good
    obs(("email", "bob@example.com"), ("fax", "2125550199"), day=2),
    # 4: blank, skipped but counted as a line number
    "",
    # 5: an invalid email and an invalid phone next to a good cookie
    obs(("email", "bob@"), ("phone", "555-555-5555"), ("cookie", "ck-lone-1"), day=3),
    # 6: only blocked values
    obs(("email", "Test@Test.com"), ("cookie", "undefined"), day=3),
    # 7: no identifiers field at all
    json.dumps({"source": "crm", "observed_at": "2026-01-03T12:00:00Z"}),
    # 8: good, joins line 1
    obs(("cookie", "ck-ann-1"), ("email", "ANN@example.com"), day=4, source="web"),
    # 9: every identifier of an unknown type
    obs(("fax", "2125550100"), day=4),
]


PARSING = [
    pytest.param("--no-parse-worker", id="parsed in the loading process"),
    pytest.param("--parse-worker", id="parsed in a worker process"),
]


class TestLoad:
    @pytest.mark.parametrize("parsing", PARSING)
    def test_loads_every_good_line_and_reports_the_bad_ones(
        self, cli: Cli, tmp_path: Path, parsing: str
    ) -> None:
        source = ndjson(tmp_path / "mixed.ndjson", MIXED)
        rejects = tmp_path / "mixed.rejects.ndjson"

        done = cli.run("load", source, "--rejects", rejects, parsing)

        summary = done.stdout.splitlines()
        assert summary[:2] == [
            "lines read 8, observations accepted 4, identifiers refused 6, lines rejected 4",
            "profiles created 3, merged 0; identifiers suppressed (erased before) 0;"
            f" rejects in {rejects}",
        ]
        assert re.fullmatch(
            r"path incremental; peak RSS [\d,]+ MiB in this process,"
            r" [\d,]+ MiB in the largest worker",
            summary[2],
        )
        reported = [json.loads(line) for line in rejects.read_text().splitlines()]
        assert [
            (r["line"], r["status"], [(x["field"], x["rule"]) for x in r["refusals"]])
            for r in reported
        ] == [
            (2, "rejected", [("line", "line.json")]),
            (3, "accepted_in_part", [("identifiers[1].type", "identifier.known_type")]),
            (
                5,
                "accepted_in_part",
                [("identifiers[0].value", "email.syntax"), ("identifiers[1].value", "phone.valid")],
            ),
            (
                6,
                "rejected",
                [
                    ("identifiers", "identifiers.one_valid"),
                    ("identifiers[0].value", "blocked_value"),
                    ("identifiers[1].value", "blocked_value"),
                ],
            ),
            (7, "rejected", [("identifiers", "identifiers.required")]),
            (
                9,
                "rejected",
                [
                    ("identifiers", "identifiers.one_valid"),
                    ("identifiers[0].type", "identifier.known_type"),
                ],
            ),
        ]
        assert reported[3]["refusals"][1]["value"] == "Test@Test.com"
        assert reported[1]["refusals"][0]["value"] == "fax"
        assert all(x["message"] for r in reported for x in r["refusals"])

        exported = [json.loads(line) for line in cli.export("export.ndjson").splitlines()]
        assert sorted(p["identifiers"] for p in exported) == [
            ["cookie:ck-ann-1", "email:ann@example.com", "phone:+12125550100"],
            ["cookie:ck-lone-1"],
            ["email:bob@example.com"],
        ]

    @pytest.mark.slow
    def test_a_second_load_of_the_same_file_changes_no_profile(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        source = ndjson(tmp_path / "mixed.ndjson", MIXED)
        first = cli.load(source, "--batch-size", "2")
        exported = cli.export("first.ndjson")

        again = cli.load(source, "--batch-size", "2")

        assert cli.export("again.ndjson") == exported
        assert len(exported.splitlines()) == 3
        assert first.splitlines()[0] == again.splitlines()[0]
        assert again.splitlines()[1].startswith("profiles created 0, merged 0;")

    def test_an_operator_is_told_how_many_erased_identifiers_were_suppressed(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """Unlike an HTTP loader's answer (tests/api/test_ingest_answers.py), the
        operator's summary keeps the counts."""
        source = ndjson(tmp_path / "ann.ndjson", [MIXED[0]])
        cli.load(source)
        cli.run("erase", "--identifier", "email", "ann@example.com")

        again = cli.load(source)

        assert again.splitlines()[1].startswith(
            "profiles created 0, merged 0; identifiers suppressed (erased before) 1;"
        )

    def test_the_default_reject_file_is_beside_the_input(self, cli: Cli, tmp_path: Path) -> None:
        source = ndjson(tmp_path / "two.ndjson", [MIXED[0], MIXED[1]])
        done = cli.run("load", source)
        beside = tmp_path / "two.ndjson.rejects.ndjson"
        assert done.stdout.splitlines()[1].endswith(f"rejects in {beside}")
        assert [json.loads(line)["line"] for line in beside.read_text().splitlines()] == [2]

    def test_a_missing_file_is_bad_usage(self, cli: Cli, tmp_path: Path) -> None:
        done = cli.run("load", tmp_path / "nowhere.ndjson", expect=2)
        assert "no such file" in done.stderr


CSV_HEADER = [
    "source",
    "observed_at",
    "authenticated",
    "email",
    "email.work",
    "phone",
    "cookie",
    "customer_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "country",
    "attr.loyalty_tier",
    "consent.email",
    "notes",
]
CSV_ROWS = [
    [
        "crm",
        "2026-01-01T12:00:00Z",
        "yes",
        "Ann@Example.com",
        "ann@work.example.org",
        "(212) 555-0100",
        "",
        "crm/C-1",
        "Ann",
        "Smith",
        "1980-04-05",
        "us",
        "gold",
        "granted",
        "called twice",
    ],
    ["web", "2026-01-02T12:00:00Z", "1", "ann@example.com", "", "", "ck-ann-1", *[""] * 8],
    ["web", "2026-01-03T12:00:00Z", "", "", "", "", "ck-ann-1", *[""] * 8],
    [
        "crm",
        "2026-01-04T12:00:00Z",
        "TRUE",
        "bob@example.com",
        "",
        "+44 20 7946 0958",
        "",
        "",
        "Bob",
        "",
        "",
        "",
        "",
        "Denied",
        "",
    ],
    ["shop", "2026-01-05T12:00:00Z", "no", "not-an-email", "", "", "ck-bob-2", *[""] * 8],
]
EQUIVALENT_NDJSON = [
    {
        "source": "crm",
        "observed_at": "2026-01-01T12:00:00Z",
        "authenticated": True,
        "identifiers": [
            {"type": "email", "value": "Ann@Example.com"},
            {"type": "email", "value": "ann@work.example.org"},
            {"type": "phone", "value": "(212) 555-0100"},
            {"type": "customer_id", "value": "crm/C-1"},
        ],
        "attributes": {
            "first_name": "Ann",
            "last_name": "Smith",
            "date_of_birth": "1980-04-05",
            "country": "us",
            "loyalty_tier": "gold",
        },
        "consent": [{"purpose": "email", "status": "granted"}],
    },
    {
        "source": "web",
        "observed_at": "2026-01-02T12:00:00Z",
        "authenticated": True,
        "identifiers": [
            {"type": "email", "value": "ann@example.com"},
            {"type": "cookie", "value": "ck-ann-1"},
        ],
    },
    {
        "source": "web",
        "observed_at": "2026-01-03T12:00:00Z",
        "identifiers": [{"type": "cookie", "value": "ck-ann-1"}],
    },
    {
        "source": "crm",
        "observed_at": "2026-01-04T12:00:00Z",
        "authenticated": True,
        "identifiers": [
            {"type": "email", "value": "bob@example.com"},
            {"type": "phone", "value": "+44 20 7946 0958"},
        ],
        "attributes": {"first_name": "Bob"},
        "consent": [{"purpose": "email", "status": "denied"}],
    },
    {
        "source": "shop",
        "observed_at": "2026-01-05T12:00:00Z",
        "authenticated": False,
        "identifiers": [
            {"type": "email", "value": "not-an-email"},
            {"type": "cookie", "value": "ck-bob-2"},
        ],
    },
]


class TestLoadCsv:
    @pytest.mark.parametrize("parsing", PARSING)
    def test_loads_the_same_profiles_as_the_equivalent_ndjson(
        self, cli: Cli, tmp_path: Path, parsing: str
    ) -> None:
        text = io.StringIO()
        csv.writer(text).writerows([CSV_HEADER, *CSV_ROWS])
        source = tmp_path / "crm.csv"
        source.write_text(text.getvalue(), encoding="utf-8")
        rejects = tmp_path / "crm.rejects"

        done = cli.run("load", source, "--rejects", rejects, parsing)

        assert done.stdout.splitlines()[0] == (
            "lines read 5, observations accepted 5, identifiers refused 1, lines rejected 0"
        )
        assert "warning: ignored columns: notes" in done.stderr
        (reported,) = [json.loads(line) for line in rejects.read_text().splitlines()]
        assert (reported["line"], reported["status"]) == (6, "accepted_in_part")
        assert [(r["field"], r["value"], r["rule"]) for r in reported["refusals"]] == [
            ("identifiers[0].value", "not-an-email", "email.syntax")
        ]
        from_csv = cli.export("from-csv.ndjson")

        other = cli.fresh("ndjson-data")
        other.load(ndjson(tmp_path / "crm.ndjson", [json.dumps(o) for o in EQUIVALENT_NDJSON]))
        from_ndjson = other.export("from-ndjson.ndjson")

        assert from_csv == from_ndjson
        profiles = {
            p["identifiers"][0]: p for p in (json.loads(line) for line in from_csv.splitlines())
        }
        assert sorted(profiles) == ["cookie:ck-ann-1", "cookie:ck-bob-2", "email:bob@example.com"]
        ann = profiles["cookie:ck-ann-1"]
        assert ann["attributes"]["loyalty_tier"] == "gold"
        assert ann["attributes"]["country"] == "US"
        assert ann["consent"]["email"]["status"] == "granted"
        assert profiles["email:bob@example.com"]["consent"]["email"]["status"] == "denied"


class TestLookup:
    @pytest.fixture
    def loaded(self, cli: Cli, tmp_path: Path) -> Cli:
        cli.load(ndjson(tmp_path / "mixed.ndjson", MIXED))
        return cli

    def test_prints_the_profile_as_json(self, loaded: Cli) -> None:
        done = loaded.run("lookup", "email", " ANN@Example.com ")
        profile = json.loads(done.stdout)
        assert profile["identifiers"] == [
            "cookie:ck-ann-1",
            "email:ann@example.com",
            "phone:+12125550100",
        ]
        assert profile["attributes"] == {"first_name": "Ann"}
        assert profile["id"].startswith("p-")
        assert json.loads(loaded.run("lookup", "cookie", "ck-ann-1").stdout) == profile

    def test_an_unknown_identifier_exits_1(self, loaded: Cli) -> None:
        done = loaded.run("lookup", "email", "nobody@example.com", expect=1)
        assert done.stdout == ""
        assert "no profile holds email:nobody@example.com" in done.stderr

    @pytest.mark.parametrize(
        ("kind", "value", "rule"),
        [
            pytest.param("email", "not-an-email", "email.syntax", id="an invalid email"),
            pytest.param("phone", "12345", "phone.valid", id="an invalid phone"),
            pytest.param("fax", "2125550100", "identifier.known_type", id="an unknown type"),
        ],
    )
    def test_a_bad_value_exits_2(self, loaded: Cli, kind: str, value: str, rule: str) -> None:
        done = loaded.run("lookup", kind, value, expect=2)
        assert done.stdout == ""
        assert f"[{rule}]" in done.stderr


def profile_count(settings: Settings) -> int:
    """Profiles committed so far, read through a store object of our own."""
    reader = build_service(settings).store
    try:
        return reader.read(lambda tx: tx.counts())["profiles"]
    finally:
        reader.close()


@pytest.mark.slow
class TestLoadAfterCrash:
    PEOPLE = 400
    BATCH = "200"

    def test_a_load_killed_part_way_and_run_again_ends_like_a_clean_load(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        source = tmp_path / "people.ndjson"
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--people", str(self.PEOPLE), "--out", source],
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )
        rejects = tmp_path / "people.rejects"
        # Open the store first so that the schema exists before the load and the poll.
        reader = build_service(cli.settings).store

        def committed() -> int:
            return reader.read(lambda tx: tx.counts())["profiles"]

        try:
            load = subprocess.Popen(
                cli.command(
                    "load",
                    source,
                    "--batch-size",
                    self.BATCH,
                    "--rejects",
                    rejects,
                    "--parse-worker",
                ),
                env=cli.env(),
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                deadline = time.monotonic() + TIMEOUT
                while committed() == 0 and load.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                load.send_signal(signal.SIGKILL)
                load.wait(timeout=TIMEOUT)
            finally:
                if load.poll() is None:
                    load.kill()
                    load.wait()
                assert load.stderr is not None
                load.stderr.close()
            assert load.returncode == -signal.SIGKILL, "the load ended before it was killed"
            after_kill = committed()
            assert _left_running(source) == [], "the parsing worker outlived the killed load"
        finally:
            reader.close()
        assert after_kill > 0

        cli.load(source, "--batch-size", self.BATCH, rejects=rejects)
        resumed = cli.export("resumed.ndjson")

        clean = cli.fresh("clean-data")
        assert profile_count(clean.settings) == 0
        clean.load(source, "--batch-size", self.BATCH, rejects=rejects)
        expected = clean.export("clean.ndjson")

        assert resumed == expected
        assert after_kill < len(expected.splitlines())


def _left_running(source: Path, wait_seconds: float = 10.0) -> list[int]:
    """Processes still running with ``source`` on their command line (a forked worker
    has its parent's) after up to ``wait_seconds``."""
    deadline = time.monotonic() + wait_seconds
    while True:
        running = []
        for entry in Path("/proc").iterdir():
            try:
                if (
                    entry.name.isdigit()
                    and str(source).encode() in (entry / "cmdline").read_bytes()
                ):
                    running.append(int(entry.name))
            except OSError:
                continue
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.1)


class TestKeys:
    @pytest.fixture
    def store_name(self) -> str:
        """Keys live in the store's meta settings, which the contract suite covers on
        every store; the command itself is the same on both (and on Neo4j each of its
        subprocesses costs seconds)."""
        return "embedded"

    def test_create_prints_the_key_once_and_list_and_revoke_follow_it(self, cli: Cli) -> None:
        created = cli.run("keys", "create", "--role", "steward", "--label", "Sam").stdout
        key = created.splitlines()[-1]
        service = build_service(cli.settings)
        try:
            info = service.keys.identify(key)
        finally:
            service.store.close()
        assert info is not None
        assert (info.role.value, info.label) == ("steward", "Sam")
        assert key not in cli.run("keys", "list").stdout
        listed = cli.run("keys", "list").stdout.splitlines()
        assert [line.split()[:2] for line in listed] == [[info.digest[:16], "steward"]]

        cli.run("keys", "revoke", info.digest[:8])

        assert "revoked" in cli.run("keys", "list").stdout
        service = build_service(cli.settings)
        try:
            assert service.keys.identify(key) is None
        finally:
            service.store.close()

    def test_an_unknown_role_is_bad_usage(self, cli: Cli) -> None:
        done = cli.run("keys", "create", "--role", "owner", expect=2)
        assert "invalid choice: 'owner'" in done.stderr
        assert done.stdout == ""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, key: str = "") -> tuple[int, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class TestServe:
    @pytest.fixture
    def store_name(self) -> str:
        """Worker processes share the store as any two processes do (the contract suite
        and the crash tests cover that per store); here it is about the workers."""
        return "embedded"

    @pytest.mark.slow
    def test_several_workers_share_keys_counts_and_revocations(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        cli.load(ndjson(tmp_path / "ann.ndjson", [obs(("email", "ann@example.com"))]))
        key = cli.run("keys", "create", "--role", "reader").stdout.splitlines()[-1]
        config = tmp_path / "idgraph.toml"
        config.write_text("key_cache_seconds = 0.5\n", encoding="utf-8")
        with served(cli, "--workers", "2", "--no-access-log", config=config) as base:
            lookup = f"{base}/v1/lookup?type=email&value=ANN@example.com"
            answers = [_get(lookup, key) for _ in range(20)]
            assert {status for status, _ in answers} == {200}
            assert json.loads(answers[0][1])["identifiers"] == ["email:ann@example.com"]

            counted = [
                line
                for line in _get(f"{base}/metrics")[1].splitlines()
                if line.startswith("idgraph_http_requests_total{") and 'route="/v1/lookup"' in line
            ]
            assert counted == [
                'idgraph_http_requests_total{method="GET",route="/v1/lookup",status="200"} 20.0'
            ]

            digest = cli.run("keys", "list").stdout.split()[0]
            cli.run("keys", "revoke", digest)
            time.sleep(0.6)
            assert {_get(lookup, key)[0] for _ in range(10)} == {401}

    def test_the_access_log_names_route_templates_never_values(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        cli.load(ndjson(tmp_path / "ann.ndjson", [obs(("email", "ann@example.com"))]))
        key = cli.run("keys", "create", "--role", "reader").stdout.splitlines()[-1]
        log: list[str] = []
        with served(cli, output=log) as base:
            found = _get(f"{base}/v1/lookup?type=email&value=ann%40example.com", key)
            profile_id = json.loads(found[1])["id"]
            fetched = _get(f"{base}/v1/profiles/{profile_id}", key)
            assert (found[0], fetched[0]) == (200, 200)
        (out,) = log
        assert [line.split()[1:4] for line in out.splitlines() if "/v1/" in line] == [
            ["GET", "/v1/lookup", "200"],
            ["GET", "/v1/profiles/{profile_id}", "200"],
        ]
        assert "ann" not in out and profile_id not in out


@contextlib.contextmanager
def served(
    cli: Cli, *args: str, config: Path | None = None, output: list[str] | None = None
) -> Iterator[str]:
    """``idgraph [--config CONFIG] serve ARGS`` on a free port until the block ends (then
    SIGINT, and it must exit cleanly); yields its base URL. ``output``: gets what it wrote
    to standard output (its access log)."""
    port = _free_port()
    configured = ["--config", config] if config else []
    server = subprocess.Popen(
        cli.command(*configured, "serve", "--port", str(port), *args),
        env=cli.env(),
        cwd=cli.workdir,
        stdout=subprocess.DEVNULL if output is None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGINT)
        out, errors = server.communicate(timeout=TIMEOUT)
    assert server.returncode == 0, errors
    if output is not None:
        output.append(out)


class TestExportToAClosedPipe:
    @pytest.fixture
    def store_name(self) -> str:
        """About the command's output, not the store."""
        return "embedded"

    def test_a_reader_that_goes_away_ends_the_export_quietly(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        cli.load(ndjson(tmp_path / "ann.ndjson", [obs(("email", "ann@example.com"))]))
        export = subprocess.Popen(
            cli.command("export", "-"),
            env=cli.env(),
            cwd=cli.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert export.stdout is not None and export.stderr is not None
        export.stdout.close()  # before the command has written anything
        errors = export.stderr.read()
        export.stderr.close()
        assert export.wait(timeout=TIMEOUT) == 141
        assert b"Traceback" not in errors and b"BrokenPipe" not in errors
