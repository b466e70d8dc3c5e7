"""A column-mapping file for ``idgraph load --columns map.toml``: any CSV header to a field,
any value to what idgraph understands (``examples/korean-columns.toml`` is one).

::

    [file]                      # values for every row that has no column for them
    source = "shop"
    observed_at = "2026-01-31T00:00:00+09:00"
    country = "KR"              # an attribute: local phone numbers are Korean
    date_formats = ["YYYY.MM.DD", "YYMMDD"]   # how the file writes birth dates

    [columns]                   # header -> field, as a CSV header would name it
    "회원번호" = "customer_id"
    "이름" = "full_name"
    "주소" = "address"
    "상세주소" = "address"       # a field named twice: the cells joined with a space
    "수신동의" = "consent.sms"

    [prefix]                    # text put before each non-empty cell of a column
    "회원번호" = "shop/"

    [values."수신동의"]          # a column's cell -> the value given to idgraph
    "동의" = "granted"
    "거부" = "denied"

Headers are matched after trimming, case-insensitively. Fields are those of a CSV header
(``cli.csv_mapping``): ``source``, ``observed_at``, ``authenticated``, an identifier type
(``email``, ``phone.home``), an attribute, ``attr.NAME``, ``consent.PURPOSE``. A column the
file has and the map does not name keeps its own header. ``date_formats`` are the formats
of the file's ``source`` (``identity.dates``), in force for this load.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from identity.dates import DateFormatError, check_formats

_SECTIONS = frozenset({"file", "columns", "prefix", "values"})


class ColumnMapError(ValueError):
    """The mapping file cannot be used: the message names the file, section and key."""


@dataclass(frozen=True, slots=True)
class ColumnMap:
    columns: Mapping[str, str] = field(default_factory=dict)
    """Header (trimmed, case-folded) -> field."""
    prefixes: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Header (trimmed, case-folded) -> cell (trimmed) -> value."""
    fixed: Mapping[str, str] = field(default_factory=dict)
    """Field -> value for every row without that field."""
    date_formats: tuple[str, ...] = ()

    @property
    def source(self) -> str | None:
        return self.fixed.get("source")

    @classmethod
    def read(cls, path: Path) -> ColumnMap:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ColumnMapError(f"{path}: {e}") from e
        unknown = set(raw) - _SECTIONS
        if unknown:
            raise ColumnMapError(f"{path}: unknown sections {sorted(unknown)}")
        file_part = dict(_table(raw, "file", path))
        formats = file_part.pop("date_formats", [])
        if not isinstance(formats, list):
            raise ColumnMapError(f"{path}: file.date_formats must be a list of formats")
        try:
            date_formats = check_formats([str(f) for f in formats])
        except DateFormatError as e:
            raise ColumnMapError(f"{path}: file.date_formats: {e}") from e
        if date_formats and "source" not in file_part:
            raise ColumnMapError(
                f"{path}: file.date_formats needs file.source (the source they belong to)"
            )
        values: dict[str, dict[str, str]] = {}
        values_table = _table(raw, "values", path)
        for column in values_table:
            cells = _table(values_table, column, path)
            values[_header(column)] = {
                str(k).strip(): _text(v, path, f"values.{column}") for k, v in cells.items()
            }
        return cls(
            columns={
                _header(k): _text(v, path, f"columns.{k}")
                for k, v in _table(raw, "columns", path).items()
            },
            prefixes={
                _header(k): _text(v, path, f"prefix.{k}")
                for k, v in _table(raw, "prefix", path).items()
            },
            values=values,
            fixed={
                str(k).strip().lower(): _text(v, path, f"file.{k}") for k, v in file_part.items()
            },
            date_formats=date_formats,
        )

    def fields_of(self, header: Sequence[str]) -> list[str]:
        """The field each column fills."""
        return [self.columns.get(_header(h), h.strip()) for h in header]

    def row(self, header: Sequence[str], cells: Sequence[str]) -> dict[str, str]:
        """One row as field -> value: cells converted, fields named twice joined, the
        file's fixed values where the row has none."""
        fields = self.fields_of(header)
        row: dict[str, str] = {}
        for column, name, cell in zip(header, fields, cells, strict=True):
            value = cell.strip()
            key = _header(column)
            value = self.values.get(key, {}).get(value, value)
            if value and key in self.prefixes:
                value = self.prefixes[key] + value
            if name in row and row[name] and value:
                row[name] = f"{row[name]} {value}"
            elif value or name not in row:
                row[name] = value
        for name, value in self.fixed.items():
            if not row.get(name):
                row[name] = value
        return row

    def header(self, header: Sequence[str]) -> list[str]:
        """The fields of a row made by ``row``, in order (each once)."""
        return list(dict.fromkeys([*self.fields_of(header), *self.fixed]))


def _header(name: object) -> str:
    return str(name).strip().casefold()


def _table(raw: Mapping[str, Any], name: str, path: Path) -> Mapping[str, Any]:
    found = raw.get(name, {})
    if not isinstance(found, Mapping):
        raise ColumnMapError(f"{path}: {name} must be a table")
    return found


def _text(value: object, path: Path, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ColumnMapError(f"{path}: {where} must be text")
    return str(value)
