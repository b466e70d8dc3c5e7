"""The contract of ``graph.store.GraphTransaction``/``GraphStore``, run against every store.

One class per transaction method, then transaction semantics and durability. Data is
kept small: every call is a round trip on a networked store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from api.bootstrap import build_service
from graph.records import (
    AuditRow,
    ChangeRow,
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactGroupRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
    ProfileRow,
    StoredIdentifier,
)
from graph.rules import EdgeStatus
from graph.store import GraphStore, GraphTransaction, ResolvedRows
from identity.settings import Settings

T = TypeVar("T")

DAY1, DAY2, DAY3, DAY4, DAY5 = (f"2026-01-0{d}T00:00:00Z" for d in range(1, 6))
# Sorted: A < B < C < D, so an edge (X, Y) with X before Y is ordered as the contract asks.
A, B, C, D = "cookie:a1", "email:b@example.com", "phone:+12125550100", "social:instagram/d"


def ident(key: str, first: str = DAY2, last: str | None = None, count: int = 1) -> IdentifierRow:
    kind, _, value = key.partition(":")
    return IdentifierRow(key, kind, value, first, last or first, count)


def edge(
    left: str,
    right: str,
    rule: str = "authenticated",
    *,
    matcher: str = "co_occurrence",
    weight: float = 1.0,
    status: str = "joined",
    source: str = "crm",
    evidence: str = '{"n":1}',
    first: str = DAY2,
    last: str | None = None,
    count: int = 1,
) -> EdgeRow:
    assert left < right, "the contract keeps edges ordered"
    return EdgeRow(
        left, right, matcher, rule, weight, status, source, evidence, first, last or first, count
    )


def fact(observation: str, key: str, name: str, value: str, at: str = DAY2) -> FactRow:
    return FactRow(observation, key, name, value, "crm", at)


def statement(statement_id: str, subject: str, status: str = "granted") -> ConsentRow:
    return ConsentRow(statement_id, subject, "email", status, DAY2, "crm", '{"form":"signup"}')


def profile(pid: str, *keys: str, created: str = DAY1, updated: str = DAY2) -> ProfileRow:
    identifiers = "[" + ",".join(f'"{k}"' for k in sorted(keys)) + "]"
    return ProfileRow(pid, created, updated, identifiers, '{"a":1}', '{"c":2}', "[]")


def change(kind: str, pid: str, detail: str = "{}") -> ChangeRow:
    return ChangeRow(0, kind, pid, DAY3, detail)


def write(store: GraphStore, work: Callable[[GraphTransaction], T]) -> T:
    return store.write(work)


def read(store: GraphStore, work: Callable[[GraphTransaction], T]) -> T:
    return store.read(work)


def with_profiles(store: GraphStore, assignments: dict[str, str]) -> None:
    """Identifiers (upserted) assigned to profiles, with a document per profile."""

    def work(tx: GraphTransaction) -> None:
        tx.upsert_identifiers([ident(k) for k in assignments])
        tx.assign_profile(assignments)
        members: dict[str, list[str]] = {}
        for key, pid in assignments.items():
            members.setdefault(pid, []).append(key)
        tx.put_profiles([profile(pid, *keys) for pid, keys in members.items()])

    store.write(work)


class TestUpsertIdentifiers:
    def test_a_new_identifier_has_no_profile(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A), ident(C)]))
        assert read(store, lambda tx: tx.profile_ids([A, C])) == {A: None, C: None}

    def test_seen_times_widen_and_counts_add_up(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A, DAY3, DAY3)]))
        write(store, lambda tx: tx.upsert_identifiers([ident(A, DAY2, DAY2, count=2)]))
        write(store, lambda tx: tx.upsert_identifiers([ident(A, DAY4, DAY5, count=3)]))
        write(store, lambda tx: tx.upsert_identifiers([ident(A, DAY3, DAY4)]))
        write(store, lambda tx: tx.assign_profile({A: "p-1"}))
        assert read(store, lambda tx: tx.identifiers_of(["p-1"])) == {
            "p-1": [StoredIdentifier(A, "cookie", "a1", "p-1", DAY2, DAY5, 7)]
        }

    def test_an_upsert_keeps_the_profile(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A)]))
        write(store, lambda tx: tx.assign_profile({A: "p-1"}))
        write(store, lambda tx: tx.upsert_identifiers([ident(A, DAY5)]))
        assert read(store, lambda tx: tx.profile_ids([A])) == {A: "p-1"}

    def test_type_and_value_are_kept_apart(self, store: GraphStore) -> None:
        key = "customer_id:crm/C:1"
        write(store, lambda tx: tx.upsert_identifiers([ident(key)]))
        write(store, lambda tx: tx.assign_profile({key: "p-1"}))
        (stored,) = read(store, lambda tx: tx.identifiers_of(["p-1"]))["p-1"]
        assert (stored.key, stored.type, stored.value) == (key, "customer_id", "crm/C:1")


class TestGetIdentifiers:
    def test_answers_stored_identifiers_whole_and_leaves_unknown_keys_out(
        self, store: GraphStore
    ) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(A, DAY1, DAY3, count=2), ident(B)])
            tx.assign_profile({A: "p-1"})
            tx.set_generic({B: "generic: planted"})

        write(store, work)
        assert read(store, lambda tx: tx.get_identifiers([B, A, "email:nobody@example.com"])) == {
            A: StoredIdentifier(A, "cookie", "a1", "p-1", DAY1, DAY3, 2),
            B: StoredIdentifier(
                B, "email", "b@example.com", None, DAY2, DAY2, 1, "generic: planted"
            ),
        }

    def test_an_edge_end_never_upserted_is_no_identifier(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B)]))
        write(store, lambda tx: tx.upsert_identifiers([ident(A)]))
        assert sorted(read(store, lambda tx: tx.get_identifiers([A, B]))) == [A]


class TestIdentifierPage:
    def test_orders_by_key_and_pages(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(k) for k in (D, B, A, C)]))
        first = read(store, lambda tx: tx.identifier_page(None, 3))
        second = read(store, lambda tx: tx.identifier_page(first[-1].key, 3))
        assert [[i.key for i in page] for page in (first, second)] == [[A, B, C], [D]]
        assert first[0] == StoredIdentifier(A, "cookie", "a1", None, DAY2, DAY2, 1)

    def test_starts_after_a_key_that_is_not_stored_and_a_negative_limit_is_all(
        self, store: GraphStore
    ) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A), ident(C), ident(D)]))
        assert [i.key for i in read(store, lambda tx: tx.identifier_page(B, -1))] == [C, D]
        assert read(store, lambda tx: tx.identifier_page(D, 10)) == []

    def test_an_edge_end_never_upserted_is_not_listed(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B), edge(B, C)]))
        write(store, lambda tx: tx.upsert_identifiers([ident(B)]))
        assert [i.key for i in read(store, lambda tx: tx.identifier_page(None, 10))] == [B]


class TestSetGeneric:
    def test_marks_with_the_reason_and_clears_with_empty_text(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A), ident(B)]))
        write(store, lambda tx: tx.assign_profile({A: "p-1"}))
        write(store, lambda tx: tx.set_generic({A: "generic: 30 emails", B: "generic: x"}))
        write(store, lambda tx: tx.set_generic({B: ""}))
        found = read(store, lambda tx: tx.get_identifiers([A, B]))
        assert (found[A].generic, found[A].profile_id, found[B].generic) == (
            "generic: 30 emails",
            "p-1",
            "",
        )

    def test_an_unknown_key_is_ignored(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B)]))
        write(store, lambda tx: tx.set_generic({A: "generic: x", C: "generic: y"}))
        assert read(store, lambda tx: tx.get_identifiers([A, B, C])) == {}
        assert read(store, lambda tx: tx.counts())["identifiers"] == 0


class TestUpsertEdges:
    def test_a_new_edge_is_kept_whole(self, store: GraphStore) -> None:
        row = edge(A, C, weight=0.7, status="weak", source="web", first=DAY2, last=DAY3)
        write(store, lambda tx: tx.upsert_edges([row]))
        assert read(store, lambda tx: tx.edges_of([A])) == [row]

    def test_a_stronger_repeat_updates_the_edge_widens_times_and_adds_counts(
        self, store: GraphStore
    ) -> None:
        weak = edge(A, C, "unauthenticated", weight=0.5, status="weak", source="web", count=2)
        write(store, lambda tx: tx.upsert_edges([weak]))
        stronger = edge(
            A,
            C,
            "unauthenticated",
            weight=0.95,
            status="joined",
            source="pos",
            evidence='{"n":2}',
            first=DAY1,
            last=DAY1,
            count=3,
        )
        write(store, lambda tx: tx.upsert_edges([stronger]))
        write(
            store, lambda tx: tx.upsert_edges([stronger._replace(first_seen=DAY5, last_seen=DAY5)])
        )
        assert read(store, lambda tx: tx.edges_of([C])) == [
            stronger._replace(first_seen=DAY1, last_seen=DAY5, sightings=8)
        ]

    def test_the_key_is_left_right_matcher_and_rule(self, store: GraphStore) -> None:
        rows = [
            edge(A, C, "authenticated"),
            edge(A, C, "unauthenticated", weight=0.7, status="weak"),
            edge(A, C, "authenticated", matcher="fuzzy_name", weight=0.8),
            edge(A, D, "authenticated"),
        ]
        write(store, lambda tx: tx.upsert_edges(rows))
        write(store, lambda tx: tx.upsert_edges(rows))
        stored = read(store, lambda tx: tx.edges_of([A]))
        assert [(e.left, e.right, e.matcher, e.rule, e.sightings) for e in stored] == [
            (A, C, "co_occurrence", "authenticated", 2),
            (A, C, "co_occurrence", "unauthenticated", 2),
            (A, C, "fuzzy_name", "authenticated", 2),
            (A, D, "co_occurrence", "authenticated", 2),
        ]


class TestSetEdgeStatus:
    def test_sets_status_and_reason_of_the_given_edges_only(self, store: GraphStore) -> None:
        rows = [edge(A, B), edge(A, B, "unauthenticated"), edge(B, C)]
        write(store, lambda tx: tx.upsert_edges(rows))
        write(
            store,
            lambda tx: tx.set_edge_status(
                [EdgeStatusRow(A, B, "co_occurrence", "authenticated", "held", "limit: email")]
            ),
        )
        assert read(store, lambda tx: tx.edges_of([A, B])) == [
            rows[0]._replace(status="held", reason="limit: email"),
            rows[1],
            rows[2],
        ]

    def test_the_last_row_for_an_edge_counts(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B, status="held", weight=0.7)]))
        slot = (A, B, "co_occurrence", "authenticated")
        write(
            store,
            lambda tx: tx.set_edge_status(
                [EdgeStatusRow(*slot, "rejected", "by steward"), EdgeStatusRow(*slot, "approved")]
            ),
        )
        (found,) = read(store, lambda tx: tx.edges_of([A]))
        assert (found.status, found.reason, found.weight) == ("approved", "", 0.7)

    def test_an_unknown_edge_is_ignored(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B)]))
        write(
            store,
            lambda tx: tx.set_edge_status(
                [
                    EdgeStatusRow(A, B, "co_occurrence", "unauthenticated", "held"),
                    EdgeStatusRow(C, D, "co_occurrence", "authenticated", "held"),
                ]
            ),
        )
        assert read(store, lambda tx: tx.edges_of([A, B, C, D])) == [edge(A, B)]
        assert read(store, lambda tx: tx.counts())["edges"] == 1


class TestDeleteEdges:
    def test_removes_the_given_edges_and_answers_how_many_were_stored(
        self, store: GraphStore
    ) -> None:
        rows = [edge(A, B), edge(A, B, "unauthenticated"), edge(B, C)]
        write(store, lambda tx: tx.upsert_edges(rows))
        write(store, lambda tx: tx.upsert_identifiers([ident(A), ident(B), ident(C)]))
        removed = write(
            store,
            lambda tx: tx.delete_edges(
                {rows[0].slot, rows[2].slot, (C, D, "co_occurrence", "authenticated")}
            ),
        )
        assert removed == 2
        assert read(store, lambda tx: tx.edges_of([A, B, C])) == [rows[1]]
        assert sorted(read(store, lambda tx: tx.get_identifiers([A, B, C]))) == [A, B, C]

    def test_nothing_to_delete_is_zero(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B)]))
        assert write(store, lambda tx: tx.delete_edges([])) == 0
        assert write(store, lambda tx: tx.delete_edges([(A, C, "x", "y")])) == 0
        assert read(store, lambda tx: tx.counts())["edges"] == 1


class TestEdgePage:
    def test_orders_by_left_right_matcher_and_rule_and_pages(self, store: GraphStore) -> None:
        rows = [
            edge(C, D),
            edge(A, C, "unauthenticated", weight=0.5, status="weak"),
            edge(A, C),
            edge(A, B, matcher="fuzzy", rule="fellegi_sunter", weight=0.8, status="held"),
            edge(A, B),
        ]
        write(store, lambda tx: tx.upsert_edges(rows))
        first = read(store, lambda tx: tx.edge_page(None, 2))
        second = read(store, lambda tx: tx.edge_page(first[-1].slot, 2))
        third = read(store, lambda tx: tx.edge_page(second[-1].slot, 2))
        assert first + second + third == sorted(rows, key=lambda e: e.slot)
        assert [len(page) for page in (first, second, third)] == [2, 2, 1]

    def test_with_a_status_pages_through_the_edges_of_that_status_only(
        self, store: GraphStore
    ) -> None:
        held = [edge(A, B, status="held"), edge(A, D, status="held"), edge(C, D, status="held")]
        write(store, lambda tx: tx.upsert_edges([*held, edge(A, C), edge(B, C, status="weak")]))
        first = read(store, lambda tx: tx.edge_page(None, 2, "held"))
        second = read(store, lambda tx: tx.edge_page(first[-1].slot, 2, "held"))
        assert (first, second) == (held[:2], held[2:])
        assert read(store, lambda tx: tx.edge_page(None, 10, EdgeStatus.WEAK)) == [
            edge(B, C, status="weak")
        ]
        assert read(store, lambda tx: tx.edge_page(None, 10, "rejected")) == []

    def test_starts_after_a_slot_that_is_not_stored_and_a_negative_limit_is_all(
        self, store: GraphStore
    ) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B), edge(A, C), edge(B, C)]))
        after = (A, B, "zz", "zz")
        assert [(e.left, e.right) for e in read(store, lambda tx: tx.edge_page(after, -1))] == [
            (A, C),
            (B, C),
        ]
        assert (
            read(store, lambda tx: tx.edge_page((B, C, "co_occurrence", "authenticated"), 5)) == []
        )


class TestCountEdgesByStatus:
    def test_counts_each_status_and_leaves_statuses_without_edges_out(
        self, store: GraphStore
    ) -> None:
        assert read(store, lambda tx: tx.count_edges_by_status()) == {}
        rows = [edge(A, B), edge(A, C), edge(B, C, status="held"), edge(C, D, status="weak")]
        write(store, lambda tx: tx.upsert_edges(rows))
        write(
            store,
            lambda tx: tx.set_edge_status(
                [EdgeStatusRow(C, D, "co_occurrence", "authenticated", "rejected")]
            ),
        )
        assert read(store, lambda tx: tx.count_edges_by_status()) == {
            "joined": 2,
            "held": 1,
            "rejected": 1,
        }


class TestAddFacts:
    def test_facts_are_kept(self, store: GraphStore) -> None:
        rows = [fact("o1", A, "first_name", "Ann"), fact("o1", A, "city", "Boston")]
        write(store, lambda tx: tx.add_facts(rows))
        assert sorted(read(store, lambda tx: tx.facts_of([A])), key=lambda f: f.name) == [
            rows[1],
            rows[0],
        ]

    def test_a_repeat_of_observation_identifier_and_name_is_ignored(
        self, store: GraphStore
    ) -> None:
        first = fact("o1", A, "first_name", "Ann", DAY2)
        write(store, lambda tx: tx.add_facts([first]))
        write(store, lambda tx: tx.add_facts([first, fact("o1", A, "first_name", "Anne", DAY3)]))
        assert read(store, lambda tx: tx.facts_of([A])) == [first]
        assert read(store, lambda tx: tx.counts())["facts"] == 1

    def test_a_new_name_for_a_known_observation_and_identifier_is_added(
        self, store: GraphStore
    ) -> None:
        first = fact("o1", A, "first_name", "Ann")
        write(store, lambda tx: tx.add_facts([first]))
        write(
            store,
            lambda tx: tx.add_facts(
                [fact("o1", A, "first_name", "X"), fact("o1", A, "city", "Bern")]
            ),
        )
        found = sorted(read(store, lambda tx: tx.facts_of([A])), key=lambda f: f.name)
        assert found == [fact("o1", A, "city", "Bern"), first]
        assert read(store, lambda tx: tx.counts())["facts"] == 2

    def test_another_observation_or_identifier_is_another_fact(self, store: GraphStore) -> None:
        rows = [fact("o1", A, "first_name", "Ann"), fact("o2", A, "first_name", "Ann")]
        rows.append(fact("o1", C, "first_name", "Ann"))
        write(store, lambda tx: tx.add_facts(rows))
        assert read(store, lambda tx: tx.counts())["facts"] == 3


class TestHealth:
    def test_a_store_that_answers_is_healthy(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A)]))
        assert store.health() is None


class TestScrub:
    def test_keeps_what_is_committed_and_can_run_again(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A), ident(C)]))
        write(store, lambda tx: tx.erase_identifiers([A]))
        store.scrub()
        store.scrub()
        assert list(read(store, lambda tx: tx.get_identifiers([A, C]))) == [C]


class TestDeleteFacts:
    def test_removes_the_facts_of_the_given_pairs_only_and_counts_them(
        self, store: GraphStore
    ) -> None:
        kept = [fact("o2", A, "first_name", "Ann"), fact("o1", C, "city", "Bern")]
        gone = [fact("o1", A, "first_name", "Ann"), fact("o1", A, "city", "Bern")]
        write(store, lambda tx: tx.add_facts(gone + kept))
        assert write(store, lambda tx: tx.delete_facts({(A, "o1"), (B, "o1"), (A, "o9")})) == 2
        assert sorted(read(store, lambda tx: tx.facts_of([A, C]))) == sorted(kept)

    def test_no_pairs_remove_nothing(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_facts([fact("o1", A, "city", "Bern")]))
        assert write(store, lambda tx: tx.delete_facts(())) == 0
        assert read(store, lambda tx: tx.counts())["facts"] == 1


class TestAddConsent:
    def test_statements_are_kept(self, store: GraphStore) -> None:
        row = statement("s1", A, "denied")
        write(store, lambda tx: tx.add_consent([row]))
        assert read(store, lambda tx: tx.consent_of([A])) == [row]

    def test_a_repeat_of_statement_id_is_ignored(self, store: GraphStore) -> None:
        row = statement("s1", A, "denied")
        write(store, lambda tx: tx.add_consent([row]))
        write(store, lambda tx: tx.add_consent([row, statement("s1", A, "granted")]))
        assert read(store, lambda tx: tx.consent_of([A])) == [row]
        assert read(store, lambda tx: tx.counts())["consent"] == 1


class TestProfileIds:
    def test_answers_known_keys_and_leaves_unknown_ones_out(self, store: GraphStore) -> None:
        def work(tx: GraphTransaction) -> dict[str, str | None]:
            tx.upsert_identifiers([ident(A), ident(B), ident(C)])
            tx.assign_profile({A: "p-1", C: "p-2"})
            return tx.profile_ids({A, B, C, "email:nobody@example.com"})

        assert write(store, work) == {A: "p-1", B: None, C: "p-2"}


class TestAssignProfile:
    def test_sets_and_replaces_the_profile(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A), ident(B)]))
        write(store, lambda tx: tx.assign_profile({A: "p-1", B: "p-1"}))
        write(store, lambda tx: tx.assign_profile({B: "p-2"}))
        assert read(store, lambda tx: tx.profile_ids([A, B])) == {A: "p-1", B: "p-2"}

    def test_an_unknown_key_is_ignored(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.assign_profile({A: "p-1"}))
        assert read(store, lambda tx: tx.profile_ids([A])) == {}
        assert read(store, lambda tx: tx.identifiers_of(["p-1"])) == {}
        assert read(store, lambda tx: tx.counts())["identifiers"] == 0


class TestMoveIdentifiers:
    def test_relabels_every_identifier_of_the_given_profiles(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1", B: "p-2", C: "p-3", D: "p-4"})
        write(store, lambda tx: tx.move_identifiers(["p-2", "p-3"], "p-1"))
        assert read(store, lambda tx: tx.profile_ids([A, B, C, D])) == {
            A: "p-1",
            B: "p-1",
            C: "p-1",
            D: "p-4",
        }
        assert read(store, lambda tx: tx.identifiers_of(["p-2", "p-3"])) == {}


class TestIdentifiersOf:
    def test_lists_each_profile_sorted_by_key(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(D), ident(C), ident(B), ident(A)]))
        write(store, lambda tx: tx.assign_profile({D: "p-1", B: "p-1", A: "p-1", C: "p-2"}))
        found = read(store, lambda tx: tx.identifiers_of(("p-2", "p-1", "p-9")))
        assert {pid: [i.key for i in group] for pid, group in found.items()} == {
            "p-1": [A, B, D],
            "p-2": [C],
        }
        assert found["p-2"] == [StoredIdentifier(C, "phone", "+12125550100", "p-2", DAY2, DAY2, 1)]


class TestEdgesOf:
    def test_finds_edges_from_either_end_sorted(self, store: GraphStore) -> None:
        rows = [
            edge(C, D),
            edge(A, D, "unauthenticated", weight=0.7, status="weak"),
            edge(A, D),
            edge(A, B),
            edge(B, C),
        ]
        write(store, lambda tx: tx.upsert_edges(rows))
        ends = read(store, lambda tx: tx.edges_of([D]))
        assert [(e.left, e.right, e.rule) for e in ends] == [
            (A, D, "authenticated"),
            (A, D, "unauthenticated"),
            (C, D, "authenticated"),
        ]
        starts = read(store, lambda tx: tx.edges_of([B]))
        assert [(e.left, e.right, e.rule) for e in starts] == [
            (A, B, "authenticated"),
            (B, C, "authenticated"),
        ]

    def test_an_edge_with_both_ends_asked_for_comes_once(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B), edge(B, C)]))
        found = read(store, lambda tx: tx.edges_of({A, B, C}))
        assert [(e.left, e.right) for e in found] == [(A, B), (B, C)]

    def test_an_unknown_key_has_no_edges(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_edges([edge(A, B)]))
        assert read(store, lambda tx: tx.edges_of([C])) == []


class TestFactsOf:
    def test_returns_the_facts_of_the_given_identifiers_only(self, store: GraphStore) -> None:
        rows = [
            fact("o1", A, "first_name", "Ann"),
            fact("o1", B, "first_name", "Ann"),
            fact("o2", C, "city", "Boston"),
        ]
        write(store, lambda tx: tx.add_facts(rows))
        found = read(store, lambda tx: tx.facts_of([A, C]))
        assert sorted(found, key=lambda f: f.identifier_key) == [rows[0], rows[2]]


class TestConsentOf:
    def test_returns_statements_about_the_given_identifiers_only(self, store: GraphStore) -> None:
        rows = [statement("s1", A), statement("s2", B, "denied"), statement("s3", A, "denied")]
        write(store, lambda tx: tx.add_consent(rows))
        found = read(store, lambda tx: tx.consent_of([A, C]))
        assert sorted(found, key=lambda r: r.statement_id) == [rows[0], rows[2]]


class TestGetProfiles:
    def test_returns_live_profiles_and_leaves_unknown_ids_out(self, store: GraphStore) -> None:
        rows = [profile("p-1", A), profile("p-2", B, C)]
        write(store, lambda tx: tx.put_profiles(rows))
        assert read(store, lambda tx: tx.get_profiles({"p-2", "p-1", "p-9"})) == {
            "p-1": rows[0],
            "p-2": rows[1],
        }

    def test_does_not_follow_aliases(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.put_profiles([profile("p-1", A)]))
        write(store, lambda tx: tx.add_aliases({"p-old": "p-1"}))
        assert read(store, lambda tx: tx.get_profiles(["p-old"])) == {}


class TestPutProfiles:
    def test_replaces_a_document(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.put_profiles([profile("p-1", A)]))
        newer = ProfileRow("p-1", DAY1, DAY4, f'["{A}","{B}"]', "{}", '{"x":3}', '[{"e":1}]')
        write(store, lambda tx: tx.put_profiles([newer]))
        assert read(store, lambda tx: tx.get_profiles(["p-1"])) == {"p-1": newer}
        assert read(store, lambda tx: tx.counts())["profiles"] == 1

    def test_keeps_unicode_and_json_text_exactly(self, store: GraphStore) -> None:
        row = ProfileRow(
            "p-1",
            DAY1,
            DAY2,
            '["email:jos\u00e9@b\u00fccher.de"]',
            '{"last_name":{"value":"M\u00fcller \\"Mo\\"","source":"crm"}}',
            "{}",
            "[]",
        )
        write(store, lambda tx: tx.put_profiles([row]))
        assert read(store, lambda tx: tx.get_profiles(["p-1"]))["p-1"] == row


class TestDeleteProfiles:
    def test_removes_the_given_profiles_only(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.put_profiles([profile(p) for p in ("p-1", "p-2", "p-3")]))
        write(store, lambda tx: tx.delete_profiles(["p-1", "p-3", "p-9"]))
        assert sorted(read(store, lambda tx: tx.get_profiles(["p-1", "p-2", "p-3"]))) == ["p-2"]


class TestProfilesByIdentifier:
    def test_a_single_key(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1", B: "p-1"})
        assert read(store, lambda tx: tx.profiles_by_identifier([B])) == {B: profile("p-1", A, B)}

    def test_a_batch_of_keys(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1", B: "p-1", C: "p-2"})
        write(store, lambda tx: tx.upsert_identifiers([ident(D)]))
        found = read(
            store, lambda tx: tx.profiles_by_identifier((A, B, C, D, "email:nobody@example.com"))
        )
        assert found == {A: profile("p-1", A, B), B: profile("p-1", A, B), C: profile("p-2", C)}

    def test_an_identifier_without_a_profile_document_is_left_out(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A)]))
        write(store, lambda tx: tx.assign_profile({A: "p-gone"}))
        assert read(store, lambda tx: tx.profiles_by_identifier([A])) == {}
        assert read(store, lambda tx: tx.profiles_by_identifier([A, B])) == {}


class TestProfileByIdentifier:
    """The point read of the lookup API: the answer of ``profiles_by_identifier`` for one
    key, outside any transaction of the caller's."""

    def test_the_profile_holding_the_identifier(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1", B: "p-1"})
        assert store.profile_by_identifier(B) == profile("p-1", A, B)

    @pytest.mark.parametrize(
        "key",
        [
            pytest.param(B, id="an identifier never stored answers none"),
            pytest.param(C, id="an identifier without a profile answers none"),
            pytest.param(D, id="an identifier of a profile without a document answers none"),
        ],
    )
    def test_none(self, store: GraphStore, key: str) -> None:
        with_profiles(store, {A: "p-1"})
        write(store, lambda tx: tx.upsert_identifiers([ident(C), ident(D)]))
        write(store, lambda tx: tx.assign_profile({D: "p-gone"}))
        assert store.profile_by_identifier(key) is None

    def test_sees_what_the_last_write_committed(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1"})
        assert store.profile_by_identifier(A) == profile("p-1", A)
        write(store, lambda tx: tx.assign_profile({A: "p-2"}))
        write(store, lambda tx: tx.put_profiles([profile("p-2", A)]))
        assert store.profile_by_identifier(A) == profile("p-2", A)


class TestAddAliases:
    def test_an_alias_points_at_its_target(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1", "p-3": "p-1"}))
        assert read(store, lambda tx: tx.resolve_aliases(["p-2", "p-3"])) == {
            "p-2": "p-1",
            "p-3": "p-1",
        }

    def test_aliases_of_a_new_alias_are_re_pointed_so_resolving_is_one_step(
        self, store: GraphStore
    ) -> None:
        # As merges make them: the target is always a live profile at the time.
        write(store, lambda tx: tx.add_aliases({"p-3": "p-2"}))
        write(store, lambda tx: tx.add_aliases({"p-4": "p-2"}))
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1"}))
        write(store, lambda tx: tx.add_aliases({"p-1": "p-0"}))
        assert read(store, lambda tx: tx.resolve_aliases(["p-1", "p-2", "p-3", "p-4"])) == {
            "p-1": "p-0",
            "p-2": "p-0",
            "p-3": "p-0",
            "p-4": "p-0",
        }
        assert read(store, lambda tx: tx.counts())["aliases"] == 4

    def test_a_chain_in_one_call_resolves_in_one_step(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_aliases({"p-3": "p-2"}))
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1", "p-1": "p-0"}))
        write(store, lambda tx: tx.add_aliases({"p-5": "p-4", "p-4": "p-3"}))
        assert read(store, lambda tx: tx.resolve_aliases([f"p-{n}" for n in range(6)])) == {
            "p-1": "p-0",
            "p-2": "p-0",
            "p-3": "p-0",
            "p-4": "p-0",
            "p-5": "p-0",
        }

    def test_an_alias_of_itself_is_refused_and_nothing_is_kept(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1"}))

        def work(tx: GraphTransaction) -> None:
            tx.add_aliases({"p-3": "p-1"})
            tx.add_aliases({"p-1": "p-2"})

        with pytest.raises(ValueError, match="'p-1' its own alias"):
            store.write(work)
        assert read(store, lambda tx: tx.alias_page(None, 10)) == [("p-2", "p-1")]


class TestDeleteAliasesTo:
    def test_removes_the_aliases_of_the_targets_only(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1", "p-3": "p-1", "p-5": "p-4"}))
        removed = write(store, lambda tx: tx.delete_aliases_to(["p-1", "p-9"]))
        assert removed == 2
        assert read(store, lambda tx: tx.resolve_aliases(["p-2", "p-3", "p-5"])) == {"p-5": "p-4"}

    def test_no_targets_removes_nothing(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1"}))
        assert write(store, lambda tx: tx.delete_aliases_to([])) == 0
        assert read(store, lambda tx: tx.counts())["aliases"] == 1


class TestResolveAliases:
    def test_answers_aliases_only(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.put_profiles([profile("p-1")]))
        write(store, lambda tx: tx.add_aliases({"p-2": "p-1"}))
        assert read(store, lambda tx: tx.resolve_aliases({"p-1", "p-2", "p-9"})) == {"p-2": "p-1"}


class TestAliasPage:
    def test_orders_by_alias_and_pages(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_aliases({"p-c": "p-1", "p-a": "p-1", "p-b": "p-2"}))
        first = read(store, lambda tx: tx.alias_page(None, 2))
        second = read(store, lambda tx: tx.alias_page(first[-1][0], 2))
        assert (first, second) == ([("p-a", "p-1"), ("p-b", "p-2")], [("p-c", "p-1")])
        assert read(store, lambda tx: tx.alias_page("p-bb", -1)) == [("p-c", "p-1")]
        assert read(store, lambda tx: tx.alias_page("p-c", 10)) == []


class TestAppendChanges:
    def test_positions_increase_in_order_and_are_returned(self, store: GraphStore) -> None:
        first = write(
            store,
            lambda tx: tx.append_changes(
                [ChangeRow(99, "merge", "p-1", DAY3, "{}"), change("split", "p-2")]
            ),
        )
        second = write(store, lambda tx: tx.append_changes([change("merge", "p-3")]))
        assert len(first) == 2
        assert len(second) == 1
        assert first[0] < first[1] < second[0]
        assert first[0] >= 1
        stored = read(store, lambda tx: tx.changes_after(0, 10))
        assert [(c.position, c.kind, c.profile_id) for c in stored] == [
            (first[0], "merge", "p-1"),
            (first[1], "split", "p-2"),
            (second[0], "merge", "p-3"),
        ]

    def test_an_event_is_kept_whole(self, store: GraphStore) -> None:
        detail = '{"absorbed":["p-2"],"survivor":"p-1"}'
        (position,) = write(store, lambda tx: tx.append_changes([change("merge", "p-1", detail)]))
        assert read(store, lambda tx: tx.changes_after(0, 1)) == [
            ChangeRow(position, "merge", "p-1", DAY3, detail)
        ]


class TestChangesAfter:
    def test_pages_through_the_feed(self, store: GraphStore) -> None:
        positions = write(
            store, lambda tx: tx.append_changes([change("merge", f"p-{n}") for n in range(5)])
        )
        page1 = read(store, lambda tx: tx.changes_after(0, 2))
        page2 = read(store, lambda tx: tx.changes_after(page1[-1].position, 2))
        page3 = read(store, lambda tx: tx.changes_after(page2[-1].position, 2))
        assert [c.position for c in page1 + page2 + page3] == positions
        assert [c.profile_id for c in page3] == ["p-4"]
        assert read(store, lambda tx: tx.changes_after(positions[-1], 10)) == []


def audit(action: str, actor: str = "officer-1", detail: str = '{"identifiers":1}') -> AuditRow:
    return AuditRow(0, DAY3, actor, action, detail)


class TestAppendAudit:
    def test_positions_increase_in_order_and_are_returned(self, store: GraphStore) -> None:
        first = write(
            store, lambda tx: tx.append_audit([AuditRow(99, DAY3, "a", "erase", "{}"), audit("x")])
        )
        second = write(store, lambda tx: tx.append_audit([audit("approve")]))
        assert first[0] >= 1
        assert first[0] < first[1] < second[0]
        stored = read(store, lambda tx: tx.audit_after(0, 10))
        assert [(a.position, a.action) for a in stored] == [
            (first[0], "erase"),
            (first[1], "x"),
            (second[0], "approve"),
        ]

    def test_an_entry_is_kept_whole_apart_from_the_change_feed(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.append_changes([change("merge", "p-1")]))
        (position,) = write(store, lambda tx: tx.append_audit([audit("erase", "dpo")]))
        assert read(store, lambda tx: tx.audit_after(0, 10)) == [
            AuditRow(position, DAY3, "dpo", "erase", '{"identifiers":1}')
        ]
        assert [c.kind for c in read(store, lambda tx: tx.changes_after(0, 10))] == ["merge"]
        assert read(store, lambda tx: tx.counts())["audit"] == 1


class TestAuditAfter:
    def test_pages_through_the_log(self, store: GraphStore) -> None:
        positions = write(store, lambda tx: tx.append_audit([audit(f"a{n}") for n in range(5)]))
        page1 = read(store, lambda tx: tx.audit_after(0, 2))
        page2 = read(store, lambda tx: tx.audit_after(page1[-1].position, 2))
        page3 = read(store, lambda tx: tx.audit_after(page2[-1].position, 2))
        assert [a.position for a in page1 + page2 + page3] == positions
        assert [a.action for a in page3] == ["a4"]
        assert read(store, lambda tx: tx.audit_after(positions[-1], 10)) == []


class TestAddTombstones:
    def test_keeps_hashes_and_ignores_repeats(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_tombstones({"h1", "h2"}))
        write(store, lambda tx: tx.add_tombstones(["h2", "h3", "h3"]))
        assert read(store, lambda tx: tx.tombstoned({"h1", "h2", "h3"})) == {"h1", "h2", "h3"}
        assert read(store, lambda tx: tx.counts())["tombstones"] == 3


class TestTombstoned:
    def test_answers_the_tombstones_among_the_hashes(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.add_tombstones(["h1", "h2"]))
        assert read(store, lambda tx: tx.tombstoned(["h2", "h9"])) == {"h2"}
        assert read(store, lambda tx: tx.tombstoned([])) == set()
        assert read(store, lambda tx: tx.tombstoned(["h9"])) == set()


class TestProfilePage:
    def test_orders_by_id_and_pages(self, store: GraphStore) -> None:
        ids = ["p-b", "p-a", "p-e", "p-c", "p-d"]
        write(store, lambda tx: tx.put_profiles([profile(p) for p in ids]))
        first = read(store, lambda tx: tx.profile_page(None, 2))
        second = read(store, lambda tx: tx.profile_page(first[-1].id, 2))
        third = read(store, lambda tx: tx.profile_page(second[-1].id, 2))
        assert [[p.id for p in page] for page in (first, second, third)] == [
            ["p-a", "p-b"],
            ["p-c", "p-d"],
            ["p-e"],
        ]
        assert first[0] == profile("p-a")

    def test_starts_after_an_id_that_is_not_stored(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.put_profiles([profile("p-a"), profile("p-c")]))
        assert [p.id for p in read(store, lambda tx: tx.profile_page("p-b", 10))] == ["p-c"]
        assert read(store, lambda tx: tx.profile_page("p-c", 10)) == []


COUNTED = ("identifiers", "edges", "profiles", "aliases", "facts", "consent", "changes")
"""The sizes every store counts; a store may count more (those start at zero too)."""


class TestCounts:
    def test_an_empty_store_counts_zero(self, store: GraphStore) -> None:
        counts = read(store, lambda tx: tx.counts())
        assert set(COUNTED) <= set(counts)
        assert set(counts.values()) == {0}

    def test_counts_every_kind_of_row(self, store: GraphStore) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(A), ident(B), ident(C)])
            tx.upsert_edges([edge(A, B), edge(A, B, "unauthenticated")])
            tx.add_facts([fact("o1", A, "city", "Boston")])
            tx.add_consent([statement("s1", A), statement("s2", B)])
            tx.put_profiles([profile("p-1", A, B, C)])
            tx.add_aliases({"p-2": "p-1"})
            tx.append_changes([change("merge", "p-1"), change("merge", "p-1")])

        write(store, work)
        counts = read(store, lambda tx: tx.counts())
        expected = {
            "identifiers": 3,
            "edges": 2,
            "profiles": 1,
            "aliases": 1,
            "facts": 1,
            "consent": 2,
            "changes": 2,
        }
        assert counts == {**dict.fromkeys(counts, 0), **expected}


class TestGetMeta:
    def test_an_unknown_setting_is_none(self, store: GraphStore) -> None:
        assert read(store, lambda tx: tx.get_meta("no_such_setting")) is None


class TestSetMeta:
    def test_a_setting_is_kept_and_replaced(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.set_meta("id_secret_test", "one"))
        assert read(store, lambda tx: tx.get_meta("id_secret_test")) == "one"
        write(store, lambda tx: tx.set_meta("id_secret_test", "two"))
        assert read(store, lambda tx: tx.get_meta("id_secret_test")) == "two"

    def test_settings_are_apart_from_each_other_and_from_the_data(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.set_meta("schema_version", "user value"))
        write(store, lambda tx: tx.set_meta("other", ""))
        assert read(store, lambda tx: tx.get_meta("schema_version")) == "user value"
        assert read(store, lambda tx: tx.get_meta("other")) == ""
        assert read(store, lambda tx: tx.counts())["identifiers"] == 0


class WorkFailed(Exception):
    pass


class TestTransactions:
    def test_an_exception_keeps_nothing_and_passes_through_unchanged(
        self, store: GraphStore
    ) -> None:
        with_profiles(store, {A: "p-1"})
        before = read(store, lambda tx: (tx.counts(), tx.get_profiles(["p-1"])))
        error = WorkFailed("stop here")

        def work(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(A, DAY5), ident(B)])
            tx.assign_profile({B: "p-1"})
            tx.upsert_edges([edge(A, B)])
            tx.add_facts([fact("o1", A, "city", "Boston")])
            tx.add_consent([statement("s1", A)])
            tx.put_profiles([profile("p-1", A, B, updated=DAY5), profile("p-2")])
            tx.delete_profiles(["p-1"])
            tx.add_aliases({"p-1": "p-2"})
            tx.append_changes([change("merge", "p-2")])
            tx.set_meta("half", "written")
            raise error

        with pytest.raises(WorkFailed) as caught:
            store.write(work)
        assert caught.value is error
        assert read(store, lambda tx: (tx.counts(), tx.get_profiles(["p-1"]))) == before
        assert read(store, lambda tx: tx.get_meta("half")) is None
        assert read(store, lambda tx: tx.profile_ids([A, B])) == {A: "p-1"}

    def test_writes_are_visible_to_later_reads_in_the_same_transaction(
        self, store: GraphStore
    ) -> None:
        def work(tx: GraphTransaction) -> tuple[object, ...]:
            tx.upsert_identifiers([ident(A), ident(B)])
            tx.assign_profile({A: "p-1", B: "p-1"})
            tx.put_profiles([profile("p-1", A, B)])
            tx.upsert_edges([edge(A, B)])
            tx.add_facts([fact("o1", A, "city", "Boston")])
            tx.add_consent([statement("s1", B)])
            tx.add_aliases({"p-0": "p-1"})
            position = tx.append_changes([change("merge", "p-1")])
            tx.set_meta("seen", "yes")
            return (
                tx.profile_ids([A, B]),
                [i.key for i in tx.identifiers_of(["p-1"])["p-1"]],
                len(tx.edges_of([A])),
                len(tx.facts_of([A])),
                len(tx.consent_of([B])),
                sorted(tx.profiles_by_identifier([A, B])),
                tx.resolve_aliases(["p-0"]),
                tx.alias_page(None, 10),
                [c.position for c in tx.changes_after(0, 10)] == position,
                tx.get_meta("seen"),
                tx.counts()["profiles"],
            )

        assert write(store, work) == (
            {A: "p-1", B: "p-1"},
            [A, B],
            1,
            1,
            1,
            [A, B],
            {"p-0": "p-1"},
            [("p-0", "p-1")],
            True,
            "yes",
            1,
        )

    def test_the_result_of_work_is_returned(self, store: GraphStore) -> None:
        assert store.write(lambda tx: "written") == "written"
        assert store.read(lambda tx: ("read", 1)) == ("read", 1)

    def test_empty_collections_are_fine(self, store: GraphStore) -> None:
        def work(tx: GraphTransaction) -> tuple[object, ...]:
            tx.upsert_identifiers([])
            tx.upsert_edges([])
            tx.add_facts([])
            tx.add_consent([])
            tx.assign_profile({})
            tx.move_identifiers([], "p-1")
            tx.put_profiles([])
            tx.delete_profiles(set())
            tx.add_aliases({})
            return (
                tx.profile_ids([]),
                tx.identifiers_of(set()),
                tx.edges_of(()),
                tx.facts_of(frozenset()),
                tx.consent_of([]),
                tx.get_profiles(()),
                tx.profiles_by_identifier([]),
                tx.profiles_by_identifier(set()),
                tx.resolve_aliases([]),
                tx.append_changes([]),
                tx.changes_after(0, 10),
                tx.profile_page(None, 10),
            )

        assert write(store, work) == ({}, {}, [], [], [], {}, {}, {}, {}, [], [], [])

    def test_empty_collections_are_fine_on_a_store_with_data(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1"})

        def work(tx: GraphTransaction) -> tuple[object, ...]:
            return (
                tx.profile_ids([]),
                tx.identifiers_of([]),
                tx.edges_of([]),
                tx.get_profiles([]),
                tx.profiles_by_identifier([]),
                tx.resolve_aliases([]),
            )

        assert read(store, work) == ({}, {}, [], {}, {}, {})


class TestDurability:
    def test_committed_writes_survive_a_reopen_and_failed_ones_do_not(
        self, store: GraphStore, settings: Settings
    ) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(A), ident(B)])
            tx.assign_profile({A: "p-1", B: "p-1"})
            tx.upsert_edges([edge(A, B)])
            tx.add_facts([fact("o1", A, "city", "Boston")])
            tx.add_consent([statement("s1", A)])
            tx.put_profiles([profile("p-1", A, B)])
            tx.add_aliases({"p-0": "p-1"})
            tx.append_changes([change("merge", "p-1")])
            tx.set_meta("kept", "yes")

        def failing(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(C)])
            tx.put_profiles([profile("p-2", C)])
            raise WorkFailed

        write(store, work)
        with pytest.raises(WorkFailed):
            store.write(failing)
        expected = read(
            store,
            lambda tx: (
                tx.counts(),
                tx.profiles_by_identifier([A, B, C]),
                tx.edges_of([A]),
                tx.facts_of([A]),
                tx.consent_of([A]),
                tx.resolve_aliases(["p-0"]),
                tx.changes_after(0, 10),
                tx.get_meta("kept"),
            ),
        )
        store.close()

        reopened = build_service(settings).store
        try:
            assert type(reopened) is type(store)
            found = read(
                reopened,
                lambda tx: (
                    tx.counts(),
                    tx.profiles_by_identifier([A, B, C]),
                    tx.edges_of([A]),
                    tx.facts_of([A]),
                    tx.consent_of([A]),
                    tx.resolve_aliases(["p-0"]),
                    tx.changes_after(0, 10),
                    tx.get_meta("kept"),
                ),
            )
        finally:
            reopened.close()
        assert found == expected
        assert found[0]["identifiers"] == 2
        assert sorted(found[1]) == [A, B]


def person(record_id: str, key: str, fields: str = '{"last_name":"lee"}') -> PersonRecordRow:
    return PersonRecordRow(record_id, key, fields)


class TestAddPersonRecords:
    """The fuzzy matcher's records and blocking index, kept in the store."""

    def test_records_are_kept_whole_and_a_repeat_is_ignored(self, store: GraphStore) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.add_person_records([person("r1", A, '{"first_name":"zoë"}'), person("r2", B)], {})
            tx.add_person_records([person("r1", C, '{"first_name":"other"}')], {})

    @pytest.mark.parametrize(
        ("rows", "blocks", "filed"),
        [
            pytest.param(
                [person("r1", A)],
                {"r1": ["b:1", "b:2"]},
                {"b:1": ["r1"]},
                id="a record stored before is not filed again",
            ),
            pytest.param(
                [person("r2", B), person("r2", C)],
                {"r2": ["b:1", "b:1"]},
                {"b:1": ["r1", "r2"]},
                id="a record repeated in one call is kept and filed once",
            ),
            pytest.param(
                [person("r2", B)],
                {"r9": ["b:2"]},
                {"b:1": ["r1"]},
                id="blocks of an ID the rows do not hold are ignored",
            ),
        ],
    )
    def test_ignores(
        self,
        store: GraphStore,
        rows: list[PersonRecordRow],
        blocks: dict[str, list[str]],
        filed: dict[str, list[str]],
    ) -> None:
        write(store, lambda tx: tx.add_person_records([person("r1", A)], {"r1": ["b:1"]}))
        write(store, lambda tx: tx.add_person_records(rows, blocks))
        found = read(
            store, lambda tx: (tx.person_records(["r1", "r2"]), tx.block_members(["b:1", "b:2"]))
        )
        assert found == ({"r1": person("r1", A), **{r.id: r for r in rows[:1]}}, filed)


class TestPersonRecords:
    def test_answers_stored_records_by_id_and_leaves_unknown_ids_out(
        self, store: GraphStore
    ) -> None:
        write(store, lambda tx: tx.add_person_records([person("r1", A), person("r2", B)], {}))
        assert read(store, lambda tx: tx.person_records(["r2", "r9"])) == {"r2": person("r2", B)}
        assert read(store, lambda tx: tx.person_records([])) == {}


class TestInsertResolved:
    """A bulk load's rows of new components, written in one call."""

    def test_every_row_reads_back_as_the_separate_writes_would_leave_it(
        self, store: GraphStore
    ) -> None:
        rows = ResolvedRows(
            identifiers=[
                StoredIdentifier(A, "cookie", "a1", "p-1", DAY1, DAY3, 2),
                StoredIdentifier(B, "email", "b@example.com", "p-1", DAY2, DAY2, 1),
                StoredIdentifier(C, "phone", "+12125550100", "p-2", DAY2, DAY2, 1, "generic: x"),
            ],
            edges=[
                edge(A, B, count=2, first=DAY1, last=DAY3),
                edge(B, C, status="held", weight=0.995),
            ],
            facts=[
                FactGroupRow(A, "o1", "crm", DAY2, '{"city":"Bern","name":"Ann"}'),
                FactGroupRow(B, "o1", "crm", DAY2, '{"city":"Bern","name":"Ann"}'),
            ],
            consent=[statement("s1", B)],
            person_records=[person("r1", B)],
            blocks={"r1": ["dob:1980", "k:x"]},
            profiles=[profile("p-1", A, B), profile("p-2", C)],
        )
        write(store, lambda tx: tx.insert_resolved(rows))

        def everything(tx: GraphTransaction) -> tuple[object, ...]:
            return (
                tx.get_identifiers([A, B, C]),
                tx.edges_of([A, B, C]),
                sorted(tx.facts_of([A, B])),
                tx.consent_of([B]),
                tx.person_records(["r1"]),
                tx.block_members(["dob:1980", "k:x"]),
                tx.get_profiles(["p-1", "p-2"]),
            )

        identifiers, edges, facts, consent, records, blocks, profiles = read(store, everything)
        assert identifiers == {i.key: i for i in rows.identifiers}
        assert edges == list(rows.edges)
        assert facts == sorted(f for group in rows.facts for f in group.facts())
        assert consent == list(rows.consent)
        assert records == {"r1": person("r1", B)}
        assert blocks == {"dob:1980": ["r1"], "k:x": ["r1"]}
        assert profiles == {p.id: p for p in rows.profiles}


class TestPersonRecordsOf:
    def test_answers_the_records_anchored_at_the_keys_sorted_by_id(self, store: GraphStore) -> None:
        rows = [person("r3", A), person("r1", B), person("r2", A), person("r4", C)]
        write(store, lambda tx: tx.add_person_records(rows, {}))
        found = read(store, lambda tx: tx.person_records_of([A, B, D]))
        assert found == [person("r1", B), person("r2", A), person("r3", A)]
        assert read(store, lambda tx: tx.person_records_of([])) == []


class TestBlockMembers:
    def test_blocks_keep_the_order_of_filing_across_transactions(self, store: GraphStore) -> None:
        write(
            store,
            lambda tx: tx.add_person_records(
                [person("r3", A), person("r1", A), person("r0", A)],
                {"r0": ["k:x"], "r1": ["dob:1980"], "r3": ["dob:1980"]},
            ),
        )
        write(
            store,
            lambda tx: tx.add_person_records(
                [person("r4", A), person("r2", A)], {"r2": ["dob:1980"], "r4": ["dob:1980"]}
            ),
        )
        found = read(store, lambda tx: tx.block_members(["dob:1980", "k:x", "k:none"]))
        assert found == {"dob:1980": ["r3", "r1", "r4", "r2"], "k:x": ["r0"]}


class TestEraseIdentifiers:
    """What goes with an erased identifier; ``test_store_rules.py`` checks the same rule
    (``graph.rules.erasure``) on generated stores."""

    def test_removes_the_identifiers_and_what_is_anchored_at_them_only(
        self, store: GraphStore
    ) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(A), ident(B), ident(C)])
            tx.assign_profile({A: "p-1", B: "p-1", C: "p-2"})
            tx.upsert_edges([edge(A, B), edge(A, B, "unauthenticated"), edge(B, C), edge(C, D)])
            tx.add_facts(
                [
                    fact("o1", A, "city", "Bern"),
                    fact("o1", A, "name", "Ann"),
                    fact("o1", C, "city", "Rome"),
                ]
            )
            tx.add_consent([statement("s1", A), statement("s2", B), statement("s3", C)])
            tx.put_profiles([profile("p-1", A, B), profile("p-2", C)])

        write(store, work)
        counts = write(store, lambda tx: tx.erase_identifiers([A, B, "email:nobody@example.com"]))
        assert counts == {"identifiers": 2, "edges": 3, "facts": 2, "consent": 2}
        found = read(
            store,
            lambda tx: (
                sorted(tx.get_identifiers([A, B, C])),
                [e.slot[:2] for e in tx.edges_of([A, B, C, D])],
                tx.facts_of([A, B, C]),
                [c.statement_id for c in tx.consent_of([A, B, C])],
                sorted(tx.get_profiles(["p-1", "p-2"])),
            ),
        )
        assert found == ([C], [(C, D)], [fact("o1", C, "city", "Rome")], ["s3"], ["p-1", "p-2"])

    def test_an_edge_end_never_upserted_is_erased_with_its_edges(self, store: GraphStore) -> None:
        write(store, lambda tx: tx.upsert_identifiers([ident(A)]))
        write(store, lambda tx: tx.upsert_edges([edge(A, B), edge(B, C)]))
        counts = write(store, lambda tx: tx.erase_identifiers([B]))
        assert counts == {"identifiers": 0, "edges": 2, "facts": 0, "consent": 0}
        assert read(store, lambda tx: (tx.edges_of([A, B, C]), tx.counts()["identifiers"])) == (
            [],
            1,
        )

    def test_nothing_to_erase_counts_zero(self, store: GraphStore) -> None:
        with_profiles(store, {A: "p-1"})
        zero = {"identifiers": 0, "edges": 0, "facts": 0, "consent": 0}
        assert write(store, lambda tx: tx.erase_identifiers([])) == zero
        assert write(store, lambda tx: tx.erase_identifiers([B])) == zero
        assert read(store, lambda tx: tx.counts())["identifiers"] == 1

    def test_erasing_an_identifier_removes_its_records_from_every_block(
        self, store: GraphStore
    ) -> None:
        def work(tx: GraphTransaction) -> None:
            tx.upsert_identifiers([ident(A), ident(B)])
            tx.add_person_records(
                [person("ra", A), person("rb", B)], {"ra": ["b:1", "b:2"], "rb": ["b:1"]}
            )


COVERED_ELSEWHERE = {
    "write": TestTransactions,
    "read": TestTransactions,
    "close": TestDurability,
}
"""Protocol methods whose contract is the subject of a class not named after them."""


class TestTheContract:
    def test_every_protocol_method_has_a_test_class(self) -> None:
        """A method added to ``GraphTransaction`` or ``GraphStore`` needs a class here
        named after it (``upsert_edges``: ``TestUpsertEdges``)."""
        classes = {name for name, value in globals().items() if name.startswith("Test")}
        methods = {
            name
            for protocol in (GraphTransaction, GraphStore)
            for name, value in vars(protocol).items()
            if callable(value) and not name.startswith("_")
        }
        assert len(methods) > 40
        untested = sorted(
            name
            for name in methods - COVERED_ELSEWHERE.keys()
            if "Test" + name.title().replace("_", "") not in classes
        )
        assert untested == []
