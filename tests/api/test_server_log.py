"""The server's log as ``idgraph serve`` configures it (``api.serving.uvicorn_options``),
read from a live server: access lines by route template with status, time and caller,
and no email, phone, profile ID or other value of a request in any line, tracebacks
included."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browser_session import live_server

from api.app import create_app
from api.server_log import WithheldMessagesFormatter
from api.serving import uvicorn_options
from identity.access import Role, key_hash
from identity.service import IdentityService

ANN_EMAIL, ANN_PHONE = "ann.lee@example.com", "(212) 555-0100"
"""Ann's values and every form they could take in a log line."""
ANN_TRACES = ("ann.lee", "ann%2Elee", "example.com", "555-0100", "5550100", "555%29")
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "idgraph", "idgraph.access")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The served configuration replaces these loggers' handlers; put them back after."""
    saved = {
        name: (lg.handlers[:], lg.level, lg.propagate, lg.disabled)
        for name in LOGGERS
        for lg in [logging.getLogger(name)]
    }
    try:
        yield
    finally:
        for name, (handlers, level, propagate, disabled) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate, lg.disabled = propagate, disabled


@pytest.fixture
def ann(embedded_service: IdentityService) -> str:
    embedded_service.ingest(
        [
            embedded_service.parse(
                {
                    "source": "crm",
                    "observed_at": "2026-01-01T12:00:00Z",
                    "authenticated": True,
                    "identifiers": [
                        {"type": "email", "value": ANN_EMAIL},
                        {"type": "phone", "value": ANN_PHONE},
                    ],
                }
            ).observation
        ]
    )
    return embedded_service.lookup("email", ANN_EMAIL).id


@pytest.fixture
def reader_key(embedded_service: IdentityService) -> str:
    return embedded_service.keys.create(Role.READER.value)


def served_log(
    service: IdentityService,
    key: str,
    requests: list[tuple[str, str, dict[str, Any]]],
    **options: Any,
) -> list[httpx.Response]:
    """Send the requests to the app served as ``idgraph serve`` serves it."""
    headers = {"Authorization": f"Bearer {key}"}
    with live_server(create_app(service), **{**uvicorn_options(), **options}) as url:
        return [
            httpx.request(method, url + path, headers=headers, **extra)
            for method, path, extra in requests
        ]


def assert_no_trace_of_ann(text: str, ann: str) -> None:
    for trace in (*ANN_TRACES, ann):
        assert trace not in text, trace


class TestAccessLog:
    def test_lookups_and_profile_fetches_are_logged_by_template_without_values(
        self,
        embedded_service: IdentityService,
        ann: str,
        reader_key: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        answers = served_log(
            embedded_service,
            reader_key,
            [
                ("GET", "/v1/lookup", {"params": {"type": "email", "value": ANN_EMAIL}}),
                ("GET", "/v1/lookup", {"params": {"type": "phone", "value": ANN_PHONE}}),
                (
                    "GET",
                    "/v1/lookup",
                    {"params": {"type": "email", "value": "ann.lee@example.org"}},
                ),
                ("GET", "/v1/lookup", {"params": {"type": "email", "value": "ann.lee@"}}),
                ("GET", f"/v1/profiles/{ann}", {}),
                ("GET", f"/v1/profiles/{ann}x", {}),
                (
                    "POST",
                    "/v1/lookup/batch",
                    {"json": {"identifiers": [{"type": "email", "value": ANN_EMAIL}]}},
                ),
                ("GET", f"/v1/consent?type=email&value={ANN_EMAIL}&extra=555-0100", {}),
            ],
        )
        out, err = capsys.readouterr()

        assert [a.status_code for a in answers] == [200, 200, 404, 422, 200, 404, 200, 422]
        lines = [line.split()[1:5] for line in out.splitlines() if "/v1/" in line]
        assert [line[:3] for line in lines] == [
            ["GET", "/v1/lookup", "200"],
            ["GET", "/v1/lookup", "200"],
            ["GET", "/v1/lookup", "404"],
            ["GET", "/v1/lookup", "422"],
            ["GET", "/v1/profiles/{profile_id}", "200"],
            ["GET", "/v1/profiles/{profile_id}", "404"],
            ["POST", "/v1/lookup/batch", "200"],
            ["GET", "/v1/consent", "422"],
        ]
        assert all(line[3].endswith("ms") for line in lines)
        assert all(
            line.endswith(f"reader:{key_hash(reader_key)[:12]}")
            for line in out.splitlines()
            if "/v1/" in line
        )
        assert_no_trace_of_ann(out + err, ann)

    def test_a_caller_without_a_valid_key_is_logged_as_nobody(
        self, embedded_service: IdentityService, capsys: pytest.CaptureFixture[str]
    ) -> None:
        served_log(embedded_service, "idg_not-a-key", [("GET", "/v1/changes", {})])
        out, _ = capsys.readouterr()
        (line,) = [line for line in out.splitlines() if "/v1/" in line]
        assert line.split()[1:4] == ["GET", "/v1/changes", "401"]
        assert line.endswith(" -")

    def test_no_access_log_writes_no_access_lines(
        self,
        embedded_service: IdentityService,
        reader_key: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        served_log(
            embedded_service,
            reader_key,
            [("GET", "/v1/changes", {})],
            **uvicorn_options(access_log=False),
        )
        out, err = capsys.readouterr()
        assert "/v1/changes" not in out + err


class TestErrorLog:
    def test_an_unexpected_error_is_logged_without_its_message(
        self,
        embedded_service: IdentityService,
        ann: str,
        reader_key: str,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def broken(*_: object) -> object:
            try:
                raise KeyError(ANN_EMAIL)
            except KeyError as e:
                raise RuntimeError(f"no consent for {ANN_PHONE} of {ann}") from e

        monkeypatch.setattr(embedded_service, "consent_of", broken)
        (answer,) = served_log(
            embedded_service,
            reader_key,
            [("GET", "/v1/consent", {"params": {"type": "email", "value": ANN_EMAIL}})],
        )
        out, err = capsys.readouterr()

        assert answer.status_code == 500
        assert "builtins.RuntimeError (message withheld from the log)" in err
        assert "builtins.KeyError (message withheld from the log)" in err
        assert "in broken" in err, "the stack is kept"
        assert_no_trace_of_ann(out + err, ann)


class TestFormatter:
    def test_an_exception_group_withholds_every_message(self) -> None:
        try:
            raise ExceptionGroup(ANN_EMAIL, [ValueError(ANN_PHONE)])
        except ExceptionGroup as e:
            record = logging.LogRecord(
                "idgraph", logging.ERROR, __file__, 1, "failed", (), (type(e), e, e.__traceback__)
            )
        text = WithheldMessagesFormatter("%(message)s").format(record)
        assert "builtins.ExceptionGroup (message withheld" in text
        assert "builtins.ValueError (message withheld" in text
        assert "ann.lee" not in text and "555" not in text
