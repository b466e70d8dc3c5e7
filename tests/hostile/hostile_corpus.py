"""The hostile-input corpus: what an attacker or a careless export sends, one observation
line each, with the outcome the loader must give it.

Every entry is an NDJSON line as bytes (some are not UTF-8, some not JSON) and the rules
the refusal (or warning) must name. ``status`` is the reject file's: ``rejected`` (the
line stored nothing), ``accepted_in_part`` (stored without the refused parts; over HTTP,
where items are all-or-nothing, a rejection), ``accepted_with_warnings`` (stored,
flagged) or ``accepted`` (stored, nothing to report).

``good_line(n)`` is the good observation placed after each hostile one: every one of
them must be stored, whatever the line before it did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

REJECTED = "rejected"
IN_PART = "accepted_in_part"
WARNED = "accepted_with_warnings"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class Hostile:
    name: str
    line: bytes
    status: str
    rules: tuple[str, ...] = ()
    """Each must be among the line's refusals (or warnings, for ``WARNED``)."""

    @property
    def decodes(self) -> bool:
        """Whether the line is a JSON document at all (else it is refused as a line)."""
        return not any(r.startswith("line.") for r in self.rules)


def good_line(n: int) -> bytes:
    return json.dumps(
        {
            "source": "good",
            "observed_at": "2026-01-02T03:04:05Z",
            "identifiers": [{"type": "cookie", "value": f"good-{n}"}],
        }
    ).encode()


def good_key(n: int) -> str:
    return f"cookie:good-{n}"


_BASE: dict[str, object] = {
    "source": "crm",
    "observed_at": "2026-01-02T03:04:05Z",
    "identifiers": [{"type": "cookie", "value": "hostile-1"}],
}
_HOLE = "__HOLE__"


def _with(**fields: object) -> bytes:
    """The base observation with fields replaced (``...`` drops one)."""
    data = {**_BASE, **fields}
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


def _raw(text: str, **fields: object) -> bytes:
    """The base observation with raw JSON text where a field holds ``_HOLE``."""
    return _with(**fields).replace(f'"{_HOLE}"'.encode(), text.encode())


def _identifier(kind: object, value: object) -> list[dict[str, object]]:
    return [{"type": kind, "value": value}]


def _consent(**statement: object) -> list[dict[str, object]]:
    return [{"purpose": "email", "status": "denied", **statement}]


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


