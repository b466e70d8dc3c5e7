"""Attribute normalization: what the fuzzy matcher compares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchers.attributes import (
    PersonRecord,
    fold_text,
    normalize_address,
    normalize_attributes,
    normalize_email_local,
    normalize_name,
    split_full_name,
)
from matchers.scripts import without_accents


class TestFoldText:
    @pytest.mark.parametrize(
        ("raw", "folded"),
        [
            pytest.param("  José  O'Brien-Smith ", "jose obrien smith", id="accents and marks"),
            pytest.param("ØRSTED Łódź", "orsted lodz", id="letters that do not decompose"),
            pytest.param("MAIN ST., Apt#4", "main st apt 4", id="ascii punctuation"),
        ],
    )
    def test_folds_case_accents_and_punctuation(self, raw: str, folded: str) -> None:
        assert fold_text(raw) == folded

    @given(st.text(alphabet=st.characters(max_codepoint=127)))
    def test_ascii_text_needs_only_lower_case_to_lose_its_accents(self, raw: str) -> None:
        # What fold_text's shortcut for ASCII text relies on.
        assert without_accents(raw) == raw.lower()


class TestNormalizeName:
    @pytest.mark.parametrize(
        ("raw", "normalized"),
        [
            pytest.param("  José  ", "jose", id="accents and case fold and spaces go"),
            pytest.param("O'Brien", "obrien", id="an apostrophe joins the name"),
            pytest.param(
                "Dr. Anne-Marie", "annemarie", id="a title goes and a hyphenated name is one word"
            ),
            pytest.param("Wm", "william", id="an old abbreviation is written out"),
            pytest.param("Søren Łukasz", "sorenlukasz", id="letters without a base letter fold"),
        ],
    )
    def test_folds(self, raw: str, normalized: str) -> None:
        assert normalize_name(raw) == normalized


class TestNormalizeAddress:
    @pytest.mark.parametrize(
        ("raw", "normalized"),
        [
            pytest.param("12 Main St.", "12 main street", id="st after a name is street"),
            pytest.param("3 St Kilda Rd", "3 saint kilda road", id="st before a name is saint"),
            pytest.param("Apt 4, 9 Oak Ave", "apartment 4 9 oak avenue", id="abbreviations"),
        ],
    )
    def test_writes_out(self, raw: str, normalized: str) -> None:
        assert normalize_address(raw) == normalized


class TestNormalizeEmailLocal:
    def test_dots_tags_and_separators_go_so_two_providers_compare_equal(self) -> None:
        assert normalize_email_local("Jane.Doe+news@a.example") == "janedoe"
        assert normalize_email_local("jane_doe@b.example") == "janedoe"


class TestSplitFullName:
    @pytest.mark.parametrize(
        ("raw", "parts"),
        [
            pytest.param("Jane Q Doe", ("jane", "q", "doe"), id="first middle last"),
            pytest.param("Doe, Jane Q", ("jane", "q", "doe"), id="last comma first middle"),
            pytest.param("Cher", ("cher", "", ""), id="one word is a first name"),
        ],
    )
    def test_splits(self, raw: str, parts: tuple[str, str, str]) -> None:
        assert split_full_name(raw) == parts


class TestNormalizeAttributes:
    def test_compared_fields_only_empty_values_left_out(self) -> None:
        fields = normalize_attributes(
            {
                "first_name": "Ann",
                "last_name": " ",
                "date_of_birth": "1980-01-31",
                "postcode": "sw1a 1aa",
                "favourite_colour": "blue",
            }
        )
        assert fields == {"first_name": "ann", "date_of_birth": "1980-01-31", "postcode": "SW1A1AA"}

    def test_a_full_name_fills_missing_names(self) -> None:
        fields = normalize_attributes({"full_name": "Doe, Jane"})
        assert fields == {"first_name": "jane", "last_name": "doe"}

    def test_the_email_local_part_comes_from_an_email_anchor(self) -> None:
        assert normalize_attributes({"city": "Leeds"}, "email:j.doe@a.example") == {
            "city": "leeds",
            "email_local": "jdoe",
        }


class TestPersonRecord:
    def test_fields_from_a_store_are_not_normalized_again(self) -> None:
        record = PersonRecord.from_normalized("cookie:c1", {"first_name": "wm"})
        assert record.normalized == {"first_name": "wm"}
        assert PersonRecord("cookie:c1", {"first_name": "wm"}).normalized == {
            "first_name": "william"
        }
