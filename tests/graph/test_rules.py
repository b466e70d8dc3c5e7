"""The store rules as pure functions (``graph.rules``); that every store follows them is
``test_store_rules.py``."""

from __future__ import annotations

import pytest

from graph.records import ConsentRow, EdgeRow, EdgeStatusRow, FactRow, IdentifierRow
from graph.records import PersonRecordRow as Record
from graph.rules import (
    EdgeStatus,
    erasure,
    flatten_aliases,
    merge_batch_edge,
    merge_edge,
    merge_identifier_sightings,
    restatus_of_stronger_sighting,
)

DAY1, DAY2, DAY3, DAY4 = (f"2026-01-0{d}T00:00:00Z" for d in range(1, 5))
A, B, C = "cookie:a1", "email:b@example.com", "phone:+12125550100"


def edge(
    status: str,
    weight: float = 0.5,
    reason: str = "",
    *,
    source: str = "crm",
    first: str = DAY2,
    last: str = DAY2,
    count: int = 1,
) -> EdgeRow:
    return EdgeRow(A, B, "fuzzy", "fs", weight, status, source, "{}", first, last, count, reason)


class TestEdgeStatus:
    def test_the_statuses_stores_keep(self) -> None:
        assert [str(s) for s in EdgeStatus] == ["weak", "joined", "held", "approved", "rejected"]

    def test_a_status_read_back_as_text_is_equal_to_its_member(self) -> None:
        assert EdgeStatus.HELD == "held"
        assert "joined" in frozenset({EdgeStatus.JOINED})


class TestMergeIdentifierSightings:
    def test_times_widen_and_sightings_add_up(self) -> None:
        seen = IdentifierRow(A, "cookie", "a1", DAY2, DAY3, 2)
        row = IdentifierRow(A, "cookie", "a1", DAY1, DAY2, 3)
        assert merge_identifier_sightings(seen, row) == IdentifierRow(
            A, "cookie", "a1", DAY1, DAY3, 5
        )


class TestMergeEdge:
    def test_weight_is_the_larger_times_widen_sightings_add_up_source_is_the_new(
        self,
    ) -> None:
        stored = edge("joined", 0.9, first=DAY2, last=DAY3, count=2)
        row = edge("joined", 0.4, source="web", first=DAY1, last=DAY2, count=3)
        assert merge_edge(stored, row) == edge(
            "joined", 0.9, source="web", first=DAY1, last=DAY3, count=5
        )

    @pytest.mark.parametrize(
        ("stored", "row", "status"),
        [
            pytest.param(edge("weak"), edge("held", reason="r"), ("held", "r"), id="weak yields"),
            pytest.param(edge("joined"), edge("weak"), ("joined", ""), id="joined stays"),
            pytest.param(
                edge("held", reason="limit"),
                edge("joined"),
                ("held", "limit"),
                id="held stays, with its reason",
            ),
            pytest.param(
                edge("approved", reason="by steward"),
                edge("weak"),
                ("approved", "by steward"),
                id="a steward's approval stays",
            ),
            pytest.param(edge("rejected"), edge("joined"), ("rejected", ""), id="rejected stays"),
        ],
    )
    def test_the_status_changes_only_from_weak(
        self, stored: EdgeRow, row: EdgeRow, status: tuple[str, str]
    ) -> None:
        merged = merge_edge(stored, row)
        assert (merged.status, merged.reason) == status


class TestMergeBatchEdge:
    @pytest.mark.parametrize(
        ("seen", "row", "status"),
        [
            pytest.param(edge("weak"), edge("joined"), ("joined", ""), id="weak then joined"),
            pytest.param(edge("joined"), edge("weak"), ("joined", ""), id="joined then weak"),
            pytest.param(
                edge("held", reason="p=0.6"),
                edge("joined"),
                ("joined", ""),
                id="held then joined: joined, where the upsert keeps held",
            ),
            pytest.param(
                edge("held", reason="p=0.6"),
                edge("held", reason="p=0.7"),
                ("held", "p=0.7"),
                id="held then held: the later reason, where the upsert keeps the first",
            ),
        ],
    )
    def test_joined_if_either_is_else_the_later_status(
        self, seen: EdgeRow, row: EdgeRow, status: tuple[str, str]
    ) -> None:
        merged = merge_batch_edge(seen, row)
        assert (merged.status, merged.reason) == status
        assert merged._replace(status="", reason="") == merge_edge(seen, row)._replace(
            status="", reason=""
        )

    @pytest.mark.parametrize(
        ("seen", "row"),
        [
            pytest.param(edge("weak"), edge("held", reason="r"), id="from weak"),
            pytest.param(edge("joined"), edge("held", reason="r"), id="from joined"),
        ],
    )
    def test_agrees_with_the_upsert_when_the_first_is_weak_or_joined(
        self, seen: EdgeRow, row: EdgeRow
    ) -> None:
        assert merge_batch_edge(seen, row) == merge_edge(seen, row)


