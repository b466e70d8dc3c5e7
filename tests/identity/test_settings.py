"""Settings layering: built-in defaults, then the TOML file, then the environment, then
flags, each overriding the one below; unknown keys and bad values refused by name."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from identity.errors import ConfigurationError
from identity.settings import DEFAULT_RATE_LIMITS, TOML_SHAPES, Settings, load_settings


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idgraph.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestLayers:
    def test_without_file_environment_or_flags_the_defaults_hold(self) -> None:
        assert load_settings(environ={}) == Settings()

    def test_the_file_overrides_the_defaults(self, tmp_path: Path) -> None:
        config = toml(tmp_path, 'data_dir = "from-file"\nbatch_size = 500\nfuzzy_enabled = false\n')
        settings = load_settings(config, environ={})
        assert settings.data_dir == Path("from-file")
        assert settings.batch_size == 500
        assert settings.fuzzy_enabled is False
        assert settings.merge_threshold == Settings().merge_threshold

    def test_the_environment_overrides_the_file(self, tmp_path: Path) -> None:
        config = toml(tmp_path, 'data_dir = "from-file"\nbatch_size = 500\n')
        environ = {"IDGRAPH_DATA_DIR": "from-env", "IDGRAPH_BATCH_SIZE": "700"}
        settings = load_settings(config, environ=environ)
        assert settings.data_dir == Path("from-env")
        assert settings.batch_size == 700

    def test_flags_override_the_environment(self, tmp_path: Path) -> None:
        config = toml(tmp_path, 'data_dir = "from-file"\n')
        settings = load_settings(
            config,
            environ={"IDGRAPH_DATA_DIR": "from-env", "IDGRAPH_BATCH_SIZE": "700"},
            flags={"data_dir": Path("from-flag"), "batch_size": 900},
        )
        assert settings.data_dir == Path("from-flag")
        assert settings.batch_size == 900

    def test_a_flag_not_given_leaves_the_layer_below(self) -> None:
        settings = load_settings(
            environ={"IDGRAPH_STORE": "neo4j"}, flags={"store": None, "batch_size": None}
        )
        assert settings.store == "neo4j"
        assert settings.batch_size == Settings().batch_size

    def test_the_file_is_found_through_idgraph_config(self, tmp_path: Path) -> None:
        config = toml(tmp_path, 'default_region = "GB"\n')
        assert load_settings(environ={"IDGRAPH_CONFIG": str(config)}).default_region == "GB"

    def test_an_empty_variable_counts_as_unset(self, tmp_path: Path) -> None:
        config = toml(tmp_path, 'store = "neo4j"\n')
        assert load_settings(config, environ={"IDGRAPH_STORE": ""}).store == "neo4j"

    def test_a_bad_value_below_is_no_error_when_a_layer_above_replaces_it(self) -> None:
        settings = load_settings(environ={"IDGRAPH_BATCH_SIZE": "0"}, flags={"batch_size": 10})
        assert settings.batch_size == 10

    def test_table_settings_are_read_whole(self, tmp_path: Path) -> None:
        config = toml(
            tmp_path,
            """
            blocked_values = { email = ["Info@Acme.com"] }
            custom_types = [{ name = "loyalty", pattern = "L[0-9]{8}" }]
            source_priority = ["crm", "web"]

            [guards]
            type_limits = { email = 2 }
            frequency_cap_types = ["email"]
            """,
        )
        settings = load_settings(config, environ={})
        assert "info@acme.com" in settings.blocked_values["email"]
        assert "test@test.com" in settings.blocked_values["email"], "added to the built-ins"
        assert [c.name for c in settings.custom_types] == ["loyalty"]
        assert settings.source_priority == ("crm", "web")
        assert dict(settings.guards.type_limits) == {"email": 2}
        assert settings.guards.frequency_cap_types == ("email",)


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param("colour = 1\n", r"unknown settings \['colour'\]", id="an unknown key"),
            pytest.param(
                "[guards]\nnope = 1\n", r"guards: unknown settings \['nope'\]", id="unknown guard"
            ),
            pytest.param(
                'custom_types = [{ name = "x", pattern = "a", colour = 1 }]\n',
                r"custom_types\[0\]: unknown settings \['colour'\]",
                id="an unknown key of a custom type",
            ),
            pytest.param(
                'custom_types = [{ name = "x" }]\n',
                r"custom_types\[0\] needs a name and a pattern",
                id="a custom type without its pattern",
            ),
            pytest.param(
                'merge_threshold = "high"\n',
                "merge_threshold = 'high': must be a number",
                id="a string for a number",
            ),
            pytest.param(
                "batch_size = 2.5\n", "batch_size = 2.5: must be an integer", id="a fraction"
            ),
            pytest.param(
                'fuzzy_enabled = "yes"\n',
                "fuzzy_enabled = 'yes': must be true or false",
                id="a string for a boolean",
            ),
            pytest.param(
                'purposes = "email"\n',
                "purposes = 'email': must be a list of strings",
                id="a string for a list",
            ),
            pytest.param(
                '[guards]\ntype_limits = { email = "five" }\n',
                "guards: type_limits = {'email': 'five'}: must be a table of integers",
                id="a guard limit that is not a number",
            ),
            pytest.param(
                "merge_threshold = 1.5\n",
                r"merge_threshold must be in \(0, 1\], got 1.5",
                id="a threshold out of range",
            ),
            pytest.param(
                'default_region = "us"\n',
                "default_region = 'us': must be a region code",
                id="a region phone numbers are not read in",
            ),
            pytest.param(
                'survivorship = { city = "best" }\n',
                "survivorship.city = 'best': one of most_recent",
                id="an unknown survivorship rule",
            ),
            pytest.param("batch_size = \n", "config file .*idgraph.toml", id="not TOML"),
        ],
    )
    def test_the_file(self, tmp_path: Path, text: str, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            load_settings(toml(tmp_path, text), environ={})

    @pytest.mark.parametrize(
        ("environ", "message"),
        [
            pytest.param(
                {"IDGRAPH_BATCH_SIZE": "many"},
                "IDGRAPH_BATCH_SIZE='many': must be an integer",
                id="a word for an integer",
            ),
            pytest.param(
                {"IDGRAPH_MERGE_THRESHOLD": "high"},
                "IDGRAPH_MERGE_THRESHOLD='high': must be a number",
                id="a word for a number",
            ),
            pytest.param(
                {"IDGRAPH_MERGE_THRESHOLD": "0"},
                r"merge_threshold must be in \(0, 1\], got 0.0",
                id="a threshold out of range",
            ),
            pytest.param(
                {"IDGRAPH_CONFIG": "/nonexistent/idgraph.toml"},
                "config file /nonexistent/idgraph.toml",
                id="a config file that is not there",
            ),
        ],
    )
    def test_the_environment(self, environ: dict[str, str], message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            load_settings(environ=environ)

    def test_a_flag(self) -> None:
        with pytest.raises(ConfigurationError, match="batch_size must be positive, got 0"):
            load_settings(environ={}, flags={"batch_size": 0})


class TestTomlShapes:
    def test_every_setting_can_be_written_in_the_file(self) -> None:
        assert set(TOML_SHAPES) == {f.name for f in fields(Settings)}


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
            pytest.param('rate_limits = { reader = "fast" }', "per second", id="a rate as text"),
            pytest.param("rate_bursts = { reader = 0.5 }", "1 or more", id="a burst under one"),
            pytest.param("rate_limits = 5", "by role", id="not a table"),
        ],
    )
    def test_a_bad_value_is_a_configuration_error(
        self, tmp_path: Path, text: str, message: str
    ) -> None:
        with pytest.raises(ConfigurationError, match=message):
            from_toml(tmp_path, text + "\n")


class TestSourceSettings:
    def test_date_formats_and_phone_regions_per_source(self, tmp_path: Path) -> None:
        path = toml(
            tmp_path,
            '[date_formats]\nShop = ["YYYY.MM.DD", "YYMMDD"]\ndefault = ["DD/MM/YYYY"]\n'
            '[phone_regions]\nshop = "kr"\n',
        )
        settings = load_settings(path, environ={})
        assert settings.date_formats_of("shop") == ("YYYY-MM-DD", "YYYY.MM.DD", "YYMMDD")
        assert settings.date_formats_of("web") == ("YYYY-MM-DD", "DD/MM/YYYY")
        assert settings.phone_region_of("shop") == "KR"
        assert settings.phone_region_of("web") == "US"

    def test_without_a_declaration_iso_and_eight_digits(self) -> None:
        settings = load_settings(environ={})
        assert settings.date_formats_of("any") == ("YYYY-MM-DD", "YYYYMMDD")

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param('[date_formats]\nshop = ["DD-MON-YY"]\n', "date_formats.shop", id="date"),
            pytest.param('[phone_regions]\nshop = "Korea"\n', "phone_regions.shop", id="region"),
        ],
    )
    def test_a_bad_setting_names_itself(self, tmp_path: Path, text: str, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            load_settings(toml(tmp_path, text), environ={})
