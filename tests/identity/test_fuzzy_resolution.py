"""Fuzzy matching wired into resolution, on every store: observations that share no
identifier join by their person attributes, the review band is held for stewards, guards
apply, the evidence is kept, and loading in batches gives the profiles of one load."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from resolution_helpers import FIRST_NAMES, LAST_NAMES, typo

from api.bootstrap import build_service
from graph.neo4j_store import shared_driver
from identity.fuzzy_linking import FuzzyLinker
from identity.observation import Observation
from identity.service import IdentityService
from identity.settings import Settings
from identity.stewardship import edge_to_dict
from matchers.fuzzy import MATCHER_NAME, FuzzyMatcher

Ident = tuple[str, str]

ANN = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1980-01-31",
    "address": "1 Main St",
    "city": "Boston",
    "postcode": "02110",
}


def observe(
    service: IdentityService,
    *identifiers: Ident,
    attributes: dict[str, str] | None = None,
    day: int = 1,
    source: str = "crm",
) -> Observation:
    data: dict[str, Any] = {
        "source": source,
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
    }
    if attributes is not None:
        data["attributes"] = attributes
    parsed = service.parse(data)
    assert parsed.refusals == ()
    return parsed.observation


def key(service: IdentityService, ident: Ident) -> str:
    return service.normalize(*ident).key


def same_profile(service: IdentityService, a: Ident, b: Ident) -> bool:
    return service.lookup(*a).id == service.lookup(*b).id


def fuzzy_edges(service: IdentityService) -> list[dict[str, Any]]:
    def work(tx: Any) -> list[Any]:
        return [e for e in tx.edge_page(None, 10_000) if e.matcher == MATCHER_NAME]

    return [edge_to_dict(e) for e in service.store.read(work)]


class TestJoiningByAttributes:
    def test_two_identifiers_with_the_same_person_data_join(self, service: IdentityService) -> None:
        ann_email, ann_cookie = ("email", "ann@example.com"), ("cookie", "pos-ann")
        service.ingest(
            [
                observe(service, ann_email, attributes=ANN),
                observe(service, ann_cookie, attributes={**ANN, "first_name": "Anne"}, day=2),
            ]
        )
        assert same_profile(service, ann_email, ann_cookie)
        [edge] = fuzzy_edges(service)
        assert edge["status"] == "joined"
        assert edge["weight"] >= 0.99

    def test_a_later_batch_is_matched_against_what_is_stored(
        self, service: IdentityService
    ) -> None:
        ann_email, ann_social = ("email", "ann@example.com"), ("social", "instagram/annlee")
        service.ingest([observe(service, ann_email, attributes=ANN)])
        service.ingest([observe(service, ann_social, attributes=ANN, day=3)])
        assert same_profile(service, ann_email, ann_social)

    def test_people_who_only_share_a_surname_and_a_city_stay_apart(
        self, service: IdentityService
    ) -> None:
        bob = {"first_name": "Bob", "last_name": "Lee", "city": "Boston"}
        service.ingest(
            [
                observe(service, ("email", "ann@example.com"), attributes=ANN),
                observe(service, ("email", "bob@example.com"), attributes=bob),
            ]
        )
        assert not same_profile(service, ("email", "ann@example.com"), ("email", "bob@example.com"))
        assert fuzzy_edges(service) == []

    def test_loading_the_same_observations_again_changes_nothing(
        self, service: IdentityService
    ) -> None:
        batch = [
            observe(service, ("email", "ann@example.com"), attributes=ANN),
            observe(service, ("cookie", "pos-ann"), attributes=ANN, day=2),
        ]
        service.ingest(batch)
        before = (fuzzy_edges(service), service.counts())
        service.ingest(batch)
        after = (fuzzy_edges(service), service.counts())
        assert [(e["left"], e["right"], e["weight"]) for e in after[0]] == [
            (e["left"], e["right"], e["weight"]) for e in before[0]
        ]
        assert after[1]["profiles"] == before[1]["profiles"]


class TestKeysMadeTooCommon:
    """A key held by more records than the cap compares nobody, whichever came first."""

    def test_a_later_batch_takes_back_the_join_and_ends_like_one_batch(
        self, service: IdentityService
    ) -> None:
        service.resolver.fuzzy = FuzzyLinker(FuzzyMatcher(max_block_size=3))
        email, first, second, third = (
            ("email", "ann@example.com"),
            ("cookie", "pos-1"),
            ("cookie", "pos-2"),
            ("cookie", "pos-3"),
        )
        service.ingest(
            [observe(service, email, attributes=ANN), observe(service, first, attributes=ANN)]
        )
        assert same_profile(service, email, first)
        joined_id = service.lookup(*email).id

        service.ingest(
            [
                observe(service, second, attributes=ANN, day=2),
                observe(service, third, attributes=ANN, day=3),
            ]
        )
        assert fuzzy_edges(service) == []
        ids = {service.lookup(*ident).id for ident in (email, first, second, third)}
        assert len(ids) == 4
        assert joined_id in ids
        assert [c.kind for c in service.changes()] == ["split"]


class TestReviewBand:
    """Name and a birth date one digit off: more likely one person than two, not enough
    to join."""

    NEAR = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-01-31"}
    OFF = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-01-21"}

    def load(self, service: IdentityService) -> tuple[Ident, Ident]:
        a, b = ("cookie", "ck-a"), ("cookie", "ck-b")
        service.ingest(
            [observe(service, a, attributes=self.NEAR), observe(service, b, attributes=self.OFF)]
        )
        return a, b

    def test_the_edge_is_held_with_its_probability_and_joins_nothing(
        self, service: IdentityService
    ) -> None:
        a, b = self.load(service)
        [edge] = fuzzy_edges(service)
        assert edge["status"] == "held"
        assert 0.5 <= edge["weight"] < 0.99
        assert edge["reason"] == f"review band: p={edge['weight']:.4f}"
        assert not same_profile(service, a, b)

    def test_the_review_queue_shows_it_and_approving_it_joins(
        self, service: IdentityService
    ) -> None:
        a, b = self.load(service)
        page = service.stewardship.review_queue(reason_contains="review band")
        [edge] = page.edges
        assert edge.matcher == MATCHER_NAME
        service.stewardship.approve_edge(edge.slot, "steward-1")
        assert same_profile(service, a, b)


class TestLandline:
    """A household's landline with a caller's person data: the match says who called,
    not that the number is theirs alone."""

    def test_a_match_through_a_fixed_line_is_held_and_a_steward_may_approve_it(
        self, service: IdentityService
    ) -> None:
        landline = ("phone", "+82 2-123-4567")
        email = ("email", "minjun@example.kr")
        person = {"full_name": "김민준", "date_of_birth": "1993-11-02", "gender": "남"}
        roman = {"full_name": "KIM MIN JUN", "date_of_birth": "1993-11-02", "gender": "M"}
        roman["address"] = person["address"] = "서울특별시 강남구 테헤란로 152, 101동 1203호"
        service.ingest(
            [
                observe(service, landline, attributes=person, source="callcenter"),
                observe(service, email, attributes=roman, source="global"),
            ]
        )
        [edge] = fuzzy_edges(service)
        assert edge["weight"] >= 0.99
        assert edge["status"] == "held"
        assert edge["reason"].startswith("fixed-line phone")
        assert not same_profile(service, landline, email)
        [held] = service.stewardship.review_queue(reason_contains="fixed-line").edges
        service.stewardship.approve_edge(held.slot, "steward-1")
        assert same_profile(service, landline, email)

    def test_a_mobile_number_joins(self, service: IdentityService) -> None:
        mobile, email = ("phone", "+82 10-1234-5678"), ("email", "minjun@example.kr")
        person = {"full_name": "김민준", "date_of_birth": "1993-11-02"}
        roman = {"full_name": "Minjun Kim", "date_of_birth": "1993-11-02"}
        roman["address"] = person["address"] = "서울 강남구 테헤란로 152"
        service.ingest(
            [
                observe(service, mobile, attributes=person),
                observe(service, email, attributes=roman),
            ]
        )
        assert same_profile(service, mobile, email)


class TestGuards:
    def test_a_fuzzy_edge_that_would_break_a_limit_is_held_with_the_reason(
        self, service: IdentityService
    ) -> None:
        first, second = ("customer_id", "crm/C-1"), ("customer_id", "crm/C-2")
        service.ingest(
            [observe(service, first, attributes=ANN), observe(service, second, attributes=ANN)]
        )
        [edge] = fuzzy_edges(service)
        assert edge["weight"] >= 0.99
        assert edge["status"] == "held"
        assert edge["reason"].startswith("limit")
        assert not same_profile(service, first, second)


class TestEvidence:
    def test_explain_shows_each_field_its_values_level_and_bits(
        self, service: IdentityService
    ) -> None:
        ann_email, ann_cookie = ("email", "ann@example.com"), ("cookie", "pos-ann")
        service.ingest(
            [
                observe(service, ann_email, attributes=ANN),
                observe(service, ann_cookie, attributes={**ANN, "last_name": "Lea"}),
            ]
        )
        [step] = service.stewardship.explain(
            service.normalize(*ann_cookie), service.normalize(*ann_email)
        )
        assert step["matcher"] == MATCHER_NAME
        evidence = step["evidence"]
        assert evidence["fields"]["last_name"]["left"] in {"lee", "lea"}
        assert evidence["fields"]["last_name"]["level"].startswith("jaro_winkler")
        assert evidence["fields"]["date_of_birth"] == {
            "left": "1980-01-31",
            "right": "1980-01-31",
            "level": "exact",
            "bits": evidence["fields"]["date_of_birth"]["bits"],
        }
        total = evidence["prior_bits"] + sum(f["bits"] for f in evidence["fields"].values())
        assert total == pytest.approx(evidence["total_bits"], abs=0.05)


class TestErasure:
    def test_an_erased_person_is_not_matched_by_later_loads(self, service: IdentityService) -> None:
        ann_email, ann_cookie = ("email", "ann@example.com"), ("cookie", "pos-ann")
        service.ingest(
            [
                observe(service, ann_email, attributes=ANN),
                observe(service, ann_cookie, attributes=ANN),
            ]
        )
        service.privacy.erase_profile(service.lookup(*ann_email).id, "privacy-1")
        again = ("cookie", "kiosk-7")
        service.ingest([observe(service, again, attributes=ANN, day=5)])
        assert service.lookup(*again).identifiers == [key(service, again)]
        assert fuzzy_edges(service) == []


class TestFuzzyDisabled:
    def test_without_fuzzy_matching_attributes_join_nothing(self, settings: Settings) -> None:
        service = build_service(settings.with_overrides(fuzzy_enabled=False))
        try:
            a, b = ("email", "ann@example.com"), ("cookie", "pos-ann")
            service.ingest(
                [observe(service, a, attributes=ANN), observe(service, b, attributes=ANN)]
            )
            assert not same_profile(service, a, b)
        finally:
            service.store.close()


# --- incremental matching ----------------------------------------------------------------

STREETS = ["main st", "oak avenue", "harbour rd", "elm street", "station road"]


def world(seed: int = 7, people: int = 40) -> list[dict[str, Any]]:
    """Each person seen three times with no shared identifier: a CRM record, a second
    email with a (sometimes misspelt) name and birth date, a point-of-sale record with an
    address. Some people share a name (not a birth date or home)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(people):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        born = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        person = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": born,
            "address": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "city": rng.choice(["Boston", "Leeds", "Lyon"]),
            "postcode": f"{rng.randint(10000, 99999)}",
        }
        second = {k: person[k] for k in ("first_name", "last_name", "date_of_birth")}
        if rng.random() < 0.5:
            second["last_name"] = typo(last, rng)
        shop = {k: person[k] for k in ("first_name", "last_name", "address", "postcode")}
        shop["first_name"] = typo(first, rng) if rng.random() < 0.5 else first
        shop["date_of_birth"] = person["date_of_birth"]
        rows.append({"id": [("email", f"p{n}@crm.example")], "attributes": person, "day": 1})
        rows.append({"id": [("email", f"{first}{n}@mail.example")], "attributes": second, "day": 2})
        rows.append({"id": [("cookie", f"pos-{n}")], "attributes": shop, "day": 3})
    rng.shuffle(rows)
    return rows


