"""Run one benchmark and record its figures in bench/RESULTS.md.

    python -m bench NAME [ARGS...]      # the same as python -m bench.NAME [ARGS...]
    python -m bench --list

NAME is one of the registry below; ARGS go to the benchmark (``python -m bench NAME
--help`` lists them). How to run each one and what limits its figures: docs/benchmarks.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bench import febrl, http, ingest, lookup, quality
from bench.results import Main, run_recorded

BENCHMARKS: dict[str, tuple[Main, str]] = {
    "ingest": (ingest.main, "normalization alone beside the full ingest (idgraph load's path)"),
    "lookup": (lookup.main, "raw point look-ups beside the service's lookups"),
    "http": (http.main, "idgraph serve on loopback, driven open-loop from another process"),
    "quality": (quality.main, "resolution quality on a generated world with known truth"),
    "febrl": (febrl.main, "FEBRL3/FEBRL4 through the real ingest, beside Splink"),
}


def _usage() -> str:
    names = "\n".join(f"  {name:<8} {about}" for name, (_, about) in BENCHMARKS.items())
    return f"usage: python -m bench NAME [ARGS...]\n\nbenchmarks:\n{names}\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "--list"):
        print(_usage(), end="")
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in BENCHMARKS:
        print(f"python -m bench: no benchmark {name!r}\n\n{_usage()}", end="", file=sys.stderr)
        return 2
    return run_recorded(name, BENCHMARKS[name][0], rest)


if __name__ == "__main__":
    raise SystemExit(main())
