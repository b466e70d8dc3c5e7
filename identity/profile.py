"""Golden profiles: survivorship of attributes, effective consent, the served document."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from graph.records import ConsentRow, FactRow, ProfileRow
from identity.canonical_json import canonical_json
from identity.consent import ConsentStatement, ConsentStatus, effective_consent


@dataclass(frozen=True, slots=True)
class GoldenValue:
    value: str
    source: str
    observed_at: str


class Survivorship:
    """Chooses each golden attribute from candidate values, by a rule per attribute:

    - ``most_recent`` (default): the value observed last;
    - ``source_priority``: the value from the most trusted source (``source_priority``,
      most trusted first; other sources after them), the most recent among those;
    - ``most_frequent``: the value seen in most observations, the most recent on a tie.

    Remaining ties go to the greater (source, value), so the choice never depends on load
    order. For the first two rules a pick from earlier picks plus new candidates equals a
    pick from everything, which lets ingest update golden records incrementally;
    ``most_frequent`` needs every fact (``needs_all_facts``).
    """

    def __init__(self, rules: Mapping[str, str], source_priority: Sequence[str]) -> None:
        self._rules = dict(rules)
        self._trust = {source: len(source_priority) - i for i, source in enumerate(source_priority)}

    @property
    def needs_all_facts(self) -> bool:
        return "most_frequent" in self._rules.values()

    def _rank(self, name: str, value: GoldenValue) -> tuple[int, str, str, str]:
        trust = (
            self._trust.get(value.source, 0) if self._rules.get(name) == "source_priority" else 0
        )
        return (trust, value.observed_at, value.source, value.value)

    def pick(self, candidates: Iterable[tuple[str, GoldenValue]]) -> dict[str, GoldenValue]:
        chosen: dict[str, GoldenValue] = {}
        for name, candidate in candidates:
            current = chosen.get(name)
            if current is None or self._rank(name, candidate) > self._rank(name, current):
                chosen[name] = candidate
        return {name: chosen[name] for name in sorted(chosen)}

    def from_facts(self, facts: Iterable[FactRow]) -> dict[str, GoldenValue]:
        unique = {(f.observation_id, f.name): f for f in facts}.values()
        golden = self.pick(
            fact_candidates(f for f in unique if self._rules.get(f.name) != "most_frequent")
        )
        frequent: dict[str, dict[str, list[FactRow]]] = {}
        for fact in unique:
            if self._rules.get(fact.name) == "most_frequent":
                frequent.setdefault(fact.name, {}).setdefault(fact.value, []).append(fact)
        for name, by_value in frequent.items():
            value, seen = max(
                by_value.items(),
                key=lambda item: (len(item[1]), max(f.observed_at for f in item[1]), item[0]),
            )
            last = max(seen, key=lambda f: (f.observed_at, f.source))
            golden[name] = GoldenValue(value, last.source, last.observed_at)
        return {name: golden[name] for name in sorted(golden)}


def fact_candidates(facts: Iterable[FactRow]) -> Iterator[tuple[str, GoldenValue]]:
    for fact in facts:
        yield fact.name, GoldenValue(fact.value, fact.source, fact.observed_at)


def document_candidates(row: ProfileRow) -> Iterator[tuple[str, GoldenValue]]:
    attributes: dict[str, dict[str, str]] = json.loads(row.attributes)
    for name, a in attributes.items():
        yield name, GoldenValue(a["value"], a["source"], a["observed_at"])


def statements_from_rows(rows: Iterable[ConsentRow]) -> list[ConsentStatement]:
    return [
        ConsentStatement(
            r.subject_key, r.purpose, ConsentStatus(r.status), r.at, r.source, r.proof, r.via
        )
        for r in rows
    ]


def build_document(
    profile_id: str,
    identifier_keys: Iterable[str],
    golden: dict[str, GoldenValue],
    consent_json: str,
    created_at: str,
    updated_at: str,
    lineage_json: str,
) -> ProfileRow:
    return ProfileRow(
        id=profile_id,
        created_at=created_at,
        updated_at=updated_at,
        identifiers=canonical_json(sorted(identifier_keys)),
        attributes=_attributes_json(golden),
        consent=consent_json,
        lineage=lineage_json,
    )


def _attributes_json(golden: Mapping[str, GoldenValue]) -> str:
    """``canonical_json`` of ``{name: {"value", "source", "observed_at"}}``, written
    directly: the same text (the same string encoder, keys in sorted order) for less work,
    for a document written per profile touched by every batch."""
    quote = encode_basestring
    return (
        "{"
        + ",".join(
            f'{quote(name)}:{{"observed_at":{quote(g.observed_at)},'
            f'"source":{quote(g.source)},"value":{quote(g.value)}}}'
            for name, g in sorted(golden.items())
        )
        + "}"
    )


def consent_document(
    rows: Iterable[ConsentRow], purposes: Sequence[str], members: Collection[str]
) -> str:
    """``canonical_json`` of ``{purpose: EffectiveConsent.to_dict()}`` of the profile
    whose identifiers are ``members``, written directly (the same text, faster; a load
    rewrites it for every profile whose statements a batch touches)."""
    quote = encode_basestring
    consent = effective_consent(statements_from_rows(rows), purposes, members)
    return (
        "{"
        + ",".join(
            f'{quote(purpose)}:{{"statements":['
            + ",".join(
                f'{{"at":{quote(s.at)},"proof":{_canonical_proof(s.proof)},'
                f'"purpose":{quote(s.purpose)},"source":{quote(s.source)},'
                f'"status":{quote(s.status.value)},"subject":{quote(s.subject)}'
                + (f',"via":{quote(s.via)}}}' if s.via else "}")
                for s in c.statements
            )
            + f'],"status":{quote(c.status.value)}}}'
            for purpose, c in sorted(consent.items())
        )
        + "}"
    )


@functools.lru_cache(maxsize=4096)
def _canonical_proof(proof: str) -> str:
    """A statement's proof (stored as JSON text of any spacing) in canonical form; a load
    repeats a few proofs many times."""
    return canonical_json(json.loads(proof))


@dataclass(frozen=True, slots=True)
class Profile:
    """A golden profile as the service answers it."""

    row: ProfileRow

    @property
    def id(self) -> str:
        return self.row.id

    @property
    def identifiers(self) -> list[str]:
        keys: list[str] = json.loads(self.row.identifiers)
        return keys

    def consent_status(self, purpose: str) -> str:
        consent: dict[str, dict[str, Any]] = json.loads(self.row.consent)
        return str(consent.get(purpose, {}).get("status", ConsentStatus.UNKNOWN.value))

    def to_dict(self, with_lineage: bool = True) -> dict[str, Any]:
        attributes: dict[str, dict[str, str]] = json.loads(self.row.attributes)
        document: dict[str, Any] = {
            "id": self.row.id,
            "identifiers": json.loads(self.row.identifiers),
            "attributes": {name: a["value"] for name, a in attributes.items()},
            "provenance": {
                name: {"source": a["source"], "observed_at": a["observed_at"]}
                for name, a in attributes.items()
            },
            "consent": json.loads(self.row.consent),
            "created_at": self.row.created_at,
            "updated_at": self.row.updated_at,
        }
        if with_lineage:
            document["lineage"] = json.loads(self.row.lineage)
        return document
