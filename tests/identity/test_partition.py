"""The deterministic partition of a cluster: strongest first (ties by key), approved
edges in their place but over limits, a union that would break a guard is held with the
reason, and the result never depends on the order the identifiers, edges and constraints
are given in."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.guards import GuardSettings, broken_limit, limit_counters
from identity.partition import CandidateEdge, EdgeSlot, Partition, partition_cluster

GUARDS = GuardSettings()
CRM_1, CRM_2, CRM_3 = "customer_id:crm/1", "customer_id:crm/2", "customer_id:crm/3"
SHOP_1 = "customer_id:shop/1"
EMAIL_A, EMAIL_B, EMAIL_C = "email:a@x.com", "email:b@x.com", "email:c@x.com"
PHONE = "phone:+12125550100"
COOKIE_1, COOKIE_2, COOKIE_3 = "cookie:c1", "cookie:c2", "cookie:c3"
CRM_LIMIT = "limit: more than 1 customer_id from source 'crm' in one profile"


def slot(a: str, b: str, rule: str = "authenticated") -> EdgeSlot:
    left, right = sorted((a, b))
    return (left, right, "co_occurrence", rule)


def edge(a: str, b: str, weight: float = 1.0, forced: bool = False) -> CandidateEdge:
    return CandidateEdge(slot(a, b), weight, forced)


def partition(
    keys: list[str],
    edges: list[CandidateEdge],
    cannot_links: list[tuple[str, str]] | None = None,
    guards: GuardSettings = GUARDS,
) -> Partition:
    return partition_cluster(keys, edges, cannot_links or [], guards)


class TestWithoutGuardsBroken:
    def test_identifiers_without_edges_are_alone(self) -> None:
        result = partition([EMAIL_B, EMAIL_A], [])
        assert result.pieces == [[EMAIL_A], [EMAIL_B]]
        assert result.held == {}

    def test_a_chain_is_one_piece_sorted_by_key(self) -> None:
        result = partition(
            [PHONE, EMAIL_A, COOKIE_1, EMAIL_B],
            [edge(PHONE, EMAIL_A), edge(EMAIL_A, COOKIE_1)],
        )
        assert result.pieces == [[COOKIE_1, EMAIL_A, PHONE], [EMAIL_B]]
        assert result.held == {}

    def test_repeated_keys_count_once(self) -> None:
        result = partition([EMAIL_A, EMAIL_A, PHONE], [edge(EMAIL_A, PHONE)])
        assert result.pieces == [[EMAIL_A, PHONE]]

    @given(
        st.lists(
            st.tuples(st.integers(0, 11), st.integers(0, 11)).filter(lambda p: p[0] != p[1]),
            max_size=20,
        )
    )
    def test_the_pieces_are_the_connected_components(self, pairs: list[tuple[int, int]]) -> None:
        keys = [f"cookie:k{i:02d}" for i in range(12)]
        result = partition(keys, [edge(keys[a], keys[b]) for a, b in pairs])
        graph = nx.Graph()
        graph.add_nodes_from(keys)
        graph.add_edges_from((keys[a], keys[b]) for a, b in pairs)
        assert result.pieces == sorted(sorted(c) for c in nx.connected_components(graph))
        assert result.held == {}


class TestStrongestFirst:
    @pytest.mark.parametrize(
        ("weights", "winner", "loser"),
        [
            pytest.param((1.0, 0.95), CRM_1, CRM_2, id="the stronger edge joins first"),
            pytest.param((0.95, 1.0), CRM_2, CRM_1, id="the stronger edge wins whatever its key"),
            pytest.param((1.0, 1.0), CRM_1, CRM_2, id="on equal weight the smaller key wins"),
        ],
    )
    def test_the_stronger_of_two_conflicting_edges_joins(
        self, weights: tuple[float, float], winner: str, loser: str
    ) -> None:
        result = partition(
            [CRM_1, CRM_2, EMAIL_A],
            [edge(CRM_1, EMAIL_A, weights[0]), edge(CRM_2, EMAIL_A, weights[1])],
        )
        assert result.pieces == sorted([sorted([winner, EMAIL_A]), [loser]])
        assert result.held == {slot(loser, EMAIL_A): CRM_LIMIT}

    def test_a_strong_path_beats_a_weak_bridge(self) -> None:
        # crm/1 - email a (1.0), crm/2 - email b (1.0), email a - email b (0.9): the bridge
        # comes last and would put two CRM numbers together.
        result = partition(
            [CRM_1, CRM_2, EMAIL_A, EMAIL_B],
            [edge(EMAIL_A, EMAIL_B, 0.9), edge(CRM_2, EMAIL_B), edge(CRM_1, EMAIL_A)],
        )
        assert result.pieces == [[CRM_1, EMAIL_A], [CRM_2, EMAIL_B]]
        assert result.held == {slot(EMAIL_A, EMAIL_B): CRM_LIMIT}


class TestApprovedEdges:
    def test_an_approved_edge_adds_to_what_joined_before_it(self) -> None:
        result = partition(
            [CRM_1, CRM_2, EMAIL_A],
            [edge(CRM_1, EMAIL_A, 1.0), edge(CRM_2, EMAIL_A, 0.5, forced=True)],
        )
        assert result.pieces == [[CRM_1, CRM_2, EMAIL_A]]
        assert result.held == {}

    def test_an_approved_edge_keeps_its_place_before_a_cannot_link(self) -> None:
        # B-C is stronger and joins first; the approved A-B then meets the A/C cannot-link
        result = partition(
            [EMAIL_A, EMAIL_B, EMAIL_C],
            [edge(EMAIL_B, EMAIL_C, 1.0), edge(EMAIL_A, EMAIL_B, 0.5, forced=True)],
            [(EMAIL_A, EMAIL_C)],
        )
        assert result.pieces == [[EMAIL_A], [EMAIL_B, EMAIL_C]]
        assert list(result.held) == [slot(EMAIL_A, EMAIL_B)]

    def test_an_approved_edge_joins_over_a_limit(self) -> None:
        result = partition([CRM_1, CRM_2], [edge(CRM_1, CRM_2, forced=True)])
        assert result.pieces == [[CRM_1, CRM_2]]
        assert result.held == {}

    def test_a_profile_joined_over_a_limit_still_grows_by_other_identifiers(self) -> None:
        result = partition(
            [CRM_1, CRM_2, EMAIL_A, SHOP_1],
            [edge(CRM_1, CRM_2, forced=True), edge(CRM_1, EMAIL_A), edge(EMAIL_A, SHOP_1)],
        )
        assert result.pieces == [[CRM_1, CRM_2, SHOP_1, EMAIL_A]]
        assert result.held == {}

    def test_a_profile_joined_over_a_limit_does_not_take_one_more_of_that_kind(self) -> None:
        result = partition(
            [CRM_1, CRM_2, CRM_3, EMAIL_A],
            [edge(CRM_1, CRM_2, forced=True), edge(CRM_1, EMAIL_A), edge(CRM_3, EMAIL_A, 0.95)],
        )
        assert result.pieces == [[CRM_1, CRM_2, EMAIL_A], [CRM_3]]
        assert result.held == {
            slot(CRM_3, EMAIL_A): "limit: more than 1 customer_id from source 'crm' in one profile"
        }

    def test_an_approved_edge_yields_to_a_cannot_link(self) -> None:
        result = partition(
            [EMAIL_A, EMAIL_B], [edge(EMAIL_A, EMAIL_B, forced=True)], [(EMAIL_B, EMAIL_A)]
        )
        assert result.pieces == [[EMAIL_A], [EMAIL_B]]
        assert result.held == {
            slot(EMAIL_A, EMAIL_B): (
                f"cannot-link: {EMAIL_A} and {EMAIL_B} are different people (steward)"
            )
        }


class TestHeldReasons:
    def test_a_type_limit(self) -> None:
        emails = [f"email:{i}@x.com" for i in range(6)]
        result = partition([COOKIE_1, *emails], [edge(COOKIE_1, e) for e in emails], guards=GUARDS)
        assert result.pieces == [[COOKIE_1, *emails[:5]], [emails[5]]]
        assert result.held == {slot(COOKIE_1, emails[5]): "limit: more than 5 email in one profile"}

    def test_a_per_source_limit_of_social_handles(self) -> None:
        handles = [f"social:instagram/h{i}" for i in range(3)]
        result = partition([EMAIL_A, *handles], [edge(EMAIL_A, h) for h in handles])
        assert result.pieces == [[EMAIL_A, *handles[:2]], [handles[2]]]
        assert result.held == {
            slot(EMAIL_A, handles[2]): (
                "limit: more than 2 social from source 'instagram' in one profile"
            )
        }

    def test_a_cannot_link_through_a_path(self) -> None:
        # a - c joins first (smaller key); c - b would put a and b together.
        result = partition(
            [EMAIL_A, EMAIL_B, EMAIL_C],
            [edge(EMAIL_B, EMAIL_C), edge(EMAIL_A, EMAIL_C)],
            [(EMAIL_A, EMAIL_B)],
        )
        assert result.pieces == [[EMAIL_A, EMAIL_C], [EMAIL_B]]
        assert result.held == {
            slot(EMAIL_B, EMAIL_C): (
                f"cannot-link: {EMAIL_A} and {EMAIL_B} are different people (steward)"
            )
        }

    def test_a_cannot_link_to_an_identifier_outside_the_cluster_is_ignored(self) -> None:
        result = partition([EMAIL_A, PHONE], [edge(EMAIL_A, PHONE)], [(EMAIL_A, EMAIL_B)])
        assert result.pieces == [[EMAIL_A, PHONE]]
        assert result.held == {}

    def test_a_household_landline_joins_one_person_and_is_held_for_the_other(self) -> None:
        # Two people with their own CRM numbers give the same landline.
        result = partition(
            [CRM_1, CRM_2, EMAIL_A, EMAIL_B, PHONE],
            [
                edge(CRM_1, EMAIL_A),
                edge(CRM_1, PHONE),
                edge(EMAIL_A, PHONE),
                edge(CRM_2, EMAIL_B),
                edge(CRM_2, PHONE),
                edge(EMAIL_B, PHONE),
            ],
        )
        assert result.pieces == [[CRM_1, EMAIL_A, PHONE], [CRM_2, EMAIL_B]]
        assert result.held == {slot(CRM_2, PHONE): CRM_LIMIT, slot(EMAIL_B, PHONE): CRM_LIMIT}


# A small world where guards fire: two CRM numbers and a shop number, several emails,
# phones and cookies, so limits (with tight settings) and cannot-links both come up.
POOL = [CRM_1, CRM_2, SHOP_1, EMAIL_A, EMAIL_B, EMAIL_C, PHONE, COOKIE_1, COOKIE_2, COOKIE_3]
TIGHT = GuardSettings(type_limits={"email": 2, "cookie": 2}, per_source_limits={"customer_id": 1})

edges_strategy = st.lists(
    st.tuples(
        st.sampled_from(POOL),
        st.sampled_from(POOL),
        st.sampled_from([0.9, 0.95, 1.0]),
        st.booleans(),
        st.sampled_from(["authenticated", "other"]),
    )
    .filter(lambda e: e[0] != e[1])
    .map(lambda e: CandidateEdge(slot(e[0], e[1], e[4]), e[2], forced=e[3] and e[2] == 0.9)),
    max_size=16,
    unique_by=lambda e: e.slot,
)
cannot_strategy = st.lists(
    st.tuples(st.sampled_from(POOL), st.sampled_from(POOL)).filter(lambda p: p[0] != p[1]),
    max_size=3,
)


class TestOrderIndependence:
    @given(edges_strategy, cannot_strategy, st.data())
    def test_any_order_of_the_input_gives_the_same_partition(
        self,
        edges: list[CandidateEdge],
        cannot: list[tuple[str, str]],
        data: st.DataObject,
    ) -> None:
        expected = partition(POOL, edges, cannot, TIGHT)
        keys = data.draw(st.permutations(POOL), label="keys")
        shuffled = data.draw(st.permutations(edges), label="edges")
        flipped = [
            (b, a) if flip else (a, b)
            for (a, b), flip in zip(
                data.draw(st.permutations(cannot), label="cannot-links"),
                itertools.cycle(data.draw(st.lists(st.booleans(), min_size=1), label="flip")),
                strict=False,
            )
        ]
        assert partition(keys, shuffled, flipped, TIGHT) == expected

    @given(edges_strategy, cannot_strategy)
    def test_the_partition_is_consistent_with_its_guards(
        self, edges: list[CandidateEdge], cannot: list[tuple[str, str]]
    ) -> None:
        result = partition(POOL, edges, cannot, TIGHT)
        piece_of = {k: i for i, piece in enumerate(result.pieces) for k in piece}
        assert sorted(piece_of) == sorted(POOL)
        for a, b in cannot:
            assert piece_of[a] != piece_of[b], "a cannot-link pair shares a profile"
        for e in edges:
            if e.slot in result.held:
                assert piece_of[e.left] != piece_of[e.right], "a held edge joined anyway"
            else:
                assert piece_of[e.left] == piece_of[e.right], "an eligible edge did not join"
        if not any(e.forced for e in edges):
            for piece in result.pieces:
                assert broken_limit(limit_counters(piece, TIGHT), TIGHT) is None
