"""The one reading of JSON input: I-JSON (RFC 7493) within limits, or a refusal.

Every document that comes in (an NDJSON line of ``idgraph load`` or of the bulk upload, an
HTTP request body) is decoded here, so a hostile document gets the same named refusal on
every path instead of a traceback, a misleading answer or a value no store can write:

- UTF-8 only; one leading byte order mark is ignored (RFC 8259 allows it);
- no lone surrogate escape (``"\\ud800"``): such a string cannot be written as UTF-8;
- no name twice in one object (which one counts differs between parsers);
- numbers: no ``NaN``/``Infinity`` literals, no float out of double range (``1e999``),
  no number longer than ``MAX_NUMBER_CHARS`` characters (Python refuses to convert
  integers of more than 4,300 digits, and no identity field needs a tenth of that);
- at most ``MAX_DEPTH`` levels of nesting (deeper documents would exhaust the stack of
  the parser, the worker pipe or the reject file's writer);
- optionally at most ``max_items`` members in any array or object (HTTP bodies, so a
  body of a million items is refused before a schema validator reports each of them).

Rule names are ``ROOT.RULE`` where ROOT names the document (``line`` or ``body``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import IO, Any

from identity.errors import Refusal

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64
MAX_LINE_BYTES = 1024 * 1024
"""Longest NDJSON line: far above the largest valid observation (20 identifiers of 512
characters, 50 consent statements with 4 KiB proofs), far below a memory problem."""

_BOM = "\ufeff"
# A ``\uD800``..``\uDFFF`` escape: only these decode to surrogates (raw UTF-8 cannot).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PREVIEW = 80


class _Refused(Exception):
    """Raised from the decoder's hooks; the caller turns it into a refusal."""

    def __init__(self, rule: str, value: object, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.value = value
        self.message = message


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _Refused(
                    "duplicate_key", name, f"the name {name!r} appears twice in one object"
                )
            seen.add(name)
    return members


def _number_text(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(
            "number", text[:_PREVIEW] + "...", f"a number of at most {MAX_NUMBER_CHARS} characters"
        )


def _integer(text: str) -> int:
    _number_text(text)
    return int(text)


def _float(text: str) -> float:
    _number_text(text)
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("number", text, "out of the range of a double-precision number")
    return value


def _constant(text: str) -> float:
    raise _Refused("number", text, f"{text} is not a JSON number")


_decoder = json.JSONDecoder(
    object_pairs_hook=_members,
    parse_int=_integer,
    parse_float=_float,
    parse_constant=_constant,
)


def decode_document(raw: bytes | str, root: str, max_items: int | None = None) -> object:
    """The decoded document, or a ``Refusal`` naming the first rule it breaks."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return Refusal(root, repr(raw[:_PREVIEW]), f"{root}.utf8", f"not UTF-8: {e}")
    else:
        text = raw
    if text.startswith(_BOM):
        text = text[1:]
    try:
        document = _decoder.decode(text)
    except _Refused as e:
        return Refusal(root, e.value, f"{root}.{e.rule}", e.message)
    except json.JSONDecodeError as e:
        return Refusal(root, text.strip()[:200], f"{root}.json", f"not JSON: {e}")
    except RecursionError:
        return Refusal(
            root, text.strip()[:_PREVIEW], f"{root}.depth", f"nested more than {MAX_DEPTH} levels"
        )
    needs_walk = (
        max_items is not None
        or text.count("[") + text.count("{") > MAX_DEPTH
        or _SURROGATE_ESCAPE.search(text) is not None
    )
    if needs_walk:
        problem = _inspect(document, root, max_items)
        if problem is not None:
            return problem
    return document


def _inspect(document: object, root: str, max_items: int | None) -> Refusal | None:
    """The first place (depth first, without recursion) that nests too deep, holds a
    lone surrogate or, with ``max_items``, has too many members."""
    pending: list[tuple[object, str, int]] = [(document, root, 0)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return _surrogate(root, path, value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            return Refusal(path, depth, f"{root}.depth", f"nested more than {MAX_DEPTH} levels")
        if max_items is not None and len(value) > max_items:
            return Refusal(
                path,
                len(value),
                f"{root}.max_items",
                f"at most {max_items:,} members in one array or object",
            )
        if isinstance(value, dict):
            for name, member in value.items():
                if _SURROGATE.search(name):
                    return _surrogate(root, path, name)
                pending.append((member, f"{path}.{name}", depth + 1))
        else:
            pending.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
    return None


def _surrogate(root: str, path: str, text: str) -> Refusal:
    return Refusal(
        path,
        text[:_PREVIEW].encode("utf-8", "backslashreplace").decode("utf-8"),
        f"{root}.surrogate",
        "a lone surrogate escape (such as \\ud800) is not a character",
    )


def bounded_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | Refusal]]:
    """Each line (its number from 1, the bytes with their line end); a line longer than
    ``MAX_LINE_BYTES`` is refused (``line.max_bytes``) without being held whole."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= MAX_LINE_BYTES:
            yield number, raw
            continue
        start = raw[:_PREVIEW]
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(MAX_LINE_BYTES)
        yield (
            number,
            Refusal(
                "line",
                start.decode("utf-8", "replace"),
                "line.max_bytes",
                f"longer than {MAX_LINE_BYTES:,} bytes",
            ),
        )


def ndjson_documents(stream: IO[bytes]) -> Iterator[tuple[int, object]]:
    """Each non-blank line's number and decoded document (or ``Refusal``)."""
    for number, raw in bounded_lines(stream):
        if isinstance(raw, Refusal):
            yield number, raw
        elif raw.strip():
            yield number, decode_document(raw, "line")
