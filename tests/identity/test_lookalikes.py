"""Look-alike identifier values: flagged by Unicode's security checks (UTS #39 through
ICU), per run of letters between ASCII punctuation, never for plain ASCII."""

from __future__ import annotations

import pytest

from identity.lookalikes import lookalike_warnings


def rules(value: str) -> list[str]:
    return [rule for rule, _ in lookalike_warnings(value)]


class TestLookalikeWarnings:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("p\u0430ypal@example.com", ["identifier.mixed_script"], id="a Cyrillic a"),
            pytest.param("ann@p\u0430ypal.com", ["identifier.mixed_script"], id="in the domain"),
            pytest.param("instagram/j\u043ehn", ["identifier.mixed_script"], id="in a handle"),
            pytest.param("\u0391lice", ["identifier.mixed_script"], id="a Greek capital alpha"),
            pytest.param(
                "\u0430\u0440\u0435@example.com", ["identifier.confusable"], id="all Cyrillic"
            ),
            pytest.param("ck-\uff50\uff41\uff59", ["identifier.confusable"], id="fullwidth kept"),
            pytest.param("abc\u0661\u0662\u0663", ["identifier.mixed_script"], id="Arabic digits"),
        ],
    )
    def test_flags(self, value: str, expected: list[str]) -> None:
        assert rules(value) == expected

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("paypal@example.com", id="ASCII"),
            pytest.param("jos\u00e9@example.com", id="Latin with an accent"),
            pytest.param("ann@m\u00fcnchen.de", id="a Latin IDN domain"),
            pytest.param(
                "\u0438\u0432\u0430\u043d@example.com", id="a Cyrillic name at a Latin domain"
            ),
            pytest.param("\u7530\u4e2d\u3055\u3093@example.jp", id="Japanese: Han with Hiragana"),
            pytest.param("\uae40\ucca0\uc218@example.kr", id="Korean"),
            pytest.param("\u674e\u96f7@example.cn", id="Chinese"),
        ],
    )
    def test_does_not_flag(self, value: str) -> None:
        assert rules(value) == []

    def test_the_message_names_the_scripts_and_what_it_looks_like(self) -> None:
        [(_, message)] = lookalike_warnings("p\u0430ypal@example.com")
        assert "Cyrillic, Latin" in message
        assert "'paypal'" in message
