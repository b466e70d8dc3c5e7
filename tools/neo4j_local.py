"""A real local Neo4j 5.26 server for development and tests, without Docker.

``neo4j-local/`` is a small Maven project: Neo4j 5.26 LTS embedded
(``org.neo4j:neo4j`` + ``org.neo4j:neo4j-bolt`` from Maven Central) with only the
Bolt connector, on 127.0.0.1, authentication off. This module builds it once
(Maven caches the jars in ``~/.m2``, so later builds need no network), starts it
as a detached ``java`` process, and stops it::

    server = start(Path(".neo4j-local"))          # -> LocalNeo4j(uri="bolt://127.0.0.1:PORT", ...)
    driver = neo4j.GraphDatabase.driver(server.uri, auth=None)
    ...
    stop(Path(".neo4j-local"))

or from a shell: ``python -m tools.neo4j_local start|stop|status [--data-dir DIR] [--port N]``.

The data directory is the Neo4j home: the store is ``DIR/data``, Neo4j's debug log
``DIR/logs/debug.log``, the process's own output ``DIR/neo4j-local.log`` and the
running server is recorded in ``DIR/server.json``. The server outlives the process
that started it (own session and process group) until ``stop`` is called; a later
``start`` on the same directory returns the running server instead of starting a
second one. Starts and stops on one directory are serialised by a lock file, so
parallel test workers can all call ``start`` and share one server.

Start-up is slow on a small machine, mostly class loading and JIT. To cut
it, the first server run with a given build dumps a class-data-sharing archive
when it is stopped cleanly (``-XX:ArchiveClassesAtExit``); ``stop`` checks it and
keeps it as ``target/neo4j-local.jsa``, and later starts map it
(``-XX:SharedArchiveFile``), which shortens their start-up. A rebuild drops
the archive. ``NEO4J_LOCAL_CDS=0`` turns this off.

Memory, as Neo4j's operations manual asks of a server: a fixed heap (``-Xms`` equal to
``-Xmx``, ``HEAP`` by default, ``NEO4J_LOCAL_HEAP`` to change it), so the JVM never
stops to grow it, and a page cache sized to the store when the server starts (the store
files and half again for growth, at least ``MIN_PAGE_CACHE``), so the graph is read from
memory once it has been read once; the server reloads what it last held in its page cache
at start (Neo4j's page-cache warm-up). docker-compose.yml starts the image with the same
heap.

Environment: ``JAVA_HOME`` (else ``java`` on PATH) picks the JVM (17 or 21);
``NEO4J_LOCAL_HEAP`` the heap (``2g``); ``NEO4J_LOCAL_JAVA_OPTS`` adds JVM options after
the defaults (they win over them); ``NEO4J_LOCAL_CDS=0`` disables the archive.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import neo4j
import neo4j.exceptions

PROJECT_DIR: Final = Path(__file__).resolve().parent.parent / "neo4j-local"
MAIN_CLASS: Final = "dev.idgraph.neo4jlocal.LocalNeo4j"
HOST: Final = "127.0.0.1"
STATE_FILE: Final = "server.json"
LOG_FILE: Final = "neo4j-local.log"
LOCK_FILE: Final = ".neo4j-local.lock"
READY_PREFIX: Final = "NEO4J_READY "
DEFAULT_DATA_DIR: Final = Path(".neo4j-local")
MIN_JAVA: Final = 17
JAR_NAME: Final = "neo4j-local.jar"  # <finalName> in pom.xml
CDS_ARCHIVE_NAME: Final = "neo4j-local.jsa"

# What Neo4j's own launcher passes on Java 17, less what only matters for big
# production heaps. Without the --add-opens the page cache falls back to a slower
# mode and debug.log fills with "Incorrect file descriptor" warnings.
HEAP: Final = "2g"
MIN_PAGE_CACHE: Final = 256 * 2**20
STORE_DIR: Final = Path("data") / "databases" / "neo4j"
"""The default database's store files, under the data directory."""

