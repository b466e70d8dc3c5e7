"""Sequence neutrality on every store, property-tested: the same observations loaded in
any order and in any batch sizes give the same partition of identifiers into profiles and
identical exports (profile IDs and lineage aside: they record history by design, see
``identity.resolver``). The world has the traps guards exist for: a shared cookie over
the frequency cap, a household landline between two CRM numbers, a weak web link, people
joined only by their person attributes, consent and conflicting attribute values."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from resolution_helpers import assert_check_passes, export_without_ids, fresh_service, partition
from store_params import STORE_PARAMS

from identity.service import IdentityService

ANN = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-01-31", "city": "Boston"}


def _obs(day: int, source: str, auth: bool, *idents: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": source,
        "observed_at": f"2026-02-{day:02d}T08:00:00Z",
        "authenticated": auth,
        "identifiers": [{"type": t, "value": v} for t, _, v in (i.partition(":") for i in idents)],
        **extra,
    }


WORLD: list[dict[str, Any]] = [
    # Ann: CRM record, web login, app, a second cookie joined only by her attributes
    _obs(1, "crm", True, "customer_id:crm/A1", "email:ann@example.com", attributes=ANN),
    _obs(5, "web", True, "email:ann@example.com", "cookie:ck-ann", attributes={"city": "NYC"}),
    _obs(6, "app", True, "cookie:ck-ann", "device:6d1e2f3a-0000-4000-8000-000000000001"),
    _obs(7, "web", False, "cookie:ck-ann-2", attributes=ANN),
    _obs(
        8,
        "crm",
        True,
        "email:ann@example.com",
        consent=[
            {
                "purpose": "email",
                "status": "denied",
                "subject": {"type": "email", "value": "ann@example.com"},
            }
        ],
    ),
    # a household landline given by two CRM customers: joins one, held for the other
    _obs(2, "crm", True, "customer_id:crm/B1", "phone:(212) 555-0142", "email:bob@example.com"),
    _obs(3, "crm", True, "customer_id:crm/C1", "phone:(212) 555-0142", "email:cy@example.com"),
    # a library computer's cookie that five readers log in from: generic
    *(_obs(4, "web", True, "cookie:library-pc", f"email:reader{i}@example.com") for i in range(5)),
    _obs(9, "web", True, "cookie:library-pc", "email:bob@example.com"),
    # a weak web link that never merges
    _obs(10, "web", False, "email:cy@example.com", "cookie:ck-cy"),
    # two values of one attribute seen at the same time by two sources
    _obs(11, "shop", True, "email:bob@example.com", attributes={"city": "Queens"}),
    _obs(11, "crm", True, "customer_id:crm/B1", attributes={"city": "Bronx"}),
]


def load_in_batches(service: IdentityService, order: list[int], cuts: list[int]) -> None:
    observations = [service.parse(WORLD[i]).observation for i in order]
    bounds = [0, *sorted(set(cuts)), len(observations)]
    for start, end in itertools.pairwise(bounds):
        service.ingest(observations[start:end])


_expected: dict[str, tuple[list[list[str]], list[str]]] = {}

loads = st.tuples(
    st.permutations(range(len(WORLD))),
    st.lists(st.integers(min_value=1, max_value=len(WORLD) - 1), max_size=len(WORLD) - 1),
)


def check_one_load(
    store_name: str, request: pytest.FixtureRequest, load: tuple[list[int], list[int]]
) -> None:
    # ``request`` only fetches the session-wide Neo4j settings; every example gets a store
    # of its own from ``fresh_service``.
    neo4j = request.getfixturevalue("neo4j_settings") if store_name == "neo4j" else None
    if store_name not in _expected:
        with fresh_service(store_name, neo4j) as service:
            load_in_batches(service, list(range(len(WORLD))), [])
            assert_check_passes(service)
            _expected[store_name] = (partition(service), export_without_ids(service))
    order, cuts = load
    with fresh_service(store_name, neo4j) as service:
        load_in_batches(service, order, cuts)
        assert (partition(service), export_without_ids(service)) == _expected[store_name]
        assert_check_passes(service)


# A Neo4j example costs a wipe and a few dozen round trips: fewer of them keep the suite
# inside its budget; the embedded store explores more orders.
EXAMPLES = {"embedded": 40, "neo4j": 4}


@pytest.mark.slow
@pytest.mark.parametrize("store_name", [STORE_PARAMS[0]])
@settings(
    max_examples=EXAMPLES["embedded"],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(load=loads)
def test_any_order_and_batching_gives_the_same_profiles(
    store_name: str, request: pytest.FixtureRequest, load: tuple[list[int], list[int]]
) -> None:
    check_one_load(store_name, request, load)


@pytest.mark.parametrize("store_name", [STORE_PARAMS[1]])
@settings(
    max_examples=EXAMPLES["neo4j"],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(load=loads)
def test_any_order_and_batching_gives_the_same_profiles_on_neo4j(
    store_name: str, request: pytest.FixtureRequest, load: tuple[list[int], list[int]]
) -> None:
    check_one_load(store_name, request, load)


def test_the_world_has_the_traps_it_is_meant_to_have(embedded_service: IdentityService) -> None:
    service = embedded_service
    load_in_batches(service, list(range(len(WORLD))), [])
    profiles = {tuple(p) for p in partition(service)}
    assert ("cookie:library-pc",) in profiles
    ann = next(p for p in profiles if "email:ann@example.com" in p)
    assert "cookie:ck-ann-2" in ann, "joined by attributes alone"
    assert not any("customer_id:crm/B1" in p and "customer_id:crm/C1" in p for p in profiles)
    assert ("cookie:ck-cy",) in profiles
    assert len(profiles) == 10