CORPUS: tuple[Hostile, ...] = (
    # --- bytes and encodings ------------------------------------------------------------
    Hostile("invalid UTF-8", b'{"source": "crm\xff"}', REJECTED, ("line.utf8",)),
    Hostile("an overlong UTF-8 slash", b'{"source": "\xc0\xaf"}', REJECTED, ("line.utf8",)),
    Hostile("an encoded surrogate", b'{"source": "\xed\xa0\x80"}', REJECTED, ("line.utf8",)),
    Hostile("a UTF-16 line", '{"source": 1}'.encode("utf-16"), REJECTED, ("line.utf8",)),
    Hostile(
        "a UTF-16 line without its mark",
        '{"source": 1}'.encode("utf-16-le"),
        REJECTED,
        ("line.json",),
    ),
    Hostile("a byte order mark before the object", b"\xef\xbb\xbf" + _with(), ACCEPTED),
    Hostile("a raw NUL byte", _with()[:-1] + b"\x00}", REJECTED, ("line.json",)),
    Hostile(
        "a raw control character in a string",
        _with(source="cr\x01m").replace(b"\\u0001", b"\x01"),
        REJECTED,
        ("line.json",),
    ),
    Hostile(
        "an escaped NUL in the only identifier",
        _with(identifiers=_identifier("cookie", "ck\x00")),
        REJECTED,
        ("identifiers.one_valid", "identifier.no_nul"),
    ),
    Hostile(
        "a terminal escape in an attribute",
        _with(attributes={"first_name": "Ann\x1b[2J"}),
        IN_PART,
        ("attributes.text",),
    ),
    # --- JSON that Python reads but no store can hold ------------------------------------
    Hostile(
        "a lone surrogate in an identifier",
        _raw('"\\ud800"', identifiers=_identifier("cookie", _HOLE)),
        REJECTED,
        ("line.surrogate",),
    ),
    Hostile(
        "a lone surrogate as the source",
        _raw('"\\udfff"', source=_HOLE),
        REJECTED,
        ("line.surrogate",),
    ),
    Hostile(
        "a lone surrogate as an attribute name",
        _raw('{"\\ud800": "x"}', attributes=_HOLE),
        REJECTED,
        ("line.surrogate",),
    ),
    Hostile(
        "an integer of 5,000 digits",
        _raw("9" * 5000, attributes=_HOLE),
        REJECTED,
        ("line.number",),
    ),
    Hostile(
        "an integer of 5,000 digits as authenticated",
        _raw("1" * 5000, authenticated=_HOLE),
        REJECTED,
        ("line.number",),
    ),
    Hostile("nesting 100,000 deep", _deep(100_000).encode(), REJECTED, ("line.depth",)),
    Hostile(
        "a consent proof nested 40 deep",
        _raw(_deep(40), consent=_consent(proof=_HOLE)),
        REJECTED,
        ("line.depth",),
    ),
    Hostile(
        "attributes nested 40 deep",
        _raw(_deep(40), attributes=_HOLE),
        REJECTED,
        ("line.depth",),
    ),
    Hostile("NaN", _raw("NaN", attributes={"age": _HOLE}), REJECTED, ("line.number",)),
    Hostile("Infinity", _raw("Infinity", attributes={"age": _HOLE}), REJECTED, ("line.number",)),
    Hostile("-Infinity", _raw("-Infinity", attributes={"a": _HOLE}), REJECTED, ("line.number",)),
    Hostile("1e999", _raw("1e999", attributes={"age": _HOLE}), REJECTED, ("line.number",)),
    Hostile(
        "the source given twice",
        _with()[:-1] + b', "source": "other"}',
        REJECTED,
        ("line.duplicate_key",),
    ),
    Hostile("JSON cut short", _with()[:-5], REJECTED, ("line.json",)),
    Hostile("garbage after the object", _with() + b" {}", REJECTED, ("line.json",)),
    Hostile("a JSON array", b"[1, 2, 3]", REJECTED, ("observation.object",)),
    Hostile("a bare string", b'"ann@example.com"', REJECTED, ("observation.object",)),
    Hostile("null", b"null", REJECTED, ("observation.object",)),
    Hostile("an empty object", b"{}", REJECTED, ("source.required",)),
    # --- times --------------------------------------------------------------------------
    Hostile(
        "year 1 moved out of the calendar by its offset",
        _with(observed_at="0001-01-01T00:00:00+14:00"),
        REJECTED,
        ("observed_at.range",),
    ),
    Hostile(
        "year 9999 moved out of the calendar by its offset",
        _with(observed_at="9999-12-31T23:59:59-14:00"),
        REJECTED,
        ("observed_at.range",),
    ),
    Hostile("year 1", _with(observed_at="0001-01-01T00:00:00Z"), REJECTED, ("observed_at.range",)),
    Hostile("1899", _with(observed_at="1899-12-31T23:59:59Z"), REJECTED, ("observed_at.range",)),
    Hostile(
        "month 13", _with(observed_at="2026-13-01T00:00:00Z"), REJECTED, ("observed_at.iso8601",)
    ),
    Hostile(
        "an offset of 24 hours",
        _with(observed_at="2026-01-02T03:04:05+24:00"),
        REJECTED,
        ("observed_at.iso8601",),
    ),
    Hostile("the largest offset", _with(observed_at="2026-01-02T03:04:05+23:59"), ACCEPTED),
    Hostile(
        "the year 2999",
        _with(observed_at="2999-01-01T00:00:00Z"),
        REJECTED,
        ("observed_at.not_future",),
    ),
    Hostile("an empty time", _with(observed_at=""), REJECTED, ("observed_at.iso8601",)),
    Hostile(
        "a time as a number", _with(observed_at=1767323045), REJECTED, ("observed_at.iso8601",)
    ),
    Hostile("a time as a list", _with(observed_at=["2026"]), REJECTED, ("observed_at.iso8601",)),
    Hostile(
        "a consent time out of the calendar",
        _with(consent=_consent(at="0001-01-01T00:00:00+14:00")),
        IN_PART,
        ("consent.at_range",),
    ),
    Hostile(
        "a consent time in 1066",
        _with(consent=_consent(at="1066-10-14T09:00:00Z")),
        IN_PART,
        ("consent.at_range",),
    ),
    Hostile("a consent time as a list", _with(consent=_consent(at=[1])), IN_PART, ("consent.at",)),
    # --- sizes --------------------------------------------------------------------------
    Hostile(
        "a line of 2 MiB", _with(source="x" * (2 * 1024 * 1024)), REJECTED, ("line.max_bytes",)
    ),
    Hostile(
        "an identifier of 10,000 characters",
        _with(identifiers=_identifier("cookie", "c" * 10_000)),
        REJECTED,
        ("identifier.max_length",),
    ),
    Hostile("a source of 1,000 characters", _with(source="s" * 1000), REJECTED, ("source.format",)),
    Hostile(
        "an attribute of 10,000 characters",
        _with(attributes={"city": "c" * 10_000}),
        IN_PART,
        ("attributes.text",),
    ),
    Hostile(
        "21 identifiers",
        _with(identifiers=[{"type": "cookie", "value": f"c{i}"} for i in range(21)]),
        REJECTED,
        ("identifiers.max_items",),
    ),
    Hostile(
        "20,000 identifiers",
        _with(identifiers=[{"type": "cookie", "value": "c"}] * 20_000),
        REJECTED,
        ("identifiers.max_items",),
    ),
    Hostile(
        "3,600 consent statements",
        _with(consent=_consent() * 3600),
        REJECTED,
        ("consent.max_items",),
    ),
    Hostile(
        "10,000 attributes",
        _with(attributes={f"a{i}": "x" for i in range(10_000)}),
        REJECTED,
        ("attributes.max_items",),
    ),
    Hostile(
        "a consent proof of 500 KB",
        _with(consent=_consent(proof={"scan": "x" * 500_000})),
        IN_PART,
        ("consent.proof_size",),
    ),
    Hostile(
        "a consent proof of 5 MB",
        _with(consent=_consent(proof={"scan": "x" * 5_000_000})),
        REJECTED,
        ("line.max_bytes",),
    ),
    # --- wrong types for every field -----------------------------------------------------
    Hostile("the source as a number", _with(source=42), REJECTED, ("source.format",)),
    Hostile("the source as an object", _with(source={"a": 1}), REJECTED, ("source.format",)),
    Hostile("the source as null", _with(source=None), REJECTED, ("source.required",)),
    Hostile(
        "authenticated as a string",
        _with(authenticated="true"),
        REJECTED,
        ("authenticated.boolean",),
    ),
    Hostile(
        "authenticated as a list", _with(authenticated=[True]), REJECTED, ("authenticated.boolean",)
    ),
    Hostile(
        "identifiers as an object",
        _with(identifiers={"type": "cookie"}),
        REJECTED,
        ("identifiers.list",),
    ),
    Hostile("identifiers as null", _with(identifiers=None), REJECTED, ("identifiers.list",)),
    Hostile(
        "an identifier as a string",
        _with(identifiers=["cookie:c1"]),
        REJECTED,
        ("identifiers.one_valid", "identifier.shape"),
    ),
    Hostile(
        "an identifier type as a list",
        _with(identifiers=_identifier(["cookie"], "c1")),
        REJECTED,
        ("identifier.known_type",),
    ),
    Hostile(
        "an identifier type as an object",
        _with(identifiers=_identifier({"t": 1}, "c1")),
        REJECTED,
        ("identifier.known_type",),
    ),
    Hostile(
        "an identifier value as a number",
        _with(identifiers=_identifier("phone", 2125550100)),
        REJECTED,
        ("identifier.string",),
    ),
    Hostile(
        "an identifier value as an object",
        _with(identifiers=_identifier("email", {"v": "a@b.c"})),
        REJECTED,
        ("identifier.string",),
    ),
    Hostile("attributes as a list", _with(attributes=["Ann"]), IN_PART, ("attributes.object",)),
    Hostile("attributes as a string", _with(attributes="Ann"), IN_PART, ("attributes.object",)),
    Hostile(
        "an attribute as an object",
        _with(attributes={"city": {"n": 1}}),
        IN_PART,
        ("attributes.scalar",),
    ),
    Hostile(
        "an attribute as a boolean",
        _with(attributes={"city": True}),
        IN_PART,
        ("attributes.scalar",),
    ),
    Hostile(
        "a date of birth as a number (ISO 8601's basic form)",
        _with(attributes={"date_of_birth": 19800131}),
        ACCEPTED,
    ),
    Hostile(
        "a date of birth as a number of days",
        _with(attributes={"date_of_birth": 3652}),
        IN_PART,
        ("attributes.date_of_birth.format",),
    ),
    Hostile(
        "a date of birth in year 1",
        _with(attributes={"date_of_birth": "0001-01-01"}),
        IN_PART,
        ("attributes.date_of_birth.range",),
    ),
    Hostile(
        "a country as a number",
        _with(attributes={"country": 840}),
        IN_PART,
        ("attributes.country.iso3166",),
    ),
    Hostile(
        "consent as an object", _with(consent={"purpose": "email"}), IN_PART, ("consent.list",)
    ),
    Hostile("a statement as a string", _with(consent=["denied"]), IN_PART, ("consent.object",)),
    Hostile(
        "a purpose as a list",
        _with(consent=_consent(purpose=["email"])),
        IN_PART,
        ("consent.purpose",),
    ),
    Hostile(
        "a purpose as an object",
        _with(consent=_consent(purpose={"p": 1})),
        IN_PART,
        ("consent.purpose",),
    ),
    Hostile(
        "a status as a number", _with(consent=_consent(status=1)), IN_PART, ("consent.status",)
    ),
    Hostile(
        "a subject as a string",
        _with(consent=_consent(subject="c1")),
        IN_PART,
        ("consent.subject",),
    ),
    Hostile(
        "a subject type as a list",
        _with(consent=_consent(subject={"type": ["cookie"], "value": "hostile-1"})),
        IN_PART,
        ("identifier.known_type",),
    ),
    Hostile(
        "a proof as a string", _with(consent=_consent(proof="signed")), IN_PART, ("consent.proof",)
    ),
    Hostile("a proof as a list", _with(consent=_consent(proof=[1])), IN_PART, ("consent.proof",)),
    # --- look-alikes --------------------------------------------------------------------
    Hostile(
        "an email with a Cyrillic a",
        _with(identifiers=_identifier("email", "p\u0430ypal@example.com")),
        WARNED,
        ("identifier.mixed_script",),
    ),
    Hostile(
        "a punycode domain of a Cyrillic look-alike",
        _with(identifiers=_identifier("email", "ann@xn--pypal-4ve.com")),
        WARNED,
        ("identifier.mixed_script",),
    ),
    Hostile(
        "a handle in Cyrillic letters that read as Latin",
        _with(identifiers=_identifier("social", "instagram/\u0430\u0440\u0435")),
        WARNED,
        ("identifier.confusable",),
    ),
    Hostile(
        "an email in fullwidth letters",
        _with(identifiers=_identifier("email", "\uff41\uff4e\uff4e@example.com")),
        ACCEPTED,
    ),
)