class TestRestatusOfStrongerSighting:
    @pytest.mark.parametrize(
        ("stored", "restatus"),
        [
            pytest.param(edge("joined"), ("held", "p=0.7"), id="a joined edge is decided anew"),
            pytest.param(edge("held"), ("held", "p=0.7"), id="a held edge is decided anew"),
            pytest.param(edge("weak"), None, id="a weak edge yields in the upsert anyway"),
            pytest.param(edge("approved"), None, id="an approval stays"),
            pytest.param(edge("rejected"), None, id="a rejection stays"),
        ],
    )
    def test_decides(self, stored: EdgeRow, restatus: tuple[str, str] | None) -> None:
        stronger = edge("held", 0.7, "p=0.7")
        expected = None if restatus is None else EdgeStatusRow(*stored.slot, *restatus)
        assert restatus_of_stronger_sighting(stored, stronger) == expected


class TestFlattenAliases:
    @pytest.mark.parametrize(
        ("stored", "added", "written"),
        [
            pytest.param({}, {"p-2": "p-1"}, {"p-2": "p-1"}, id="a new alias"),
            pytest.param(
                {"p-3": "p-2", "p-9": "p-8"},
                {"p-2": "p-1"},
                {"p-3": "p-1", "p-2": "p-1"},
                id="aliases of the new alias are re-pointed",
            ),
            pytest.param(
                {"p-2": "p-1"},
                {"p-3": "p-2"},
                {"p-3": "p-1"},
                id="a target that is an alias stands for its target",
            ),
            pytest.param(
                {},
                {"p-3": "p-2", "p-2": "p-1"},
                {"p-3": "p-1", "p-2": "p-1"},
                id="a chain in one call, shortest alias first",
            ),
            pytest.param(
                {},
                {"p-2": "p-1", "p-3": "p-2"},
                {"p-2": "p-1", "p-3": "p-1"},
                id="a chain in one call, longest alias first",
            ),
        ],
    )
    def test_writes(
        self, stored: dict[str, str], added: dict[str, str], written: dict[str, str]
    ) -> None:
        assert flatten_aliases(stored, added) == written

    @pytest.mark.parametrize(
        ("stored", "added"),
        [
            pytest.param({}, {"p-1": "p-1"}, id="an alias of itself"),
            pytest.param({"p-2": "p-1"}, {"p-1": "p-2"}, id="a profile into its own alias"),
        ],
    )
    def test_refuses_a_cycle(self, stored: dict[str, str], added: dict[str, str]) -> None:
        with pytest.raises(ValueError, match=r"'p-1' .* its own alias"):
            flatten_aliases(stored, added)


class TestErasure:
    def test_removes_what_is_anchored_at_the_keys_and_nothing_else(self) -> None:
        edges = [
            EdgeRow(A, B, "m", "r", 1.0, "joined", "crm", "{}", DAY1, DAY1),
            EdgeRow(B, C, "m", "r", 1.0, "joined", "crm", "{}", DAY1, DAY1),
        ]
        facts = [
            FactRow("o1", A, "city", "Bern", "crm", DAY1),
            FactRow("o1", A, "name", "Ann", "crm", DAY1),
            FactRow("o1", B, "city", "Bern", "crm", DAY1),
        ]
        consent = [
            ConsentRow("s1", A, "email", "granted", DAY1, "crm", "{}"),
            ConsentRow("s2", C, "email", "granted", DAY1, "crm", "{}"),
        ]
        records = [Record("r1", A, "{}"), Record("r2", B, "{}")]
        removed = erasure([A, "email:never@x.com"], [A, B, C], edges, facts, consent, records)
        assert removed.identifiers == {A}
        assert removed.edges == {(A, B, "m", "r")}
        assert removed.facts == {("o1", A, "city"), ("o1", A, "name")}
        assert removed.consent == {"s1"}
        assert removed.person_records == {"r1"}
        assert removed.counts() == {"identifiers": 1, "edges": 1, "facts": 2, "consent": 1}

    def test_an_edge_goes_with_an_erased_end_that_was_never_stored(self) -> None:
        edges = [EdgeRow(A, B, "m", "r", 1.0, "joined", "crm", "{}", DAY1, DAY1)]
        removed = erasure([B], [A], edges, [], [], [])
        assert removed.counts() == {"identifiers": 0, "edges": 1, "facts": 0, "consent": 0}
