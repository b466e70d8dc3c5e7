"""Hostile values against the Neo4j store: text that looks like Cypher, parameters, escapes,
very long and unusual Unicode values travels as parameters, round-trips exactly through
ingest and lookup, and leaves every other profile as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graph.store import GraphStore, GraphTransaction
from identity.errors import NotFound
from identity.identifiers import Identifier
from identity.service import IdentityService

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.parametrize("store_name", ["neo4j"], indirect=True),
]

WHEN = "2026-01-02T03:04:05Z"
LATER = "2026-02-03T04:05:06Z"

# Identifier values (types whose normalizer keeps them as they are): no spaces, since
# cookie and customer IDs refuse whitespace; attributes below carry the spaced ones.
HOSTILE_IDENTIFIERS = [
    pytest.param("cookie", "o'brien", id="a single quote stays a quote"),
    pytest.param("cookie", 'say"hi"', id="double quotes stay quotes"),
    pytest.param("cookie", "back\\slash\\'\\\\", id="backslashes are not escapes"),
    pytest.param("cookie", "'})DETACH/**/DELETE/**/n//", id="a Cypher injection is just text"),
    pytest.param("cookie", "x'}),(m)-[:LINK]->(n)RETURN(n)//", id="a pattern is just text"),
    pytest.param("cookie", "$key", id="a parameter name is not a parameter"),
    pytest.param("cookie", "{key:$rows}", id="a map literal is not a map"),
    pytest.param("cookie", "`Identifier`", id="backticks do not quote a label"),
    pytest.param("cookie", "\\u0027\\x00%00", id="escape sequences stay literal"),
    pytest.param("cookie", "c" * 512, id="a value at the 512 character limit is kept whole"),
    pytest.param("cookie", "🙂👩‍👩‍👧🏳️‍🌈", id="emoji and ZWJ sequences survive"),
    pytest.param("cookie", "שלום\u202eabc\u202c", id="RTL text and bidi overrides survive"),
    pytest.param("cookie", "e\u0301\u0323", id="combining marks are not normalized away"),
    pytest.param("cookie", "\U0010fffd\ufffd\U0001d11e", id="astral and replacement chars survive"),
    pytest.param("customer_id", "crm/O'Brien;DROP", id="a customer ID with SQL in it"),
    pytest.param("email", "o'brien+$x@example.com", id="an email with a quote and a dollar"),
    pytest.param("social", "instagram/שלום", id="a handle in Hebrew"),
]
"""Every one of these normalizes to itself: the stored key is exactly ``type:value``."""

HOSTILE_TEXT = [
    pytest.param("O'Brien", id="an apostrophe in a name"),
    pytest.param("'}) DETACH DELETE n //", id="a Cypher injection in a name"),
    pytest.param("x\" }) MATCH (n) SET n.key = 'pwned' //", id="a SET injection in a name"),
    pytest.param("$rows $key ${value}", id="parameter-looking text"),
    pytest.param("C:\\Users\\\\new\\n", id="backslashes in text"),
    pytest.param("a" * 256, id="text at the 256 character attribute limit"),
    pytest.param("Zoë 🙂 مرحبا e\u0301", id="mixed scripts, emoji and combining marks"),
]


def _observation(
    identifiers: list[dict[str, str]], attributes: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "web",
        "observed_at": WHEN,
        "authenticated": True,
        "identifiers": identifiers,
    }
    if attributes:
        data["attributes"] = attributes
    data.update(extra)
    return data


def _ingest(service: IdentityService, *observations: dict[str, Any]) -> None:
    parsed = [service.parse(o) for o in observations]
    for p in parsed:
        assert p.refusals == ()
    service.ingest([p.observation for p in parsed])


BYSTANDERS = [
    _observation(
        [{"type": "email", "value": "ann@example.com"}, {"type": "cookie", "value": "ann-1"}],
        {"first_name": "Ann", "city": "Oslo"},
    ),
    _observation(
        [{"type": "email", "value": "bob@example.com"}, {"type": "phone", "value": "2125550100"}],
        {"first_name": "Bob"},
    ),
]


@pytest.fixture
def bystanders(service: IdentityService) -> dict[str, Any]:
    """Two ordinary people, stored first; what a hostile value must not touch."""
    _ingest(service, *BYSTANDERS)
    return {
        "ann": service.lookup("email", "ann@example.com").to_dict(),
        "bob": service.lookup("email", "bob@example.com").to_dict(),
        "counts": service.counts(),
    }


def _assert_untouched(service: IdentityService, before: dict[str, Any]) -> None:
    assert service.lookup("email", "ann@example.com").to_dict() == before["ann"]
    assert service.lookup("email", "bob@example.com").to_dict() == before["bob"]


def _grown(before: dict[str, int], **growth: int) -> dict[str, int]:
    return {name: count + growth.get(name, 0) for name, count in before.items()}


class TestIngestIdentifier:
    @pytest.mark.parametrize(("kind", "raw"), HOSTILE_IDENTIFIERS)
    def test_round_trips_exactly_and_damages_nothing(
        self, service: IdentityService, bystanders: dict[str, Any], kind: str, raw: str
    ) -> None:
        key = f"{kind}:{raw}"
        _ingest(service, _observation([{"type": kind, "value": raw}]))

        profile = service.lookup(kind, raw)
        assert profile.identifiers == [key]
        assert service.get_profile(profile.id).identifiers == [key]
        (stored,) = service.store.read(lambda tx: tx.identifiers_of([profile.id]))[profile.id]
        assert (stored.key, stored.type, stored.value) == (key, kind, raw)
        _assert_untouched(service, bystanders)
        assert service.counts() == _grown(bystanders["counts"], identifiers=1, profiles=1)

    @pytest.mark.parametrize(("kind", "raw"), HOSTILE_IDENTIFIERS)
    def test_joins_only_what_was_seen_with_it(
        self, service: IdentityService, bystanders: dict[str, Any], kind: str, raw: str
    ) -> None:
        key = f"{kind}:{raw}"
        _ingest(
            service,
            _observation([{"type": kind, "value": raw}, {"type": "cookie", "value": "mate"}]),
        )

        profile = service.lookup("cookie", "mate")
        assert profile.identifiers == sorted([key, "cookie:mate"])
        edges = service.store.read(lambda tx: tx.edges_of([key]))
        assert [(e.left, e.right) for e in edges] == [tuple(sorted([key, "cookie:mate"]))]
        assert service.lookup(kind, raw).id == profile.id
        _assert_untouched(service, bystanders)
        assert service.counts() == _grown(bystanders["counts"], identifiers=2, edges=1, profiles=1)

    @pytest.mark.parametrize(("kind", "raw"), HOSTILE_IDENTIFIERS)
    def test_again_changes_only_counters(
        self, service: IdentityService, bystanders: dict[str, Any], kind: str, raw: str
    ) -> None:
        # A name of symbols alone is refused (nothing to compare): a letter before them.
        observation = _observation(
            [{"type": kind, "value": raw}], {"first_name": ("n" + raw)[:256]}
        )
        _ingest(service, observation)
        first = service.lookup(kind, raw).to_dict()
        counts = service.counts()

        _ingest(service, observation)

        assert service.lookup(kind, raw).to_dict() == first
        assert service.counts() == counts
        _assert_untouched(service, bystanders)

    def test_composed_and_decomposed_forms_stay_two_identifiers(
        self, service: IdentityService, bystanders: dict[str, Any]
    ) -> None:
        _ingest(
            service,
            _observation([{"type": "cookie", "value": "caf\u00e9"}]),
            _observation([{"type": "cookie", "value": "cafe\u0301"}]),
        )

        composed = service.lookup("cookie", "caf\u00e9")
        decomposed = service.lookup("cookie", "cafe\u0301")
        assert composed.identifiers == ["cookie:caf\u00e9"]
        assert decomposed.identifiers == ["cookie:cafe\u0301"]
        assert composed.id != decomposed.id
        _assert_untouched(service, bystanders)


class TestIngestAttributes:
    @pytest.mark.parametrize("text", HOSTILE_TEXT)
    def test_round_trip_exactly_and_damage_nothing(
        self, service: IdentityService, bystanders: dict[str, Any], text: str
    ) -> None:
        _ingest(
            service,
            _observation(
                [{"type": "cookie", "value": "victim"}],
                {"first_name": text, "address": text, "city": text},
            ),
        )

        document = service.lookup("cookie", "victim").to_dict()
        assert document["attributes"] == {"address": text, "city": text, "first_name": text}
        _assert_untouched(service, bystanders)
        assert service.counts() == _grown(bystanders["counts"], identifiers=1, profiles=1, facts=3)

    @pytest.mark.parametrize("text", HOSTILE_TEXT)
    def test_in_a_consent_proof_round_trip_exactly(
        self, service: IdentityService, bystanders: dict[str, Any], text: str
    ) -> None:
        proof = {"form": text, "document": {"version": text}}
        _ingest(
            service,
            _observation(
                [{"type": "cookie", "value": "victim"}],
                consent=[
                    {
                        "purpose": "email",
                        "status": "denied",
                        "subject": {"type": "cookie", "value": "victim"},
                        "proof": proof,
                    }
                ],
            ),
        )

        consent = service.lookup("cookie", "victim").to_dict()["consent"]["email"]
        assert consent["status"] == "denied"
        assert [s["proof"] for s in consent["statements"]] == [proof]
        _assert_untouched(service, bystanders)
        assert service.counts() == _grown(
            bystanders["counts"], identifiers=1, profiles=1, consent=1
        )

    def test_nul_inside_a_value_is_refused_by_the_parser(
        self, service: IdentityService, bystanders: dict[str, Any]
    ) -> None:
        parsed = service.parse(
            _observation(
                [{"type": "cookie", "value": "victim"}],
                {"first_name": "Ann\x00'}) DETACH DELETE n //", "city": "Oslo"},
            )
        )
        assert [(r.field, r.rule) for r in parsed.refusals] == [
            ("attributes.first_name", "attributes.text")
        ]

        service.ingest([parsed.observation])

        assert service.lookup("cookie", "victim").to_dict()["attributes"] == {"city": "Oslo"}
        _assert_untouched(service, bystanders)
        assert service.counts() == _grown(bystanders["counts"], identifiers=1, profiles=1, facts=1)


class TestLookup:
    @pytest.mark.parametrize(("kind", "raw"), HOSTILE_IDENTIFIERS)
    def test_of_an_unknown_hostile_value_finds_nothing_and_changes_nothing(
        self, service: IdentityService, bystanders: dict[str, Any], kind: str, raw: str
    ) -> None:
        with pytest.raises(NotFound):
            service.lookup(kind, raw)

        _assert_untouched(service, bystanders)
        assert service.counts() == bystanders["counts"]

    def test_of_many_answers_each_hostile_value_separately(
        self, service: IdentityService, bystanders: dict[str, Any]
    ) -> None:
        values = ["o'brien", "'})DETACH/**/DELETE/**/n//", "$keys", "🙂"]
        _ingest(service, *(_observation([{"type": "cookie", "value": v}]) for v in values))
        asked = [Identifier("cookie", v) for v in [*values, "not-there"]]
        asked.append(Identifier("email", "ann@example.com"))

        found = service.lookup_many(asked)

        assert sorted(found) == sorted([*(f"cookie:{v}" for v in values), "email:ann@example.com"])
        for value in values:
            assert found[f"cookie:{value}"].identifiers == [f"cookie:{value}"]
        assert found["email:ann@example.com"].to_dict() == bystanders["ann"]

    @pytest.mark.parametrize(
        "profile_id",
        [
            pytest.param("p-' OR 1=1 //", id="a quote in a profile ID"),
            pytest.param("$id", id="a parameter name as profile ID"),
            pytest.param("'}) DETACH DELETE n //", id="a Cypher injection as profile ID"),
            pytest.param("", id="an empty profile ID"),
        ],
    )
    def test_by_a_hostile_profile_id_finds_nothing(
        self, service: IdentityService, bystanders: dict[str, Any], profile_id: str
    ) -> None:
        with pytest.raises(NotFound):
            service.get_profile(profile_id)

        _assert_untouched(service, bystanders)
        assert service.counts() == bystanders["counts"]


class TestMeta:
    @pytest.mark.parametrize("text", HOSTILE_TEXT)
    def test_hostile_names_and_values_round_trip(self, store: GraphStore, text: str) -> None:
        store.write(lambda tx: tx.set_meta("plain", "kept"))

        store.write(lambda tx: tx.set_meta(text, text))

        assert store.read(lambda tx: tx.get_meta(text)) == text
        assert store.read(lambda tx: tx.get_meta("plain")) == "kept"


class TestChangeFeed:
    def test_a_merge_of_hostile_identifiers_is_recorded_exactly(
        self, service: IdentityService, bystanders: dict[str, Any]
    ) -> None:
        left = "'})DETACH/**/DELETE/**/n//"
        right = "$rows🙂"
        _ingest(
            service,
            _observation([{"type": "cookie", "value": left}]),
            _observation([{"type": "cookie", "value": right}], observed_at=LATER),
        )
        before = {v: service.lookup("cookie", v).id for v in (left, right)}

        _ingest(
            service,
            _observation(
                [{"type": "cookie", "value": left}, {"type": "cookie", "value": right}],
                observed_at=LATER,
            ),
        )

        merged = service.lookup("cookie", right)
        assert merged.id == before[left]
        assert merged.identifiers == sorted([f"cookie:{left}", f"cookie:{right}"])
        assert service.get_profile(before[right]).id == merged.id
        (change,) = service.changes()
        assert (change.kind, change.profile_id) == ("merge", merged.id)
        assert json.loads(change.detail) == {"survivor": merged.id, "absorbed": [before[right]]}
        _assert_untouched(service, bystanders)


class TestFailedWrite:
    def test_with_hostile_values_leaves_nothing_behind(
        self, service: IdentityService, bystanders: dict[str, Any]
    ) -> None:
        observation = service.parse(
            _observation([{"type": "cookie", "value": "'})DETACH/**/DELETE/**/n//"}])
        ).observation

        class Stop(Exception):
            pass

        def failing(tx: GraphTransaction) -> None:
            service.resolver.ingest(tx, [observation])
            raise Stop

        with pytest.raises(Stop):
            service.store.write(failing)

        with pytest.raises(NotFound):
            service.lookup("cookie", "'})DETACH/**/DELETE/**/n//")
        _assert_untouched(service, bystanders)
        assert service.counts() == bystanders["counts"]