def load(service: IdentityService, rows: list[dict[str, Any]], batches: int) -> None:
    observations = [
        observe(service, *row["id"], attributes=row["attributes"], day=row["day"]) for row in rows
    ]
    size = -(-len(observations) // batches)
    for start in range(0, len(observations), size):
        service.ingest(observations[start : start + size])


def snapshot(service: IdentityService) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(p.identifiers), p.row.attributes) for p in service.iter_profiles()}


def _emptied(settings: Settings) -> Settings:
    """The same kind of store, with nothing in it."""
    if settings.store == "neo4j":
        driver = shared_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        with driver.session(database=settings.neo4j_database) as session:
            session.run("MATCH (n) DETACH DELETE n").consume()
        return settings
    return settings.with_overrides(data_dir=settings.data_dir.parent / "again")


@pytest.fixture
def loaded(settings: Settings) -> Iterator[tuple[Settings, set[tuple[tuple[str, ...], str]]]]:
    service = build_service(settings)
    try:
        load(service, world(), batches=1)
        yield settings, snapshot(service)
    finally:
        service.store.close()


class TestIncrementalMatching:
    def test_ten_batches_give_the_profiles_of_one_batch(
        self, loaded: tuple[Settings, set[tuple[tuple[str, ...], str]]]
    ) -> None:
        settings, one_batch = loaded
        service = build_service(_emptied(settings))
        try:
            load(service, world(), batches=10)
            ten_batches = snapshot(service)
        finally:
            service.store.close()
        assert ten_batches == one_batch
        # The world is joined by attributes alone: without fuzzy edges there would be
        # 120 profiles of one identifier each; with them, one per person.
        assert sorted(len(identifiers) for identifiers, _ in one_batch) == [3] * 40
