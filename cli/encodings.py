"""The text encoding of a file to load, checked before anything is stored.

Korean systems (Excel in Korea above all) write CSV in CP949 (a superset of EUC-KR);
most others write UTF-8. ``idgraph load --encoding`` names it (default UTF-8).
``check_encoding`` reads the whole file once, before the load stores anything:

- a byte order mark that contradicts the encoding, or a UTF-16 one, stops the load;
- lines that do not decode stop the load when the whole file decodes in another of the
  known encodings: the file is in that encoding, and loading it as declared would lose
  every line with a Korean letter (the message names the first bad line and the
  encoding to give);
- otherwise the undecodable lines are only noted: the load rejects each with its line
  number and reads the rest.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

ENCODINGS = {"utf-8": "utf-8", "cp949": "cp949", "euc-kr": "euc_kr"}
"""Name on the command line -> Python codec."""

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class EncodingMismatch(ValueError):
    """The file is not in the declared encoding: nothing may be loaded."""


@dataclass(frozen=True, slots=True)
class FileEncoding:
    codec: str
    """The Python codec to decode lines with."""
    bom: bool
    """The first line starts with a UTF-8 byte order mark (to strip)."""
    bad_lines: frozenset[int]
    """Line numbers (from 1) whose bytes do not decode."""


def codec_of(name: str) -> str:
    try:
        return ENCODINGS[name.lower()]
    except KeyError:
        raise EncodingMismatch(
            f"unknown encoding {name!r}; known: {', '.join(ENCODINGS)}"
        ) from None


def check_encoding(path: Path, name: str = "utf-8") -> FileEncoding:
    """See the module docstring; ``EncodingMismatch`` when the load must not start."""
    codec = codec_of(name)
    with path.open("rb") as stream:
        head = stream.read(4)
    if head.startswith(_UTF16_BOMS):
        raise EncodingMismatch(
            f"{path.name} is UTF-16 (byte order mark); save it as UTF-8 or CP949"
        )
    bom = head.startswith(codecs.BOM_UTF8)
    if bom and codec != "utf-8":
        raise EncodingMismatch(
            f"{path.name} starts with a UTF-8 byte order mark but --encoding {name} was"
            " given: load it with --encoding utf-8"
        )
    bad = _undecodable_lines(path, codec)
    if bad:
        for other_name, other in ENCODINGS.items():
            if other not in (codec, "euc_kr") and not _undecodable_lines(path, other):
                raise EncodingMismatch(
                    f"line {min(bad)} of {path.name} is not {name}, and the whole file"
                    f" reads as {other_name}: load it with --encoding {other_name}"
                    " (nothing was stored)"
                )
    return FileEncoding(codec, bom, frozenset(bad))


def _undecodable_lines(path: Path, codec: str) -> list[int]:
    bad: list[int] = []
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                raw.decode(codec)
            except UnicodeDecodeError:
                bad.append(number)
    return bad


def decode_line(raw: bytes, number: int, encoding: FileEncoding) -> str | None:
    """The line's text, or None when it does not decode."""
    if number == 1 and encoding.bom:
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode(encoding.codec)
    except UnicodeDecodeError:
        return None
