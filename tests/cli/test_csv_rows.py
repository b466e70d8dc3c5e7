"""CSV records read line by line: a broken record costs only itself."""

from __future__ import annotations

import io

import pytest

from cli.csv_rows import MAX_RECORD_LINES, csv_records
from identity.errors import Refusal


def records(content: bytes, breaks_allowed: set[int] | None = None) -> list[tuple[int, object]]:
    found = csv_records(io.BytesIO(content), lambda header: breaks_allowed or {2})
    return [(n, r.rule if isinstance(r, Refusal) else r) for n, r in found]


HEADER = b"id,kind,note\n"


class TestCsvRecords:
    def test_reads_records_with_the_line_each_starts_on(self) -> None:
        content = b"\xef\xbb\xbf" + HEADER + b'1,a,"two\nlines"\n2,b,x\n'
        assert records(content) == [
            (1, ["id", "kind", "note"]),
            (2, ["1", "a", "two\nlines"]),
            (4, ["2", "b", "x"]),
        ]

    @pytest.mark.parametrize(
        ("broken", "rule"),
        [
            pytest.param(b'1,"a,x\n', "line.csv", id="a quote that swallows the next line"),
            pytest.param(b"1,a\n", "line.columns", id="too few cells"),
            pytest.param(b"1,a,x,y\n", "line.columns", id="too many cells"),
            pytest.param(b"1,\xff,x\n", "line.utf8", id="not UTF-8"),
            pytest.param(b'1,a,"' + b"x" * 200_000 + b'"\n', "line.csv", id="a field over 128 KiB"),
        ],
    )
    def test_a_broken_record_is_refused_and_the_next_line_read(
        self, broken: bytes, rule: str
    ) -> None:
        content = HEADER + broken + b"2,b,x\n3,c,y\n"
        assert records(content)[1:] == [(2, rule), (3, ["2", "b", "x"]), (4, ["3", "c", "y"])]

    def test_a_quote_left_open_for_more_than_the_limit_is_refused_at_its_line(self) -> None:
        rest = b"".join(b"%d,b,x\n" % n for n in range(MAX_RECORD_LINES + 5))
        found = records(HEADER + b'1,a,"open\n' + rest)
        assert found[1] == (2, "line.csv")
        assert found[2:] == [(n + 3, [str(n), "b", "x"]) for n in range(MAX_RECORD_LINES + 5)]

    def test_lone_carriage_returns_end_lines(self) -> None:
        assert records(b"id,kind,note\r1,a,x\r2,b,y\r") == [
            (1, ["id", "kind", "note"]),
            (2, ["1", "a", "x"]),
            (3, ["2", "b", "y"]),
        ]
