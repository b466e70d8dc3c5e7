"""Bulk stage 3, the documents: each profile's golden document built once.

The document is ``identity.profile.build_document`` of what ``identity.documents`` gives
a new profile of one batch: golden values by ``Survivorship.pick`` over the facts of its
identifiers, consent by ``consent_document`` over its statements (unknown without any),
created and updated from its identifiers' first and last sightings, an empty lineage.

DuckDB first keeps, per profile and attribute, only the candidate ``pick`` would choose
(the greatest by the same ranking: trust for ``source_priority`` attributes, then time,
source and value; two candidates equal in all of these are the same value), so ``pick``
sees one candidate per attribute and chooses the same. Attributes whose rule is
``most_frequent`` need every fact: those facts go to ``Survivorship.from_facts``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from cli.bulk.tables import BulkTables
from graph.records import ConsentRow, FactRow, ProfileRow
from identity.profile import GoldenValue, Survivorship, build_document, consent_document
from identity.settings import Settings

PROFILES_PER_BATCH = 5_000


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def prepare_golden(tables: BulkTables, settings: Settings) -> None:
    """``golden``: the chosen candidate per profile and attribute (``most_frequent``
    attributes aside), and ``frequent_facts``: the facts of those attributes."""
    rules = settings.survivorship
    trust = {s: len(settings.source_priority) - i for i, s in enumerate(settings.source_priority)}
    prioritized = [n for n, r in rules.items() if r == "source_priority"]
    frequent = [n for n, r in rules.items() if r == "most_frequent"]
    trust_sql = "0"
    if prioritized and trust:
        by_source = " ".join(f"WHEN {_quoted(s)} THEN {t}" for s, t in trust.items())
        names = ", ".join(_quoted(n) for n in prioritized)
        trust_sql = (
            f"CASE WHEN a.name IN ({names}) THEN CASE o.source {by_source} ELSE 0 END ELSE 0 END"
        )
    not_frequent = (
        f"a.name NOT IN ({', '.join(_quoted(n) for n in frequent)})" if frequent else "TRUE"
    )
    db = tables.db
    db.execute(
        "CREATE TABLE observation_profiles AS SELECT DISTINCT i.line, w.profile_id"
        " FROM parsed_identifiers i JOIN owner w ON w.key = i.key"
    )
    # A join, then a window, each materialized: each operator may spill.
    db.execute(
        "CREATE TABLE golden_candidates AS SELECT op.profile_id, a.name, a.value, o.source,"
        f" o.observed_at, {trust_sql} AS trust FROM observation_profiles op"
        " JOIN parsed_attributes a ON a.line = op.line"
        f" JOIN parsed_observations o ON o.line = op.line WHERE {not_frequent}"
    )
    db.execute(
        "CREATE TABLE golden AS SELECT profile_id, name, value, source, observed_at FROM"
        " (SELECT *, row_number() OVER (PARTITION BY profile_id, name ORDER BY"
        " trust DESC, observed_at DESC, source DESC, value DESC) AS rank"
        " FROM golden_candidates) WHERE rank = 1"
    )
    db.execute("DROP TABLE golden_candidates")
    frequent_sql = f"a.name IN ({', '.join(_quoted(n) for n in frequent)})" if frequent else "FALSE"
    db.execute(
        "CREATE TABLE frequent_facts AS SELECT op.profile_id, o.observation_id, a.name,"
        " a.value, o.source, o.observed_at FROM observation_profiles op"
        " JOIN parsed_attributes a ON a.line = op.line"
        f" JOIN parsed_observations o ON o.line = op.line WHERE {frequent_sql}"
    )


# Sorted streams, merged here by profile ID: sorts spill to disk, lists of strings
# aggregated per profile would not.
_MEMBERS = (
    "SELECT w.profile_id, w.key, i.first_seen, i.last_seen FROM owner w"
    " JOIN identifiers i ON i.key = w.key ORDER BY w.profile_id, w.key"
)
_GOLDEN = "SELECT profile_id, name, value, source, observed_at FROM golden ORDER BY profile_id"
_FREQUENT = (
    "SELECT profile_id, observation_id, name, value, source, observed_at FROM frequent_facts"
    " ORDER BY profile_id"
)
_STATEMENTS = (
    'SELECT w.profile_id, c.statement_id, c.subject_key, c.purpose, c.status, c."at",'
    " c.source, c.proof, c.via FROM consent c JOIN owner w ON w.key = c.subject_key"
    " ORDER BY w.profile_id, c.subject_key, c.statement_id"
)


class DocumentBuilder:
    def __init__(self, settings: Settings) -> None:
        self._survivorship = Survivorship(settings.survivorship, settings.source_priority)
        self._purposes = settings.purposes
        self._unknown = consent_document([], settings.purposes, ())

    def build(
        self,
        profile_id: str,
        members: list[tuple[Any, ...]],
        golden: list[tuple[Any, ...]],
        facts: list[tuple[Any, ...]],
        statements: list[tuple[Any, ...]],
    ) -> ProfileRow:
        """``members``: (key, first seen, last seen) sorted by key; ``golden``: (name,
        value, source, time); ``facts``: (observation, name, value, source, time) of the
        ``most_frequent`` attributes; ``statements``: consent rows."""
        keys = [key for key, _, _ in members]
        candidates = [(name, GoldenValue(value, source, at)) for name, value, source, at in golden]
        chosen = self._survivorship.pick(candidates)
        if facts:
            rows = [FactRow(o, "", n, v, s, a) for o, n, v, s, a in facts]
            chosen.update(self._survivorship.from_facts(rows))
            chosen = {name: chosen[name] for name in sorted(chosen)}
        consent = (
            consent_document([ConsentRow(*s) for s in statements], self._purposes, keys)
            if statements
            else self._unknown
        )
        created = min(first for _, first, _ in members)
        updated = max(last for _, _, last in members)
        return build_document(profile_id, keys, chosen, consent, created, updated, "[]")


class _ByProfile:
    """A stream of rows sorted by profile ID (their first column): the rows of one ID at
    a time, for IDs asked in increasing order."""

    def __init__(self, rows: Iterator[list[tuple[Any, ...]]]) -> None:
        self._rows = (row for batch in rows for row in batch)
        self._next = next(self._rows, None)

    def take(self, profile_id: str) -> list[tuple[Any, ...]]:
        taken = []
        while self._next is not None and self._next[0] <= profile_id:
            if self._next[0] == profile_id:
                taken.append(self._next[1:])
            self._next = next(self._rows, None)
        return taken


def document_batches(tables: BulkTables, settings: Settings) -> Iterator[list[ProfileRow]]:
    """Every profile's document, in ID order, in batches."""
    builder = DocumentBuilder(settings)
    golden = _ByProfile(tables.batches(_GOLDEN, PROFILES_PER_BATCH))
    frequent = _ByProfile(tables.batches(_FREQUENT, PROFILES_PER_BATCH))
    statements = _ByProfile(tables.batches(_STATEMENTS, PROFILES_PER_BATCH))
    batch: list[ProfileRow] = []
    members = (row for rows in tables.batches(_MEMBERS, PROFILES_PER_BATCH) for row in rows)
    for profile_id, rows in itertools.groupby(members, key=lambda row: row[0]):
        batch.append(
            builder.build(
                profile_id,
                [row[1:] for row in rows],
                golden.take(profile_id),
                frequent.take(profile_id),
                statements.take(profile_id),
            )
        )
        if len(batch) >= PROFILES_PER_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
