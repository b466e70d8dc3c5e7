"""Guards against over-merging, as pure functions: what a set of identifiers counts
towards the limits, which limit a union breaks (with a reason a steward can read), and
which identifiers the frequency cap makes generic."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.guards import (
    GuardSettings,
    broken_limit,
    frequency_cap_reasons,
    generic_identifiers,
    limit_counters,
    neighbour_counts_from_edges,
)

DEFAULTS = GuardSettings()
SAMPLE_KEYS = [
    *(f"email:{i}@x.com" for i in range(7)),
    *(f"phone:+1212555010{i}" for i in range(6)),
    *(f"customer_id:{s}/{i}" for s in ("crm", "shop") for i in range(2)),
    *(f"social:instagram/h{i}" for i in range(3)),
    "cookie:c1",
]


class TestDefaults:
    def test_type_limits(self) -> None:
        assert dict(DEFAULTS.type_limits) == {"email": 5, "phone": 4, "device": 8, "cookie": 30}

    def test_per_source_limits(self) -> None:
        assert dict(DEFAULTS.per_source_limits) == {"customer_id": 1, "social": 2}

    def test_frequency_cap(self) -> None:
        assert DEFAULTS.frequency_cap == 3
        assert DEFAULTS.frequency_cap_types == ("customer_id", "email", "phone", "device")


class TestLimitCounters:
    @pytest.mark.parametrize(
        ("keys", "expected"),
        [
            pytest.param((), {}, id="no identifiers count nothing"),
            pytest.param(("email:a@x.com",), {"email": 1}, id="an email counts towards email"),
            pytest.param(
                ("email:a@x.com", "email:b@x.com", "phone:+12125550100"),
                {"email": 2, "phone": 1},
                id="each limited type is counted on its own",
            ),
            pytest.param(
                ("customer_id:crm/C-1",),
                {"customer_id/crm": 1},
                id="a customer ID counts towards its source",
            ),
            pytest.param(
                ("customer_id:crm/C-1", "customer_id:crm/C-2", "customer_id:shop/9"),
                {"customer_id/crm": 2, "customer_id/shop": 1},
                id="customer IDs of two sources count apart",
            ),
            pytest.param(
                ("social:instagram/ann", "social:tiktok/ann"),
                {"social/instagram": 1, "social/tiktok": 1},
                id="social handles count per platform",
            ),
            pytest.param(
                ("customer_id:crm/a:b",),
                {"customer_id/crm": 1},
                id="a colon inside the value does not move the source",
            ),
            pytest.param(
                ("loyalty:L-1", "cookie:abc"),
                {"cookie": 1},
                id="a type without a limit is not counted",
            ),
        ],
    )
    def test_counts(self, keys: tuple[str, ...], expected: dict[str, int]) -> None:
        assert limit_counters(keys, DEFAULTS) == Counter(expected)

    def test_a_type_with_both_limits_counts_twice(self) -> None:
        guards = GuardSettings(type_limits={"social": 3}, per_source_limits={"social": 1})
        assert limit_counters(("social:instagram/ann",), guards) == Counter(
            {"social": 1, "social/instagram": 1}
        )


class TestBrokenLimit:
    @pytest.mark.parametrize(
        ("counts", "reason"),
        [
            pytest.param({}, None, id="nothing counted breaks nothing"),
            pytest.param({"email": 5}, None, id="exactly at the limit is allowed"),
            pytest.param(
                {"email": 6},
                "limit: more than 5 email in one profile",
                id="one over a type limit is broken",
            ),
            pytest.param({"customer_id/crm": 1}, None, id="one customer ID per source is allowed"),
            pytest.param(
                {"customer_id/crm": 2},
                "limit: more than 1 customer_id from source 'crm' in one profile",
                id="two customer IDs of one source are broken",
            ),
            pytest.param(
                {"customer_id/crm": 1, "customer_id/shop": 1},
                None,
                id="one customer ID from each of two sources is allowed",
            ),
            pytest.param(
                {"social/instagram": 3},
                "limit: more than 2 social from source 'instagram' in one profile",
                id="three handles on one platform are broken",
            ),
            pytest.param(
                {"phone": 9, "email": 9, "customer_id/crm": 2},
                "limit: more than 1 customer_id from source 'crm' in one profile",
                id="of several broken limits the first by name is reported",
            ),
        ],
    )
    def test_reason(self, counts: dict[str, int], reason: str | None) -> None:
        assert broken_limit(Counter(counts), DEFAULTS) == reason

    @given(st.sets(st.sampled_from(SAMPLE_KEYS)), st.sets(st.sampled_from(SAMPLE_KEYS)))
    def test_limits_are_monotone(self, some: set[str], more: set[str]) -> None:
        """A set that breaks a limit makes every superset break one too: the partition
        relies on it."""
        if broken_limit(limit_counters(some, DEFAULTS), DEFAULTS) is not None:
            assert broken_limit(limit_counters(some | more, DEFAULTS), DEFAULTS) is not None


class TestGenericIdentifiers:
    @pytest.mark.parametrize(
        ("counts", "expected"),
        [
            pytest.param({}, {}, id="no links make nothing generic"),
            pytest.param(
                {"cookie:pc": {"email": 3}}, {}, id="linked to exactly the cap is not generic"
            ),
            pytest.param(
                {"cookie:pc": {"email": 4}},
                {"cookie:pc": "generic: linked to 4 distinct email identifiers (cap 3)"},
                id="linked to one more than the cap is generic",
            ),
            pytest.param(
                {"phone:+12125550100": {"customer_id": 7, "email": 2}},
                {
                    "phone:+12125550100": "generic: linked to 7 distinct customer_id identifiers"
                    " (cap 3)"
                },
                id="a call-centre phone linked to many customer IDs is generic",
            ),
            pytest.param(
                {"email:a@x.com": {"cookie": 50, "social": 9}},
                {},
                id="links to types outside the capped types never count",
            ),
            pytest.param(
                {"cookie:pc": {"email": 4, "device": 5}},
                {"cookie:pc": "generic: linked to 4 distinct email identifiers (cap 3)"},
                id="the reason names the first capped type in the settings order",
            ),
            pytest.param(
                {"cookie:pc": {"email": 9}, "cookie:home": {"email": 2}},
                {"cookie:pc": "generic: linked to 9 distinct email identifiers (cap 3)"},
                id="only the identifiers over the cap are returned",
            ),
        ],
    )
    def test_generic(self, counts: dict[str, dict[str, int]], expected: dict[str, str]) -> None:
        assert generic_identifiers(counts, DEFAULTS) == expected

    def test_the_cap_and_the_types_are_settings(self) -> None:
        guards = GuardSettings(frequency_cap=1, frequency_cap_types=("cookie",))
        counts = {"email:a@x.com": {"cookie": 2, "phone": 9}, "email:b@x.com": {"cookie": 1}}
        assert generic_identifiers(counts, guards) == {
            "email:a@x.com": "generic: linked to 2 distinct cookie identifiers (cap 1)"
        }


class TestNeighbourCountsFromEdges:
    def test_counts_distinct_others_per_type_for_the_asked_keys(self) -> None:
        edges = [
            ("cookie:pc", "email:a@x.com"),
            ("cookie:pc", "email:b@x.com"),
            ("cookie:pc", "email:b@x.com"),
            ("customer_id:crm/1", "cookie:pc"),
            ("email:a@x.com", "phone:+12125550100"),
        ]
        counts = neighbour_counts_from_edges(edges, ["cookie:pc", "phone:+12125550100"])
        assert counts == {
            "cookie:pc": {"email": 2, "customer_id": 1},
            "phone:+12125550100": {"email": 1},
        }


class TestFrequencyCapReasons:
    @given(
        st.lists(st.tuples(st.sampled_from(SAMPLE_KEYS), st.sampled_from(SAMPLE_KEYS))),
        st.sets(st.sampled_from(SAMPLE_KEYS)),
        st.integers(min_value=0, max_value=4),
    )
    def test_equals_the_generic_identifiers_of_the_neighbour_counts(
        self, edges: list[tuple[str, str]], keys: set[str], cap: int
    ) -> None:
        guards = GuardSettings(frequency_cap=cap)
        expected = generic_identifiers(neighbour_counts_from_edges(edges, keys), guards)
        assert frequency_cap_reasons(edges, keys, guards) == expected

    def test_a_phone_shared_by_four_customers_is_generic(self) -> None:
        phone = "phone:+12125550100"
        edges = [(f"customer_id:crm/{i}", phone) for i in range(4)]
        assert frequency_cap_reasons(edges, [phone], DEFAULTS) == {
            phone: "generic: linked to 4 distinct customer_id identifiers (cap 3)"
        }
