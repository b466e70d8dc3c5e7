"""``load_file`` in-process: what the loading process owns is released when a load fails."""

from __future__ import annotations

import io
import json
import multiprocessing
from pathlib import Path

import pytest

from api.loading import LoadReport, load_file
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