def ndjson_corpus() -> bytes:
    """Every hostile line, each followed by good line ``i`` (lines ``2i+1`` and ``2i+2``)."""
    return b"".join(h.line + b"\n" + good_line(i) + b"\n" for i, h in enumerate(CORPUS))


# --- CSV --------------------------------------------------------------------------------

CSV_HEADER = b"source,observed_at,cookie,first_name"


def good_csv_row(n: int) -> bytes:
    return f"good,2026-01-02T03:04:05Z,good-csv-{n},Ann".encode()


def good_csv_key(n: int) -> str:
    return f"cookie:good-csv-{n}"


@dataclass(frozen=True)
class HostileRow:
    name: str
    row: bytes
    status: str
    rules: tuple[str, ...] = ()


CSV_CORPUS: tuple[HostileRow, ...] = (
    HostileRow("an unclosed quote", b'crm,2026-01-02T03:04:05Z,"ck-1,Ann', REJECTED, ("line.csv",)),
    HostileRow("a quote in the middle", b'crm,2026-01-02T03:04:05Z,ck-"2",Ann', ACCEPTED),
    HostileRow(
        "text after a closing quote",
        b'crm,2026-01-02T03:04:05Z,"ck-3"x,Ann',
        ACCEPTED,
    ),
    HostileRow(
        "too many cells", b"crm,2026-01-02T03:04:05Z,ck-4,Ann,extra", REJECTED, ("line.columns",)
    ),
    HostileRow("too few cells", b"crm,2026-01-02T03:04:05Z,ck-5", REJECTED, ("line.columns",)),
    HostileRow("invalid UTF-8", b"crm,2026-01-02T03:04:05Z,ck-\xff,Ann", REJECTED, ("line.utf8",)),
    HostileRow(
        "a NUL in the only identifier",
        b"crm,2026-01-02T03:04:05Z,ck\x006,Ann",
        REJECTED,
        ("identifier.no_nul",),
    ),
    HostileRow(
        "a field of 200 KB",
        b'crm,2026-01-02T03:04:05Z,ck-7,"' + b"x" * 200_000 + b'"',
        REJECTED,
        ("line.csv",),
    ),
    HostileRow(
        "year 1 out of the calendar",
        b"crm,0001-01-01T00:00:00+14:00,ck-8,Ann",
        REJECTED,
        ("observed_at.range",),
    ),
    HostileRow(
        "a quoted field over lines",
        b'crm,2026-01-02T03:04:05Z,ck-9,"Ann\nMarie"',
        ACCEPTED,
    ),
    HostileRow(
        "a control character in a name",
        b"crm,2026-01-02T03:04:05Z,ck-10,Ann\x1b[2J",
        IN_PART,
        ("attributes.text",),
    ),
    HostileRow(
        "a Cyrillic look-alike cookie",
        "crm,2026-01-02T03:04:05Z,\u0441\u043e\u0440,Ann".encode(),
        WARNED,
        ("identifier.confusable",),
    ),
)


def csv_corpus(line_end: bytes = b"\n") -> tuple[bytes, list[int]]:
    """A byte order mark, the header, then every hostile row followed by good row ``i``;
    with the line number each hostile row starts on."""
    rows = [CSV_HEADER]
    starts: list[int] = []
    line = 2
    for i, hostile in enumerate(CSV_CORPUS):
        starts.append(line)
        rows += [hostile.row, good_csv_row(i)]
        line += hostile.row.count(b"\n") + 2
    return b"\xef\xbb\xbf" + line_end.join(rows) + line_end, starts
