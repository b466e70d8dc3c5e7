"""``IdentityService``: the one entry point the adapters (CLI, HTTP) call."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from graph.records import ChangeRow, ProfileRow
from graph.store import GraphStore, GraphTransaction, StoreError
from identity.access import ApiKeys
from identity.check import CheckReport, InvariantCheck
from identity.errors import Flag, InputRefused, NotFound, Refusal
from identity.identifiers import Identifier, IdentifierNormalizer
from identity.observation import Observation, ObservationParser, ParsedObservation
from identity.privacy import Privacy, suppression_audit
from identity.profile import Profile
from identity.replayable import Replayable
from identity.resolver import Resolver
from identity.search import PersonSearch, SearchPage
from identity.settings import Settings
from identity.staging import BatchOutcome
from identity.stewardship import Stewardship
from identity.store_secret import open_secret


@dataclass(frozen=True, slots=True)
class Change:
    position: int
    kind: str
    profile_id: str
    at: str
    detail: str


@dataclass(frozen=True, slots=True)
class Answer:
    """One identifier's answer in a batch lookup: the normalized key and its profile, or
    the refusals when the value does not normalize (``key`` is then empty)."""

    key: str
    profile: Profile | None = None
    refusals: tuple[Refusal, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """An item refused whole: its position in the request and why."""

    index: int
    refusals: tuple[Refusal, ...]


@dataclass(slots=True)
class IngestReport:
    """What one ingest request did. Items are all-or-nothing: an item with any refusal
    (even one bad identifier among good ones) is rejected whole and nothing of it is
    stored; the accepted items are stored in one transaction."""

    accepted: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[tuple[int, Flag]] = field(default_factory=list)
    """Of accepted items: stored, but worth a look (look-alike identifiers)."""
    outcome: BatchOutcome = field(default_factory=BatchOutcome)

    def to_dict(self, detailed: bool = True) -> dict[str, Any]:
        """``detailed=False``: without the counts that tell what the store held before
        (profiles created or merged, identifiers suppressed because they were erased),
        which would let a caller who may not look identifiers up tell a known, an unknown
        and an erased identifier apart."""
        answer: dict[str, Any] = {
            "accepted": self.accepted,
            "rejected": len(self.rejections),
            "rejections": [
                {
                    "index": r.index,
                    "reason": r.refusals[0].message,
                    "refusals": [x.to_dict() for x in r.refusals],
                }
                for r in self.rejections
            ],
            "warnings": [{"index": index, **w.to_dict()} for index, w in self.warnings],
        }
        if detailed:
            answer |= {
                "profiles_created": self.outcome.profiles_created,
                "profiles_merged": self.outcome.profiles_merged,
                "identifiers_suppressed": self.outcome.suppressed_identifiers,
                "observations_suppressed": self.outcome.suppressed_observations,
            }
        return answer


class IdentityService:
    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.normalizer = IdentifierNormalizer(settings)
        self.parser = ObservationParser(settings, self.normalizer)
        self.resolver = Resolver(settings, store.write(lambda tx: open_secret(tx, settings.secret)))
        self.stewardship = Stewardship(store, self.resolver)
        self.privacy = Privacy(store, self.resolver, settings.purposes)
        self._search = PersonSearch(store)
        self.keys = ApiKeys(store, settings.key_cache_seconds)

    def parse(self, data: object) -> ParsedObservation:
        """Validate and normalize one decoded observation (raises ObservationRejected)."""
        return self.parser.parse(data)

    def ingest(self, observations: Sequence[Observation], actor: str = "") -> BatchOutcome:
        """Ingest a batch atomically: all of it is stored and resolved, or none of it."""
        if not observations:
            return BatchOutcome()
        return self.ingest_chunks((observations,), actor)

    def ingest_chunks(
        self, chunks: Iterable[Sequence[Observation]], actor: str = ""
    ) -> BatchOutcome:
        """Ingest chunks as they are produced, all of them as one atomic batch: each is
        stored as it arrives and all are resolved together at the end (the profiles of one
        ``ingest`` of all the observations). The caller's next chunk is made while the
        transaction is open, so a long producer holds the store's write lock that long.

        With an ``actor`` (an API key's holder), identifiers suppressed because they were
        erased before are noted in the audit log, with counts only, in the same
        transaction: privacy officers see who sent erased people again."""
        replay = Replayable(chunks)

        def work(tx: GraphTransaction) -> BatchOutcome:
            outcome = self.resolver.ingest_chunks(tx, replay)
            if actor and outcome.suppressed_identifiers:
                tx.append_audit([suppression_audit(actor, outcome)])
            return outcome

        return self.store.write(work)

    def ingest_items(self, items: Sequence[tuple[int, object]], actor: str = "") -> IngestReport:
        """Parse decoded items, each with its position, one by one (a ``Refusal`` in place
        of an item stands for one that could not even be decoded) and ingest the good ones
        atomically (``actor``: as for ``ingest_chunks``)."""
        report = IngestReport()
        good: list[Observation] = []
        for index, item in items:
            if isinstance(item, Refusal):
                report.rejections.append(Rejection(index, (item,)))
                continue
            try:
                parsed = self.parse(item)
            except InputRefused as e:
                report.rejections.append(Rejection(index, tuple(e.refusals)))
                continue
            if parsed.refusals:
                report.rejections.append(Rejection(index, parsed.refusals))
                continue
            report.warnings.extend((index, w) for w in parsed.warnings)
            good.append(parsed.observation)
        report.accepted = len(good)
        report.outcome = self.ingest(good, actor)
        return report

    def normalize(
        self, kind: object, value: object, field: str = "identifier", region: str | None = None
    ) -> Identifier:
        """``region``: the country of a phone number's local form (ISO 3166 alpha-2),
        when not ``default_region``; the answer never depends on how the server was
        started when the caller names it."""
        return self.normalizer.normalize(kind, value, field, region)

    def identifier_from_text(self, text: str, field: str = "identifier") -> Identifier:
        """``type:value`` (the value raw, normalized here)."""
        kind, sep, value = text.partition(":")
        if not sep:
            raise InputRefused([Refusal(field, text, "identifier.key", "write it as type:value")])
        return self.normalize(kind, value, field)

    def lookup_batch(
        self, raw: Sequence[tuple[object, object]], region: str | None = None
    ) -> list[Answer]:
        """Many identifiers in one read, in the order asked; a value that does not
        normalize gets its refusals instead of failing the batch."""
        answers: list[Answer] = []
        for index, (kind, value) in enumerate(raw):
            try:
                where = f"identifiers[{index}]"
                answers.append(Answer(self.normalize(kind, value, where, region).key))
            except InputRefused as e:
                answers.append(Answer("", refusals=tuple(e.refusals)))
        keys = [a.key for a in answers if a.key]
        found = self.store.read(lambda tx: tx.profiles_by_identifier(keys)) if keys else {}
        return [
            Answer(a.key, Profile(found[a.key]), a.refusals) if a.key in found else a
            for a in answers
        ]

    def consent_of(self, kind: object, value: object, region: str | None = None) -> dict[str, Any]:
        """May I use this address? See ``Privacy.consent_of_identifier``."""
        return self.privacy.consent_of_identifier(
            self.normalize(kind, value, "identifier", region).key
        )

    def search(
        self,
        actor: str,
        *,
        name: str | None = None,
        date_of_birth: str | None = None,
        postcode: str | None = None,
        phone: str | None = None,
        after: str | None = None,
        limit: int = 20,
    ) -> SearchPage:
        """Profiles by name (any script), birth date, postcode or phone digits; audited
        (``identity.search``)."""
        return self._search.search(
            actor,
            name=name,
            date_of_birth=date_of_birth,
            postcode=postcode,
            phone=phone,
            after=after,
            limit=limit,
        )

    def health(self) -> StoreError | None:
        """Why the store cannot serve now, or None (see ``GraphStore.health``)."""
        return self.store.health()

    def lookup(self, kind: object, value: object, region: str | None = None) -> Profile:
        """The profile holding the identifier (normalized first, a phone number's local
        form for ``region``)."""
        identifier = self.normalize(kind, value, "identifier", region)
        row = self.store.profile_by_identifier(identifier.key)
        if row is None:
            raise NotFound(f"no profile holds {identifier.key}")
        return Profile(row)

    def lookup_many(self, identifiers: Sequence[Identifier]) -> dict[str, Profile]:
        keys = [i.key for i in identifiers]
        found = self.store.read(lambda tx: tx.profiles_by_identifier(keys))
        return {key: Profile(row) for key, row in found.items()}

    def get_profile(self, profile_id: str) -> Profile:
        """A profile by ID; an alias of a merged profile answers with the survivor."""

        def work(tx: GraphTransaction) -> Profile | None:
            target = tx.resolve_aliases((profile_id,)).get(profile_id, profile_id)
            row = tx.get_profiles((target,)).get(target)
            return None if row is None else Profile(row)

        profile = self.store.read(work)
        if profile is None:
            raise NotFound(f"no profile has the ID {profile_id!r}")
        return profile

    def iter_profiles(self, page_size: int = 1000) -> Iterator[Profile]:
        """Every live profile in ID order, read page by page."""
        after: str | None = None
        while True:
            page = self.store.read(functools.partial(_profile_page, after=after, limit=page_size))
            yield from (Profile(row) for row in page)
            if len(page) < page_size:
                return
            after = page[-1].id

    def changes(self, after: int = 0, limit: int = 100) -> list[Change]:
        rows: list[ChangeRow] = self.store.read(lambda tx: tx.changes_after(after, limit))
        return [Change(r.position, r.kind, r.profile_id, r.at, r.detail) for r in rows]

    def check(self, max_violations: int = 100) -> CheckReport:
        """Verify the store's invariants (read-only); see ``identity.check``."""
        return InvariantCheck(self.store, self.resolver, self.settings).run(max_violations)

    def counts(self) -> dict[str, int]:
        return self.store.read(lambda tx: tx.counts())


def _profile_page(tx: GraphTransaction, after: str | None, limit: int) -> list[ProfileRow]:
    return tx.profile_page(after, limit)
