"""Per-field comparisons: the level two records reach on one field."""

from __future__ import annotations

import pytest

from matchers.comparisons import (
    AddressComparison,
    CodeComparison,
    Comparison,
    DateComparison,
    EmailLocalComparison,
    NameComparison,
    location_comparison,
)


def level(comparison: Comparison, left: dict[str, str], right: dict[str, str]) -> str | None:
    outcome = comparison.compare(left, right)
    return None if outcome is None else comparison.levels[outcome.level]


FIRST = NameComparison("first_name", swap_with="last_name")


class TestNameComparison:
    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            pytest.param({"first_name": "ann"}, {"first_name": "ann"}, "exact", id="equal"),
            pytest.param(
                {"first_name": "jon"}, {"first_name": "john"}, "jaro_winkler>=0.92", id="typo"
            ),
            pytest.param({"first_name": "j"}, {"first_name": "john"}, "initial", id="initial"),
            pytest.param({"first_name": "ann"}, {"first_name": "zoe"}, "else", id="different"),
            pytest.param(
                {"first_name": "lee", "last_name": "ann"},
                {"first_name": "ann", "last_name": "lee"},
                "swapped_with_last_name",
                id="first and last name swapped",
            ),
            pytest.param(
                {"first_name": "gillian", "last_name": "lodge"},
                {"first_name": "lodge", "last_name": "adele"},
                "crossed_with_last_name",
                id="one name crossed over",
            ),
        ],
    )
    def test_levels(self, left: dict[str, str], right: dict[str, str], expected: str) -> None:
        assert level(FIRST, left, right) == expected

    def test_a_missing_value_is_no_comparison(self) -> None:
        assert FIRST.compare({"first_name": "ann"}, {"last_name": "lee"}) is None


class TestDateComparison:
    @pytest.mark.parametrize(
        ("right", "expected"),
        [
            pytest.param("1980-03-12", "exact", id="equal"),
            pytest.param("1980-12-03", "day_month_swapped", id="day and month swapped"),
            pytest.param("1980-03-13", "one_digit_off", id="one digit changed"),
            pytest.param("1980-03-21", "one_digit_off", id="two digits transposed"),
            pytest.param("1980-07-30", "same_year", id="same year"),
            pytest.param("1975-07-30", "else", id="different"),
        ],
    )
    def test_levels(self, right: str, expected: str) -> None:
        born = {"date_of_birth": "1980-03-12"}
        assert level(DateComparison(), born, {"date_of_birth": right}) == expected


class TestCodeComparison:
    @pytest.mark.parametrize(
        ("right", "expected"),
        [
            pytest.param("1234567", "exact", id="equal"),
            pytest.param("1234576", "1_char_off", id="neighbours transposed"),
            pytest.param("1294577", "2_chars_off", id="two changed"),
            pytest.param("7654321", "else", id="different"),
        ],
    )
    def test_levels(self, right: str, expected: str) -> None:
        ids = CodeComparison("national_id", typos=(1, 2))
        assert level(ids, {"national_id": "1234567"}, {"national_id": right}) == expected


class TestEmailLocalComparison:
    @pytest.mark.parametrize(
        ("right", "expected"),
        [
            pytest.param("bobnguyen622", "exact", id="equal"),
            pytest.param("bobnguyn622", "jaro_winkler>=0.9", id="a typo with the same number"),
            pytest.param("bobnguyen625", "else", id="numbered apart: another account"),
        ],
    )
    def test_levels(self, right: str, expected: str) -> None:
        local = EmailLocalComparison("email_local")
        assert level(local, {"email_local": "bobnguyen622"}, {"email_local": right}) == expected


class TestAddressComparison:
    @pytest.mark.parametrize(
        ("right", "expected"),
        [
            pytest.param("12 main street", "exact", id="equal"),
            pytest.param("12 mainstreet", "similarity>=0.9", id="a lost space"),
            pytest.param("14 main street", "same_street_other_number", id="the neighbours"),
            pytest.param("9 harbour road", "else", id="elsewhere"),
        ],
    )
    def test_levels(self, right: str, expected: str) -> None:
        home = {"address": "12 main street"}
        assert level(AddressComparison(), home, {"address": right}) == expected


class TestLocationComparison:
    def test_a_shared_home_counts_once_as_its_best_part(self) -> None:
        home = {"address": "12 main street", "postcode": "02110", "city": "boston"}
        assert level(location_comparison(), home, dict(home)) == "address:exact+postcode"

    def test_the_first_agreeing_part_gives_the_level(self) -> None:
        left = {"address": "12 main street", "city": "boston"}
        right = {"address": "9 harbour road", "city": "boston"}
        assert level(location_comparison(), left, right) == "city:exact"

    def test_no_part_on_both_sides_is_no_comparison(self) -> None:
        assert location_comparison().compare({"city": "boston"}, {"postcode": "1"}) is None
