"""CSV records read so that one broken record costs only itself.

``csv.reader`` over a whole file lets one stray quote swallow every following line into
a single field, and one undecodable byte spoil the rest of a text buffer. Here each
physical line is decoded on its own (UTF-8, a byte order mark on the first line dropped)
and fed to the reader one by one; a record that fails (unreadable, more than
``MAX_RECORD_LINES`` lines, the wrong number of cells, or a line break in a column that
never holds one) is refused at its first line, and the lines after that one are read
again as records of their own, so a good line after a broken one still loads. (An
unclosed quote that happens to swallow whole lines into one column that may hold line
breaks, and to end with the header's number of cells, is the one case CSV itself
cannot tell from a real record.)
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Container, Iterator
from typing import IO

from identity.errors import Refusal
from identity.strict_json import bounded_lines

MAX_RECORD_LINES = 20
"""Most physical lines one record may span (a quoted address with line breaks)."""

_BOM = "\ufeff"


class _Interrupted(Exception):
    """Raised from the line feed to stop the reader: with a refusal of one line that
    cannot start a record, or without one when the record being read is broken."""

    def __init__(self, line: int = 0, refusal: Refusal | None = None) -> None:
        super().__init__()
        self.line = line
        self.refusal = refusal


class _LineFeed:
    """The decoded physical lines, remembering those of the current record so that a
    broken record's later lines can be given back and read again."""

    def __init__(self, stream: IO[bytes], decode: Callable[[int, bytes], str | Refusal]) -> None:
        self._source = _split_carriage_returns(bounded_lines(stream))
        self._decode = decode
        self._again: deque[tuple[int, bytes | Refusal]] = deque()
        self._record: list[tuple[int, bytes | Refusal]] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        number, raw = self._again.popleft() if self._again else next(self._source)
        text: str | Refusal = raw if isinstance(raw, Refusal) else self._decode(number, raw)
        if self._record and (isinstance(text, Refusal) or len(self._record) >= MAX_RECORD_LINES):
            self._again.appendleft((number, raw))
            raise _Interrupted()
        if isinstance(text, Refusal):
            raise _Interrupted(number, text)
        self._record.append((number, raw))
        return text.removeprefix(_BOM) if number == 1 else text

    @property
    def first_line(self) -> int:
        return self._record[0][0]

    @property
    def last_line(self) -> int:
        return self._record[-1][0]

    def start_record(self) -> None:
        self._record = []

    def read_again_after_first(self) -> None:
        """Give back every line of the current record but its first."""
        self._again.extendleft(reversed(self._record[1:]))


def csv_records(
    stream: IO[bytes],
    breaks_allowed: Callable[[list[str]], Container[int]],
    decode: Callable[[int, bytes], str | Refusal] | None = None,
) -> Iterator[tuple[int, list[str] | Refusal]]:
    """Each record's first line number with its cells (the first record is the header),
    or the refusal of a broken record. Cell counts are checked against the header, and
    line breaks against ``breaks_allowed(header)``: the positions of the columns that may
    hold them. Blank records are passed on as they are. ``decode``: a physical line's
    text, or the refusal of a line that does not decode (default: UTF-8)."""
    feed = _LineFeed(stream, decode or _decoded)
    reader = csv.reader(feed)
    width: int | None = None
    may_break: Container[int] = ()
    while True:
        feed.start_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _Interrupted as e:
            if e.refusal is not None:
                yield e.line, e.refusal
                continue
            yield feed.first_line, _unclosed(feed.first_line, feed.last_line)
            feed.read_again_after_first()
            continue
        except csv.Error as e:
            yield feed.first_line, Refusal("line", "", "line.csv", f"not readable CSV: {e}")
            feed.read_again_after_first()
            continue
        if width is None:
            width = len(cells)
            may_break = breaks_allowed(cells)
        elif any(("\n" in c or "\r" in c) and i not in may_break for i, c in enumerate(cells)):
            yield feed.first_line, _unclosed(feed.first_line, feed.last_line)
            feed.read_again_after_first()
            continue
        elif len(cells) != width and any(c.strip() for c in cells):
            yield (
                feed.first_line,
                Refusal(
                    "line",
                    ",".join(cells)[:200],
                    "line.columns",
                    f"{len(cells)} cells, the header has {width}",
                ),
            )
            feed.read_again_after_first()
            continue
        yield feed.first_line, cells


def _decoded(_number: int, raw: bytes) -> str | Refusal:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return Refusal("line", repr(raw[:80]), "line.utf8", f"not UTF-8: {e}")


def _unclosed(first: int, last: int) -> Refusal:
    return Refusal(
        "line",
        f"lines {first} to {last}",
        "line.csv",
        f"a quoted field is not closed within {MAX_RECORD_LINES} lines, before a line"
        " that cannot be read, or before a line break in a column that holds none",
    )


def _split_carriage_returns(
    lines: Iterator[tuple[int, bytes | Refusal]],
) -> Iterator[tuple[int, bytes | Refusal]]:
    """Lines ended by a lone carriage return (old Mac files) split into lines of their
    own, numbered anew so that numbers stay physical lines."""
    number = 0
    for _, raw in lines:
        if isinstance(raw, Refusal) or b"\r" not in raw.rstrip(b"\r\n"):
            number += 1
            yield number, raw
            continue
        for piece in raw.splitlines(keepends=True):
            number += 1
            yield number, piece
