"""``IdentityService``: the one entry point the adapters (CLI, HTTP) call."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graph.records import ChangeRow, ProfileRow
from graph.store import GraphStore, GraphTransaction
from identity.access import ApiKeys
from identity.check import CheckReport, InvariantCheck
from identity.errors import NotFound
from identity.identifiers import Identifier, IdentifierNormalizer
from identity.observation import Observation, ObservationParser, ParsedObservation
from identity.privacy import Privacy
from identity.profile import Profile
from identity.resolver import BatchOutcome, Resolver
from identity.settings import Settings
from identity.stewardship import Stewardship

_SECRET_NAME = "id_secret"


@dataclass(frozen=True, slots=True)
class Change:
    position: int
    kind: str
    profile_id: str
    at: str
    detail: str


class IdentityService:
    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.normalizer = IdentifierNormalizer(settings)
        self.parser = ObservationParser(settings, self.normalizer)
        self.resolver = Resolver(settings, settings.secret or self._stored_secret())
        self.stewardship = Stewardship(store, self.resolver)
        self.privacy = Privacy(store, self.resolver, settings.purposes)
        self.keys = ApiKeys(store)

    def _stored_secret(self) -> str:
        def work(tx: GraphTransaction) -> str:
            secret = tx.get_meta(_SECRET_NAME)
            if secret is None:
                secret = secrets.token_hex(32)
                tx.set_meta(_SECRET_NAME, secret)
            return secret

        return self.store.write(work)

    def parse(self, data: object) -> ParsedObservation:
        """Validate and normalize one decoded observation (raises ObservationRejected)."""
        return self.parser.parse(data)

    def ingest(self, observations: Sequence[Observation]) -> BatchOutcome:
        """Ingest a batch atomically: all of it is stored and resolved, or none of it."""
        if not observations:
            return BatchOutcome()
        return self.store.write(lambda tx: self.resolver.ingest(tx, observations))

    def normalize(self, kind: object, value: object, field: str = "identifier") -> Identifier:
        return self.normalizer.normalize(kind, value, field)

    def lookup(self, kind: object, value: object) -> Profile:
        """The profile holding the identifier (normalized first)."""
        identifier = self.normalize(kind, value)
        found = self.store.read(lambda tx: tx.profiles_by_identifier((identifier.key,)))
        row = found.get(identifier.key)
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
