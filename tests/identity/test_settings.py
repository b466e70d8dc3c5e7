"""Settings read from a TOML file: the per-role rate limits (the other settings are
tested where they are used)."""

from __future__ import annotations

from pathlib import Path

import pytest

from identity.errors import ConfigurationError
from identity.settings import DEFAULT_RATE_LIMITS, Settings, load_settings


def from_toml(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "idgraph.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})


class TestRateLimits:
    def test_the_roles_named_replace_their_defaults_and_the_others_keep_theirs(
        self, tmp_path: Path
    ) -> None:
        settings = from_toml(tmp_path, "rate_limits = { loader = 10, reader = 0 }\n")
        assert settings.rate_limits == {**DEFAULT_RATE_LIMITS, "loader": 10, "reader": 0}
        assert settings.rate_limit("loader") == (10, 10)
        assert settings.rate_limit("steward") == (DEFAULT_RATE_LIMITS["steward"],) * 2

    def test_a_burst_is_one_seconds_worth_unless_set(self, tmp_path: Path) -> None:
        settings = from_toml(
            tmp_path, "rate_limits = { loader = 0.5 }\nrate_bursts = { loader = 5 }\n"
        )
        assert settings.rate_limit("loader") == (0.5, 5)
        assert settings.rate_limit("privacy") == (50, 50)
        assert Settings(rate_limits={"loader": 0.5}).rate_limit("loader") == (0.5, 1.0)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param("rate_limits = { guest = 5 }", "not a role", id="an unknown role"),
            pytest.param("rate_limits = { reader = -1 }", "0 or more", id="a negative rate"),
            pytest.param("rate_limits = { reader = nan }", "0 or more", id="a rate not a number"),
            pytest.param('rate_limits = { reader = "fast" }', "a number", id="a rate as text"),
            pytest.param("rate_bursts = { reader = 0.5 }", "1 or more", id="a burst under one"),
            pytest.param("rate_limits = 5", "a table by role", id="not a table"),
        ],
    )
    def test_a_bad_value_is_a_configuration_error(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=message):
            from_toml(tmp_path, text + "\n")
