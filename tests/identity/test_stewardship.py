"""Stewardship and undo on every store: the review queue (list, filter, count, paging),
approve, reject (a cannot-link forever), manual merge (a manual edge) and split
(cannot-links), erasing an identifier or an edge re-resolves and splits. Every action is
a change-feed event and ``idgraph check`` passes after each."""

from __future__ import annotations

import json

import pytest
from resolution_helpers import Ident, assert_check_passes, key, observe, pid, same_profile

from graph.records import EdgeRow
from identity.errors import InputRefused, NotFound
from identity.service import IdentityService

ANN_EMAIL: Ident = ("email", "ann@example.com")
ANN_PHONE: Ident = ("phone", "(212) 555-0100")
ANN_COOKIE: Ident = ("cookie", "ck-ann")
BOB_EMAIL: Ident = ("email", "bob@example.com")
BOB_COOKIE: Ident = ("cookie", "ck-bob")


def all_edges(service: IdentityService) -> list[EdgeRow]:
    return service.store.read(lambda tx: tx.edge_page(None, 10_000))


def edge_between(service: IdentityService, a: Ident, b: Ident) -> EdgeRow:
    ends = sorted((key(service, a), key(service, b)))
    [edge] = [e for e in all_edges(service) if [e.left, e.right] == ends]
    return edge


def load_held(service: IdentityService) -> list[Ident]:
    """Five CRM numbers of one CRM each seen with one shared phone: four edges held by the
    per-source limit (the phone joins the smallest number)."""
    phone: Ident = ("phone", "(212) 555-0142")
    crms: list[Ident] = [("customer_id", f"crm/C-{i}") for i in range(5)]
    service.ingest([observe(service, phone, c) for c in crms[:3]])
    return crms


class TestReviewQueue:
    def test_lists_held_edges_with_reason_and_count(self, service: IdentityService) -> None:
        load_held(service)
        page = service.stewardship.review_queue()
        assert page.total == 2
        assert page.next_after is None
        assert [e.left for e in page.edges] == ["customer_id:crm/C-1", "customer_id:crm/C-2"]
        assert {e.reason for e in page.edges} == {
            "limit: more than 1 customer_id from source 'crm' in one profile"
        }
        assert_check_passes(service)

    @pytest.mark.parametrize(
        ("reason", "matcher", "count"),
        [
            pytest.param("limit", None, 2, id="by a piece of the reason"),
            pytest.param("generic", None, 0, id="by a reason nobody has"),
            pytest.param(None, "co_occurrence", 2, id="by matcher"),
            pytest.param(None, "fuzzy", 0, id="by another matcher"),
        ],
    )
    def test_filters(
        self, service: IdentityService, reason: str | None, matcher: str | None, count: int
    ) -> None:
        load_held(service)
        page = service.stewardship.review_queue(reason_contains=reason, matcher=matcher)
        assert len(page.edges) == count
        assert page.total == 2

    def test_pages_follow_each_other_without_gaps(self, service: IdentityService) -> None:
        phone: Ident = ("phone", "(212) 555-0142")
        service.ingest([observe(service, phone, ("customer_id", f"crm/C-{i}")) for i in range(6)])
        # the phone is linked to six CRM numbers: over the frequency cap, generic
        everything = service.stewardship.review_queue(limit=100).edges
        assert len(everything) == 6
        seen: list[EdgeRow] = []
        after = None
        while True:
            page = service.stewardship.review_queue(after=after, limit=4)
            seen.extend(page.edges)
            if page.next_after is None:
                break
            after = page.next_after
        assert [e.slot for e in seen] == [e.slot for e in everything]


class TestApprove:
    def test_a_held_edge_approved_joins_over_the_limit(self, service: IdentityService) -> None:
        crms = load_held(service)
        edge = service.stewardship.review_queue().edges[0]
        outcome = service.stewardship.approve_edge(edge.slot, "steward-1")
        assert same_profile(service, crms[0], crms[1])
        assert not same_profile(service, crms[0], crms[2])
        assert edge_between(service, crms[1], ("phone", "(212) 555-0142")).status == "approved"
        [event] = [c for c in service.changes() if c.kind == "approve"]
        assert event.position == outcome.position
        assert service.privacy.audit()[-1].action == "approve"
        assert_check_passes(service)

    def test_an_unknown_edge_is_not_found(self, service: IdentityService) -> None:
        with pytest.raises(NotFound):
            service.stewardship.approve_edge(("a:1", "b:2", "x", "y"), "steward-1")


