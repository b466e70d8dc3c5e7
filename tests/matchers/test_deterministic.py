"""The co-occurrence matcher: one ordered, distinct pair per two identifiers seen together,
weighted and named by whether the observation was a login, and by its source."""

from __future__ import annotations

import pytest

from matchers.deterministic import (
    MATCHER_NAME,
    RULE_AUTHENTICATED,
    RULE_UNAUTHENTICATED,
    CoOccurrenceMatcher,
)
from matchers.pairs import ScoredPair

EMAIL, PHONE, COOKIE = "email:ann@example.com", "phone:+12125550100", "cookie:ck-1"


@pytest.fixture
def matcher() -> CoOccurrenceMatcher:
    return CoOccurrenceMatcher(1.0, 0.7, {"pos": 0.95, "ads": 0.2})


class TestCoOccurrencePairs:
    def test_a_login_pairs_with_the_authenticated_weight_and_rule(
        self, matcher: CoOccurrenceMatcher
    ) -> None:
        assert matcher.pairs([PHONE, EMAIL], "crm", authenticated=True) == [
            ScoredPair(
                EMAIL,
                PHONE,
                1.0,
                MATCHER_NAME,
                RULE_AUTHENTICATED,
                {"source": "crm", "authenticated": True},
            )
        ]

    def test_plain_co_occurrence_pairs_with_the_unauthenticated_weight_and_rule(
        self, matcher: CoOccurrenceMatcher
    ) -> None:
        (pair,) = matcher.pairs([COOKIE, EMAIL], "web", authenticated=False)
        assert (pair.weight, pair.matcher, pair.rule) == (0.7, "co_occurrence", "unauthenticated")
        assert dict(pair.evidence) == {"source": "web", "authenticated": False}

    @pytest.mark.parametrize(
        ("source", "weight"),
        [
            pytest.param("pos", 0.95, id="a trusted source weighs more"),
            pytest.param("ads", 0.2, id="a noisy source weighs less"),
            pytest.param("web", 0.7, id="an unlisted source weighs the default"),
        ],
    )
    def test_unauthenticated_weight_per_source(
        self, matcher: CoOccurrenceMatcher, source: str, weight: float
    ) -> None:
        (pair,) = matcher.pairs([COOKIE, EMAIL], source, authenticated=False)
        assert pair.weight == weight
        assert pair.rule == RULE_UNAUTHENTICATED

    def test_a_login_ignores_the_per_source_weight(self, matcher: CoOccurrenceMatcher) -> None:
        (pair,) = matcher.pairs([COOKIE, EMAIL], "ads", authenticated=True)
        assert (pair.weight, pair.rule) == (1.0, RULE_AUTHENTICATED)

    def test_every_two_identifiers_make_one_ordered_pair(
        self, matcher: CoOccurrenceMatcher
    ) -> None:
        pairs = matcher.pairs([PHONE, EMAIL, COOKIE], "crm", authenticated=True)
        assert [(p.left, p.right) for p in pairs] == [
            (COOKIE, EMAIL),
            (COOKIE, PHONE),
            (EMAIL, PHONE),
        ]

    def test_repeated_identifiers_do_not_pair_with_themselves(
        self, matcher: CoOccurrenceMatcher
    ) -> None:
        pairs = matcher.pairs([EMAIL, PHONE, EMAIL, PHONE], "crm", authenticated=True)
        assert [(p.left, p.right) for p in pairs] == [(EMAIL, PHONE)]

    @pytest.mark.parametrize(
        "keys",
        [
            pytest.param([], id="no identifiers"),
            pytest.param([EMAIL], id="one identifier"),
            pytest.param([EMAIL, EMAIL], id="one identifier twice"),
        ],
    )
    def test_fewer_than_two_distinct_identifiers_make_no_pair(
        self, matcher: CoOccurrenceMatcher, keys: list[str]
    ) -> None:
        assert matcher.pairs(keys, "crm", authenticated=True) == []

    def test_n_identifiers_make_n_choose_2_pairs(self, matcher: CoOccurrenceMatcher) -> None:
        keys = [f"cookie:c{n:02d}" for n in range(20)]
        pairs = matcher.pairs(keys[::-1], "web", authenticated=False)
        assert len(pairs) == 190
        assert len({(p.left, p.right) for p in pairs}) == 190
        assert all(p.left < p.right for p in pairs)


class TestScoredPair:
    @pytest.mark.parametrize(
        ("left", "right"),
        [
            pytest.param(PHONE, EMAIL, id="out of order"),
            pytest.param(EMAIL, EMAIL, id="the same identifier twice"),
        ],
    )
    def test_must_be_ordered_and_distinct(self, left: str, right: str) -> None:
        with pytest.raises(ValueError, match="ordered and distinct"):
            ScoredPair(left, right, 1.0, MATCHER_NAME, RULE_AUTHENTICATED)

    @pytest.mark.parametrize(
        "weight",
        [pytest.param(-0.1, id="below zero"), pytest.param(1.01, id="above one")],
    )
    def test_weight_must_be_in_zero_to_one(self, weight: float) -> None:
        with pytest.raises(ValueError, match=r"weight must be in \[0, 1\]"):
            ScoredPair(EMAIL, PHONE, weight, MATCHER_NAME, RULE_AUTHENTICATED)
