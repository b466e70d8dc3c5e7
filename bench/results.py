"""bench/RESULTS.md: the latest figures of every benchmark, written by the scripts.

Each run of a benchmark (``python -m bench <name>`` or ``python -m bench.<name>``) replaces
its own section of the file with what it printed, under the date, the git commit (and
whether the working tree had changes), the machine and the command line; the other
benchmarks' sections stay as they were. Figures are regenerated, never hand-edited: what
limits each of them is explained in docs/benchmarks.md.

A section is delimited by HTML comments (invisible when the Markdown is rendered), so a
run finds its own section again whatever the others hold::

    <!-- bench:ingest -->
    ## ingest
    ...
    <!-- /bench:ingest -->
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tools import compiled_core

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = ROOT / "bench" / "RESULTS.md"

HEADER = """\
# Benchmark results

Written by the benchmark scripts (`bench/results.py`): each run of `python -m bench NAME`
replaces its own section below and keeps the others, so sections can come from different
days, commits and machines: each one says which. What each figure measures and what
limits it: [docs/benchmarks.md](../docs/benchmarks.md). Do not edit by hand.
"""


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where and when a run happened: what a reader needs to weigh its figures."""

    when: datetime
    commit: str
    dirty: bool
    machine: str
    command: str


def _start_marker(name: str) -> str:
    return f"<!-- bench:{name} -->"


def _end_marker(name: str) -> str:
    return f"<!-- /bench:{name} -->"


def render_section(name: str, context: RunContext, output: str) -> str:
    """The Markdown section of one run: its context, then what the script printed."""
    commit = context.commit + (" with uncommitted changes" if context.dirty else "")
    lines = [
        _start_marker(name),
        f"## {name}",
        "",
        f"- date: {context.when.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- commit: {commit}",
        f"- machine: {context.machine}",
        f"- command: `{context.command}`",
        "",
        "```text",
        output.rstrip("\n"),
        "```",
        _end_marker(name),
    ]
    return "\n".join(lines) + "\n"


def replace_section(document: str, name: str, section: str) -> str:
    """``document`` with the section of ``name`` replaced by ``section`` (added at the
    end when there is none); every other section kept as it was."""
    if not document.strip():
        document = HEADER
    pattern = re.compile(
        re.escape(_start_marker(name)) + r".*?" + re.escape(_end_marker(name)) + r"\n?",
        re.DOTALL,
    )
    if pattern.search(document):
        return pattern.sub(lambda _: section, document, count=1)
    return document.rstrip("\n") + "\n\n" + section


def write_section(name: str, context: RunContext, output: str, path: Path = RESULTS_FILE) -> None:
    """Replace the section of ``name`` in the results file (created when missing), by
    writing a whole new file and renaming it over the old one."""
    document = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = replace_section(document, name, render_section(name, context, output))
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(updated, encoding="utf-8")
    scratch.replace(path)


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    return "RAM unknown"


def _load_average() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} at the start"
    except OSError:
        return "load average unknown"


def describe_machine() -> str:
    """CPU model, cores, RAM, Python, whether the compiled core ran, and how busy the
    machine was when the run started (other work makes figures noisy)."""
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_memory()},"
        f" Python {platform.python_version()}, core: {compiled_core.status()};"
        f" {_load_average()}"
    )


def current_context(name: str, argv: Sequence[str]) -> RunContext:
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return RunContext(
        when=datetime.now(UTC),
        commit=_git("rev-parse", "--short=12", "HEAD") or "unknown (not a git checkout)",
        dirty=bool(dirty),
        machine=describe_machine(),
        command=shlex.join(["python", "-m", "bench", name, *argv]),
    )


class _Tee(io.TextIOBase):
    """Writes go to the terminal and are kept for the results file."""

    def __init__(self, terminal: TextIO) -> None:
        self.terminal = terminal
        self.kept = io.StringIO()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.kept.write(text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()


@contextlib.contextmanager
def _teed_stdout() -> Iterator[_Tee]:
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield tee


Main = Callable[[list[str]], int | None]


def section_name(name: str, argv: Sequence[str]) -> str:
    """The section a run replaces: one per benchmark and store, so that a run against
    Neo4j does not replace the embedded store's figures."""
    store = "embedded"
    for i, arg in enumerate(argv):
        if arg == "--store" and i + 1 < len(argv):
            store = argv[i + 1]
        elif arg.startswith("--store="):
            store = arg.split("=", 1)[1]
    return name if store == "embedded" else f"{name} ({store})"


def run_recorded(name: str, main: Main, argv: Sequence[str] | None = None) -> int:
    """Run a benchmark's ``main`` with ``argv`` (default: the command line), print as it
    prints, and on success replace its section of bench/RESULTS.md with what it printed.
    A failed run (non-zero exit or an exception) leaves the file alone."""
    args = list(sys.argv[1:] if argv is None else argv)
    context = current_context(name, args)
    with _teed_stdout() as tee:
        status = main(args) or 0
    if status == 0:
        section = section_name(name, args)
        write_section(section, context, tee.kept.getvalue())
        print(f"results: section {section!r} of {RESULTS_FILE.relative_to(ROOT)} replaced")
    return status
