"""The files ``neo4j-admin database import full`` builds a new database from: every row of a
store resolved elsewhere (the embedded engine's, ``graph.embedded.dump``) in the model of
``graph.neo4j_store``, one CSV file per label and relationship type, with the import
tool's typed headers.

Strings are quoted (a quote doubled), lists are split on ``ARRAY_DELIMITER`` (a control
character: the JSON of facts escapes every one, and no key or ID holds one), and an empty
string is no property (``--ignore-empty-strings``; the reads take a missing ``generic``,
``reason`` or ``via`` for an empty one).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from graph.embedded.dump import Dump
from graph.neo4j_store.logs import AUDIT_COUNTER, CHANGES_COUNTER, USER_META_PREFIX
from graph.neo4j_store.observations import fact_lists
from graph.neo4j_store.profiles import DOCUMENT_FIELDS, profile_properties
from graph.neo4j_store.store import SCHEMA_VERSION
from graph.records import FactRow
from graph.store import StoreError

ARRAY_DELIMITER: Final = "\x1f"
DATABASE: Final = "neo4j"


@dataclass(slots=True)
class ImportFiles:
    """The files written, as ``--nodes``/``--relationships`` arguments take them."""

    directory: Path
    nodes: list[tuple[str, Path]] = field(default_factory=list)
    relationships: list[tuple[str, Path]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def arguments(self, under: Path | None = None) -> list[str]:
        """The import command's arguments for these files (``under``: where the import
        tool sees ``directory``, for a container)."""

        def seen(path: Path) -> str:
            return str(path if under is None else under / path.name)

        return [
            "database",
            "import",
            "full",
            # Before the file lists: each of them takes every argument after it that is
            # not an option.
            DATABASE,
            "--overwrite-destination=true",
            f"--array-delimiter={ARRAY_DELIMITER}",
            "--multiline-fields=true",
            "--ignore-empty-strings=true",
            *(f"--nodes={label}={seen(path)}" for label, path in self.nodes),
            *(f"--relationships={kind}={seen(path)}" for kind, path in self.relationships),
        ]


def _array(values: Sequence[str]) -> str:
    for value in values:
        if ARRAY_DELIMITER in value:
            raise StoreError(f"neo4j import: a list element holds the delimiter: {value!r}")
    return ARRAY_DELIMITER.join(values)


class _Writer:
    def __init__(self, files: ImportFiles) -> None:
        self._files = files

    def write(
        self, kind: str, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        path = self._files.directory / f"{name}.csv"
        count = 0
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if v is None else v for v in row])
                count += 1
        target = self._files.nodes if kind == "nodes" else self._files.relationships
        target.append((name_of(name), path))
        self._files.counts[name] = count


def name_of(file_name: str) -> str:
    """The label or relationship type a file holds."""
    return {
        "identifiers": "Identifier",
        "profiles": "Profile",
        "aliases": "Alias",
        "consent": "Consent",
        "person_records": "PersonRecord",
        "blocks": "Block",
        "changes": "Change",
        "audit": "Audit",
        "counters": "Counter",
        "tombstones": "Tombstone",
        "meta": "Meta",
        "links": "LINK",
        "in_profile": "IN_PROFILE",
    }[file_name]


def write_import_files(dump: Dump, directory: Path) -> ImportFiles:
    """Write the import files of everything ``dump`` holds into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    files = ImportFiles(directory)
    out = _Writer(files)
    identifiers = list(dump.identifiers())
    known = {i.key for i in identifiers}
    facts = _facts_by_key(dump.facts())
    edges = list(dump.edges())
    bare = sorted(({k for e in edges for k in (e.left, e.right)} | facts.keys()) - known)

    def identifier_rows() -> Iterator[list[Any]]:
        for i in identifiers:
            entries, keys = fact_lists(facts.get(i.key, ()))
            row = [i.key, i.type, i.value, i.first_seen, i.last_seen, i.sightings, i.generic]
            yield [*row, _array(entries), _array(keys)]
        for key in bare:
            entries, keys = fact_lists(facts.get(key, ()))
            yield [key, None, None, None, None, None, None, _array(entries), _array(keys)]

    out.write(
        "nodes",
        "identifiers",
        [
            "key:ID(Identifier)",
            "type",
            "value",
            "first_seen",
            "last_seen",
            "count:long",
            "generic",
            "facts:string[]",
            "fact_keys:string[]",
        ],
        identifier_rows(),
    )
    _write_profiles(out, dump, {i.profile_id for i in identifiers if i.profile_id is not None})
    out.write(
        "relationships",
        "links",
        [
            ":START_ID(Identifier)",
            ":END_ID(Identifier)",
            "matcher",
            "rule",
            "weight:double",
            "status",
            "source",
            "evidence",
            "first_seen",
            "last_seen",
            "count:long",
            "reason",
        ],
        edges,  # EdgeRow's fields are in the order of the columns
    )
    out.write(
        "relationships",
        "in_profile",
        [":START_ID(Identifier)", ":END_ID(Profile)"],
        ([i.key, i.profile_id] for i in identifiers if i.profile_id is not None),
    )
    out.write("nodes", "aliases", ["alias", "target"], dump.aliases())
    out.write(
        "nodes",
        "consent",
        ["statement_id", "subject_key", "purpose", "status", "at", "source", "proof", "via"],
        dump.consent(),
    )
    out.write(
        "nodes",
        "person_records",
        ["id", "identifier_key", "fields", "blocks:string[]"],
        ([r.id, r.identifier_key, r.fields, _array(blocks)] for r, blocks in dump.person_records()),
    )
    out.write(
        "nodes",
        "blocks",
        ["key", "members:string[]"],
        ([key, _array(members)] for key, members in dump.blocks()),
    )
    changes = list(dump.changes())
    audit = list(dump.audit())
    out.write("nodes", "changes", ["position:long", "kind", "profile_id", "at", "detail"], changes)
    out.write("nodes", "audit", ["position:long", "at", "actor", "action", "detail"], audit)
    out.write(
        "nodes",
        "counters",
        ["name", "value:long"],
        [
            [CHANGES_COUNTER, max((c.position for c in changes), default=0)],
            [AUDIT_COUNTER, max((a.position for a in audit), default=0)],
        ],
    )
    out.write("nodes", "tombstones", ["hash"], ([h] for h in dump.tombstones()))
    settings = [[USER_META_PREFIX + k, v] for k, v in sorted(dump.settings().items())]
    out.write("nodes", "meta", ["name", "value"], [["schema_version", SCHEMA_VERSION], *settings])
    return files


def _facts_by_key(facts: Iterable[FactRow]) -> dict[str, list[FactRow]]:
    by_key: dict[str, list[FactRow]] = {}
    for fact in facts:
        by_key.setdefault(fact.identifier_key, []).append(fact)
    return by_key


def _write_profiles(out: _Writer, dump: Dump, referenced: set[str]) -> None:
    """Profiles with their readable properties: one column per property any of them has."""
    documents = [profile_properties(row) for row in dump.profiles()]
    # A header names a column NAME:TYPE: a property whose name holds a colon (a purpose
    # spelt so) stays in the document only.
    names = {name for d in documents for name in d if ":" not in name}
    extra = sorted(names - set(DOCUMENT_FIELDS))
    written = {d["id"] for d in documents}
    header = ["id:ID(Profile)", *DOCUMENT_FIELDS[1:], *extra]

    def rows() -> Iterator[list[Any]]:
        for d in documents:
            yield [d["id"], *(d[f] for f in DOCUMENT_FIELDS[1:]), *(d.get(n) for n in extra)]
        for pid in sorted(referenced - written):
            yield [pid, *([None] * (len(header) - 1))]

    out.write("nodes", "profiles", header, rows())
