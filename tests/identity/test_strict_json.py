"""The one JSON reading of input: I-JSON within limits, or a refusal named ROOT.RULE."""

from __future__ import annotations

import io

import pytest

from identity.errors import Refusal
from identity.strict_json import (
    MAX_DEPTH,
    MAX_LINE_BYTES,
    decode_document,
    ndjson_documents,
)


def refused(raw: bytes | str, max_items: int | None = None) -> tuple[str, object, str]:
    found = decode_document(raw, "line", max_items)
    assert isinstance(found, Refusal), found
    assert found.message
    return found.field, found.value, found.rule


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


class TestDecodeDocument:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            pytest.param(b'{"a": [1, 2.5, "x"]}', {"a": [1, 2.5, "x"]}, id="an object"),
            pytest.param(b'\xef\xbb\xbf{"a": 1}', {"a": 1}, id="a leading byte order mark"),
            pytest.param('"\\ud83d\\ude00"', "\U0001f600", id="a surrogate pair"),
            pytest.param(b'{"a": "\\u0000"}', {"a": "\x00"}, id="an escaped NUL is JSON"),
            pytest.param(b"1" * 64, int("1" * 64), id="a number of 64 digits"),
            pytest.param(b"1e308", 1e308, id="the largest double range"),
            pytest.param(nested(MAX_DEPTH - 1), ..., id="nesting up to the limit"),
        ],
    )
    def test_decodes(self, raw: bytes | str, expected: object) -> None:
        found = decode_document(raw, "line")
        assert not isinstance(found, Refusal)
        if expected is not ...:
            assert found == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            pytest.param(
                b'{"v": "\\ud800"}', ("line.v", "\\ud800", "line.surrogate"), id="a lone surrogate"
            ),
            pytest.param(
                b'{"\\udfff": 1}', ("line", "\\udfff", "line.surrogate"), id="a lone surrogate name"
            ),
            pytest.param(
                b'[{"a": ["x", "\\uDC00"]}]',
                ("line[0].a[1]", "\\udc00", "line.surrogate"),
                id="a low surrogate deep inside",
            ),
            pytest.param(
                b'{"n": ' + b"9" * 5000 + b"}",
                ("line", "9" * 80 + "...", "line.number"),
                id="an integer of 5,000 digits",
            ),
            pytest.param(b'{"n": NaN}', ("line", "NaN", "line.number"), id="NaN"),
            pytest.param(b'{"n": -Infinity}', ("line", "-Infinity", "line.number"), id="-Infinity"),
            pytest.param(b'{"n": 1e999}', ("line", "1e999", "line.number"), id="1e999"),
            pytest.param(
                b'{"a": 1, "a": 2}', ("line", "a", "line.duplicate_key"), id="a name twice"
            ),
            pytest.param(b"\xff\xfe{}", ("line", "b'\\xff\\xfe{}'", "line.utf8"), id="not UTF-8"),
            pytest.param(
                '{"a": 1}'.encode("utf-16"), (..., ..., "line.utf8"), id="UTF-16 with its BOM"
            ),
            pytest.param(b'{"a": 1', ("line", '{"a": 1', "line.json"), id="cut short"),
            pytest.param(b'{"a": "\x01"}', (..., ..., "line.json"), id="a raw control character"),
            pytest.param(b"", ("line", "", "line.json"), id="empty"),
        ],
    )
    def test_refuses(self, raw: bytes, expected: tuple[object, object, str]) -> None:
        found = refused(raw)
        assert [f if e is ... else e for f, e in zip(found, expected, strict=True)] == list(found)

    @pytest.mark.parametrize(
        "depth", [pytest.param(MAX_DEPTH + 1, id="one past"), pytest.param(100_000, id="100,000")]
    )
    def test_refuses_deep_nesting(self, depth: int) -> None:
        assert refused(nested(depth))[2] == "line.depth"

    def test_refuses_deep_arrays_by_their_path(self) -> None:
        field, value, rule = refused(b'{"p": ' + b"[" * 40 + b"]" * 40 + b"}")
        assert (field, value, rule) == ("line.p" + "[0]" * (MAX_DEPTH - 1), MAX_DEPTH, "line.depth")

    def test_max_items_bounds_every_array_and_object(self) -> None:
        assert decode_document(b"[[1, 2], {}]", "body", 2) == [[1, 2], {}]
        assert refused(b"[[1, 2, 3]]", 2) == ("line[0]", 3, "line.max_items")
        assert refused(b'{"a": 1, "b": 2, "c": 3}', 2) == ("line", 3, "line.max_items")

    def test_the_root_names_the_document(self) -> None:
        found = decode_document(b"{", "body")
        assert isinstance(found, Refusal)
        assert (found.field, found.rule) == ("body", "body.json")

    def test_every_refusal_encodes_as_utf8(self) -> None:
        for raw in (b'"\\ud800"', b'{"\\ud800": 1}', b"\xed\xa0\x80"):
            found = decode_document(raw, "line")
            assert isinstance(found, Refusal)
            str(found.value).encode("utf-8")


class TestNdjsonDocuments:
    def test_numbers_lines_and_skips_blank_ones(self) -> None:
        stream = io.BytesIO(b'{"a": 1}\n\n  \n[1]\r\n{"b": NaN}\n{"c": 2}')
        found = list(ndjson_documents(stream))
        assert [n for n, _ in found] == [1, 4, 5, 6]
        assert found[0][1] == {"a": 1}
        assert found[1][1] == [1]
        assert isinstance(found[2][1], Refusal)
        assert found[3][1] == {"c": 2}

    def test_a_line_over_the_limit_is_refused_and_the_next_read(self) -> None:
        long_line = b'{"a": "' + b"x" * (2 * MAX_LINE_BYTES) + b'"}\n'
        found = list(ndjson_documents(io.BytesIO(long_line + b'{"b": 1}\n')))
        assert len(found) == 2
        number, refusal = found[0]
        assert isinstance(refusal, Refusal)
        assert (number, refusal.rule) == (1, "line.max_bytes")
        assert found[1] == (2, {"b": 1})
