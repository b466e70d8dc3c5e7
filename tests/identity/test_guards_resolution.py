"""Guards in resolution on every store: each limit holds the edge that would break it
(with the reason), the frequency cap makes a shared identifier generic and re-resolves the
profiles it had joined, blocked values never join, cannot-links hold against later data.
``idgraph check`` passes after every scenario."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from resolution_helpers import Ident, assert_check_passes, key, observe, pid, same_profile

from api.bootstrap import build_service
from graph.records import EdgeRow
from identity.guards import GuardSettings
from identity.service import IdentityService
from identity.settings import Settings

NO_CAP = 1000
MakeService = Callable[[GuardSettings], IdentityService]


@pytest.fixture
def make_service(settings: Settings) -> Iterator[MakeService]:
    built: list[IdentityService] = []

    def make(guards: GuardSettings) -> IdentityService:
        service = build_service(settings.with_overrides(guards=guards, fuzzy_enabled=False))
        built.append(service)
        return service

    yield make
    for service in built:
        service.store.close()


def held_edges(service: IdentityService) -> dict[tuple[str, str], str]:
    page = service.stewardship.review_queue(limit=1000)
    return {(e.left, e.right): e.reason for e in page.edges}


class TestLimits:
    @pytest.mark.parametrize(
        ("hub", "others", "guards", "reason"),
        [
            pytest.param(
                ("customer_id", "crm/C-1"),
                [("email", f"e{i}@example.com") for i in range(3)],
                GuardSettings(type_limits={"email": 2}, frequency_cap=NO_CAP),
                "limit: more than 2 email in one profile",
                id="a third email is held when two are allowed",
            ),
            pytest.param(
                ("customer_id", "crm/C-1"),
                [("phone", f"(212) 555-010{i}") for i in range(3)],
                GuardSettings(type_limits={"phone": 2}, frequency_cap=NO_CAP),
                "limit: more than 2 phone in one profile",
                id="a third phone is held when two are allowed",
            ),
            pytest.param(
                ("email", "ann@example.com"),
                [("device", f"6d1e2f3a-0000-4000-8000-00000000000{i}") for i in range(3)],
                GuardSettings(type_limits={"device": 2}, frequency_cap=NO_CAP),
                "limit: more than 2 device in one profile",
                id="a third device is held when two are allowed",
            ),
            pytest.param(
                ("email", "ann@example.com"),
                [("cookie", f"ck-{i}") for i in range(3)],
                GuardSettings(type_limits={"cookie": 2}, frequency_cap=NO_CAP),
                "limit: more than 2 cookie in one profile",
                id="a third cookie is held when two are allowed",
            ),
            pytest.param(
                ("email", "ann@example.com"),
                [("customer_id", f"crm/C-{i}") for i in range(2)],
                GuardSettings(),
                "limit: more than 1 customer_id from source 'crm' in one profile",
                id="a second customer number of one CRM is held",
            ),
            pytest.param(
                ("email", "ann@example.com"),
                [("social", f"instagram/ann{i}") for i in range(3)],
                GuardSettings(),
                "limit: more than 2 social from source 'instagram' in one profile",
                id="a third handle on one platform is held",
            ),
        ],
    )
    def test_the_edge_over_the_limit_is_held_with_the_reason(
        self,
        make_service: MakeService,
        hub: Ident,
        others: list[Ident],
        guards: GuardSettings,
        reason: str,
    ) -> None:
        service = make_service(guards)
        service.ingest([observe(service, hub, other, day=i + 1) for i, other in enumerate(others)])
        *joined, last = others
        assert all(same_profile(service, hub, o) for o in joined)
        assert not same_profile(service, hub, last)
        pair = tuple(sorted((key(service, hub), key(service, last))))
        assert held_edges(service) == {pair: reason}
        assert_check_passes(service)

    def test_another_source_counts_apart(self, make_service: MakeService) -> None:
        service = make_service(GuardSettings())
        email, crm, shop = ("email", "a@x.com"), ("customer_id", "crm/1"), ("customer_id", "shop/1")
        service.ingest([observe(service, email, crm), observe(service, email, shop)])
        assert same_profile(service, crm, shop)
        assert held_edges(service) == {}


class TestFrequencyCap:
    """A public computer's cookie that many people log in from."""

    COOKIE: Ident = ("cookie", "library-pc")
    PEOPLE = [("email", f"reader{i}@example.com") for i in range(5)]

    def test_under_the_cap_the_cookie_joins(self, service: IdentityService) -> None:
        service.ingest([observe(service, self.COOKIE, p) for p in self.PEOPLE[:3]])
        assert len({pid(service, p) for p in self.PEOPLE[:3]}) == 1
        assert_check_passes(service)

    def test_over_the_cap_it_becomes_generic_and_the_profile_it_joined_splits(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, self.COOKIE, p) for p in self.PEOPLE[:3]])
        joined = pid(service, self.PEOPLE[0])
        service.ingest([observe(service, self.COOKIE, self.PEOPLE[3], day=2)])
        ids = [pid(service, p) for p in self.PEOPLE[:4]]
        assert len(set(ids)) == 4
        # every piece has one identifier; the tie goes to the smallest key: the cookie,
        # still searchable, alone
        assert pid(service, self.COOKIE) == joined
        assert service.lookup(*self.COOKIE).identifiers == [key(service, self.COOKIE)]
        held = held_edges(service)
        assert len(held) == 4
        assert set(held.values()) == {"generic: linked to 4 distinct email identifiers (cap 3)"}
        kinds = [c.kind for c in service.changes()]
        assert "split" in kinds
        assert_check_passes(service)

    def test_a_generic_identifier_joins_nothing_later(self, service: IdentityService) -> None:
        service.ingest([observe(service, self.COOKIE, p) for p in self.PEOPLE[:4]])
        service.ingest([observe(service, self.COOKIE, self.PEOPLE[4], day=3)])
        assert len({pid(service, p) for p in self.PEOPLE}) == 5
        assert_check_passes(service)

    def test_the_cap_applies_inside_one_batch_too(self, service: IdentityService) -> None:
        service.ingest([observe(service, self.COOKIE, p) for p in self.PEOPLE])
        assert len({pid(service, p) for p in [*self.PEOPLE, self.COOKIE]}) == 6
        assert_check_passes(service)

    def test_a_household_landline_over_the_cap_stops_joining(
        self, service: IdentityService
    ) -> None:
        landline = ("phone", "(212) 555-0199")
        family = [("email", f"member{i}@home.com") for i in range(4)]
        service.ingest([observe(service, landline, m) for m in family])
        assert len({pid(service, m) for m in family}) == 4
        assert_check_passes(service)


