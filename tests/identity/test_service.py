"""``IdentityService`` end to end on every store: ingest, lookup, merges and aliases, the
change feed, survivorship, consent, idempotency, deterministic IDs and atomic batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from graph.embedded import EmbeddedStore
from graph.store import GraphTransaction
from identity.errors import IdentifierRefused, NotFound
from identity.observation import Observation
from identity.resolver import Resolver
from identity.service import IdentityService
from identity.settings import Settings

Ident = tuple[str, str]

ANN_EMAIL: Ident = ("email", "ann@example.com")
ANN_PHONE: Ident = ("phone", "(212) 555-0100")
ANN_COOKIE: Ident = ("cookie", "ck-ann-1")
ANN_CRM: Ident = ("customer_id", "crm/C-1")
BOB_EMAIL: Ident = ("email", "bob@example.com")
BOB_COOKIE: Ident = ("cookie", "ck-bob-1")


def observe(
    service: IdentityService,
    *identifiers: Ident,
    day: int = 1,
    source: str = "crm",
    authenticated: bool = True,
    attributes: dict[str, str] | None = None,
    consent: list[dict[str, Any]] | None = None,
) -> Observation:
    """An observation parsed by the service (and asserted to be accepted whole)."""
    data: dict[str, Any] = {
        "source": source,
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": authenticated,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
    }
    if attributes is not None:
        data["attributes"] = attributes
    if consent is not None:
        data["consent"] = consent
    parsed = service.parse(data)
    assert parsed.refusals == ()
    return parsed.observation


def consent_about(ident: Ident, purpose: str, status: str) -> dict[str, Any]:
    return {"purpose": purpose, "status": status, "subject": {"type": ident[0], "value": ident[1]}}


def documents(service: IdentityService) -> dict[str, dict[str, Any]]:
    return {p.id: p.to_dict() for p in service.iter_profiles()}


def profile_id(service: IdentityService, ident: Ident) -> str:
    return service.lookup(*ident).id


class TestIngestAndLookup:
    def test_an_observation_becomes_one_profile(self, service: IdentityService) -> None:
        outcome = service.ingest(
            [observe(service, ANN_EMAIL, ANN_PHONE, attributes={"first_name": "Ann"})]
        )
        assert (outcome.observations, outcome.identifiers, outcome.edges) == (1, 2, 1)
        assert (outcome.profiles_created, outcome.profiles_merged) == (1, 0)
        profile = service.lookup("email", "ann@example.com").to_dict()
        assert profile["id"] == outcome.touched_profiles[0]
        assert profile["identifiers"] == ["email:ann@example.com", "phone:+12125550100"]
        assert profile["attributes"] == {"first_name": "Ann"}
        assert profile["provenance"] == {
            "first_name": {"source": "crm", "observed_at": "2026-01-01T12:00:00Z"}
        }
        assert profile["created_at"] == profile["updated_at"] == "2026-01-01T12:00:00Z"
        assert profile["lineage"] == []

    def test_lookup_normalizes_the_raw_value_first(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE)])
        by_email = service.lookup("email", "  ANN@Example.COM ")
        by_phone = service.lookup("phone", "+1 212-555-0100")
        assert by_email.id == by_phone.id

    def test_lookup_of_an_unknown_identifier_raises_not_found(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL)])
        with pytest.raises(NotFound, match=r"no profile holds email:nobody@example\.com"):
            service.lookup("email", "nobody@example.com")

    def test_lookup_of_a_bad_value_raises_identifier_refused(
        self, service: IdentityService
    ) -> None:
        with pytest.raises(IdentifierRefused) as caught:
            service.lookup("email", "not-an-email")
        assert (caught.value.first.field, caught.value.first.value, caught.value.first.rule) == (
            "identifier.value",
            "not-an-email",
            "email.syntax",
        )

    def test_lookup_many_answers_known_keys_only(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE), observe(service, BOB_EMAIL)])
        found = service.lookup_many(
            [
                service.normalize(*ANN_PHONE),
                service.normalize(*BOB_EMAIL),
                service.normalize("email", "nobody@example.com"),
            ]
        )
        assert sorted(found) == ["email:bob@example.com", "phone:+12125550100"]
        assert found["phone:+12125550100"].id == profile_id(service, ANN_EMAIL)

    def test_an_empty_batch_does_nothing(self, service: IdentityService) -> None:
        before = service.counts()
        assert service.ingest([]).observations == 0
        assert service.counts() == before

    def test_counts_after_an_ingest(self, service: IdentityService) -> None:
        service.ingest(
            [
                observe(service, ANN_EMAIL, ANN_PHONE, attributes={"first_name": "Ann"}),
                observe(service, BOB_EMAIL, consent=[consent_about(BOB_EMAIL, "email", "denied")]),
            ]
        )
        counts = service.counts()
        assert counts["identifiers"] == 3
        assert counts["edges"] == 1
        assert counts["profiles"] == 2
        assert counts["aliases"] == 0
        assert counts["consent"] == 1
        assert counts["changes"] == 0


class TestMerge:
    def test_two_observations_sharing_an_identifier_are_one_profile(
        self, service: IdentityService
    ) -> None:
        service.ingest(
            [observe(service, ANN_EMAIL, ANN_PHONE), observe(service, ANN_EMAIL, ANN_COOKIE)]
        )
        assert service.counts()["profiles"] == 1
        assert service.lookup(*ANN_COOKIE).identifiers == [
            "cookie:ck-ann-1",
            "email:ann@example.com",
            "phone:+12125550100",
        ]

    def test_a_later_observation_sharing_an_identifier_extends_the_profile(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE)])
        first = profile_id(service, ANN_EMAIL)
        outcome = service.ingest([observe(service, ANN_EMAIL, ANN_COOKIE, day=2)])
        assert (outcome.profiles_created, outcome.profiles_merged) == (0, 0)
        assert profile_id(service, ANN_COOKIE) == first
        assert service.lookup(*ANN_COOKIE).to_dict()["updated_at"] == "2026-01-02T12:00:00Z"

    def test_the_older_profile_survives_and_the_other_becomes_an_alias(
        self, service: IdentityService
    ) -> None:
        # Loaded first but observed later: the profile of the cookie is the younger one.
        service.ingest([observe(service, ANN_COOKIE, ANN_PHONE, day=9, source="web")])
        service.ingest([observe(service, ANN_EMAIL, ANN_CRM, day=3)])
        younger, older = profile_id(service, ANN_COOKIE), profile_id(service, ANN_EMAIL)

        outcome = service.ingest([observe(service, ANN_PHONE, ANN_EMAIL, day=10)])

        assert outcome.profiles_merged == 1
        assert outcome.touched_profiles == [older]
        merged = service.get_profile(younger).to_dict()
        assert merged["id"] == older
        assert merged["identifiers"] == [
            "cookie:ck-ann-1",
            "customer_id:crm/C-1",
            "email:ann@example.com",
            "phone:+12125550100",
        ]
        assert (merged["created_at"], merged["updated_at"]) == (
            "2026-01-03T12:00:00Z",
            "2026-01-10T12:00:00Z",
        )
        assert [(e["event"], e["absorbed"]) for e in merged["lineage"]] == [("merge", [younger])]
        assert profile_id(service, ANN_COOKIE) == older
        assert service.counts()["profiles"] == 1
        assert service.counts()["aliases"] == 1

    def test_an_alias_of_an_alias_resolves_to_the_last_survivor(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_COOKIE, day=9, source="web")])
        service.ingest([observe(service, ANN_PHONE, day=5)])
        service.ingest([observe(service, ANN_EMAIL, day=1)])
        youngest, middle, oldest = (
            profile_id(service, ANN_COOKIE),
            profile_id(service, ANN_PHONE),
            profile_id(service, ANN_EMAIL),
        )
        service.ingest([observe(service, ANN_COOKIE, ANN_PHONE, day=10)])
        assert service.get_profile(youngest).id == middle
        service.ingest([observe(service, ANN_PHONE, ANN_EMAIL, day=11)])
        assert service.get_profile(youngest).id == oldest
        assert service.get_profile(middle).id == oldest

    def test_get_profile_of_an_unknown_id_raises_not_found(self, service: IdentityService) -> None:
        with pytest.raises(NotFound, match="p-unknown"):
            service.get_profile("p-unknown")

    def test_one_observation_can_merge_three_profiles(self, service: IdentityService) -> None:
        service.ingest(
            [
                observe(service, ANN_EMAIL, day=1),
                observe(service, ANN_PHONE, day=2),
                observe(service, ANN_COOKIE, day=3, source="web"),
            ]
        )
        oldest = profile_id(service, ANN_EMAIL)
        absorbed = sorted([profile_id(service, ANN_PHONE), profile_id(service, ANN_COOKIE)])
        outcome = service.ingest([observe(service, ANN_COOKIE, ANN_PHONE, ANN_EMAIL, day=4)])
        assert outcome.profiles_merged == 2
        assert service.counts()["profiles"] == 1
        assert [c.profile_id for c in service.changes()] == [oldest]
        assert json.loads(service.changes()[0].detail) == {"survivor": oldest, "absorbed": absorbed}


class TestChangeFeed:
    def test_a_merge_writes_an_event(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL, day=1), observe(service, ANN_PHONE, day=2)])
        survivor, absorbed = profile_id(service, ANN_EMAIL), profile_id(service, ANN_PHONE)
        assert service.changes() == []
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=3)])
        (event,) = service.changes()
        assert (event.kind, event.profile_id) == ("merge", survivor)
        assert json.loads(event.detail) == {"survivor": survivor, "absorbed": [absorbed]}

    def test_positions_increase_and_page(self, service: IdentityService) -> None:
        service.ingest(
            [
                observe(service, ANN_EMAIL, day=1),
                observe(service, ANN_PHONE, day=2),
                observe(service, BOB_EMAIL, day=1),
                observe(service, BOB_COOKIE, day=2),
            ]
        )
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=3)])
        service.ingest([observe(service, BOB_EMAIL, BOB_COOKIE, day=3)])
        events = service.changes()
        assert len(events) == 2
        assert events[0].position < events[1].position
        assert [e.profile_id for e in events] == [
            profile_id(service, ANN_EMAIL),
            profile_id(service, BOB_EMAIL),
        ]
        assert service.changes(after=events[0].position) == [events[1]]
        assert service.changes(limit=1) == [events[0]]
        assert service.changes(after=events[1].position) == []

    def test_growing_a_profile_is_not_an_event(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL)])
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=2)])
        assert service.changes() == []


class TestGoldenAttributes:
    def test_the_most_recent_value_wins_whatever_the_load_order(
        self, service: IdentityService
    ) -> None:
        service.ingest(
            [observe(service, ANN_EMAIL, day=10, attributes={"last_name": "Smith-Jones"})]
        )
        service.ingest(
            [
                observe(
                    service,
                    ANN_EMAIL,
                    day=2,
                    source="web",
                    attributes={"last_name": "Smith", "city": "Boston"},
                )
            ]
        )
        profile = service.lookup(*ANN_EMAIL).to_dict()
        assert profile["attributes"] == {"city": "Boston", "last_name": "Smith-Jones"}
        assert profile["provenance"] == {
            "city": {"source": "web", "observed_at": "2026-01-02T12:00:00Z"},
            "last_name": {"source": "crm", "observed_at": "2026-01-10T12:00:00Z"},
        }

    def test_a_merge_keeps_the_most_recent_value_of_both_sides(
        self, service: IdentityService
    ) -> None:
        service.ingest(
            [
                observe(service, ANN_EMAIL, day=1, attributes={"city": "Austin"}),
                observe(service, ANN_PHONE, day=5, attributes={"city": "Denver"}),
                observe(service, ANN_CRM, day=3, attributes={"first_name": "Ann"}),
            ]
        )
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, ANN_CRM, day=4)])
        assert service.lookup(*ANN_EMAIL).to_dict()["attributes"] == {
            "city": "Denver",
            "first_name": "Ann",
        }


class TestConsent:
    def test_lookup_returns_effective_consent_with_its_statements(
        self, service: IdentityService
    ) -> None:
        service.ingest(
            [observe(service, ANN_EMAIL, consent=[consent_about(ANN_EMAIL, "email", "granted")])]
        )
        consent = service.lookup(*ANN_EMAIL).to_dict()["consent"]
        assert sorted(consent) == sorted(service.settings.purposes)
        assert consent["email"] == {
            "status": "granted",
            "statements": [
                {
                    "subject": "email:ann@example.com",
                    "purpose": "email",
                    "status": "granted",
                    "at": "2026-01-01T12:00:00Z",
                    "source": "crm",
                    "proof": {},
                }
            ],
        }
        assert consent["sms"] == {"status": "unknown", "statements": []}

    def test_after_a_merge_any_denial_denies(self, service: IdentityService) -> None:
        service.ingest(
            [
                observe(
                    service,
                    ANN_EMAIL,
                    day=1,
                    consent=[consent_about(ANN_EMAIL, "email", "granted")],
                ),
                observe(
                    service,
                    ANN_COOKIE,
                    day=1,
                    source="web",
                    consent=[consent_about(ANN_COOKIE, "email", "denied")],
                ),
                observe(
                    service,
                    ANN_PHONE,
                    day=9,
                    consent=[consent_about(ANN_PHONE, "email", "granted")],
                ),
            ]
        )
        assert service.lookup(*ANN_EMAIL).consent_status("email") == "granted"
        service.ingest([observe(service, ANN_EMAIL, ANN_COOKIE, ANN_PHONE, day=10)])
        consent = service.lookup(*ANN_EMAIL).to_dict()["consent"]["email"]
        assert consent["status"] == "denied"
        assert [(s["subject"], s["status"]) for s in consent["statements"]] == [
            ("cookie:ck-ann-1", "denied")
        ]

    def test_a_later_statement_replaces_an_earlier_one(self, service: IdentityService) -> None:
        service.ingest(
            [
                observe(
                    service, ANN_EMAIL, day=1, consent=[consent_about(ANN_EMAIL, "sms", "denied")]
                )
            ]
        )
        service.ingest(
            [
                observe(
                    service, ANN_EMAIL, day=2, consent=[consent_about(ANN_EMAIL, "sms", "granted")]
                )
            ]
        )
        assert service.lookup(*ANN_EMAIL).consent_status("sms") == "granted"

    def test_a_profile_statement_counts_for_every_identifier_of_the_profile(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=1)])
        service.ingest(
            [
                observe(
                    service,
                    ANN_EMAIL,
                    day=2,
                    consent=[{"purpose": "sms", "status": "denied"}],
                )
            ]
        )
        consent = service.lookup(*ANN_PHONE).to_dict()["consent"]["sms"]
        assert consent["status"] == "denied"
        assert [s["subject"] for s in consent["statements"]] == [
            "email:ann@example.com",
            "phone:+12125550100",
        ]

    def test_a_profile_statement_ingested_again_changes_nothing(
        self, service: IdentityService
    ) -> None:
        claim = observe(
            service, ANN_EMAIL, day=1, consent=[{"purpose": "email", "status": "granted"}]
        )
        service.ingest([claim])
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=2)])
        before = documents(service)
        service.ingest([claim])
        assert documents(service) == before


class TestIdempotentIngest:
    def test_the_same_batch_twice_changes_no_profile(self, service: IdentityService) -> None:
        batch = [
            observe(service, ANN_EMAIL, day=2, attributes={"first_name": "Ann"}),
            observe(
                service,
                ANN_PHONE,
                day=1,
                attributes={"city": "Boston"},
                consent=[consent_about(ANN_PHONE, "sms", "denied")],
            ),
            observe(service, ANN_PHONE, ANN_EMAIL, ANN_CRM, day=3),
            observe(service, ANN_COOKIE, BOB_COOKIE, day=3, source="web", authenticated=False),
            observe(service, BOB_EMAIL, day=4, consent=[{"purpose": "email", "status": "denied"}]),
        ]
        service.ingest(batch[:2])
        service.ingest(batch[2:])
        before, counts = documents(service), service.counts()

        service.ingest(batch[:2])
        service.ingest(batch[2:])
        service.ingest(batch)

        assert documents(service) == before
        assert service.counts() == counts
        assert len(service.changes()) == counts["changes"]

    def test_only_counters_change(self, service: IdentityService) -> None:
        obs = observe(service, ANN_EMAIL, ANN_PHONE)
        service.ingest([obs])
        service.ingest([obs])

        def stored(tx: GraphTransaction) -> tuple[list[int], list[int]]:
            keys = ["email:ann@example.com", "phone:+12125550100"]
            idents = tx.identifiers_of({p for p in tx.profile_ids(keys).values() if p})
            return (
                [i.sightings for group in idents.values() for i in group],
                [e.sightings for e in tx.edges_of(keys)],
            )

        assert service.store.read(stored) == ([2, 2], [2])


class TestWeakLinks:
    def test_unauthenticated_co_occurrence_stores_a_weak_edge_and_does_not_merge(
        self, service: IdentityService
    ) -> None:
        service.ingest(
            [observe(service, ANN_COOKIE, BOB_COOKIE, source="web", authenticated=False)]
        )
        assert profile_id(service, ANN_COOKIE) != profile_id(service, BOB_COOKIE)
        assert service.counts()["profiles"] == 2
        edges = service.store.read(lambda tx: tx.edges_of(["cookie:ck-ann-1"]))
        assert [
            (e.left, e.right, e.matcher, e.rule, e.weight, e.status, e.source) for e in edges
        ] == [
            (
                "cookie:ck-ann-1",
                "cookie:ck-bob-1",
                "co_occurrence",
                "unauthenticated",
                0.7,
                "weak",
                "web",
            )
        ]
        assert json.loads(edges[0].evidence) == {"source": "web", "authenticated": False}

    def test_a_source_weighted_at_the_threshold_joins(self, service: IdentityService) -> None:
        trusted = IdentityService(
            service.store,
            replace(service.settings, unauthenticated_weight_by_source={"pos": 0.9}),
        )
        trusted.ingest([observe(trusted, ANN_COOKIE, ANN_EMAIL, source="pos", authenticated=False)])
        assert profile_id(trusted, ANN_COOKIE) == profile_id(trusted, ANN_EMAIL)

    def test_an_authenticated_link_joins_what_a_weak_one_did_not(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_COOKIE, ANN_EMAIL, authenticated=False)])
        assert service.counts()["profiles"] == 2
        service.ingest([observe(service, ANN_COOKIE, ANN_EMAIL, day=2)])
        assert service.counts()["profiles"] == 1
        statuses = {
            e.rule: e.status
            for e in service.store.read(lambda tx: tx.edges_of(["cookie:ck-ann-1"]))
        }
        assert statuses == {"authenticated": "joined", "unauthenticated": "weak"}


class TestProfileIds:
    BATCH: tuple[tuple[Ident, ...], ...] = (
        (ANN_EMAIL, ANN_PHONE),
        (ANN_COOKIE, ANN_EMAIL),
        (BOB_EMAIL,),
        (BOB_COOKIE,),
    )

    def load(self, service: IdentityService) -> dict[str, str]:
        service.ingest([observe(service, *idents) for idents in self.BATCH])
        return {p.id: ",".join(p.identifiers) for p in service.iter_profiles()}

    def test_a_new_profile_is_named_by_a_keyed_hash_of_its_smallest_key(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_PHONE, ANN_EMAIL)])
        secret = service.settings.secret
        assert secret
        expected = Resolver(Settings(), secret).profile_id_for("email:ann@example.com")
        assert profile_id(service, ANN_PHONE) == expected
        assert expected.startswith("p-")
        assert len(expected) == 22

    def test_the_same_data_and_secret_give_the_same_ids(
        self, service: IdentityService, tmp_path: Path
    ) -> None:
        elsewhere = Settings(data_dir=tmp_path / "elsewhere", secret=service.settings.secret)
        with_embedded = IdentityService(EmbeddedStore(elsewhere.data_dir), elsewhere)
        try:
            assert self.load(service) == self.load(with_embedded)
        finally:
            with_embedded.store.close()

    def test_another_secret_gives_other_ids(self, service: IdentityService, tmp_path: Path) -> None:
        other = Settings(data_dir=tmp_path / "other", secret="another-secret")
        with_other = IdentityService(EmbeddedStore(other.data_dir), other)
        try:
            ours, theirs = self.load(service), self.load(with_other)
        finally:
            with_other.store.close()
        assert sorted(ours.values()) == sorted(theirs.values())
        assert not set(ours) & set(theirs)


class BatchFailed(Exception):
    pass


class TestAtomicBatch:
    def test_a_batch_failing_inside_the_transaction_stores_nothing(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL, day=1), observe(service, ANN_PHONE, day=2)])
        before, counts = documents(service), service.counts()
        batch = [
            observe(service, ANN_EMAIL, ANN_PHONE, day=3, attributes={"first_name": "Ann"}),
            observe(service, BOB_EMAIL, consent=[consent_about(BOB_EMAIL, "email", "denied")]),
        ]

        def work(tx: GraphTransaction) -> None:
            outcome = service.resolver.ingest(tx, batch)
            assert outcome.profiles_merged == 1
            raise BatchFailed("the disk is full")

        with pytest.raises(BatchFailed, match="the disk is full"):
            service.store.write(work)

        assert documents(service) == before
        assert service.counts() == counts
        assert service.changes() == []
        with pytest.raises(NotFound):
            service.lookup(*BOB_EMAIL)

    def test_the_service_works_on_after_a_failed_batch(self, service: IdentityService) -> None:
        def work(tx: GraphTransaction) -> None:
            service.resolver.ingest(tx, [observe(service, ANN_EMAIL)])
            raise BatchFailed

        with pytest.raises(BatchFailed):
            service.store.write(work)
        service.ingest([observe(service, ANN_EMAIL)])
        assert service.lookup(*ANN_EMAIL).identifiers == ["email:ann@example.com"]


def _ann_and_bob(service: IdentityService) -> list[Observation]:
    """Observations whose profiles only come together across chunks: Ann's email and
    phone meet in the third, Bob's consent and cookie in the fourth."""
    return [
        observe(service, ANN_EMAIL, ANN_COOKIE, day=1, attributes={"first_name": "Ann"}),
        observe(service, ANN_PHONE, ANN_CRM, day=2, attributes={"first_name": "Anne"}),
        observe(service, ANN_EMAIL, ANN_PHONE, day=3),
        observe(service, BOB_EMAIL, consent=[consent_about(BOB_EMAIL, "email", "denied")]),
        observe(service, BOB_EMAIL, BOB_COOKIE, day=4, attributes={"last_name": "Builder"}),
        observe(service, ANN_EMAIL, ANN_COOKIE, day=1, attributes={"first_name": "Ann"}),
    ]


