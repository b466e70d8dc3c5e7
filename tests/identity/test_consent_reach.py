"""Which identifiers a consent statement reaches, on every store (``identity.consent``,
``identity.profile_consent``): an opt-out without a subject reaches every identifier of
its observation, a permission only those joined with the observation's anchor, and no
merge, split, steward action or profile-wide statement turns an identifier's own
opt-out into a permission."""

from __future__ import annotations

from typing import Any

from resolution_helpers import Ident, key, observe, pid

from identity.privacy import ConsentInput
from identity.service import IdentityService

EMAIL: Ident = ("email", "ann@example.com")
PHONE: Ident = ("phone", "(212) 555-0100")
COOKIE: Ident = ("cookie", "ck-ann-1")
CRM: Ident = ("customer_id", "crm/4711")
DENIED = [{"purpose": "email", "status": "denied"}]
GRANTED = [{"purpose": "email", "status": "granted"}]


def about(ident: Ident, status: str) -> list[dict[str, Any]]:
    return [
        {"purpose": "email", "status": status, "subject": {"type": ident[0], "value": ident[1]}}
    ]


def status_of(service: IdentityService, ident: Ident) -> tuple[str, str]:
    """The identifier's own answer for the email purpose, and its profile's."""
    answer = service.consent_of(*ident)
    own = answer["identifier_consent"].get("email", {"status": "unknown"})["status"]
    return own, answer["profile_consent"]["email"]["status"]


class TestAStatementWithoutSubject:
    def test_an_opt_out_reaches_every_identifier_of_an_unjoined_observation(
        self, service: IdentityService
    ) -> None:
        service.ingest(
            [
                observe(service, EMAIL, COOKIE, authenticated=False, consent=DENIED),
                observe(service, PHONE, CRM, authenticated=False, consent=DENIED, day=2),
            ]
        )
        for ident in (EMAIL, COOKIE, PHONE, CRM):
            assert status_of(service, ident) == ("denied", "denied"), ident

    def test_an_opt_out_reaches_the_profiles_of_each_identifier(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, COOKIE, PHONE), observe(service, EMAIL, CRM)])
        service.ingest([observe(service, EMAIL, COOKIE, authenticated=False, consent=DENIED)])
        assert status_of(service, PHONE) == ("denied", "denied")
        assert status_of(service, CRM) == ("denied", "denied")

    def test_a_permission_reaches_only_what_is_joined_with_the_anchor(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, EMAIL, COOKIE, authenticated=False, consent=GRANTED)])
        assert status_of(service, EMAIL) == ("granted", "granted")
        assert status_of(service, COOKIE) == ("unknown", "unknown")

    def test_a_permission_reaches_the_anchor_profile_inherited(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, EMAIL, PHONE)])
        service.ingest([observe(service, PHONE, consent=GRANTED, day=2)])
        assert status_of(service, EMAIL) == ("granted", "granted")
        statement = service.consent_of(*EMAIL)["identifier_consent"]["email"]["statement"]
        assert statement["via"] == key(service, PHONE)


class TestAnOwnOptOut:
    def test_survives_a_merge_a_grant_through_the_profile_and_a_split(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, EMAIL, consent=about(EMAIL, "denied"))])
        service.ingest([observe(service, PHONE, day=2)])
        service.stewardship.merge_profiles(pid(service, EMAIL), pid(service, PHONE), "s-1")
        service.ingest([observe(service, PHONE, consent=GRANTED, day=3)])
        assert status_of(service, EMAIL) == ("denied", "denied")
        service.stewardship.split_profile(pid(service, EMAIL), [key(service, EMAIL)], "s-1")
        assert status_of(service, EMAIL) == ("denied", "denied")
        assert status_of(service, PHONE) == ("granted", "granted")

    def test_is_not_lifted_by_a_privacy_officers_grant_for_the_profile(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, EMAIL, PHONE, consent=about(EMAIL, "denied"))])
        grant = ConsentInput(
            "email", "granted", "2026-01-05T00:00:00Z", "dpo", profile_id=pid(service, EMAIL)
        )
        service.privacy.record_consent([grant], "dpo-1")
        assert status_of(service, EMAIL) == ("denied", "denied")
        assert status_of(service, PHONE)[0] == "granted"

    def test_a_later_own_grant_lifts_it(self, service: IdentityService) -> None:
        service.ingest([observe(service, EMAIL, PHONE, consent=about(EMAIL, "denied"))])
        service.ingest([observe(service, EMAIL, consent=about(EMAIL, "granted"), day=2)])
        assert status_of(service, EMAIL) == ("granted", "granted")


class TestAPermissionThroughALinkLaterUndone:
    def test_stays_behind_when_the_link_is_erased(self, service: IdentityService) -> None:
        service.ingest([observe(service, EMAIL, PHONE)])
        service.ingest([observe(service, PHONE, consent=GRANTED, day=2)])
        edge = service.store.read(lambda tx: tx.edges_of([key(service, EMAIL)]))[0]
        service.stewardship.erase_edge(edge.slot, "s-1")
        assert status_of(service, EMAIL) == ("unknown", "unknown")
        assert status_of(service, PHONE) == ("granted", "granted")