DEFAULT_JVM_OPTIONS: Final[tuple[str, ...]] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)

# Class-data sharing: only errors (a stale archive is silently not used; making
# one lists every class it skips).
_CDS_LOGGING: Final = "-Xlog:cds*=error"
_JVM_FATAL: Final = "A fatal error has been detected by the Java Runtime Environment"
_MAVEN_TIMEOUT: Final = 1800.0
_TAIL_LINES: Final = 40
_POLL_INTERVAL: Final = 0.2


class LocalNeo4jError(RuntimeError):
    """The local Neo4j could not be built, started or stopped; the message says why."""


class _JvmCrashed(LocalNeo4jError):
    """The JVM died of a fatal error (hs_err) during start-up."""


@dataclass(frozen=True)
class LocalNeo4j:
    """A running local server, as recorded in ``data_dir/server.json``."""

    uri: str
    port: int
    pid: int
    data_dir: Path

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE


# --------------------------------------------------------------------------- build


def build(force: bool = False) -> None:
    """Compile ``neo4j-local`` and copy its runtime jars to ``target/dependency``.

    Skipped when the build output exists and is newer than ``pom.xml`` and ``src/``.
    The first build downloads Neo4j's jars from Maven Central into ``~/.m2``; later ones
    run offline (``mvn -o``) and fall back to online only if that fails.
    """
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalNeo4jError(
            "mvn (Apache Maven 3.8+) is not on PATH; it is needed once to build "
            f"{PROJECT_DIR} (Debian: apt-get install maven)"
        )
    _java()
    target = PROJECT_DIR / "target"
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target / ".build.lock"):
        if not force and _build_is_current():
            return
        _stamp_file().unlink(missing_ok=True)
        _drop_cds_archives()
        goals = ["-B", "-q", "-Dstyle.color=never", "-DskipTests", "package"]
        result = _run_maven([mvn, "--offline", *goals])
        if result.returncode != 0:  # not everything is in ~/.m2 yet: go online
            result = _run_maven([mvn, *goals])
        if result.returncode != 0:
            raise LocalNeo4jError(
                f"Maven build of {PROJECT_DIR} failed (exit {result.returncode}):\n"
                + _tail(result.stdout)
            )
        if not _build_outputs_exist():
            raise LocalNeo4jError(
                f"Maven build of {PROJECT_DIR} succeeded but left no target/{JAR_NAME} "
                "or target/dependency:\n" + _tail(result.stdout)
            )
        _prune_dependencies()
        _stamp_file().touch()


