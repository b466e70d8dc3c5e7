"""``load_file`` in-process: what the loading process owns is released when a load fails."""

from __future__ import annotations

import io
import json
import multiprocessing
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from cli.loading import STORE_CHUNK, LoadReport, load_file, parsed_lines
from cli.worker_iteration import iterate_in_worker
from graph.embedded import EmbeddedStore
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


class _FailOnCall:
    def __init__(self, failing_call: int) -> None:
        self.calls: list[int] = []
        self._failing = failing_call

    def __call__(self, done_bytes: int, report: LoadReport) -> None:
        self.calls.append(report.observations_accepted)
        if len(self.calls) == self._failing:
            raise ProgressGone("the terminal went away")


def _profiles_without_ids(service: IdentityService) -> list[str]:
    """Each profile as exported, minus its ID and lineage (they depend on the batches)."""
    documents = []
    for profile in service.iter_profiles():
        document = profile.to_dict(with_lineage=False)
        del document["id"]
        documents.append(json.dumps(document, sort_keys=True))
    assert documents
    return sorted(documents)


class TestBatchesInChunks:
    def test_a_batch_is_stored_in_chunks_and_reports_progress_after_each(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        source = _observations(tmp_path / "cookies.ndjson", 6_000)
        progress = _FailOnCall(failing_call=0)
        report = load_file(service, source, io.StringIO(), batch_size=2_500, progress=progress)
        assert progress.calls == [1_000, 2_000, 2_500, 3_500, 4_500, 5_000, 6_000]
        assert report.observations_accepted == service.counts()["identifiers"] == 6_000
        assert report.profiles_created == 6_000

    def test_a_batch_fails_whole_when_a_later_chunk_of_it_fails(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        source = _observations(tmp_path / "cookies.ndjson", 6_000)
        with pytest.raises(ProgressGone):
            load_file(service, source, io.StringIO(), batch_size=2_500, progress=_FailOnCall(5))
        # The first batch (three chunks) is stored; of the second, whose first chunk was
        # stored before the failure, nothing.
        assert service.counts()["identifiers"] == 2_500

    def test_one_batch_in_chunks_gives_the_profiles_of_small_batches(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        raw, _ = generate(500, seed=3)
        source = tmp_path / "world.ndjson"
        source.write_text("".join(json.dumps(item) + "\n" for item in raw), encoding="utf-8")
        assert len(raw) > 2 * STORE_CHUNK
        load_file(service, source, io.StringIO(), batch_size=len(raw))

        other = tmp_path / "small-batches"
        small = IdentityService(EmbeddedStore(other), replace(service.settings, data_dir=other))
        try:
            load_file(small, source, io.StringIO(), batch_size=100)
            assert _profiles_without_ids(service) == _profiles_without_ids(small)
        finally:
            small.store.close()


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
