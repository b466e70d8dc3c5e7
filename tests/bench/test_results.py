"""bench/RESULTS.md: a run replaces its own section and keeps everyone else's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.results import RunContext, render_section, replace_section, section_name, write_section


def context(commit: str = "abc123", dirty: bool = False) -> RunContext:
    return RunContext(
        when=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        commit=commit,
        dirty=dirty,
        machine="Test CPU, 2 cores, 4.0 GiB RAM, Python 3.11.9, core: pure Python",
        command="python -m bench ingest --people 10",
    )


class TestWriteSection:
    def test_a_second_run_replaces_its_section_instead_of_adding_one(self, tmp_path: Path) -> None:
        results = tmp_path / "RESULTS.md"
        write_section("ingest", context("first"), "full ingest: 100 observations/s\n", results)
        write_section("ingest", context("second"), "full ingest: 200 observations/s\n", results)
        text = results.read_text(encoding="utf-8")
        assert text.count("## ingest") == 1
        assert "200 observations/s" in text
        assert "100 observations/s" not in text
        assert "second" in text and "first" not in text

    def test_the_other_sections_are_kept_as_they_were(self, tmp_path: Path) -> None:
        results = tmp_path / "RESULTS.md"
        write_section("ingest", context(), "ingest figures\n", results)
        write_section("lookup", context(), "lookup figures\n", results)
        write_section("quality", context(), "quality figures\n", results)
        lookup_before = render_section("lookup", context(), "lookup figures\n")
        write_section("ingest", context("again"), "new ingest figures\n", results)
        text = results.read_text(encoding="utf-8")
        assert lookup_before in text
        assert "quality figures" in text
        assert text.index("## ingest") < text.index("## lookup") < text.index("## quality")

    def test_a_missing_file_is_created_with_its_header(self, tmp_path: Path) -> None:
        results = tmp_path / "RESULTS.md"
        write_section("lookup", context(), "lookup figures\n", results)
        text = results.read_text(encoding="utf-8")
        assert text.startswith("# Benchmark results")
        assert "lookup figures" in text


class TestRenderSection:
    def test_states_date_commit_machine_and_command(self) -> None:
        section = render_section("ingest", context(dirty=True), "figures\n")
        assert "2026-12-01 09:30 UTC" in section
        assert "abc123 with uncommitted changes" in section
        assert "Test CPU, 2 cores" in section
        assert "`python -m bench ingest --people 10`" in section

    def test_a_clean_tree_is_not_called_dirty(self) -> None:
        assert "uncommitted" not in render_section("ingest", context(dirty=False), "figures\n")


class TestReplaceSection:
    def test_text_around_the_sections_is_kept(self) -> None:
        document = replace_section("", "ingest", render_section("ingest", context(), "a\n"))
        document = document.replace("# Benchmark results", "# Benchmark results\n\nA note.")
        updated = replace_section(document, "ingest", render_section("ingest", context(), "b\n"))
        assert "A note." in updated
        assert "\nb\n" in updated and "\na\n" not in updated


class TestSectionName:
    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            pytest.param([], "ingest", id="the embedded store is the plain name"),
            pytest.param(["--store", "neo4j"], "ingest (neo4j)", id="neo4j gets its own section"),
            pytest.param(["--store=neo4j"], "ingest (neo4j)", id="the equals form counts too"),
            pytest.param(["--people", "10"], "ingest", id="other options share the section"),
        ],
    )
    def test_one_section_per_benchmark_and_store(self, argv: list[str], expected: str) -> None:
        assert section_name("ingest", argv) == expected