def _prune_dependencies() -> None:
    """Delete jars that the build no longer uses (copy-dependencies never deletes).

    Only the stale ones: a running server may still have to open the others.
    """
    target = PROJECT_DIR / "target"
    try:
        listed = (target / "classpath.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return
    wanted = {Path(entry).name for entry in listed.split(os.pathsep) if entry}
    if not wanted:
        return
    for jar in (target / "dependency").glob("*.jar"):
        if jar.name not in wanted:
            jar.unlink(missing_ok=True)


def _run_maven(command: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            cwd=PROJECT_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            timeout=_MAVEN_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        output = e.output if isinstance(e.output, str) else ""
        raise LocalNeo4jError(
            f"Maven build of {PROJECT_DIR} took more than {_MAVEN_TIMEOUT:.0f} s:\n" + _tail(output)
        ) from e


def _stamp_file() -> Path:
    return PROJECT_DIR / "target" / ".neo4j-local-built"


def _build_outputs_exist() -> bool:
    target = PROJECT_DIR / "target"
    main_class = target / "classes" / (MAIN_CLASS.replace(".", "/") + ".class")
    return (
        main_class.is_file()
        and (target / JAR_NAME).is_file()
        and any((target / "dependency").glob("neo4j-*.jar"))
    )


def _build_is_current() -> bool:
    stamp = _stamp_file()
    if not stamp.is_file() or not _build_outputs_exist():
        return False
    sources = [PROJECT_DIR / "pom.xml", *(p for p in (PROJECT_DIR / "src").rglob("*"))]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
    return stamp.stat().st_mtime > newest  # equal: ambiguous at the clock's granularity


def _classpath() -> str:
    """The application jar and its dependencies (jars only: needed for class-data sharing)."""
    target = PROJECT_DIR / "target"
    # The java launcher expands "dir/*" to every jar in dir.
    return os.pathsep.join([str(target / JAR_NAME), str(target / "dependency" / "*")])


def _java() -> str:
    """The java executable (JAVA_HOME first, then PATH), checked to be Java 17+."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise LocalNeo4jError(
            f"java is not on PATH and JAVA_HOME is not set; Neo4j 5.26 needs Java {MIN_JAVA} "
            "or 21 (Debian: apt-get install openjdk-17-jre-headless)"
        )
    try:
        probe = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise LocalNeo4jError(f"cannot run {java} -version: {e}") from e
    match = re.search(r'version "(\d+)(?:\.(\d+))?', probe.stderr + probe.stdout)
    if match is None:
        raise LocalNeo4jError(f"cannot tell the version of {java}:\n{probe.stderr.strip()}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_..." style
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise LocalNeo4jError(
            f"{java} is Java {major}; Neo4j 5.26 needs Java {MIN_JAVA} or 21 (set JAVA_HOME)"
        )
    return java


# --------------------------------------------------------------------------- start


def start(data_dir: Path, port: int | None = None, timeout: float = 120) -> LocalNeo4j:
    """Start the server on ``data_dir`` (built first if needed) and wait until it answers.

    Returns the already running server when ``data_dir/server.json`` records one
    that answers. ``port`` None picks a free port on 127.0.0.1. Raises
    ``LocalNeo4jError`` (with the tail of the server's log) when the process dies
    or does not answer ``RETURN 1`` within ``timeout`` seconds; the process is
    then killed.
    """
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir / LOCK_FILE):
        running = _recorded_server(data_dir, timeout)
        if running is not None:
            if port is not None and port != running.port:
                raise LocalNeo4jError(
                    f"a local Neo4j already runs on {data_dir} at {running.uri} "
                    f"(pid {running.pid}), not on port {port}; stop it first"
                )
            return running
        build()
        java = _java()
        try:
            return _launch(java, data_dir, port, timeout, use_cds=_cds_enabled())
        except _JvmCrashed:
            archive = _cds_archive()
            if not archive.is_file():
                raise
            # A damaged archive makes the JVM die at once (SIGBUS): retry without it.
            archive.unlink(missing_ok=True)
            return _launch(java, data_dir, port, timeout, use_cds=False)


def _launch(
    java: str, data_dir: Path, port: int | None, timeout: float, *, use_cds: bool
) -> LocalNeo4j:
    chosen = port if port is not None else _free_port()
    cds_options: list[str] = []
    cds_dump: Path | None = None
    if use_cds:
        archive = _cds_archive()
        if archive.is_file():
            cds_options = [f"-XX:SharedArchiveFile={archive}", _CDS_LOGGING]
        else:  # written when this server exits cleanly; stop() adopts it
            cds_dump = archive.with_name(f"{archive.name}.{os.getpid()}-{time.time_ns()}.tmp")
            cds_options = [f"-XX:ArchiveClassesAtExit={cds_dump}", _CDS_LOGGING]
    heap = os.environ.get("NEO4J_LOCAL_HEAP", HEAP)
    command = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *DEFAULT_JVM_OPTIONS,
        *cds_options,
        f"-XX:ErrorFile={data_dir / 'hs_err_pid%p.log'}",  # not into the caller's cwd
        *shlex.split(os.environ.get("NEO4J_LOCAL_JAVA_OPTS", "")),
        "-cp",
        _classpath(),
        MAIN_CLASS,
        "--data-dir",
        str(data_dir),
        "--port",
        str(chosen),
        "--pagecache",
        str(page_cache_size(data_dir)),
    ]
    log_file = data_dir / LOG_FILE
    if log_file.exists():
        log_file.replace(log_file.with_name(LOG_FILE + ".1"))
    log_file.write_text(f"# {shlex.join(command)}\n", encoding="utf-8")
    pid = _spawn(command, log_file)
    server = LocalNeo4j(uri=f"bolt://{HOST}:{chosen}", port=chosen, pid=pid, data_dir=data_dir)
    _write_state(server, cds_dump)
    try:
        ready = _wait_until_ready(server, timeout)
    except BaseException:
        _terminate(pid, timeout=10)
        _state_path(data_dir).unlink(missing_ok=True)
        if cds_dump is not None:
            cds_dump.unlink(missing_ok=True)
        raise
    if ready != server:
        _write_state(ready, cds_dump)
    return ready


def page_cache_size(data_dir: Path) -> int:
    """Bytes of page cache for the store in ``data_dir``: its files and half again."""
    store = data_dir / STORE_DIR
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) if store.is_dir() else 0
    return max(MIN_PAGE_CACHE, size + size // 2)


def _recorded_server(data_dir: Path, timeout: float) -> LocalNeo4j | None:
    """The server in server.json once it answers; None (state cleared) when there is none.

    A recorded server that is alive but does not answer yet (still starting, or
    busy) gets ``timeout`` seconds; after that it is killed and forgotten, since a
    second server on the same store could not start anyway (store lock).
    """
    state = _read_state(data_dir)
    if state is None:
        return None
    deadline = time.monotonic() + timeout
    while _is_our_server(state.pid, data_dir):
        current = _read_state(data_dir) or state  # the uri is rewritten once ready
        if _answers(current.uri):
            return current
        if time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    _stop_locked(data_dir, timeout=30)
    return None


def _spawn(command: list[str], log_file: Path) -> int:
    """Start ``command`` in its own session (so its own process group), output to log_file.

    ``posix_spawn`` rather than ``subprocess.Popen``: the server is meant to outlive
    this call (and this process), and an abandoned Popen object warns
    ``ResourceWarning: subprocess is still running`` when collected.
    """
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND)
    try:
        return os.posix_spawn(
            command[0],
            command,
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, fd, 1),
                (os.POSIX_SPAWN_DUP2, fd, 2),
            ],
            setsid=True,
        )
    except OSError as e:
        raise LocalNeo4jError(f"cannot start {command[0]}: {e}") from e
    finally:
        os.close(fd)


def _wait_until_ready(server: LocalNeo4j, timeout: float) -> LocalNeo4j:
    deadline = time.monotonic() + timeout
    ready_uri: str | None = None
    while True:
        if not _pid_alive(server.pid):
            tail = _log_tail(server.log_file)
            error = _JvmCrashed if _JVM_FATAL in tail else LocalNeo4jError
            raise error(
                f"the local Neo4j (pid {server.pid}) exited during start-up; "
                f"end of {server.log_file}:\n{tail}"
            )
        if ready_uri is None:
            ready_uri = _ready_uri(server.log_file)
        if ready_uri is not None and _answers(ready_uri):
            if ready_uri != server.uri:
                port = int(ready_uri.rsplit(":", 1)[1])
                server = LocalNeo4j(ready_uri, port, server.pid, server.data_dir)
            return server
        if time.monotonic() >= deadline:
            stage = "print its ready line" if ready_uri is None else "answer RETURN 1"
            raise LocalNeo4jError(
                f"the local Neo4j (pid {server.pid}) did not {stage} within {timeout:g} s; "
                f"end of {server.log_file}:\n{_log_tail(server.log_file)}"
            )
        time.sleep(_POLL_INTERVAL)


def _ready_uri(log_file: Path) -> str | None:
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip()
    return None


def _answers(uri: str, timeout: float = 5.0) -> bool:
    """True when the server at ``uri`` runs ``RETURN 1`` (one try, no driver retries)."""
    try:
        with (
            neo4j.GraphDatabase.driver(
                uri,
                auth=None,
                connection_timeout=timeout,
                connection_acquisition_timeout=timeout,
                max_connection_pool_size=1,
            ) as driver,
            driver.session(database="neo4j") as session,
        ):
            record = session.run("RETURN 1 AS ok").single()
            return record is not None and record["ok"] == 1
    except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError):
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


# --------------------------------------------------------------------------- admin tool

ADMIN_CLASS: Final = "org.neo4j.cli.AdminTool"
_ADMIN_TIMEOUT: Final = 3600.0


def run_admin(data_dir: Path, arguments: list[str]) -> str:
    """Run ``neo4j-admin ARGUMENTS`` (the admin tool in the jars the server is built from)
    on the Neo4j home ``data_dir``, which no server may be running on; its output. Raises
    ``LocalNeo4jError`` with the end of the output when it fails."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    build()
    heap = os.environ.get("NEO4J_LOCAL_HEAP", HEAP)
    command = [_java(), f"-Xmx{heap}", *DEFAULT_JVM_OPTIONS, "-cp", _classpath()]
    command += [ADMIN_CLASS, *arguments]
    environment = {**os.environ, "NEO4J_HOME": str(data_dir)}
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_ADMIN_TIMEOUT,
            check=False,
            env=environment,
            cwd=data_dir,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise LocalNeo4jError(f"neo4j-admin {' '.join(arguments[:3])} failed: {e}") from e
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise LocalNeo4jError(
            f"neo4j-admin {' '.join(arguments[:3])} failed (exit {done.returncode}):\n"
            + _tail(output)
        )
    return output


# --------------------------------------------------------------------------- stop / status


def stop(data_dir: Path, timeout: float = 60) -> bool:
    """Stop the server recorded in ``data_dir/server.json``: SIGTERM, then SIGKILL.

    Waits up to ``timeout`` seconds for the clean shutdown (which checkpoints the
    store) before killing. Removes the state file. Returns True when a running
    server was stopped, False when none was running.
    """
    data_dir = data_dir.expanduser().resolve()
    if not data_dir.is_dir():
        return False
    with _locked(data_dir / LOCK_FILE):
        return _stop_locked(data_dir, timeout)


def _stop_locked(data_dir: Path, timeout: float) -> bool:
    state = _read_state(data_dir)
    if state is None:
        return False
    stopped = clean = False
    if _is_our_server(state.pid, data_dir):
        clean = _terminate(state.pid, timeout)
        stopped = True
    cds_dump = _read_cds_dump(data_dir)
    _state_path(data_dir).unlink(missing_ok=True)
    if cds_dump is not None:
        _adopt_cds_archive(cds_dump, clean)
    return stopped


def status(data_dir: Path) -> LocalNeo4j | None:
    """The server recorded in ``data_dir/server.json`` if it runs and answers, else None."""
    data_dir = data_dir.expanduser().resolve()
    state = _read_state(data_dir)
    if state is None or not _is_our_server(state.pid, data_dir):
        return None
    return state if _answers(state.uri) else None


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM the process group of ``pid``, wait, then SIGKILL it; True if SIGTERM did it."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(pid, sig)  # pid == pgid: spawned with setsid
        except ProcessLookupError:  # not a group leader after all
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _pid_alive(pid):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        else:
            return sig == signal.SIGTERM
    raise LocalNeo4jError(f"the local Neo4j (pid {pid}) survived SIGKILL")


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs; reaps it when it is our exited child (not a zombie)."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: someone else reaps it
    else:
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still has a pid but is dead
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _is_our_server(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is alive and (where /proc says) our java serving ``data_dir``."""
    if not _pid_alive(pid):
        return False
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the state file
    return MAIN_CLASS.encode() in args and os.fsencode(data_dir) in args


# --------------------------------------------------------------------------- state file


def _state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def _write_state(server: LocalNeo4j, cds_dump: Path | None) -> None:
    path = _state_path(server.data_dir)
    payload = {
        "pid": server.pid,
        "port": server.port,
        "uri": server.uri,
        "data_dir": str(server.data_dir),
        "log_file": str(server.log_file),
        "cds_dump": str(cds_dump) if cds_dump else None,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def _read_state(data_dir: Path) -> LocalNeo4j | None:
    try:
        raw: Any = json.loads(_state_path(data_dir).read_text(encoding="utf-8"))
        pid, port, uri = raw["pid"], raw["port"], raw["uri"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(pid, int) and isinstance(port, int) and isinstance(uri, str)):
        return None
    return LocalNeo4j(uri=uri, port=port, pid=pid, data_dir=data_dir)


def _read_cds_dump(data_dir: Path) -> Path | None:
    try:
        raw: Any = json.loads(_state_path(data_dir).read_text(encoding="utf-8"))
        dump = raw.get("cds_dump")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(dump) if isinstance(dump, str) and dump else None


# --------------------------------------------------------------------------- class-data sharing


def _cds_enabled() -> bool:
    return os.environ.get("NEO4J_LOCAL_CDS", "1").strip().lower() not in {"0", "false", "no", "off"}


def _cds_archive() -> Path:
    return PROJECT_DIR / "target" / CDS_ARCHIVE_NAME


def _adopt_cds_archive(dump: Path, clean_exit: bool) -> None:
    """Keep the archive a cleanly stopped server wrote, if the JVM can map it.

    A truncated archive crashes the JVM (SIGBUS) instead of being ignored, hence
    the clean-exit condition and the trial run with ``-Xshare:on``.
    """
    archive = _cds_archive()
    try:
        if not clean_exit or not dump.is_file() or archive.is_file():
            return
        share = [f"-XX:SharedArchiveFile={dump}", "-Xshare:on", _CDS_LOGGING]
        trial = subprocess.run(
            [_java(), *share, "-cp", _classpath(), MAIN_CLASS, "--help"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if trial.returncode == 0:
            dump.replace(archive)
    except (OSError, subprocess.TimeoutExpired, LocalNeo4jError):
        pass  # no archive: starts are just slower
    finally:
        dump.unlink(missing_ok=True)


def _drop_cds_archives() -> None:
    archive = _cds_archive()
    for path in archive.parent.glob(archive.name + "*"):
        path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(text: str, lines: int = _TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _log_tail(log_file: Path) -> str:
    try:
        return _tail(log_file.read_text(encoding="utf-8", errors="replace"))
    except OSError as e:
        return f"(cannot read {log_file}: {e})"


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """``start|stop|status [--data-dir DIR] [--port N] [--timeout S]``; exit 1 on failure.

    ``start`` prints the Bolt URI on its last line; ``status`` exits 1 when no
    server runs.
    """
    parser = argparse.ArgumentParser(
        prog="neo4j-local",
        description="Build, start, stop or query the local Neo4j 5.26 server (Bolt, no auth).",
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"Neo4j home: store, logs and {STATE_FILE} (default: ./{DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--port", type=int, help="Bolt port for start (default: a free one)")
    parser.add_argument("--timeout", type=float, help="seconds to wait (start 120, stop 60)")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    try:
        if args.action == "start":
            server = start(data_dir, port=args.port, timeout=args.timeout or 120)
            print(f"local Neo4j running: pid {server.pid}, log {server.log_file}")
            print(server.uri)
            return 0
        if args.action == "stop":
            stopped = stop(data_dir, timeout=args.timeout or 60)
            print("stopped" if stopped else "not running")
            return 0
        running = status(data_dir)
        if running is None:
            print("not running")
            return 1
        print(f"running: pid {running.pid}, log {running.log_file}")
        print(running.uri)
        return 0
    except LocalNeo4jError as e:
        print(f"neo4j-local: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
