"""``identity.staging`` on every store: staging a batch stores its chunks without
resolving them, drops erased identifiers, and expands a profile-level consent statement
to every identifier of its profile once. What staging knows of the store after the chunks
(``seed_state``) is tested in ``test_seed_state.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from resolution_helpers import Ident, key, observe

from graph.store import GraphTransaction
from identity.observation import Observation
from identity.service import IdentityService
from identity.staging import profile_consent

A: Ident = ("email", "a@example.com")
B: Ident = ("phone", "(212) 555-0100")
C: Ident = ("cookie", "ck-c")

T = TypeVar("T")


class RolledBack(Exception):
    pass


def rolled_back(service: IdentityService, work: Callable[[GraphTransaction], T]) -> T:
    """What ``work`` returns inside a write transaction that is then rolled back."""
    seen: list[T] = []

    def run(tx: GraphTransaction) -> None:
        seen.append(work(tx))
        raise RolledBack

    with pytest.raises(RolledBack):
        service.store.write(run)
    [result] = seen
    return result


def with_profile_consent(service: IdentityService, *identifiers: Ident) -> Observation:
    parsed = service.parse(
        {
            "source": "crm",
            "observed_at": "2026-01-02T12:00:00Z",
            "identifiers": [{"type": t, "value": v} for t, v in identifiers],
            "consent": [{"purpose": "email", "status": "granted"}],
        }
    )
    assert parsed.refusals == ()
    return parsed.observation


class TestStageChunks:
    def test_the_chunks_are_stored_but_not_resolved(self, service: IdentityService) -> None:
        chunks = [[observe(service, A, B)], [observe(service, B, C, day=2)]]
        keys = [key(service, i) for i in (A, B, C)]

        def work(tx: GraphTransaction) -> tuple[int, int, int, list[str | None], int]:
            outcome = service.resolver.staging.stage_chunks(tx, chunks).outcome
            stored = tx.get_identifiers(keys)
            return (
                outcome.observations,
                outcome.identifiers,
                outcome.edges,
                [stored[k].profile_id for k in keys],
                len(tx.edges_of(keys)),
            )

        assert rolled_back(service, work) == (2, 3, 2, [None, None, None], 2)

    def test_an_erased_identifier_is_dropped_and_counted(self, service: IdentityService) -> None:
        service.ingest([observe(service, A)])
        service.privacy.erase_identifiers([key(service, A)], "test")
        chunks = [[observe(service, A, B), observe(service, A, day=2)]]

        def work(tx: GraphTransaction) -> tuple[int, int, list[str]]:
            staged = service.resolver.staging.stage_chunks(tx, chunks)
            outcome = staged.outcome
            return (
                outcome.suppressed_identifiers,
                outcome.suppressed_observations,
                sorted(staged.identifiers),
            )

        assert rolled_back(service, work) == (2, 1, [key(service, B)])


class TestProfileConsent:
    def test_a_statement_counts_for_every_identifier_of_its_profile_once(
        self, service: IdentityService
    ) -> None:
        claim = with_profile_consent(service, A)
        owner = {key(service, i): "p-1" for i in (A, B, C)}

        def work(tx: GraphTransaction) -> tuple[list[str], list[str]]:
            first = profile_consent(tx, owner, [(claim, 0)])
            tx.add_consent(first)
            again = profile_consent(tx, owner, [(claim, 0)])
            return sorted(r.subject_key for r in first), [r.subject_key for r in again]

        assert rolled_back(service, work) == (sorted(owner), [])
