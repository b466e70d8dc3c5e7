"""``identity.documents.DocumentWriter`` on every store, given a ``Resolution`` made by
hand over profiles an ingest stored: it rewrites exactly the changed profiles, a grown
document equals one rebuilt from every fact, and merges and splits become lineage entries
and change-feed events."""

from __future__ import annotations

import json
from collections.abc import Sequence

from resolution_helpers import Ident, key, observe, pid

from graph.records import ProfileRow
from graph.store import GraphTransaction
from identity.cluster import Resolution
from identity.documents import DocumentWriter
from identity.service import IdentityService
from identity.staging import Growth

A: Ident = ("email", "a@example.com")
B: Ident = ("phone", "(212) 555-0100")
C: Ident = ("cookie", "ck-c")
D: Ident = ("cookie", "ck-d")


def write(
    service: IdentityService,
    pieces: Sequence[Sequence[Ident]],
    ids: list[str],
    changed: set[str],
    merged: dict[str, list[str]] | None = None,
    split: dict[str, list[str]] | None = None,
    rebuild_all: bool = False,
) -> None:
    """Write the documents of a resolution of the pieces' cluster (read as the resolver
    reads it) into the given IDs."""
    keyed = [sorted(key(service, i) for i in piece) for piece in pieces]
    writer = DocumentWriter(service.resolver.survivorship, service.settings.purposes)

    def work(tx: GraphTransaction) -> None:
        cluster = service.resolver.gather(tx, [k for piece in keyed for k in piece])
        resolution = Resolution(
            cluster=cluster,
            pieces=keyed,
            ids=ids,
            owner={k: pid for piece, pid in zip(keyed, ids, strict=True) for k in piece},
            changed=changed,
            merged=merged or {},
            absorbed={old: new for new, olds in (merged or {}).items() for old in olds},
            split=split or {},
            created=[],
        )
        writer.write(tx, resolution, Growth(), rebuild_all)

    service.store.write(work)


def document(service: IdentityService, profile_id: str) -> ProfileRow:
    row = service.store.read(lambda tx: tx.get_profiles([profile_id])).get(profile_id)
    assert row is not None
    return row


class TestWrite:
    def test_a_resolution_that_changed_nothing_writes_nothing(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, A, B, attributes={"first_name": "ann"})])
        before = document(service, pid(service, A))
        write(service, [[A, B]], [before.id], changed=set(), merged={before.id: ["p-gone"]})
        assert document(service, before.id) == before
        assert service.changes() == []

    def test_a_grown_document_equals_one_rebuilt_from_every_fact(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, A, attributes={"first_name": "ann"}, day=1)])
        service.ingest(
            [observe(service, A, B, attributes={"first_name": "anne", "city": "x"}, day=3)]
        )
        grown = document(service, pid(service, A))
        write(service, [[A, B]], [grown.id], changed={grown.id}, rebuild_all=True)
        assert document(service, grown.id) == grown

    def test_a_merge_is_a_lineage_entry_and_a_change_event_of_the_survivor(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, A, B, attributes={"first_name": "ann"}, day=2)])
        service.ingest([observe(service, C, D, attributes={"last_name": "lee"}, day=5)])
        older, younger = pid(service, A), pid(service, C)
        write(service, [[A, B, C, D]], [older], changed={older}, merged={older: [younger]})
        survivor = document(service, older)
        assert json.loads(survivor.identifiers) == sorted(key(service, i) for i in (A, B, C, D))
        attributes = json.loads(survivor.attributes)
        assert {name: attributes[name]["value"] for name in attributes} == {
            "first_name": "ann",
            "last_name": "lee",
        }
        [event] = json.loads(survivor.lineage)
        assert (event["event"], event["absorbed"]) == ("merge", [younger])
        [change] = service.changes()
        assert (change.kind, change.profile_id) == ("merge", older)
        assert json.loads(change.detail) == {"survivor": older, "absorbed": [younger]}

    def test_a_piece_split_off_names_the_profile_it_came_from(
        self, service: IdentityService
    ) -> None:
        service.ingest([observe(service, A, B, attributes={"first_name": "ann"})])
        old = pid(service, A)
        write(service, [[B], [A]], ["p-new", old], changed={old, "p-new"}, split={old: ["p-new"]})
        assert json.loads(document(service, old).identifiers) == [key(service, A)]
        [event] = json.loads(document(service, old).lineage)
        assert (event["event"], event["into"]) == ("split", ["p-new"])
        [born] = json.loads(document(service, "p-new").lineage)
        assert (born["event"], born["profile"]) == ("split_from", old)
        [change] = service.changes()
        assert (change.kind, change.profile_id) == ("split", old)
