"""``idgraph fit-model`` and the ``fuzzy_model`` setting: a model fitted from a file's
person attributes is written as JSON, and a service configured with it matches with it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from api.bootstrap import build_service
from cli.main import main
from identity.errors import ConfigurationError
from identity.settings import load_settings
from matchers.fellegi_sunter import FellegiSunterModel

FIRST = ["Ann", "Bob", "Carla", "Dmitri", "Eve", "Farid", "Gita", "Hugo", "Ines", "Jon"]
LAST = ["Lee", "Nguyen", "Smith", "Okafor", "Garcia", "Kowalski", "Haddad", "Brown"]


def world(path: Path, people: int = 120) -> Path:
    rng = random.Random(3)
    lines = []
    for n in range(people):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        born = f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        for copy in range(2):
            name = last if copy == 0 or rng.random() < 0.7 else last[:-1] + "x"
            lines.append(
                {
                    "source": "crm" if copy == 0 else "shop",
                    "observed_at": f"2026-01-0{copy + 1}T00:00:00Z",
                    "identifiers": [{"type": "email", "value": f"p{n}.{copy}@example.com"}],
                    "attributes": {
                        "first_name": first,
                        "last_name": name,
                        "date_of_birth": born,
                        "postcode": f"{10000 + n}",
                    },
                }
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "not json\n")
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("IDGRAPH_CONFIG", "IDGRAPH_STORE", "IDGRAPH_FUZZY_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDGRAPH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


class TestFitModel:
    def test_writes_a_model_that_a_configured_service_matches_with(
        self, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = tmp_path / "model.json"
        assert main(["fit-model", str(world(tmp_path / "w.ndjson")), "--out", str(out)]) == 0
        assert "fitted on 240 person records" in capsys.readouterr().out
        fitted = FellegiSunterModel.from_dict(json.loads(out.read_text()))

        settings = load_settings(environ={"IDGRAPH_FUZZY_MODEL": str(out)})
        assert settings.fuzzy_model == fitted
        service = build_service(settings.with_overrides(data_dir=data_dir))
        try:
            assert service.resolver.fuzzy is not None
            assert service.resolver.fuzzy.matcher.model == fitted
        finally:
            service.store.close()

    def test_a_file_without_person_records_fits_nothing(
        self, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        empty = tmp_path / "empty.ndjson"
        empty.write_text(
            '{"source": "web", "observed_at": "2026-01-01T00:00:00Z",'
            ' "identifiers": [{"type": "cookie", "value": "c1"}]}\n'
        )
        assert main(["fit-model", str(empty), "--out", str(tmp_path / "m.json")]) == 1
        assert "fewer than 2 person records" in capsys.readouterr().err
        assert not (tmp_path / "m.json").exists()


class TestFuzzyModelSetting:
    @pytest.mark.parametrize(
        "content",
        [
            pytest.param(None, id="a missing file"),
            pytest.param("{not json", id="a file that is not JSON"),
            pytest.param('{"prior": 0.01}', id="JSON without comparisons"),
        ],
    )
    def test_a_bad_model_file_is_a_configuration_error_naming_it(
        self, tmp_path: Path, content: str | None
    ) -> None:
        path = tmp_path / "model.json"
        if content is not None:
            path.write_text(content)
        with pytest.raises(ConfigurationError, match=f"fuzzy_model {path}"):
            load_settings(environ={"IDGRAPH_FUZZY_MODEL": str(path)})
