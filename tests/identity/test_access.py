"""API keys on every store: a key read once is trusted for ``cache_seconds``, so a key
revoked by another process (the CLI, another server worker) stops working in time."""

from __future__ import annotations

import pytest

from graph.store import GraphStore
from identity.access import ApiKeys, Role


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestIdentify:
    def test_a_new_key_has_its_role_and_a_wrong_key_none(self, store: GraphStore) -> None:
        keys = ApiKeys(store)
        key = keys.create("steward", "ann")
        info = keys.identify(key)
        assert info is not None and info.role is Role.STEWARD and info.label == "ann"
        assert keys.identify(key + "x") is None

    @pytest.mark.parametrize(
        ("elapsed", "still_valid"),
        [
            pytest.param(4.9, True, id="within the cache time the revocation is not seen yet"),
            pytest.param(5.0, False, id="after the cache time the revocation holds"),
        ],
    )
    def test_a_key_revoked_by_another_process_stops_working_after_the_cache_time(
        self, store: GraphStore, elapsed: float, still_valid: bool
    ) -> None:
        clock = Clock()
        server = ApiKeys(store, cache_seconds=5.0, clock=clock)
        cli = ApiKeys(store)
        key = server.create("reader")
        assert server.identify(key) is not None
        info = cli.identify(key)
        assert info is not None
        cli.revoke(info.digest)
        clock.now += elapsed
        assert (server.identify(key) is not None) is still_valid

    def test_a_key_revoked_in_this_process_stops_working_at_once(self, store: GraphStore) -> None:
        keys = ApiKeys(store, cache_seconds=3600.0)
        key = keys.create("reader")
        info = keys.identify(key)
        assert info is not None
        keys.revoke(info.digest)
        assert keys.identify(key) is None
