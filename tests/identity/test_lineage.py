"""Stable IDs and lineage on every store: on a merge the older ID survives and the other
resolves as an alias; on a split the biggest piece keeps the ID (ties: the smallest key)
and the others get new IDs; every merge, split, erasure and steward action is a
change-feed event at a strictly increasing position, and the profile keeps its lineage."""

from __future__ import annotations

import json

from resolution_helpers import Ident, assert_check_passes, key, observe, pid

from identity.service import IdentityService

A: Ident = ("email", "a@example.com")
B: Ident = ("phone", "(212) 555-0100")
C: Ident = ("cookie", "ck-c")
D: Ident = ("cookie", "ck-d")
E: Ident = ("email", "e@example.com")


def lineage(service: IdentityService, profile_id: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = service.get_profile(profile_id).to_dict()["lineage"]
    return events


class TestMerge:
    def test_the_older_id_survives_and_the_younger_resolves_to_it(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, C, D, day=8)])
        service.ingest([observe(service, A, B, day=2)])
        younger, older = pid(service, C), pid(service, A)
        service.ingest([observe(service, B, C, day=9)])
        assert pid(service, D) == older
        assert service.get_profile(younger).id == older
        [event] = lineage(service, older)
        assert (event["event"], event["absorbed"]) == ("merge", [younger])
        [change] = service.changes()
        assert (change.kind, change.profile_id) == ("merge", older)
        assert json.loads(change.detail) == {"survivor": older, "absorbed": [younger]}
        assert_check_passes(service)


class TestSplit:
    def split_off(self, service: IdentityService, move: list[Ident]) -> tuple[str, str]:
        before = pid(service, A)
        service.stewardship.split_profile(before, [key(service, m) for m in move], "steward-1")
        return before, pid(service, move[0])

    def test_the_biggest_piece_keeps_the_id(self, service: IdentityService) -> None:
        # A's piece (A, B, C) is bigger than E's even though E's key is smaller than C's
        service.ingest([observe(service, A, B, C, E)])
        before, other = self.split_off(service, [E])
        assert pid(service, A) == before
        assert other != before
        [event] = lineage(service, before)
        assert (event["event"], event["into"]) == ("split", [other])
        [born] = lineage(service, other)
        assert (born["event"], born["profile"]) == ("split_from", before)
        assert_check_passes(service)

    def test_a_tie_goes_to_the_piece_with_the_smallest_key(self, service: IdentityService) -> None:
        service.ingest([observe(service, A, B, C, D)])
        # pieces {C, D} and {A, B}: "cookie:ck-c" sorts first, so C's piece keeps the ID
        before, other = self.split_off(service, [A, B])
        assert pid(service, C) == before
        assert other == pid(service, A) != before
        assert_check_passes(service)

    def test_the_same_split_gives_the_same_ids(self, service: IdentityService) -> None:
        service.ingest([observe(service, A, B, C, D)])
        self.split_off(service, [A, B])
        first = sorted((p.id, tuple(p.identifiers)) for p in service.iter_profiles())
        assert len(first) == 2
        assert all(p.startswith("p-") for p, _ in first)


class TestChangeFeed:
    def test_every_action_is_an_event_at_an_increasing_position(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, A, B, day=1)])
        service.ingest([observe(service, C, D, day=2)])
        service.ingest([observe(service, B, C, day=3)])  # merge
        profile = pid(service, A)
        service.stewardship.split_profile(profile, [key(service, D)], "steward-1")
        service.stewardship.merge_profiles(profile, pid(service, D), "steward-1")
        service.ingest([observe(service, E, day=4)])
        edge = next(
            e
            for e in service.store.read(lambda tx: tx.edge_page(None, 100))
            if e.status == "joined"
        )
        service.stewardship.reject_edge(edge.slot, "steward-1")
        service.privacy.erase_identifiers([key(service, E)], "officer-1")
        changes = service.changes(limit=1000)
        positions = [c.position for c in changes]
        assert positions == sorted(set(positions))
        kinds = [c.kind for c in changes]
        for kind in ("merge", "split", "manual_split", "manual_merge", "reject", "erase"):
            assert kind in kinds, kind
        assert kinds.index("merge") < kinds.index("manual_split") < kinds.index("manual_merge")
        assert kinds[-1] == "erase"
        assert service.changes(after=positions[2], limit=2) == changes[3:5]
        assert_check_passes(service)
