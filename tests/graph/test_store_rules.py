"""Every store agrees with ``graph.rules``: folding the rules over any sequence of writes
(repeats, status changes, weights, times) gives what the store answers.

Each example writes under keys of its own (a fresh namespace), so one store serves every
example of a test without a wipe in between.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from store_params import STORE_PARAMS

from graph.records import (
    ConsentRow,
    EdgeRow,
    EdgeStatusRow,
    FactRow,
    IdentifierRow,
    PersonRecordRow,
    StoredIdentifier,
)
from graph.rules import (
    EdgeStatus,
    erasure,
    flatten_aliases,
    merge_edge,
    merge_identifier_sightings,
)
from graph.store import GraphStore, GraphTransaction

Slot: TypeAlias = tuple[str, str, str, str]

KINDS = ("cookie", "email", "phone", "device")
TIMES = tuple(f"2026-01-0{d}T00:00:00Z" for d in range(1, 8))
SLOTS = [
    (left, right, matcher, rule)
    for left, right in itertools.combinations(range(len(KINDS)), 2)
    for matcher, rule in (("co_occurrence", "authenticated"), ("fuzzy", "fellegi_sunter"))
]
STATUSES = st.sampled_from([*EdgeStatus, "weak", "joined"])
"""The enum's members and the plain strings a store reads back."""

# A Neo4j example costs a round trip per write: fewer of them keep the suite inside its
# budget; the embedded store explores more sequences.
EXAMPLES = {"embedded": 60, "neo4j": 12}

_namespaces = itertools.count()


