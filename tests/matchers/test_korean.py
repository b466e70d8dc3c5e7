"""Korean names and addresses: family name first, surname spellings, one key for every
romanization, road-name and lot-number addresses read into parts."""

from __future__ import annotations

import pytest

from matchers import korean
from matchers.attributes import normalize_attributes, split_full_name
from matchers.comparisons import AddressComparison, Comparison, NameComparison
from matchers.korean_address import KoreanAddress, parse_korean_address

FIRST = NameComparison("first_name", swap_with="last_name")
LAST = NameComparison("last_name", surname=True)


def level(comparison: Comparison, left: dict[str, str], right: dict[str, str]) -> str | None:
    outcome = comparison.compare(normalize_attributes(left), normalize_attributes(right))
    return None if outcome is None else comparison.levels[outcome.level]


class TestSplitFullName:
    @pytest.mark.parametrize(
        ("raw", "parts"),
        [
            pytest.param("김민준", ("민준", "", "김"), id="family name first"),
            pytest.param("김 민준", ("민준", "", "김"), id="spacing ignored"),
            pytest.param("남궁민수", ("민수", "", "남궁"), id="two-syllable family name"),
            pytest.param("선우진", ("진", "", "선우"), id="two syllables before one"),
            pytest.param("KANG DO HYUN", ("dohyun", "", "kang"), id="romanized family first"),
            pytest.param("Rhee Jun-ho", ("junho", "", "rhee"), id="hyphenated given name"),
            pytest.param("Jun Ho Rhee", ("junho", "", "rhee"), id="romanized family last"),
            pytest.param("Jane Q Doe", ("jane", "q", "doe"), id="a western name as before"),
            pytest.param("王小明", ("小明", "", "王"), id="chinese family name first"),
        ],
    )
    def test_splits(self, raw: str, parts: tuple[str, str, str]) -> None:
        assert split_full_name(raw) == parts

    def test_a_hangul_name_is_split_one_way_whichever_way_the_source_split_it(self) -> None:
        a = normalize_attributes({"last_name": "선", "first_name": "우진"})
        b = normalize_attributes({"full_name": "선우 진"})
        assert (a["last_name"], a["first_name"]) == (b["last_name"], b["first_name"])


class TestSurnames:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("김", "kim"), ("kim", "gim"), ("lee", "yi"), ("rhee", "이"), ("i", "lee"),
            ("park", "pak"), ("bak", "박"), ("choi", "choe"), ("jung", "chung"),
            ("jeong", "정"), ("kang", "gang"), ("cho", "jo"), ("yoon", "yun"),
            ("shin", "sin"), ("oh", "o"),
        ],
    )  # fmt: skip
    def test_spellings_of_one_surname(self, a: str, b: str) -> None:
        assert korean.same_surname(a, b)

    def test_two_surnames_are_not_one(self) -> None:
        assert not korean.same_surname("kim", "lee")

    def test_common_surnames_are_known_before_any_record(self) -> None:
        assert korean.is_common_surname("김") and korean.is_common_surname("park")
        assert not korean.is_common_surname("탁")


class TestRomanizationKey:
    @pytest.mark.parametrize("spelling", ["준호", "Junho", "Jun-ho", "Joon Ho", "Chun-ho", "JUNHO"])
    def test_every_system_gives_one_key(self, spelling: str) -> None:
        assert korean.romanization_key(spelling) == korean.romanization_key("준호")

    def test_other_names_keep_other_keys(self) -> None:
        assert korean.romanization_key("민준") != korean.romanization_key("민수")


