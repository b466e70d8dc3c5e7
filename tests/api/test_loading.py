"""``load_file`` in-process: what the loading process owns is released when a load fails."""

from __future__ import annotations

import io
import json
import multiprocessing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.loading import LoadReport, load_file, parsed_lines
from api.worker_iteration import iterate_in_worker
from identity.service import IdentityService


def _observations(path: Path, count: int) -> Path:
    path.write_text(
        "".join(
            json.dumps(
                {
                    "source": "crm",
                    "observed_at": "2026-01-02T03:04:05Z",
                    "identifiers": [{"type": "cookie", "value": f"ck-{i}"}],
                }
            )
            + "\n"
            for i in range(count)
        ),
        encoding="utf-8",
    )
    return path


class ProgressGone(Exception):
    pass


def _broken_progress(done_bytes: int, report: LoadReport) -> None:
    raise ProgressGone("the terminal went away")


class TestLoadFile:
    @pytest.mark.parametrize(
        "parse_worker",
        [
            pytest.param(False, id="parsed in this process"),
            pytest.param(True, id="parsed in a worker process"),
        ],
    )
    def test_a_load_that_fails_part_way_leaves_no_worker_and_keeps_its_batches(
        self, service: IdentityService, tmp_path: Path, parse_worker: bool
    ) -> None:
        # More lines than the queue holds: the worker is still at work when the load fails.
        source = _observations(tmp_path / "cookies.ndjson", 20_000)

        try:
            load_file(
                service,
                source,
                io.StringIO(),
                batch_size=100,
                progress=_broken_progress,
                parse_worker=parse_worker,
            )
        except ProgressGone:
            # Asked while the error is being handled, its traceback (and the load's
            # frame) alive: what a caller sees before it logs and moves on.
            running = multiprocessing.active_children()
        else:
            pytest.fail("the load went on after its progress callback failed")

        assert running == []
        assert service.counts()["identifiers"] == 100


_GOOD = json.dumps(
    {
        "source": "crm",
        "observed_at": "2026-01-02T03:04:05Z",
        "identifiers": [{"type": "email", "value": "Ann@Example.com"}],
        "attributes": {"first_name": "Ann", "date_of_birth": "1980-01-31"},
    }
)
# What a real export carries between its good lines.
_LINES = st.one_of(
    st.just(_GOOD),
    st.builds(
        lambda n: json.dumps(
            {
                "source": "web",
                "observed_at": "2026-01-03T00:00:00Z",
                "identifiers": [
                    {"type": "cookie", "value": f"ck-{n}"},
                    {"type": "phone", "value": "(212) 555-0100" if n % 2 else "555"},
                ],
            }
        ),
        st.integers(0, 50),
    ),
    st.just('{"source": "crm", "observed_at": '),
    st.just('{"source": "crm", "observed_at": "2026-01-02T03:04:05Z"}'),
    st.just(json.dumps({"source": "crm", "observed_at": "2026-01-02", "identifiers": []})),
    st.just(""),
    st.text(max_size=20).filter(lambda t: "\n" not in t and "\r" not in t),
)


class TestParsedLines:
    @pytest.fixture
    def store_name(self) -> str:
        """Parsing reads no store: one is enough."""
        return "embedded"

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(lines=st.lists(_LINES, max_size=60))
    def test_a_worker_yields_what_this_process_would(
        self, service: IdentityService, tmp_path: Path, lines: list[str]
    ) -> None:
        source = tmp_path / "export.ndjson"
        source.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")

        here = list(parsed_lines(service, source, "ndjson"))
        there = list(
            iterate_in_worker(lambda: parsed_lines(service, source, "ndjson"), chunk_size=7)
        )

        assert there == here
        assert [line.number for line in here] == [
            number for number, line in enumerate(lines, start=1) if line.encode().strip()
        ]
