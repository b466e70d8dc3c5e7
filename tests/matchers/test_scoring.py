"""Scoring: the Fellegi-Sunter model, its estimation, and the fuzzy matcher's decisions
and evidence."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from matchers.attributes import PersonRecord
from matchers.comparisons import Outcome
from matchers.fellegi_sunter import (
    FellegiSunterModel,
    LevelProbabilities,
    bits_to_probability,
    default_model,
    estimate_model,
)
from matchers.fuzzy import MATCHER_NAME, MERGE, REVIEW, FuzzyMatcher

ANN = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1980-01-31",
    "address": "1 Main St",
    "postcode": "02110",
}


def toy_model(**changes: object) -> FellegiSunterModel:
    base: dict[str, object] = {
        "prior": 0.01,
        "comparisons": {"name": LevelProbabilities(("exact", "else"), (0.9, 0.1), (0.05, 0.95))},
        "term_frequencies": {"name": {"smith": 0.2, "zbigniew": 0.0001}},
    }
    return FellegiSunterModel(**{**base, **changes})  # type: ignore[arg-type]


class TestFellegiSunterScore:
    def test_bits_are_log2_of_m_over_u_plus_the_prior(self) -> None:
        score = toy_model().score([("name", Outcome(0, "lee", "lee"))])
        assert score.total_bits == pytest.approx(math.log2(0.01 / 0.99) + math.log2(0.9 / 0.05))
        assert score.probability == pytest.approx(bits_to_probability(score.total_bits))

    def test_a_missing_field_contributes_nothing(self) -> None:
        score = toy_model().score([("name", None)])
        assert score.contributions == ()
        assert score.probability == pytest.approx(0.01)

    @pytest.mark.parametrize(
        ("value", "sign"),
        [
            pytest.param("smith", -1, id="a common value counts less than the average"),
            pytest.param("zbigniew", 1, id="a rare value counts more"),
        ],
    )
    def test_term_frequency_adjusts_the_exact_level(self, value: str, sign: int) -> None:
        contribution = toy_model().contribution("name", Outcome(0, value, value, term=value))
        assert math.copysign(1, contribution.term_frequency_bits) == sign
        assert contribution.bits == pytest.approx(
            math.log2(0.9 / 0.05) + contribution.term_frequency_bits
        )

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param({"prior": 0.0}, id="a prior of zero"),
            pytest.param({"tf_minimum_u": 0.0}, id="a minimum u of zero"),
        ],
    )
    def test_refuses_impossible_parameters(self, changes: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            toy_model(**changes)

    def test_parameters_survive_a_round_trip_through_a_dict(self) -> None:
        model = default_model()
        assert FellegiSunterModel.from_dict(model.to_dict()) == model


def synthetic(seed: int = 3, people: int = 300) -> list[PersonRecord]:
    """People with two records each, the second with a typo in one name half the time."""
    rng = random.Random(seed)
    first = ["ann", "bob", "carla", "dmitri", "eve", "farid", "greta", "hugo", "ines", "jun"]
    last = ["lee", "smith", "okafor", "novak", "garcia", "tanaka", "muller", "rossi", "khan"]
    records = []
    for n in range(people):
        person = {
            "first_name": rng.choice(first),
            "last_name": rng.choice(last) + rng.choice(["", "son", "ova", "ez"]),
            "date_of_birth": f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "postcode": str(rng.randint(1000, 9999)),
        }
        copy = dict(person)
        if rng.random() < 0.5:
            copy["last_name"] = copy["last_name"][:-1] + "x"
        records += [PersonRecord(f"c:{n}a", person), PersonRecord(f"c:{n}b", copy)]
    return records


class TestEstimateModel:
    def test_agreement_learnt_from_unlabelled_records_is_evidence_for_a_match(self) -> None:
        estimate = estimate_model(synthetic(), random_pairs=5_000)
        dob = estimate.model.comparisons["date_of_birth"]
        assert dob.bits(0) > 8
        assert dob.bits(len(dob.levels) - 1) < 0
        assert 0.5 * 300 < estimate.expected_matches < 1.5 * 300

    def test_the_estimated_model_separates_the_duplicates(self) -> None:
        records = synthetic()
        matcher = FuzzyMatcher(model=estimate_model(records, random_pairs=5_000).model)
        pairs = matcher.match(records, {})
        joined = {(p.left, p.right) for p in pairs if matcher.decision(p) == MERGE}
        truth = {(f"c:{n}a", f"c:{n}b") for n in range(300)}
        assert len(joined & truth) >= 0.95 * len(truth)
        assert joined <= truth


class TestFuzzyMatcherDecision:
    @pytest.mark.parametrize(
        ("other", "decision"),
        [
            pytest.param(ANN, MERGE, id="the same person data merges"),
            pytest.param(
                {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-01-21"},
                REVIEW,
                id="a name and a birth date one digit off are for review",
            ),
        ],
    )
    def test_decides(self, other: dict[str, str], decision: str) -> None:
        matcher = FuzzyMatcher()
        pair = matcher.score(PersonRecord("cookie:a", ANN), PersonRecord("cookie:b", other))
        assert pair is not None
        assert matcher.decision(pair) == decision

    def test_below_the_review_band_there_is_no_pair(self) -> None:
        bob = {"first_name": "Bob", "last_name": "Lee", "city": "Boston"}
        matcher = FuzzyMatcher()
        assert matcher.score(PersonRecord("cookie:a", ANN), PersonRecord("cookie:b", bob)) is None

    def test_records_of_one_identifier_are_not_a_pair(self) -> None:
        record = PersonRecord("cookie:a", ANN)
        assert FuzzyMatcher().score(record, record) is None

    def test_thresholds_out_of_order_are_refused(self) -> None:
        with pytest.raises(ValueError, match="review_threshold"):
            FuzzyMatcher(merge_threshold=0.6, review_threshold=0.9)


def variants_of_ann() -> list[PersonRecord]:
    """Records differing from ANN field by field, so their scores spread over the whole
    range around the review threshold."""
    grid = itertools.product(
        ["Ann", "Anne", "A", "Bob", ""],
        ["Lee", "Leigh", "Lea", "Smith", ""],
        ["1980-01-31", "1980-01-21", "1980-05-05", "1971-02-03", ""],
        ["1234", "1235", "9999", ""],
        ["f", "m", ""],
    )
    return [
        PersonRecord(
            f"cookie:{n}",
            {
                name: value
                for name, value in zip(
                    ("first_name", "last_name", "date_of_birth", "postcode", "gender"),
                    values,
                    strict=True,
                )
                if value
            },
        )
        for n, values in enumerate(grid)
    ]


class TestFuzzyMatcherPruning:
    @pytest.mark.parametrize(
        "fitted",
        [
            pytest.param(False, id="with the shipped model"),
            pytest.param(True, id="with a fitted model whose term frequencies add bits"),
        ],
    )
    def test_stopping_early_never_changes_which_pairs_are_kept(self, fitted: bool) -> None:
        model = (
            estimate_model(synthetic(seed=5, people=200), random_pairs=2_000).model
            if fitted
            else default_model()
        )
        assert ("lee" in model.term_frequencies.get("last_name", {})) == fitted
        matcher = FuzzyMatcher(model=model)
        ann = PersonRecord("cookie:ann", {**ANN, "postcode": "1234", "gender": "f"})
        kept = below = 0
        for other in variants_of_ann():
            full = model.score(
                (c.name, c.compare(ann.normalized, other.normalized)) for c in matcher.comparisons
            )
            scored = matcher.score(ann, other)
            if full.probability >= matcher.review_threshold:
                kept += 1
                assert scored is not None and scored.weight == full.probability
            else:
                below += 1
                assert scored is None
        assert kept > 100 and below > 100


class TestFuzzyMatcherEvidence:
    def test_lists_each_field_with_values_level_and_bits_summing_to_the_total(self) -> None:
        matcher = FuzzyMatcher()
        pair = matcher.score(
            PersonRecord("cookie:b", {**ANN, "first_name": "Anne"}), PersonRecord("cookie:a", ANN)
        )
        assert pair is not None
        assert (pair.left, pair.right, pair.matcher) == ("cookie:a", "cookie:b", MATCHER_NAME)
        evidence = pair.evidence
        fields = evidence["fields"]
        assert isinstance(fields, dict)
        assert fields["first_name"]["left"] == "ann"
        assert fields["first_name"]["right"] == "anne"
        assert fields["first_name"]["level"] == "jaro_winkler>=0.92"
        assert set(fields) == {"first_name", "last_name", "date_of_birth", "location"}
        bits = sum(f["bits"] for f in fields.values())
        assert evidence["prior_bits"] + bits == pytest.approx(evidence["total_bits"], abs=0.05)
        assert evidence["probability"] == pair.weight
        assert evidence["decision"] == MERGE


class TestFuzzyMatcherPlan:
    def test_new_records_are_compared_with_stored_ones_and_with_each_other(self) -> None:
        stored = PersonRecord("cookie:s", ANN)
        first, second = PersonRecord("cookie:n1", ANN), PersonRecord("cookie:n2", ANN)
        keys = FuzzyMatcher().blocking_keys(stored)
        plan = FuzzyMatcher().plan([first, second], {k: [stored] for k in keys})
        assert {(a.key, b.key) for a, b in plan.pairs} == {
            ("cookie:s", "cookie:n1"),
            ("cookie:s", "cookie:n2"),
            ("cookie:n1", "cookie:n2"),
        }
        assert {k: [r.key for r in rs] for k, rs in plan.additions.items()} == {
            k: ["cookie:n1", "cookie:n2"] for k in keys
        }
