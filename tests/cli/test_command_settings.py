"""The ``idgraph`` command's settings: its flags are the top layer, over the environment,
the TOML file (``--config``) and the defaults; a bad value exits 2 naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import argument_parser, command_settings, main
from graph.embedded import DATABASE_FILE
from identity.settings import Settings


@pytest.fixture(autouse=True)
def no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IDGRAPH_CONFIG", "IDGRAPH_DATA_DIR", "IDGRAPH_STORE", "IDGRAPH_BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "idgraph.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestCommandSettings:
    def test_flags_override_environment_file_and_defaults(self, tmp_path: Path) -> None:
        config = config_file(tmp_path, 'data_dir = "file"\nstore = "neo4j"\nbatch_size = 5\n')
        flags = ["--config", str(config), "--data-dir", "flag", "--store", "embedded"]
        args = argument_parser().parse_args([*flags, "load", "in.ndjson", "--batch-size", "7"])
        environ = {"IDGRAPH_DATA_DIR": "env", "IDGRAPH_STORE": "neo4j", "IDGRAPH_BATCH_SIZE": "6"}
        settings = command_settings(args, environ)
        assert (settings.data_dir, settings.store, settings.batch_size) == (
            Path("flag"),
            "embedded",
            7,
        )

    def test_without_flags_the_environment_holds(self, tmp_path: Path) -> None:
        config = config_file(tmp_path, 'data_dir = "file"\nbatch_size = 5\n')
        args = argument_parser().parse_args(["--config", str(config), "load", "in.ndjson"])
        settings = command_settings(args, {"IDGRAPH_BATCH_SIZE": "6"})
        assert (settings.data_dir, settings.batch_size) == (Path("file"), 6)

    def test_a_command_without_the_flag_keeps_the_layers_below(self) -> None:
        args = argument_parser().parse_args(["check"])
        assert command_settings(args, {"IDGRAPH_BATCH_SIZE": "6"}).batch_size == 6
        assert command_settings(args, {}) == Settings()


class TestMain:
    def test_the_data_dir_flag_decides_where_the_store_is(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        config = config_file(tmp_path, f'data_dir = "{tmp_path / "file"}"\n')
        monkeypatch.setenv("IDGRAPH_DATA_DIR", str(tmp_path / "env"))
        code = main(["--config", str(config), "--data-dir", str(tmp_path / "flag"), "check"])
        assert code == 0
        assert (tmp_path / "flag" / DATABASE_FILE).exists()
        assert not (tmp_path / "env").exists()
        assert not (tmp_path / "file").exists()

    def test_the_store_flag_overrides_an_unknown_store_in_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        config = config_file(tmp_path, 'store = "mongo"\n')
        common = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
        assert main([*common, "check"]) == 3
        assert "unknown store 'mongo'" in capsys.readouterr().err
        assert main([*common, "--store", "embedded", "check"]) == 0

    @pytest.mark.parametrize(
        ("setup", "argv", "message"),
        [
            pytest.param(
                "colour = 1\n", ["check"], "unknown settings ['colour']", id="an unknown key"
            ),
            pytest.param(
                "batch_size = 5\n",
                ["load", "in.ndjson", "--batch-size", "0"],
                "batch_size must be positive, got 0",
                id="a bad flag value",
            ),
        ],
    )
    def test_a_bad_setting_exits_2_naming_it(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        setup: str,
        argv: list[str],
        message: str,
    ) -> None:
        config = config_file(tmp_path, setup)
        common = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
        assert main([*common, *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("idgraph: configuration:")
        assert message in err
        assert not (tmp_path / "data").exists(), "nothing opened"