class TestNameLevels:
    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            pytest.param("김민준", "김 민준", "exact", id="spacing"),
            pytest.param("김민준", "김민쥰", "jamo_1_off", id="one letter off"),
            pytest.param("김민준", "김민수", "else", id="another syllable"),
            pytest.param("김민준", "Kim Min-jun", "transliterated", id="hangul and RR"),
            pytest.param("김민준", "MINJOON GIM", "transliterated", id="diaspora spelling"),
            pytest.param("Kim Junho", "Kim Chun-ho", "transliterated", id="RR and MR"),
            pytest.param("Иван Петров", "Ivan Petrov", "transliterated", id="cyrillic"),
            pytest.param("王小明", "Wang Xiaoming", "swapped_with_last_name", id="order"),
        ],
    )
    def test_first_name(self, left: str, right: str, expected: str) -> None:
        assert level(FIRST, {"full_name": left}, {"full_name": right}) == expected

    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            pytest.param("이", "Rhee", "transliterated", id="hangul and an old spelling"),
            pytest.param("Lee", "Yi", "transliterated", id="two spellings"),
            pytest.param("Park", "Bak", "transliterated", id="passport and RR"),
            pytest.param("محمد", "Mhmd", "transliterated", id="arabic by consonants"),
            pytest.param("김", "박", "else", id="two surnames"),
        ],
    )
    def test_last_name(self, left: str, right: str, expected: str) -> None:
        assert level(LAST, {"last_name": left}, {"last_name": right}) == expected

    def test_two_spellings_agree_on_the_hangul_surname_as_a_term(self) -> None:
        outcome = LAST.compare({"last_name": "kim"}, {"last_name": "김"})
        assert outcome is not None and outcome.term == "김"


class TestKoreanAddress:
    @pytest.mark.parametrize(
        ("raw", "canonical"),
        [
            pytest.param("서울특별시 강남구 테헤란로 152", "서울 강남구 테헤란로 152", id="road"),
            pytest.param(
                "서울 강남구 테헤란로 152 (역삼동, 강남파이낸스센터)",
                "서울 강남구 테헤란로 152",
                id="note in brackets",
            ),
            pytest.param(
                "서울특별시 강남구 테헤란로 152, 101동 1203호",
                "서울 강남구 테헤란로 152 101동 1203호",
                id="apartment and unit",
            ),
            pytest.param(
                "서울 강남구 테헤란로 152, 101-1203",
                "서울 강남구 테헤란로 152 101동 1203호",
                id="apartment and unit with a hyphen",
            ),
            pytest.param(
                "경기도 성남시 분당구 판교역로 235", "경기 성남시분당구 판교역로 235", id="two"
            ),
            pytest.param("서울 마포구 성미산로 17길 5", "서울 마포구 성미산로17길 5", id="gil"),
            pytest.param(
                "서울특별시 강남구 역삼동 737-1번지", "서울 강남구 역삼동 737-1", id="lot"
            ),
            pytest.param(
                "경기도 화성시 동탄면 영천리 산 12-3", "경기 화성시 영천리 산12-3", id="mountain"
            ),
        ],
    )
    def test_parses(self, raw: str, canonical: str) -> None:
        parsed = parse_korean_address(raw)
        assert parsed is not None and parsed.canonical() == canonical
        assert parse_korean_address(parsed.canonical()) == parsed

    @pytest.mark.parametrize("raw", ["152", "래미안아파트 101동 1203호", "12 Main St"])
    def test_not_a_korean_address(self, raw: str) -> None:
        assert parse_korean_address(raw) is None

    def test_parts(self) -> None:
        assert parse_korean_address("부산광역시 해운대구 센텀중앙로 79 101동 5호") == (
            KoreanAddress("부산", "해운대구", "", "센텀중앙로", "79", "101", "5")
        )


class TestAddressComparison:
    HOME = "서울특별시 강남구 테헤란로 152, 101동 1203호"

    @pytest.mark.parametrize(
        ("other", "expected"),
        [
            pytest.param("서울 강남구 테헤란로 152 101-1203", "exact", id="same unit"),
            pytest.param("서울 강남구 테헤란로 152", "same_building", id="unit on one side"),
            pytest.param(
                "서울 강남구 테헤란로 152 102동 1203호",
                "same_building_other_unit",
                id="another apartment building of the complex",
            ),
            pytest.param(
                "서울 강남구 테헤란로 150", "same_street_other_number", id="another building"
            ),
            pytest.param(
                "부산광역시 해운대구 센텀중앙로 152 101동 1203호", "else", id="another city"
            ),
            pytest.param(
                "부산광역시 해운대구 테헤란로 152", "else", id="one road name, another city"
            ),
            pytest.param("서울 강남구 역삼동 737", None, id="a lot address is no evidence"),
            pytest.param("152", None, id="a bare number is no evidence"),
        ],
    )
    def test_levels(self, other: str, expected: str | None) -> None:
        assert level(AddressComparison(), {"address": self.HOME}, {"address": other}) == expected

    def test_a_bare_house_number_is_no_evidence_in_any_country(self) -> None:
        assert level(AddressComparison(), {"address": "152 Main St"}, {"address": "152"}) is None
