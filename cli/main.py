"""The ``idgraph`` command: load, lookup, export, check, erase, keys, serve, neo4j-local,
upgrade-store.

Exit codes: 0 success, 1 something was not found or a check failed, 2 bad usage or
configuration, 3 the store failed, 141 the output's reader closed the pipe.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from api.bootstrap import build_service
from cli.fit_model import fit_model
from cli.garbage_collection import batch_collector
from graph.store import StoreError
from identity.access import Role
from identity.errors import ConfigurationError, InputRefused, NotFound
from identity.service import IdentityService
from identity.settings import Settings, load_settings

EXIT_BROKEN_PIPE = 141
"""What a shell reports for a process ended by SIGPIPE (128 + 13)."""


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idgraph", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML settings file (or IDGRAPH_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="data directory (or IDGRAPH_DATA_DIR)")
    parser.add_argument(
        "--store",
        choices=("embedded", "neo4j"),
        help="store to use (or IDGRAPH_STORE); default embedded",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser("load", help="load observations from NDJSON or CSV")
    load.add_argument("file", type=Path)
    load.add_argument("--format", choices=("ndjson", "csv"), help="default: by file extension")
    load.add_argument(
        "--rejects",
        type=Path,
        help="where rejected lines go (default FILE.rejects.ndjson beside it)",
    )
    load.add_argument("--batch-size", type=int, help="observations per atomic batch")
    load.add_argument(
        "--encoding",
        choices=("utf-8", "cp949", "euc-kr"),
        default="utf-8",
        help="the file's text encoding (Excel in Korea writes cp949); checked before"
        " anything is stored",
    )
    load.add_argument(
        "--columns",
        type=Path,
        help="column-mapping TOML file: headers to fields, values to statuses"
        " (see examples/korean-columns.toml)",
    )
    load.add_argument(
        "--bulk",
        action=argparse.BooleanOptionalAction,
        help="the bulk path (columns, every core) into an empty store (default: for files"
        " from bulk_min_bytes, 64 MiB, into an empty store)",
    )
    load.add_argument(
        "--parse-worker",
        action=argparse.BooleanOptionalAction,
        help="parse in a second process while this one ingests (default: on with two CPUs"
        " or more for files from 256 KiB)",
    )
    load.add_argument(
        "--initial",
        action="store_true",
        help="neo4j: a first load into an empty database, through neo4j-admin database"
        " import (see docs/neo4j.md)",
    )
    load.add_argument(
        "--import-with",
        choices=("local", "docker"),
        default="local",
        help="with --initial: the local server's import tool (default) or the image's in"
        " docker compose",
    )
    load.add_argument(
        "--neo4j-dir",
        type=Path,
        default=Path(".neo4j-local"),
        help="with --initial: the local server's directory",
    )

    lookup = commands.add_parser("lookup", help="print the profile behind an identifier")
    lookup.add_argument("type")
    lookup.add_argument("value")
    lookup.add_argument(
        "--region", help="country of a local phone number (ISO 3166 alpha-2, e.g. KR)"
    )

    export = commands.add_parser("export", help="write every profile as NDJSON")
    export.add_argument("file", type=Path, help="output file, - for standard output")

    check = commands.add_parser("check", help="verify the store's invariants (read-only)")
    check.add_argument("--max-violations", type=int, default=100)

    erase = commands.add_parser("erase", help="erase a profile or an identifier for good")
    target = erase.add_mutually_exclusive_group(required=True)
    target.add_argument("--profile", metavar="ID")
    target.add_argument("--identifier", nargs=2, metavar=("TYPE", "VALUE"))
    erase.add_argument("--actor", default="cli", help="who asks, for the audit log")

    keys = commands.add_parser("keys", help="create, list or revoke API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="a new key; printed once, on the last line")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--label", default="", help="who holds it")
    key_commands.add_parser("list", help="every key: digest prefix, role, label, dates")
    revoke = key_commands.add_parser("revoke", help="revoke a key by its digest (prefix)")
    revoke.add_argument("digest", help="the digest or at least its first 6 characters")

    fit = commands.add_parser("fit-model", help="fit the fuzzy match model to an NDJSON file")
    fit.add_argument("file", type=Path)
    fit.add_argument("--out", type=Path, required=True, help="the model JSON to write")
    fit.add_argument("--seed", type=int, default=0, help="for the random pairs that give u")

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on the port (one CPU each at most); default 1",
    )
    serve.add_argument("--no-access-log", action="store_true", help="do not log a line per request")

    commands.add_parser(
        "upgrade-store",
        help="upgrade a store written by an earlier idgraph in place (Neo4j; the embedded"
        " store upgrades itself when opened)",
    )

    local = commands.add_parser("neo4j-local", help="build, start or stop the local Neo4j")
    local.add_argument("action", choices=("start", "stop", "status"))
    local.add_argument("--neo4j-dir", type=Path, default=Path(".neo4j-local"))
    local.add_argument("--port", type=int)
    return parser


def command_settings(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> Settings:
    """The settings of a command: defaults, the TOML file (``--config``), the environment,
    then the flags that name a setting (``--data-dir``, ``--store``, ``load
    --batch-size``), each layer over the one below (``identity.settings.load_settings``)."""
    flags = {
        "data_dir": args.data_dir,
        "store": args.store,
        "batch_size": getattr(args, "batch_size", None),
    }
    return load_settings(args.config, environ, flags)


def main(argv: Sequence[str] | None = None) -> int:
    args = argument_parser().parse_args(argv)
    if args.command == "neo4j-local":
        from tools import neo4j_local

        forwarded = [args.action, "--data-dir", str(args.neo4j_dir)]
        if args.port:
            forwarded += ["--port", str(args.port)]
        return neo4j_local.main(forwarded)
    try:
        settings = command_settings(args)
        if args.command == "upgrade-store":
            return _upgrade_store(settings)
        if args.command == "load" and args.initial:
            from cli.initial_load import initial_load

            return initial_load(settings, args)
        service = build_service(settings)
    except ConfigurationError as e:
        print(f"idgraph: configuration: {e}", file=sys.stderr)
        return 2
    except StoreError as e:
        print(f"idgraph: store: {e}", file=sys.stderr)
        return 3
    try:
        # Every command but serve is batch work (see cli.garbage_collection).
        collector = contextlib.nullcontext() if args.command == "serve" else batch_collector()
        with collector:
            return _COMMANDS[args.command](service, settings, args)
    except StoreError as e:
        print(f"idgraph: store: {e}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        # The reader went away (``idgraph export - | head``): stop quietly, as Unix tools
        # do, and keep Python from reporting the pipe again while flushing at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    finally:
        service.store.close()


def _upgrade_store(settings: Settings) -> int:
    if settings.store != "neo4j":
        build_service(settings).store.close()
        print(f"the {settings.store} store is up to date (it upgrades itself when opened)")
        return 0
    from graph.neo4j_store.upgrade import upgrade

    upgraded = upgrade(
        settings.neo4j_uri,
        settings.neo4j_user,
        settings.neo4j_password,
        settings.neo4j_database,
        say=print,
    )
    print("upgraded" if upgraded else "the neo4j store is up to date")
    return 0


def _load(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    from cli.bulk.load import StoreNotEmpty, bulk_load, peak_rss_bytes, store_is_empty
    from cli.column_map import ColumnMap, ColumnMapError
    from cli.encodings import EncodingMismatch, check_encoding
    from cli.loading import ProgressBar, detect_format, load_file

    path: Path = args.file
    if not path.is_file():
        print(f"idgraph load: no such file: {path}", file=sys.stderr)
        return 2
    try:
        columns = ColumnMap.read(args.columns) if args.columns else None
        # Before the rejects file is opened: a file in another encoding leaves nothing.
        check_encoding(path, args.encoding)
    except (ColumnMapError, EncodingMismatch) as e:
        print(f"idgraph load: {e}", file=sys.stderr)
        return 2
    rejects_path: Path = args.rejects or path.with_name(path.name + ".rejects.ndjson")
    bulk = args.bulk
    if bulk is None:
        bulk = path.stat().st_size >= settings.bulk_min_bytes and store_is_empty(service)
    path_taken = "incremental"
    with rejects_path.open("w", encoding="utf-8") as rejects:
        report = None
        if bulk and (args.encoding != "utf-8" or columns is not None):
            print(
                "idgraph load: --encoding and --columns take the incremental path",
                file=sys.stderr,
            )
            bulk = False
        if bulk:
            try:
                report, _ = bulk_load(service, path, rejects, args.format or detect_format(path))
                path_taken = "bulk"
            except StoreNotEmpty:
                print("idgraph load: the store holds data: loading incrementally", file=sys.stderr)
        if report is None:
            progress = ProgressBar(path.stat().st_size)
            report = load_file(
                service,
                path,
                rejects,
                args.format,
                settings.batch_size,
                progress,
                args.parse_worker,
                args.encoding,
                columns,
            )
            progress.finish()
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    summary = report.to_dict()
    print(
        f"lines read {summary['lines_read']:,}, observations accepted"
        f" {summary['observations_accepted']:,}, identifiers refused"
        f" {summary['identifiers_refused']:,}, lines rejected {summary['lines_rejected']:,}"
        + (
            f", identifiers flagged as look-alikes {report.identifiers_flagged:,}"
            if report.identifiers_flagged
            else ""
        )
    )
    print(
        f"profiles created {report.profiles_created:,}, merged {report.profiles_merged:,};"
        f" identifiers suppressed (erased before) {report.identifiers_suppressed:,};"
        f" rejects in {rejects_path}"
    )
    own, workers = peak_rss_bytes()
    print(
        f"path {path_taken}; peak RSS {own / 2**20:,.0f} MiB in this process,"
        f" {workers / 2**20:,.0f} MiB in the largest worker"
    )
    return 0


def _lookup(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    try:
        profile = service.lookup(args.type, args.value, (args.region or "").upper() or None)
    except InputRefused as e:
        print(f"idgraph lookup: {e}", file=sys.stderr)
        return 2
    except NotFound as e:
        print(f"idgraph lookup: {e}", file=sys.stderr)
        return 1
    print(json.dumps(profile.to_dict(), indent=2, ensure_ascii=False))
    return 0


def _export(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    out = sys.stdout if str(args.file) == "-" else args.file.open("w", encoding="utf-8")
    count = 0
    try:
        for profile in service.iter_profiles():
            out.write(
                json.dumps(profile.to_dict(with_lineage=False), ensure_ascii=False, sort_keys=True)
                + "\n"
            )
            count += 1
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"exported {count:,} profiles", file=sys.stderr)
    return 0


def _serve(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    from api.serving import serve

    if args.workers < 1:
        print(f"idgraph serve: --workers must be 1 or more, got {args.workers}", file=sys.stderr)
        return 2
    serve(
        service,
        settings,
        args.config,
        args.host,
        args.port,
        workers=args.workers,
        access_log=not args.no_access_log,
    )
    return 0


def _check(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    report = service.check(args.max_violations)
    checked = ", ".join(f"{count:,} {name}" for name, count in report.checked.items())
    for violation in report.violations:
        print(f"violation: {violation}")
    print(f"checked {checked}: {'ok' if report.ok else f'{len(report.violations)} violations'}")
    return 0 if report.ok else 1


def _erase(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.profile:
            receipt = service.privacy.erase_profile(args.profile, args.actor)
        else:
            key = service.normalize(args.identifier[0], args.identifier[1]).key
            receipt = service.privacy.erase_identifiers([key], args.actor)
    except InputRefused as e:
        print(f"idgraph erase: {e}", file=sys.stderr)
        return 2
    except NotFound as e:
        print(f"idgraph erase: {e}", file=sys.stderr)
        return 1
    print(json.dumps(receipt.to_dict(), indent=2))
    return 0


def _keys(service: IdentityService, settings: Settings, args: argparse.Namespace) -> int:
    if args.keys_command == "create":
        key = service.keys.create(args.role, args.label)
        print(f"created a {args.role} key; it is shown only now, keep it safe:")
        print(key)
        return 0
    if args.keys_command == "list":
        for info in service.keys.all_keys():
            state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
            print(
                f"{info.digest[:16]}  {info.role.value:8}  {info.created_at}  {state}  {info.label}"
            )
        return 0
    try:
        service.keys.revoke(service.keys.find(args.digest))
    except InputRefused as e:
        print(f"idgraph keys revoke: {e}", file=sys.stderr)
        return 2
    except NotFound as e:
        print(f"idgraph keys revoke: {e}", file=sys.stderr)
        return 1
    print(f"revoked {args.digest}")
    return 0


_COMMANDS = {
    "load": _load,
    "lookup": _lookup,
    "export": _export,
    "serve": _serve,
    "check": _check,
    "erase": _erase,
    "keys": _keys,
    "fit-model": fit_model,
}

if __name__ == "__main__":
    sys.exit(main())
