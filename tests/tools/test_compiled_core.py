"""Which compiled modules are stale: an extension older than its source would run old code."""

from __future__ import annotations

import importlib.machinery
import os
from pathlib import Path

import pytest

from tools.compiled_core import COMPILED_MODULES, compiled_modules, drop_stale, stale_modules

MODULE = COMPILED_MODULES[0]


def _write(root: Path, relative: str, at: float) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    os.utime(path, (at, at))


def _extension(module: str) -> str:
    return module.removesuffix(".py") + importlib.machinery.EXTENSION_SUFFIXES[0]


class TestStaleModules:
    @pytest.mark.parametrize(
        ("source_at", "extension_at", "stale"),
        [
            pytest.param(100.0, 200.0, False, id="an extension built after its source is current"),
            pytest.param(200.0, 100.0, True, id="a source edited after the build is stale"),
        ],
    )
    def test_compares_the_extension_with_its_source(
        self, tmp_path: Path, source_at: float, extension_at: float, stale: bool
    ) -> None:
        _write(tmp_path, MODULE, source_at)
        _write(tmp_path, _extension(MODULE), extension_at)
        assert compiled_modules(tmp_path) == [MODULE]
        assert stale_modules(tmp_path) == ([MODULE] if stale else [])

    def test_a_module_never_compiled_is_pure_python_not_stale(self, tmp_path: Path) -> None:
        _write(tmp_path, MODULE, 200.0)
        assert compiled_modules(tmp_path) == []
        assert stale_modules(tmp_path) == []


class TestDropStale:
    def test_one_stale_module_drops_the_whole_build(self, tmp_path: Path) -> None:
        stale, current = COMPILED_MODULES[0], COMPILED_MODULES[1]
        _write(tmp_path, stale, 200.0)
        _write(tmp_path, _extension(stale), 100.0)
        _write(tmp_path, current, 100.0)
        _write(tmp_path, _extension(current), 200.0)
        assert drop_stale(tmp_path) == [stale]
        assert compiled_modules(tmp_path) == []
        assert (tmp_path / stale).exists() and (tmp_path / current).exists()

    def test_a_current_build_is_kept(self, tmp_path: Path) -> None:
        _write(tmp_path, MODULE, 100.0)
        _write(tmp_path, _extension(MODULE), 200.0)
        assert drop_stale(tmp_path) == []
        assert compiled_modules(tmp_path) == [MODULE]
