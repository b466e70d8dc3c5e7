"""Settings read from TOML: per-source date formats and phone regions."""

from __future__ import annotations

from pathlib import Path

import pytest

from identity.errors import ConfigurationError
from identity.settings import load_settings


def settings_from(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idgraph.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestSourceSettings:
    def test_date_formats_and_phone_regions_per_source(self, tmp_path: Path) -> None:
        path = settings_from(
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
            load_settings(settings_from(tmp_path, text), environ={})