class TestReject:
    def test_a_rejected_edge_splits_the_profile_and_stays_a_cannot_link(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=1)])
        before = pid(service, ANN_EMAIL)
        edge = edge_between(service, ANN_EMAIL, ANN_PHONE)
        outcome = service.stewardship.reject_edge(edge.slot, "steward-1")
        assert outcome.split == 1
        assert not same_profile(service, ANN_EMAIL, ANN_PHONE)
        # ties go to the smallest key: the email keeps the ID
        assert pid(service, ANN_EMAIL) == before
        assert [c.kind for c in service.changes()][-2:] == ["split", "reject"]
        # later data, alone or by another path, never overrides the rejection
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, ANN_COOKIE, day=2)])
        assert not same_profile(service, ANN_EMAIL, ANN_PHONE)
        assert edge_between(service, ANN_EMAIL, ANN_PHONE).status == "rejected"
        assert_check_passes(service)


class TestManualMerge:
    def test_two_profiles_join_by_a_manual_edge_and_the_older_survives(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, BOB_EMAIL, BOB_COOKIE, day=5)])
        service.ingest([observe(service, ANN_EMAIL, ANN_COOKIE, day=2)])
        younger, older = pid(service, BOB_EMAIL), pid(service, ANN_EMAIL)
        outcome = service.stewardship.merge_profiles(younger, older, "steward-1")
        assert outcome.merged == 1
        assert outcome.profiles == [older]
        assert service.get_profile(younger).id == older
        manual = [e for e in all_edges(service) if e.matcher == "steward"]
        assert [(e.rule, e.status) for e in manual] == [("manual_merge", "approved")]
        assert [c.kind for c in service.changes()][-2:] == ["merge", "manual_merge"]
        assert_check_passes(service)

    def test_an_unknown_profile_is_not_found(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL)])
        with pytest.raises(NotFound, match="p-nobody"):
            service.stewardship.merge_profiles(pid(service, ANN_EMAIL), "p-nobody", "steward-1")


class TestSplit:
    def test_moved_identifiers_leave_and_never_come_back(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, BOB_EMAIL, BOB_COOKIE)])
        before = pid(service, ANN_EMAIL)
        outcome = service.stewardship.split_profile(
            before, [key(service, BOB_EMAIL), key(service, BOB_COOKIE)], "steward-1"
        )
        assert outcome.split == 1
        assert same_profile(service, BOB_EMAIL, BOB_COOKIE)
        assert not same_profile(service, ANN_EMAIL, BOB_EMAIL)
        # a tie of two against two: the piece with the smallest key keeps the ID
        assert pid(service, BOB_COOKIE) == before
        cannot = [e for e in all_edges(service) if e.rule == "cannot_link"]
        assert len(cannot) == 4
        assert {e.status for e in cannot} == {"rejected"}
        service.ingest([observe(service, ANN_PHONE, BOB_COOKIE, day=3)])
        assert not same_profile(service, ANN_PHONE, BOB_COOKIE)
        assert [c.kind for c in service.changes()][-2:] == ["split", "manual_split"]
        assert_check_passes(service)

    @pytest.mark.parametrize(
        "move",
        [
            pytest.param([], id="nothing to move"),
            pytest.param(["email:stranger@example.com"], id="an identifier of another profile"),
            pytest.param(["email:ann@example.com", "phone:+12125550100"], id="everything"),
        ],
    )
    def test_a_bad_split_is_refused_and_changes_nothing(
        self, service: IdentityService, move: list[str]
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE)])
        with pytest.raises(InputRefused) as caught:
            service.stewardship.split_profile(pid(service, ANN_EMAIL), move, "steward-1")
        assert caught.value.refusals[0].rule == "split.identifiers"
        assert same_profile(service, ANN_EMAIL, ANN_PHONE)
        assert service.changes() == []


