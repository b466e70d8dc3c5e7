"""Birth dates read by the formats a source declares."""

from __future__ import annotations

from datetime import date

import pytest

from identity.dates import DateFormatError, check_formats, effective_formats, read_date

TODAY = date(2026, 3, 1)


def reading(text: str, *formats: str) -> str:
    found = read_date(text, effective_formats(formats), TODAY)
    return found.value.isoformat() if found.value else found.rule


class TestReadDate:
    @pytest.mark.parametrize(
        ("text", "formats", "expected"),
        [
            pytest.param("1993-11-02", (), "1993-11-02", id="ISO is always understood"),
            pytest.param("19931102", (), "1993-11-02", id="eight digits by default"),
            pytest.param("1993.11.02", ("YYYY.MM.DD",), "1993-11-02", id="dotted year first"),
            pytest.param("1993. 11. 2.", ("YYYY.MM.DD",), "1993-11-02", id="as Korean forms print"),
            pytest.param("1993년 11월 2일", ("YYYY년 MM월 DD일",), "1993-11-02", id="Korean words"),
            pytest.param("930131", ("YYMMDD",), "1993-01-31", id="a two digit year in the past"),
            pytest.param("200131", ("YYMMDD",), "2020-01-31", id="the latest century not ahead"),
            pytest.param("270131", ("YYMMDD",), "1927-01-31", id="a future date goes back"),
            pytest.param("200131", ("YYMMDD@19",), "1920-01-31", id="a stated century"),
            pytest.param("02/11/1993", ("DD/MM/YYYY",), "1993-11-02", id="day first"),
            pytest.param("11/02/1993", ("MM/DD/YYYY",), "1993-11-02", id="month first"),
            pytest.param(
                "25/12/1990", ("DD/MM/YYYY", "MM/DD/YYYY"), "1990-12-25", id="one reading only"
            ),
        ],
    )
    def test_reads(self, text: str, formats: tuple[str, ...], expected: str) -> None:
        assert reading(text, *formats) == expected

    @pytest.mark.parametrize(
        ("text", "formats", "rule"),
        [
            pytest.param("03/04/1990", ("DD/MM/YYYY", "MM/DD/YYYY"), "ambiguous", id="two"),
            pytest.param("1993.11.02", (), "format", id="an undeclared format"),
            pytest.param("1993-02-30", (), "calendar", id="no such day"),
            pytest.param("31/12/1980", (), "format", id="day first when not declared"),
        ],
    )
    def test_refuses(self, text: str, formats: tuple[str, ...], rule: str) -> None:
        assert reading(text, *formats) == rule

    def test_an_ambiguous_date_names_both_readings(self) -> None:
        found = read_date("03/04/1990", ("DD/MM/YYYY", "MM/DD/YYYY"), TODAY)
        assert "1990-04-03 (DD/MM/YYYY)" in found.message
        assert "1990-03-04 (MM/DD/YYYY)" in found.message


class TestCheckFormats:
    def test_an_unknown_format_is_named(self) -> None:
        with pytest.raises(DateFormatError, match="DD-MMM-YY"):
            check_formats(["YYYY.MM.DD", "DD-MMM-YY"])