class TestIngestChunks:
    @pytest.mark.parametrize(
        "sizes",
        [
            pytest.param([6], id="one chunk of all"),
            pytest.param([1, 1, 1, 1, 1, 1], id="a chunk per observation"),
            pytest.param([2, 3, 1], id="chunks of uneven sizes"),
        ],
    )
    def test_chunks_give_the_profiles_and_outcome_of_one_batch(
        self, service: IdentityService, settings: Settings, tmp_path: Path, sizes: list[int]
    ) -> None:
        observations = _ann_and_bob(service)
        chunks, start = [], 0
        for size in sizes:
            chunks.append(observations[start : start + size])
            start += size
        chunked = service.ingest_chunks(iter(chunks))

        other = tmp_path / "one-batch"
        one = IdentityService(EmbeddedStore(other), replace(settings, data_dir=other))
        try:
            whole = one.ingest(observations)
            assert documents(service) == documents(one)
        finally:
            one.store.close()
        assert chunked == whole
        assert (chunked.observations, chunked.identifiers, chunked.profiles_created) == (6, 6, 2)
        assert service.lookup(*BOB_EMAIL).to_dict()["consent"]["email"]["status"] == "denied"

    def test_a_producer_failing_part_way_stores_nothing(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL, day=1)])
        before, counts = documents(service), service.counts()
        observations = _ann_and_bob(service)

        def chunks() -> Iterator[list[Observation]]:
            yield observations[:3]
            yield observations[3:5]
            raise BatchFailed("line 5,000: the file was cut off")

        with pytest.raises(BatchFailed, match="cut off"):
            service.ingest_chunks(chunks())
        assert documents(service) == before
        assert service.counts() == counts
        with pytest.raises(NotFound):
            service.lookup(*BOB_EMAIL)

    def test_no_chunks_change_nothing(self, service: IdentityService) -> None:
        outcome = service.ingest_chunks(iter([]))
        assert (outcome.observations, outcome.profiles_created) == (0, 0)
        assert service.counts()["identifiers"] == 0