class TestErase:
    """Undo: erasing what joined two groups splits them again."""

    def load_bridge(self, service: IdentityService) -> None:
        service.ingest(
            [
                observe(service, ANN_EMAIL, ANN_COOKIE, day=1),
                observe(service, ANN_COOKIE, ANN_PHONE, BOB_EMAIL, day=2),
                observe(service, BOB_EMAIL, BOB_COOKIE, day=3),
            ]
        )

    def test_erasing_an_identifier_splits_its_profile(self, service: IdentityService) -> None:
        self.load_bridge(service)
        before = pid(service, ANN_EMAIL)
        service.ingest([observe(service, ANN_EMAIL, ("cookie", "ck-ann-2"), day=4)])
        receipt = service.privacy.erase_identifiers(
            [key(service, ANN_COOKIE), key(service, ANN_PHONE)], "officer-1"
        )
        assert receipt.identifiers == 2
        assert not same_profile(service, ANN_EMAIL, BOB_EMAIL)
        # the bigger piece (Ann's email and second cookie beat Bob's two? no: two and two;
        # the smallest key decides) keeps the ID
        pieces = {pid(service, ANN_EMAIL), pid(service, BOB_EMAIL)}
        assert before in pieces
        kinds = [c.kind for c in service.changes()]
        assert "split" in kinds
        assert kinds[-1] == "erase"
        assert_check_passes(service)

    def test_an_erased_identifier_is_suppressed_in_later_loads(
        self, service: IdentityService
    ) -> None:
        self.load_bridge(service)
        service.privacy.erase_identifiers([key(service, ANN_COOKIE)], "officer-1")
        outcome = service.ingest([observe(service, ANN_COOKIE, ANN_EMAIL, day=9)])
        assert outcome.suppressed_identifiers == 1
        with pytest.raises(NotFound):
            service.lookup(*ANN_COOKIE)
        assert_check_passes(service)

    def test_erasing_an_edge_splits_and_later_data_may_link_again(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, ANN_COOKIE)])
        service.ingest([observe(service, ANN_COOKIE, BOB_EMAIL, day=2)])
        assert same_profile(service, ANN_EMAIL, BOB_EMAIL)
        edge = edge_between(service, ANN_COOKIE, BOB_EMAIL)
        outcome = service.stewardship.erase_edge(edge.slot, "steward-1")
        assert outcome.split == 1
        assert not same_profile(service, ANN_EMAIL, BOB_EMAIL)
        # the piece with three identifiers keeps the ID
        assert outcome.profiles[0] in (pid(service, ANN_EMAIL), pid(service, BOB_EMAIL))
        assert [c.kind for c in service.changes()][-1] == "erase_edge"
        assert_check_passes(service)
        service.ingest([observe(service, ANN_COOKIE, BOB_EMAIL, day=3)])
        assert same_profile(service, ANN_EMAIL, BOB_EMAIL)
        assert_check_passes(service)

    def test_erasing_a_sharer_brings_a_generic_identifier_back_under_the_cap(
        self, service: IdentityService
    ) -> None:
        cookie: Ident = ("cookie", "family-tablet")
        people: list[Ident] = [("email", f"kid{i}@home.com") for i in range(4)]
        service.ingest([observe(service, cookie, p) for p in people])
        assert len({pid(service, p) for p in people}) == 4
        service.privacy.erase_identifiers([key(service, people[3])], "officer-1")
        assert len({pid(service, p) for p in [cookie, *people[:3]]}) == 1
        detail = json.loads(service.changes()[-1].detail)
        assert "request_id" in detail
        assert_check_passes(service)


class TestEraseAMergedPerson:
    def test_the_aliases_of_an_erased_profile_go_with_it(self, service: IdentityService) -> None:
        service.ingest([observe(service, ANN_EMAIL, day=1), observe(service, ANN_PHONE, day=2)])
        younger = pid(service, ANN_PHONE)
        service.ingest([observe(service, ANN_EMAIL, ANN_PHONE, day=3)])
        survivor = pid(service, ANN_EMAIL)
        assert service.get_profile(younger).id == survivor
        service.privacy.erase_profile(younger, "officer-1")
        with pytest.raises(NotFound):
            service.get_profile(younger)
        with pytest.raises(NotFound):
            service.get_profile(survivor)
        assert_check_passes(service)
