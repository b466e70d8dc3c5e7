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
    db.execute(
        "CREATE TABLE golden AS SELECT profile_id, name, value, source, observed_at FROM"
        " (SELECT op.profile_id, a.name, a.value, o.source, o.observed_at, row_number() OVER"
        " (PARTITION BY op.profile_id, a.name ORDER BY"
        f" {trust_sql} DESC, o.observed_at DESC, o.source DESC, a.value DESC) AS rank"
        " FROM observation_profiles op JOIN parsed_attributes a ON a.line = op.line"
        f" JOIN parsed_observations o ON o.line = op.line WHERE {not_frequent})"
        " WHERE rank = 1"
    )
    frequent_sql = f"a.name IN ({', '.join(_quoted(n) for n in frequent)})" if frequent else "FALSE"
    db.execute(
        "CREATE TABLE frequent_facts AS SELECT op.profile_id, o.observation_id, a.name,"
        " a.value, o.source, o.observed_at FROM observation_profiles op"
        " JOIN parsed_attributes a ON a.line = op.line"
        f" JOIN parsed_observations o ON o.line = op.line WHERE {frequent_sql}"
    )


_DOCUMENT_ROWS = """
WITH members AS (
  SELECT w.profile_id, list(w.key ORDER BY w.key) AS keys, min(i.first_seen) AS created,
         max(i.last_seen) AS updated
  FROM owner w JOIN identifiers i ON i.key = w.key GROUP BY w.profile_id
), golden_lists AS (
  SELECT profile_id, list((name, value, source, observed_at)) AS golden
  FROM golden GROUP BY profile_id
), frequent_lists AS (
  SELECT profile_id, list((observation_id, name, value, source, observed_at)) AS facts
  FROM frequent_facts GROUP BY profile_id
), consent_lists AS (
  SELECT w.profile_id, list((c.statement_id, c.subject_key, c.purpose, c.status, c."at",
         c.source, c.proof, c.via) ORDER BY c.subject_key, c.statement_id) AS statements
  FROM consent c JOIN owner w ON w.key = c.subject_key GROUP BY w.profile_id
)
SELECT m.profile_id, m.keys, m.created, m.updated, g.golden, f.facts, c.statements
FROM members m LEFT JOIN golden_lists g USING (profile_id)
LEFT JOIN frequent_lists f USING (profile_id) LEFT JOIN consent_lists c USING (profile_id)
ORDER BY m.profile_id
"""


class DocumentBuilder:
    def __init__(self, settings: Settings) -> None:
        self._survivorship = Survivorship(settings.survivorship, settings.source_priority)
        self._purposes = settings.purposes
        self._unknown = consent_document([], settings.purposes, ())

    def build(self, row: tuple[Any, ...]) -> ProfileRow:
        profile_id, keys, created, updated, golden, facts, statements = row
        candidates = [
            (name, GoldenValue(value, source, at)) for name, value, source, at in golden or ()
        ]
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
        return build_document(profile_id, keys, chosen, consent, created, updated, "[]")


def document_batches(tables: BulkTables, settings: Settings) -> Iterator[list[ProfileRow]]:
    """Every profile's document, in ID order, in batches."""
    builder = DocumentBuilder(settings)
    for rows in tables.batches(_DOCUMENT_ROWS, PROFILES_PER_BATCH):
        yield [builder.build(_tuples(row)) for row in rows]


def _tuples(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Arrow's structs come back as dicts: as tuples, in their order."""
    return tuple(
        [tuple(item.values()) for item in value]
        if isinstance(value, list) and value and isinstance(value[0], dict)
        else value
        for value in row
    )