def on_every_store(check: Callable[[GraphStore, Any], None], cases: SearchStrategy[Any]) -> Any:
    """Two tests that run ``check`` on generated ``cases``: one per store, each with its
    own number of examples. Use as ``test_on_the_embedded_store, test_on_neo4j = ...``."""

    def on(store: Any) -> Any:
        @pytest.mark.parametrize("store_name", [store], indirect=True)
        @settings(
            max_examples=EXAMPLES[store.values[0]],
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(case=cases)
        def test(self: object, store_name: str, request: pytest.FixtureRequest, case: Any) -> None:
            store: GraphStore = request.getfixturevalue("store")
            assert store.name == store_name
            check(store, case)

        return test

    return on(STORE_PARAMS[0]), on(STORE_PARAMS[1])


def keys_of(namespace: int) -> list[str]:
    """The identifier keys of one example, in sorted order (edges go from lower to higher)."""
    return sorted(f"{kind}:n{namespace}-{kind}" for kind in KINDS)


def identifier(key: str, first: str, last: str, count: int) -> IdentifierRow:
    kind, _, value = key.partition(":")
    return IdentifierRow(key, kind, value, min(first, last), max(first, last), count)


def edge(keys: Sequence[str], slot: tuple[int, int, str, str], values: dict[str, Any]) -> EdgeRow:
    left, right, matcher, rule = slot
    first, last = sorted((values["first"], values["last"]))
    return EdgeRow(
        keys[left],
        keys[right],
        matcher,
        rule,
        values["weight"],
        values["status"],
        values["source"],
        values["evidence"],
        first,
        last,
        values["count"],
        values["reason"],
    )


identifier_writes = st.lists(
    st.tuples(
        st.integers(0, len(KINDS) - 1),
        st.sampled_from(TIMES),
        st.sampled_from(TIMES),
        st.integers(1, 4),
    ),
    min_size=1,
    max_size=4,
)
edge_values = st.fixed_dictionaries(
    {
        "weight": st.floats(0.0, 1.0, allow_nan=False),
        "status": STATUSES,
        "source": st.sampled_from(["crm", "web"]),
        "evidence": st.sampled_from(['{"n":1}', '{"n":2}']),
        "first": st.sampled_from(TIMES),
        "last": st.sampled_from(TIMES),
        "count": st.integers(1, 4),
        "reason": st.sampled_from(["", "limit: email", "review band: p=0.7"]),
    }
)
edge_writes = st.lists(st.tuples(st.sampled_from(SLOTS), edge_values), min_size=1, max_size=4)
status_writes = st.lists(
    st.tuples(st.sampled_from(SLOTS), STATUSES, st.sampled_from(["", "by steward"])),
    min_size=1,
    max_size=3,
)
upsert_steps = st.lists(
    st.one_of(
        st.tuples(st.just("identifiers"), identifier_writes),
        st.tuples(st.just("edges"), edge_writes),
        st.tuples(st.just("statuses"), status_writes),
    ),
    min_size=1,
    max_size=6,
)


def upserts_agree(store: GraphStore, steps: list[tuple[str, list[Any]]]) -> None:
    keys = keys_of(next(_namespaces))
    identifiers: dict[str, IdentifierRow] = {}
    edges: dict[Slot, EdgeRow] = {}
    for kind, writes in steps:
        if kind == "identifiers":
            rows = [identifier(keys[i], first, last, n) for i, first, last, n in writes]
            for row in rows:
                seen = identifiers.get(row.key)
                identifiers[row.key] = (
                    row if seen is None else merge_identifier_sightings(seen, row)
                )
            store.write(lambda tx, rows=rows: tx.upsert_identifiers(rows))
        elif kind == "edges":
            edge_rows = [edge(keys, slot, values) for slot, values in writes]
            for e in edge_rows:
                stored = edges.get(e.slot)
                edges[e.slot] = e if stored is None else merge_edge(stored, e)
            store.write(lambda tx, rows=edge_rows: tx.upsert_edges(rows))
        else:
            changes = [
                EdgeStatusRow(keys[left], keys[right], matcher, rule, status, reason)
                for (left, right, matcher, rule), status, reason in writes
            ]
            for change in changes:
                slot = change[:4]
                if slot in edges:
                    edges[slot] = edges[slot]._replace(status=change.status, reason=change.reason)
            store.write(lambda tx, rows=changes: tx.set_edge_status(rows))

    def answers(tx: GraphTransaction) -> tuple[dict[str, StoredIdentifier], list[EdgeRow]]:
        return tx.get_identifiers(keys), tx.edges_of(keys)

    assert store.read(answers) == (
        {
            key: StoredIdentifier(key, row.type, row.value, None, *row[3:])
            for key, row in identifiers.items()
        },
        [edges[slot] for slot in sorted(edges)],
    )


class TestUpsertsFollowTheRules:
    """``upsert_identifiers`` folds ``merge_identifier_sightings``, ``upsert_edges`` folds
    ``merge_edge``, and ``set_edge_status`` replaces status and reason of a stored edge."""

    test_on_the_embedded_store, test_on_neo4j = on_every_store(upserts_agree, upsert_steps)


alias_calls = st.lists(
    st.dictionaries(st.integers(0, 5), st.integers(0, 5), min_size=1, max_size=3),
    min_size=1,
    max_size=5,
)


def aliases_agree(store: GraphStore, calls: list[dict[int, int]]) -> None:
    namespace = next(_namespaces)
    ids = [f"p-n{namespace}-{i}" for i in range(6)]
    table: dict[str, str] = {}
    for call in calls:
        added = {ids[alias]: ids[target] for alias, target in call.items()}
        try:
            written = flatten_aliases(table, added)
        except ValueError:
            with pytest.raises(ValueError, match="its own alias"):
                store.write(lambda tx, added=added: tx.add_aliases(added))
        else:
            table.update(written)
            store.write(lambda tx, added=added: tx.add_aliases(added))
        assert store.read(lambda tx: tx.resolve_aliases(ids)) == table
    assert all(target not in table for target in table.values()), "one step"


class TestAddAliasesFollowsTheRule:
    """``add_aliases`` writes what ``flatten_aliases`` says, call after call."""

    test_on_the_embedded_store, test_on_neo4j = on_every_store(aliases_agree, alias_calls)


indexes = st.sets(st.integers(0, len(KINDS) - 1))
erasure_worlds = st.fixed_dictionaries(
    {
        "identifiers": indexes,
        "edges": st.sets(st.sampled_from(SLOTS), max_size=4),
        "facts": st.sets(
            st.tuples(
                st.sampled_from(["o1", "o2"]),
                st.integers(0, len(KINDS) - 1),
                st.sampled_from(["city", "first_name"]),
            ),
            max_size=5,
        ),
        "consent": st.lists(st.integers(0, len(KINDS) - 1), max_size=3),
        "records": st.lists(
            st.tuples(st.integers(0, len(KINDS) - 1), st.sets(st.sampled_from(["b:1", "b:2"]))),
            max_size=4,
        ),
        "erased": indexes,
    }
)


def erasure_agrees(store: GraphStore, world: dict[str, Any]) -> None:
    namespace = next(_namespaces)
    keys = keys_of(namespace)
    identifiers = [identifier(keys[i], TIMES[0], TIMES[1], 1) for i in sorted(world["identifiers"])]
    values = {
        "weight": 1.0,
        "status": EdgeStatus.JOINED,
        "source": "crm",
        "evidence": "{}",
        "first": TIMES[0],
        "last": TIMES[0],
        "count": 1,
        "reason": "",
    }
    edges = [edge(keys, slot, values) for slot in sorted(world["edges"])]
    facts = [
        FactRow(obs, keys[i], name, "x", "crm", TIMES[0]) for obs, i, name in sorted(world["facts"])
    ]
    consent = [
        ConsentRow(f"s-n{namespace}-{n}", keys[i], "email", "granted", TIMES[0], "crm", "{}")
        for n, i in enumerate(world["consent"])
    ]
    records = [
        PersonRecordRow(f"r-n{namespace}-{n}", keys[i], "{}")
        for n, (i, _) in enumerate(world["records"])
    ]
    blocks = {
        record.id: [f"{b}-n{namespace}" for b in sorted(filed)]
        for record, (_, filed) in zip(records, world["records"], strict=True)
    }
    erased = [keys[i] for i in sorted(world["erased"])]

    def fill(tx: GraphTransaction) -> None:
        tx.upsert_identifiers(identifiers)
        tx.upsert_edges(edges)
        tx.add_facts(facts)
        tx.add_consent(consent)
        tx.add_person_records(records, blocks)

    store.write(fill)
    removed = erasure(erased, [i.key for i in identifiers], edges, facts, consent, records)
    assert store.write(lambda tx: tx.erase_identifiers(erased)) == removed.counts()

    block_keys = sorted({b for filed in blocks.values() for b in filed})
    kept_records = [r for r in records if r.id not in removed.person_records]
    members: dict[str, list[str]] = {}
    for record in kept_records:
        for block in blocks[record.id]:
            members.setdefault(block, []).append(record.id)

    def answers(tx: GraphTransaction) -> tuple[object, ...]:
        return (
            sorted(tx.get_identifiers(keys)),
            tx.edges_of(keys),
            sorted(tx.facts_of(keys)),
            sorted(tx.consent_of(keys)),
            tx.person_records([r.id for r in records]),
            tx.block_members(block_keys),
        )

    assert store.read(answers) == (
        sorted(i.key for i in identifiers if i.key not in removed.identifiers),
        [e for e in edges if e.slot not in removed.edges],
        sorted(
            f for f in facts if (f.observation_id, f.identifier_key, f.name) not in removed.facts
        ),
        sorted(c for c in consent if c.statement_id not in removed.consent),
        {r.id: r for r in kept_records},
        members,
    )


class TestEraseIdentifiersFollowsTheRule:
    """``erase_identifiers`` removes what ``erasure`` computes from the rows, and answers
    its counts."""

    test_on_the_embedded_store, test_on_neo4j = on_every_store(erasure_agrees, erasure_worlds)
