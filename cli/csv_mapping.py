"""How a CSV row becomes an observation (documented in docs/ingest-format.md).

Columns, matched by header name (case-insensitive):

- ``source``, ``observed_at``, ``authenticated`` (true/false, yes/no, 1/0; empty = false);
- an identifier type name (``email``, ``phone``, ``cookie``, ``device``, ``social``,
  ``customer_id`` or a configured custom type), optionally with a suffix after a dot
  (``email.work``, ``phone.2``) for several of one type; empty cells are skipped;
- a person attribute (``first_name``, ``last_name``, ``date_of_birth``, ``address``,
  ``city``, ``postcode``, ``country`` ...) or ``attr.NAME`` for any other attribute;
- ``consent.PURPOSE`` (``consent.email``, ``consent.sms`` ...) with granted/denied/unknown:
  a statement about the whole profile the row resolves to, at ``observed_at``.

Other columns are reported once and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from identity.observation import KNOWN_ATTRIBUTES

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


@dataclass(frozen=True, slots=True)
class CsvMapping:
    identifiers: Mapping[str, str]
    attributes: Mapping[str, str]
    consent: Mapping[str, str]
    fixed: Mapping[str, str]
    ignored: tuple[str, ...]

    @classmethod
    def from_header(cls, header: Sequence[str], identifier_types: Sequence[str]) -> CsvMapping:
        identifiers: dict[str, str] = {}
        attributes: dict[str, str] = {}
        consent: dict[str, str] = {}
        fixed: dict[str, str] = {}
        ignored: list[str] = []
        for column in header:
            name = column.strip().lower()
            base = name.split(".", 1)[0]
            if name in ("source", "observed_at", "authenticated"):
                fixed[column] = name
            elif base in identifier_types:
                identifiers[column] = base
            elif name in KNOWN_ATTRIBUTES:
                attributes[column] = name
            elif name.startswith("attr.") and len(name) > 5:
                attributes[column] = name[5:]
            elif name.startswith("consent.") and len(name) > 8:
                consent[column] = name[8:]
            else:
                ignored.append(column)
        return cls(identifiers, attributes, consent, fixed, tuple(ignored))

    def to_observation(self, row: Mapping[str, str | None]) -> dict[str, object]:
        observation: dict[str, object] = {}
        for column, name in self.fixed.items():
            value = (row.get(column) or "").strip()
            if name == "authenticated":
                lowered = value.lower()
                observation[name] = (
                    True if lowered in _TRUE else False if lowered in _FALSE else value
                )
            elif value:
                observation[name] = value
        observation["identifiers"] = [
            {"type": kind, "value": value}
            for column, kind in self.identifiers.items()
            if (value := (row.get(column) or "").strip())
        ]
        observation["attributes"] = {
            name: value
            for column, name in self.attributes.items()
            if (value := (row.get(column) or "").strip())
        }
        observation["consent"] = [
            {"purpose": purpose, "status": value.lower()}
            for column, purpose in self.consent.items()
            if (value := (row.get(column) or "").strip())
        ]
        return observation
