"""Blocking: only records sharing a blocking key are compared; a key held by more records
than the cap compares nothing, whatever the order the records came in."""

from __future__ import annotations

import random

import pytest

from matchers.attributes import PersonRecord
from matchers.blocking import BlockIndex, blocking_keys, candidate_pairs, default_rules, soundex


def person(key: str, **attributes: str) -> PersonRecord:
    return PersonRecord(key, attributes)


class TestSoundex:
    @pytest.mark.parametrize(
        ("word", "code"),
        [
            pytest.param("robert", "R163", id="robert"),
            pytest.param("rupert", "R163", id="rupert sounds the same"),
            pytest.param("ashcraft", "A261", id="h does not separate one sound"),
            pytest.param("lee", "L000", id="padded with zeros"),
            pytest.param("", "", id="nothing for no letters"),
        ],
    )
    def test_codes(self, word: str, code: str) -> None:
        assert soundex(word) == code


class TestBlockingKeys:
    def test_keys_are_prefixed_by_their_rule(self) -> None:
        keys = blocking_keys(
            person("c:1", first_name="Ann", last_name="Novak", date_of_birth="1980-01-31"),
            default_rules(),
        )
        assert keys == {"surname_year:N120|1980", "names:A500|N120", "dob:1980-01-31"}

    def test_swapped_names_share_the_names_key(self) -> None:
        rules = default_rules()
        a = blocking_keys(person("c:1", first_name="Ann", last_name="Novak"), rules)
        b = blocking_keys(person("c:2", first_name="Novak", last_name="Ann"), rules)
        assert a & b == {"names:A500|N120"}

    def test_a_record_without_the_fields_of_a_rule_has_no_key_of_it(self) -> None:
        assert blocking_keys(person("c:1", city="Leeds"), default_rules()) == set()


class TestCandidatePairs:
    def test_only_records_sharing_a_key_pair_each_pair_once(self) -> None:
        ann = person("c:1", first_name="Ann", last_name="Lee", date_of_birth="1980-01-31")
        anne = person("c:2", first_name="Anne", last_name="Lee", date_of_birth="1980-01-31")
        bob = person("c:3", first_name="Bob", last_name="Novak", date_of_birth="1975-05-05")
        pairs, too_common = candidate_pairs([ann, anne, bob], default_rules())
        assert [(a.key, b.key) for a, b in pairs] == [("c:1", "c:2")]
        assert too_common == set()

    def test_records_of_one_identifier_are_not_paired(self) -> None:
        ann = person("c:1", first_name="Ann", last_name="Lee")
        pairs, _ = candidate_pairs(
            [ann, person("c:1", first_name="Ann", last_name="Lea")], default_rules()
        )
        assert pairs == []

    @pytest.mark.parametrize(
        "name", [pytest.param(r.name, id=f"one rule: {r.name}") for r in default_rules()]
    )
    def test_the_pairs_do_not_depend_on_the_order_of_the_records(self, name: str) -> None:
        records = many_records()
        (rule,) = [r for r in default_rules() if r.name == name]
        pairs, too_common = candidate_pairs(records, (rule,), max_block_size=12)
        shuffled = list(records)
        random.Random(3).shuffle(shuffled)
        again, too_common_again = candidate_pairs(shuffled, (rule,), max_block_size=12)
        assert pairs, "the records share keys of every rule"
        assert {frozenset((id(a), id(b))) for a, b in pairs} == {
            frozenset((id(a), id(b))) for a, b in again
        }
        assert too_common == too_common_again

    def test_a_key_held_by_more_records_than_the_cap_pairs_none_of_them(self) -> None:
        born = {"date_of_birth": "1970-01-01"}
        three = [person(f"c:{i}", **born) for i in range(3)]
        assert len(candidate_pairs(three, default_rules(), max_block_size=3)[0]) == 3
        pairs, too_common = candidate_pairs(
            [*three, person("c:3", **born)], default_rules(), max_block_size=3
        )
        assert pairs == []
        assert too_common == {"dob:1970-01-01"}


def many_records() -> list[PersonRecord]:
    names = ["ann", "민준", "민준", "ann", "김"]
    return [
        person(
            f"c:{i % 23}",
            first_name=names[i % 5],
            last_name=names[(i // 5) % 5],
            date_of_birth=f"198{i % 3}-01-0{1 + i % 4}",
            postcode=f"20{i % 2}",
            address=f"{i % 6} high street" if i % 2 else f"서울 강남구 테헤란로 {i % 6}",
            national_id=f"{i % 7}",
            email=f"ann{i % 8}@x.com",
        )
        for i in range(60)
    ]


class TestBlockIndex:
    def test_a_store_files_a_key_until_it_is_known_too_common(self) -> None:
        index = BlockIndex(default_rules(), max_block_size=2)
        born = {"date_of_birth": "1970-01-01"}
        for i in range(5):
            index.add(person(f"c:{i}", **born))
        assert [r.key for r in index.filed("dob:1970-01-01")] == ["c:0", "c:1", "c:2"]
        assert index.too_common == {"dob:1970-01-01"}
        assert index.pairs() == []

    def test_preloaded_records_are_compared_with_new_ones(self) -> None:
        index = BlockIndex(default_rules())
        stored = person("c:1", date_of_birth="1970-01-01")
        index.preload("dob:1970-01-01", [stored])
        new = person("c:2", date_of_birth="1970-01-01")
        index.add(new)
        assert index.pairs() == [(stored, new)]
        assert index.filed("dob:1970-01-01") == [new]

    def test_a_block_size_below_two_is_refused(self) -> None:
        with pytest.raises(ValueError, match="max_block_size"):
            BlockIndex(default_rules(), max_block_size=1)
