"""Text of every script: folded without losing a letter, read in Latin."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchers.attributes import normalize_address, normalize_name, normalize_place
from matchers.scripts import (
    LATIN,
    fold,
    initial_consonants,
    jamo,
    script_of,
    to_latin,
    without_accents,
)

SCRIPTS = {
    "latin": st.characters(min_codepoint=0x20, max_codepoint=0x24F),
    "hangul": st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    "jamo": st.characters(min_codepoint=0x3131, max_codepoint=0x318E),
    "han": st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    "kana": st.characters(min_codepoint=0x3041, max_codepoint=0x30FF),
    "cyrillic": st.characters(min_codepoint=0x0400, max_codepoint=0x04FF),
    "greek": st.characters(min_codepoint=0x0370, max_codepoint=0x03FF),
    "arabic": st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
    "full width": st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
}
ANY_TEXT = st.text(st.one_of(*SCRIPTS.values(), st.sampled_from(" -,.'/()·")), max_size=30)


class TestFold:
    @given(ANY_TEXT)
    def test_folding_twice_changes_nothing(self, text: str) -> None:
        assert fold(fold(text)) == fold(text)

    @pytest.mark.parametrize("script", list(SCRIPTS))
    def test_no_letter_of_any_script_is_lost(self, script: str) -> None:
        @given(st.text(SCRIPTS[script], min_size=1, max_size=20))
        def check(text: str) -> None:
            folded = fold(text)
            for char in unicodedata.normalize("NFKC", text).casefold():
                if not char.isalnum() or char == "\u02bc":
                    continue  # (the modifier letter apostrophe is an apostrophe: dropped)
                if script_of(char) in (LATIN, "greek"):
                    # Latin and Greek letters lose their accents, never the letter.
                    assert without_accents(char) in folded
                else:
                    assert char in folded

        check()

    @given(ANY_TEXT)
    def test_a_value_with_a_letter_never_folds_to_nothing(self, text: str) -> None:
        if any(c.isalnum() for c in unicodedata.normalize("NFKC", text)):
            assert fold(text)

    @given(ANY_TEXT)
    def test_normalizing_twice_changes_nothing(self, text: str) -> None:
        for normalize in (normalize_name, normalize_place, normalize_address):
            assert normalize(normalize(text)) == normalize(text)

    @pytest.mark.parametrize(
        ("raw", "folded"),
        [
            pytest.param(
                "\uff2b\uff29\uff2d\u3000민준", "kim 민준", id="full width letters and space"
            ),
            pytest.param("Иван-Петров", "иван петров", id="cyrillic kept, hyphen a space"),
            pytest.param("Γιώργος", "γιωργοσ", id="greek accents go"),
            pytest.param("서울특별시, 강남구", "서울특별시 강남구", id="hangul kept"),
            pytest.param("!!! -", "", id="punctuation only folds to nothing"),
        ],
    )
    def test_examples(self, raw: str, folded: str) -> None:
        assert fold(raw) == folded


class TestReadings:
    @pytest.mark.parametrize(
        ("raw", "latin"),
        [
            pytest.param("김민준", "gimminjun", id="hangul by revised romanization letters"),
            pytest.param("王小明", "wangxiaoming", id="chinese in pinyin"),
            pytest.param("やまだ", "yamada", id="kana"),
            pytest.param("Иванов", "ivanov", id="cyrillic"),
        ],
    )
    def test_to_latin(self, raw: str, latin: str) -> None:
        assert to_latin(raw).replace(" ", "") == latin

    def test_hangul_letters_and_initials(self) -> None:
        assert len(jamo("민준")) == 6
        # The compatibility letters ㄱㅁㅈ are the leading consonants ᄀᄆᄌ under NFKC.
        assert initial_consonants("김민준") == unicodedata.normalize("NFKC", "ㄱㅁㅈ")
