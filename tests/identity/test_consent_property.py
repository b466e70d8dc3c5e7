"""Property, on every store: for any sequence of observations, manual merges, splits,
erasures and privacy officers' statements, an identifier whose own latest statement for
a purpose is *denied* is never reported *granted* for it, neither on its own nor through
its profile.

An identifier's own statements, as the sequence says them: those naming it as subject,
and those without a subject made by an observation holding it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from resolution_helpers import assert_check_passes, fresh_service
from store_params import STORE_PARAMS

from identity.errors import IdgraphError
from identity.privacy import ConsentInput
from identity.service import IdentityService

POOL = [
    ("email", "ann@example.com"),
    ("email", "bob@example.com"),
    ("phone", "(212) 555-0100"),
    ("cookie", "ck-shared-1"),
    ("customer_id", "crm/7"),
]
STATUSES = ("granted", "denied")
_RANK = {"granted": 1, "denied": 2}

observations = st.tuples(
    st.just("observe"),
    st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=3, unique=True),
    st.booleans(),
    st.integers(1, 9),
    st.none() | st.tuples(st.sampled_from(STATUSES), st.none() | st.integers(0, 2)),
)
steward_actions = st.tuples(
    st.sampled_from(["merge", "split", "erase"]),
    st.integers(0, len(POOL) - 1),
    st.integers(0, len(POOL) - 1),
)
officer_statements = st.tuples(
    st.sampled_from(["officer_profile", "officer_subject"]),
    st.integers(0, len(POOL) - 1),
    st.sampled_from(STATUSES),
    st.integers(1, 9),
)
sequences = st.lists(
    st.one_of(observations, observations, steward_actions, officer_statements),
    min_size=1,
    max_size=10,
)


@dataclass
class OwnStatements:
    """The latest own statement of each identifier, as the sequence said it."""

    latest: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)

    def said(self, key: str, at: str, status: str) -> None:
        if key in self.erased:
            return
        mark = (at, _RANK[status], status)
        if key not in self.latest or mark > self.latest[key]:
            self.latest[key] = mark

    def denied(self) -> list[str]:
        return sorted(k for k, (_, _, status) in self.latest.items() if status == "denied")


def day(n: int) -> str:
    return f"2026-01-{n:02d}T12:00:00Z"


def run(service: IdentityService, step: tuple[Any, ...], own: OwnStatements) -> None:
    keys = [service.normalize(*ident).key for ident in POOL]
    kind = step[0]
    if kind == "observe":
        _, chosen, authenticated, when, claim = step
        data: dict[str, Any] = {
            "source": "crm",
            "observed_at": day(when),
            "authenticated": authenticated,
            "identifiers": [{"type": POOL[i][0], "value": POOL[i][1]} for i in chosen],
        }
        if claim is not None:
            status, subject = claim
            statement: dict[str, Any] = {"purpose": "email", "status": status}
            if subject is not None and subject < len(chosen):
                target = POOL[chosen[subject]]
                statement["subject"] = {"type": target[0], "value": target[1]}
                own.said(keys[chosen[subject]], day(when), status)
            else:
                for i in chosen:
                    own.said(keys[i], day(when), status)
            data["consent"] = [statement]
        service.ingest([service.parse(data).observation])
        return
    try:
        if kind == "officer_subject":
            _, i, status, when = step
            statement_in = ConsentInput("email", status, day(when), "dpo", keys[i])
            service.privacy.record_consent([statement_in], "dpo-1")
            own.said(keys[i], day(when), status)
        elif kind == "officer_profile":
            _, i, status, when = step
            profile = service.lookup(*POOL[i]).id
            statement_in = ConsentInput("email", status, day(when), "dpo", profile_id=profile)
            service.privacy.record_consent([statement_in], "dpo-1")
        elif kind == "merge":
            _, i, j = step
            first, second = service.lookup(*POOL[i]).id, service.lookup(*POOL[j]).id
            if first != second:
                service.stewardship.merge_profiles(first, second, "s-1")
        elif kind == "split":
            _, i, _ = step
            profile = service.lookup(*POOL[i])
            if len(profile.identifiers) > 1:
                service.stewardship.split_profile(profile.id, [keys[i]], "s-1")
        elif kind == "erase":
            _, i, _ = step
            service.privacy.erase_identifiers([keys[i]], "dpo-1")
            own.erased.add(keys[i])
            own.latest.pop(keys[i], None)
    except IdgraphError:
        pass  # not stored (yet), or a steward action the state refuses: nothing happened


def assert_no_opt_out_turned_into_a_permission(
    service: IdentityService, own: OwnStatements
) -> None:
    by_key = {service.normalize(*ident).key: ident for ident in POOL}
    for key in own.denied():
        answer = service.consent_of(*by_key[key])
        assert answer["identifier_consent"]["email"]["status"] == "denied", key
        assert answer["profile_consent"]["email"]["status"] == "denied", key


def check_sequence(
    store_name: str, request: pytest.FixtureRequest, steps: list[tuple[Any, ...]]
) -> None:
    neo4j = request.getfixturevalue("neo4j_settings") if store_name == "neo4j" else None
    with fresh_service(store_name, neo4j) as service:
        own = OwnStatements()
        for step in steps:
            run(service, step, own)
            assert_no_opt_out_turned_into_a_permission(service, own)
        assert_check_passes(service)


@pytest.mark.slow
@pytest.mark.parametrize("store_name", [STORE_PARAMS[0]])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=sequences)
def test_an_own_opt_out_is_never_reported_as_a_permission(
    store_name: str, request: pytest.FixtureRequest, steps: list[tuple[Any, ...]]
) -> None:
    check_sequence(store_name, request, steps)


@pytest.mark.parametrize("store_name", [STORE_PARAMS[1]])
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=sequences)
def test_an_own_opt_out_is_never_reported_as_a_permission_on_neo4j(
    store_name: str, request: pytest.FixtureRequest, steps: list[tuple[Any, ...]]
) -> None:
    check_sequence(store_name, request, steps)
