"""The compiled core: the resolver's and matchers' modules compiled to C with mypyc.

    python -m tools.compiled_core build    # compile in place (what `make` runs)
    python -m tools.compiled_core status   # compiled, pure Python, or stale
    python -m tools.compiled_core clean    # remove the compiled modules
    python -m tools.compiled_core drop-stale  # remove them if any is stale (make test-fast)

The modules are plain, strictly typed Python; mypyc (part of mypy, the type checker the
project already runs) turns them into C extensions placed beside the sources, which
Python imports in preference to the ``.py`` files. Behaviour is the same either way; the
ingest and the fuzzy matcher spend most of their time in Python-level loops over dicts,
sets and tuples, which the compiled code runs faster. Without a C compiler (or
when the build fails) ``build`` says so and the project runs as pure Python.

An extension older than its source would run the old code, so ``stale_modules`` lists
them and the test suite refuses to start on a stale build (``make`` rebuilds it).
``drop-stale`` removes the whole build when any module of it is stale, so that the
sources run instead: the fast test lane does that rather than wait for a rebuild
(docs/development.md says why the whole build and not only the stale modules).
"""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMPILED_MODULES = (
    "graph/records.py",
    "graph/rules.py",
    "identity/canonical_json.py",
    "identity/cluster.py",
    "identity/consent.py",
    "identity/documents.py",
    "identity/edge_status.py",
    "identity/fuzzy_linking.py",
    "identity/guards.py",
    "identity/partition.py",
    "identity/profile.py",
    "identity/profile_ids.py",
    "identity/resolver.py",
    "identity/staging.py",
    "matchers/attributes.py",
    "matchers/blocking.py",
    "matchers/comparisons.py",
    "matchers/deterministic.py",
    "matchers/fellegi_sunter.py",
    "matchers/fuzzy.py",
    "matchers/pairs.py",
)
PACKAGES = ("graph", "identity", "matchers")
# The shared library of the compiled modules lives inside a package (``identity/``), so
# whatever puts the packages on the path (an editable install, the working directory)
# finds it too.
GROUP = "identity.compiled_core"


def _extensions(source: Path) -> list[Path]:
    stem = source.with_suffix("")
    return [
        Path(f"{stem}{suffix}")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        if Path(f"{stem}{suffix}").exists()
    ]


def _shared_libraries(root: Path = ROOT) -> list[Path]:
    package, name = GROUP.rsplit(".", 1)
    return sorted((root / package).glob(f"{name}__mypyc.*"))


def compiled_modules(root: Path = ROOT) -> list[str]:
    return [m for m in COMPILED_MODULES if _extensions(root / m)]


def stale_modules(root: Path = ROOT) -> list[str]:
    """Compiled modules whose source changed after they were compiled."""
    stale = []
    for module in COMPILED_MODULES:
        source = root / module
        built = _extensions(source)
        if built and any(b.stat().st_mtime < source.stat().st_mtime for b in built):
            stale.append(module)
    return stale


def clean(root: Path = ROOT) -> None:
    """Remove every compiled module of the packages (also of modules no longer listed)."""
    for package in PACKAGES:
        for source in (root / package).glob("*.py"):
            for built in _extensions(source):
                built.unlink()
    for library in _shared_libraries(root):
        library.unlink()


_SETUP = """
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="idgraph-core",
    ext_modules=mypycify({modules!r}, group_name={group!r}, opt_level="3"),
    script_args=["build_ext", "--inplace", "--build-temp", "build/core"],
)
"""


def drop_stale(root: Path = ROOT) -> list[str]:
    """Remove every compiled module when any is older than its source; the stale ones.

    All of them, not only the stale ones: the modules are compiled as one group that
    calls across modules natively, so a compiled module next to the source of another
    module of the group would meet objects of plain Python classes where it expects its
    native ones."""
    stale = stale_modules(root)
    if stale:
        clean(root)
    return stale


def build() -> bool:
    """Compile the modules in place; False (and pure Python, nothing half-built) when
    this machine cannot: no C compiler, or the compilation failed."""
    clean()
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        print(f"compiled core: no C compiler ({compiler}), running as pure Python", file=sys.stderr)
        return False
    script = _SETUP.format(modules=list(COMPILED_MODULES), group=GROUP)
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=ROOT,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    missing = [m for m in COMPILED_MODULES if not _extensions(ROOT / m)]
    if done.returncode != 0 or missing:
        clean()
        print(
            f"compiled core: the build failed, running as pure Python:\n{done.stderr[-2000:]}",
            file=sys.stderr,
        )
        return False
    # setuptools copies an unchanged extension with its old time; it is current now.
    for module in COMPILED_MODULES:
        for built in _extensions(ROOT / module):
            os.utime(built)
    return True


def status() -> str:
    stale = stale_modules()
    if stale:
        return f"stale (sources changed since compiled: {', '.join(stale)}); run make"
    done = compiled_modules()
    if not done:
        return "pure Python"
    if len(done) < len(COMPILED_MODULES):
        return f"partly compiled ({len(done)} of {len(COMPILED_MODULES)} modules)"
    return f"compiled with mypyc ({len(done)} modules)"


def main(argv: list[str] | None = None) -> int:
    command = (argv if argv is not None else sys.argv[1:]) or ["status"]
    if command == ["build"]:
        build()
    elif command == ["clean"]:
        clean()
    elif command == ["drop-stale"]:
        stale = drop_stale()
        if stale:
            print(f"compiled core: stale ({', '.join(stale)}), removed; the sources run")
    elif command != ["status"]:
        print(__doc__, file=sys.stderr)
        return 2
    print(f"core: {status()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
