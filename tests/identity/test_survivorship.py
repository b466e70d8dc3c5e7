"""Golden attributes on every store: survivorship per attribute (most recent, source
priority, most frequent), each chosen value with the source and time it came from, kept
right through merges and splits (``idgraph check`` re-derives them from the facts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from resolution_helpers import Ident, assert_check_passes, key, observe, pid

from api.bootstrap import build_service
from identity.service import IdentityService
from identity.settings import Settings

EMAIL: Ident = ("email", "ann@example.com")
PHONE: Ident = ("phone", "(212) 555-0100")
COOKIE: Ident = ("cookie", "ck-ann")


@pytest.fixture
def ruled(settings: Settings) -> Iterator[IdentityService]:
    service = build_service(
        settings.with_overrides(
            survivorship={
                "last_name": "source_priority",
                "city": "most_frequent",
                "first_name": "most_recent",
            },
            source_priority=("crm", "shop"),
            fuzzy_enabled=False,
        )
    )
    try:
        yield service
    finally:
        service.store.close()


def golden(service: IdentityService, ident: Ident) -> tuple[dict[str, str], dict[str, object]]:
    document = service.lookup(*ident).to_dict()
    return document["attributes"], document["provenance"]


def load(service: IdentityService) -> None:
    service.ingest(
        [
            observe(
                service,
                EMAIL,
                day=1,
                source="crm",
                attributes={"first_name": "Ann", "last_name": "Lee", "city": "Boston"},
            ),
            observe(
                service,
                EMAIL,
                PHONE,
                day=5,
                source="web",
                attributes={"first_name": "Anne", "last_name": "Leigh", "city": "Cambridge"},
            ),
            observe(
                service,
                PHONE,
                day=3,
                source="shop",
                attributes={"last_name": "Lea", "city": "Boston"},
            ),
        ]
    )


class TestRulesPerAttribute:
    def test_each_attribute_follows_its_rule_and_keeps_source_and_time(
        self, ruled: IdentityService
    ) -> None:
        load(ruled)
        attributes, provenance = golden(ruled, EMAIL)
        assert attributes == {"first_name": "Anne", "last_name": "Lee", "city": "Boston"}
        assert provenance == {
            # most recent: the web form of day 5
            "first_name": {"source": "web", "observed_at": "2026-01-05T12:00:00Z"},
            # source priority: the CRM beats the shop and the web, however recent
            "last_name": {"source": "crm", "observed_at": "2026-01-01T12:00:00Z"},
            # most frequent: Boston twice, last seen at the shop on day 3
            "city": {"source": "shop", "observed_at": "2026-01-03T12:00:00Z"},
        }
        assert_check_passes(ruled)

    def test_a_split_re_derives_each_side_from_its_own_facts(self, ruled: IdentityService) -> None:
        load(ruled)
        ruled.stewardship.split_profile(pid(ruled, EMAIL), [key(ruled, PHONE)], "steward-1")
        phone_attributes, phone_provenance = golden(ruled, PHONE)
        # the web observation saw both: its facts are kept on each of its identifiers; on
        # the phone's side Boston and Cambridge are seen once each, the more recent wins
        assert phone_attributes == {"first_name": "Anne", "last_name": "Lea", "city": "Cambridge"}
        assert phone_provenance["last_name"] == {
            "source": "shop",
            "observed_at": "2026-01-03T12:00:00Z",
        }
        email_attributes, _ = golden(ruled, EMAIL)
        assert email_attributes["last_name"] == "Lee"
        assert_check_passes(ruled)

    def test_an_unruled_attribute_is_most_recent(self, ruled: IdentityService) -> None:
        ruled.ingest(
            [
                observe(ruled, EMAIL, day=2, attributes={"postcode": "02110"}),
                observe(ruled, EMAIL, day=1, attributes={"postcode": "02139"}),
            ]
        )
        attributes, provenance = golden(ruled, EMAIL)
        assert attributes["postcode"] == "02110"
        assert provenance["postcode"] == {"source": "crm", "observed_at": "2026-01-02T12:00:00Z"}


class TestDefaultRule:
    def test_a_merge_keeps_the_most_recent_value_of_either_side(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, EMAIL, day=4, attributes={"city": "Boston"})])
        service.ingest([observe(service, COOKIE, day=6, source="web", attributes={"city": "NYC"})])
        service.ingest([observe(service, EMAIL, COOKIE, day=7)])
        attributes, provenance = golden(service, EMAIL)
        assert attributes == {"city": "NYC"}
        assert provenance == {"city": {"source": "web", "observed_at": "2026-01-06T12:00:00Z"}}
        assert_check_passes(service)