class TestBlockedValues:
    def test_a_junk_email_in_two_crm_records_joins_nothing(self, service: IdentityService) -> None:
        first, second = ("customer_id", "crm/1"), ("customer_id", "crm/2")
        parsed = [
            service.parse(
                {
                    "source": "crm",
                    "observed_at": "2026-01-01T00:00:00Z",
                    "authenticated": True,
                    "identifiers": [
                        {"type": t, "value": v},
                        {"type": "email", "value": "TEST@test.com"},
                    ],
                }
            )
            for t, v in (first, second)
        ]
        assert [r.rule for p in parsed for r in p.refusals] == ["blocked_value", "blocked_value"]
        service.ingest([p.observation for p in parsed])
        assert not same_profile(service, first, second)
        assert service.counts()["identifiers"] == 2
        assert_check_passes(service)


class TestCannotLink:
    A: Ident = ("email", "a@example.com")
    B: Ident = ("phone", "(212) 555-0100")
    C: Ident = ("cookie", "ck-c")

    def reject(self, service: IdentityService) -> None:
        service.ingest([observe(service, self.A, self.B)])
        [edge] = [e for e in _all_edges(service) if e.status == "joined"]
        service.stewardship.reject_edge(edge.slot, "steward-1")

    def test_the_same_link_loaded_again_does_not_join(self, service: IdentityService) -> None:
        self.reject(service)
        service.ingest([observe(service, self.A, self.B, day=5, source="web")])
        assert not same_profile(service, self.A, self.B)
        assert_check_passes(service)

    def test_a_path_through_a_third_identifier_is_held(self, service: IdentityService) -> None:
        self.reject(service)
        service.ingest([observe(service, self.A, self.C), observe(service, self.B, self.C)])
        assert not same_profile(service, self.A, self.B)
        reasons = set(held_edges(service).values())
        assert len(reasons) == 1
        assert reasons.pop().startswith("cannot-link: ")
        assert_check_passes(service)


def _all_edges(service: IdentityService) -> list[EdgeRow]:
    return service.store.read(lambda tx: tx.edge_page(None, 10_000))


class TestFuzzyEdgesAndTheCap:
    def test_look_alike_records_do_not_make_an_email_generic(
        self, service: IdentityService
    ) -> None:
        ann: Ident = ("email", "ann@example.com")
        namesakes = [f"email:ann{i}@example.org" for i in range(5)]
        service.ingest([observe(service, ann, ("customer_id", "crm/A1"))])
        service.ingest([observe(service, ("email", n.partition(":")[2])) for n in namesakes])
        at = "2026-01-01T12:00:00Z"
        review = [
            EdgeRow(
                *sorted((key(service, ann), n)),
                "fuzzy",
                "fellegi_sunter",
                0.7,
                "held",
                "crm",
                "{}",
                at,
                at,
                reason="review band: p=0.7000",
            )
            for n in namesakes
        ]
        service.store.write(lambda tx: tx.upsert_edges(review))
        service.ingest([observe(service, ann, ("customer_id", "crm/A1"), day=2)])
        assert (
            service.store.read(lambda tx: tx.get_identifiers([key(service, ann)]))[
                key(service, ann)
            ].generic
            == ""
        )
        assert same_profile(service, ann, ("customer_id", "crm/A1"))
        assert_check_passes(service)
