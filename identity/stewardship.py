"""What data stewards do: review held edges, approve, reject, merge and split by hand,
and ask why two identifiers are together.

Every action is one transaction: the decision is recorded on an edge (approved,
rejected, a manual merge edge, cannot-link edges), the affected cluster is re-resolved,
and the action goes to the change feed and the audit log.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from graph.records import AuditRow, ChangeRow, EdgeRow, EdgeStatusRow
from graph.store import GraphStore, GraphTransaction
from identity.edge_status import STATUS_APPROVED, STATUS_HELD, STATUS_JOINED, STATUS_REJECTED
from identity.errors import InputRefused, NotFound, Refusal
from identity.identifiers import Identifier
from identity.resolver import Resolver
from identity.staging import BatchOutcome
from identity.timeutil import utc_now

EdgeSlot = tuple[str, str, str, str]
STEWARD_MATCHER = "steward"
RULE_MANUAL_MERGE = "manual_merge"
RULE_CANNOT_LINK = "cannot_link"


@dataclass(frozen=True, slots=True)
class ReviewPage:
    edges: list[EdgeRow]
    total: int
    next_after: EdgeSlot | None
    profiles: dict[str, str | None] = field(default_factory=dict)
    """Identifier key of each edge's ends -> the profile holding it (None: none)."""


@dataclass(frozen=True, slots=True)
class StewardOutcome:
    action: str
    profiles: list[str]
    merged: int
    split: int
    position: int


def edge_to_dict(edge: EdgeRow) -> dict[str, Any]:
    return {
        "left": edge.left,
        "right": edge.right,
        "matcher": edge.matcher,
        "rule": edge.rule,
        "weight": edge.weight,
        "status": edge.status,
        "reason": edge.reason,
        "source": edge.source,
        "evidence": json.loads(edge.evidence),
        "first_seen": edge.first_seen,
        "last_seen": edge.last_seen,
        "count": edge.sightings,
    }


class Stewardship:
    def __init__(self, store: GraphStore, resolver: Resolver) -> None:
        self._store = store
        self._resolver = resolver

    def review_queue(
        self,
        status: str = STATUS_HELD,
        after: EdgeSlot | None = None,
        limit: int = 50,
        reason_contains: str | None = None,
        matcher: str | None = None,
    ) -> ReviewPage:
        """Edges waiting for a steward (status ``held``), oldest key first, filtered by a
        piece of the reason (``limit``, ``generic``, ``cannot-link``) or the matcher."""

        def work(tx: GraphTransaction) -> ReviewPage:
            total = tx.count_edges_by_status().get(status, 0)
            found: list[EdgeRow] = []
            cursor, scan = after, max(limit, 200)
            while True:
                page = tx.edges_by_status(status, cursor, scan)
                for edge in page:
                    if (reason_contains is None or reason_contains in edge.reason) and (
                        matcher is None or edge.matcher == matcher
                    ):
                        found.append(edge)
                        if len(found) == limit:
                            return _with_profiles(tx, ReviewPage(found, total, edge.slot))
                if len(page) < scan:
                    return _with_profiles(tx, ReviewPage(found, total, None))
                cursor = page[-1].slot

        return self._store.read(work)

    def approve_edge(self, slot: EdgeSlot, actor: str) -> StewardOutcome:
        return self._decide(slot, STATUS_APPROVED, "approve", actor)

    def reject_edge(self, slot: EdgeSlot, actor: str) -> StewardOutcome:
        """The edge becomes a cannot-link constraint that later data never overrides."""
        return self._decide(slot, STATUS_REJECTED, "reject", actor)

    def _decide(self, slot: EdgeSlot, status: str, action: str, actor: str) -> StewardOutcome:
        def work(tx: GraphTransaction) -> StewardOutcome:
            edge = next((e for e in tx.edges_of((slot[0],)) if e.slot == slot), None)
            if edge is None:
                raise NotFound(f"no edge {slot[0]} -- {slot[1]} ({slot[2]}/{slot[3]})")
            tx.set_edge_status([EdgeStatusRow(*slot, status, f"{action} by steward")])
            outcome = self._resolver.reresolve(tx, {slot[0], slot[1]})
            return self._record(tx, action, actor, outcome, {"edge": list(slot[2:])})

        return self._store.write(work)

    def erase_edge(self, slot: EdgeSlot, actor: str) -> StewardOutcome:
        """Remove an edge (a link loaded by mistake): its component is re-resolved and may
        split. Unlike a rejection this is no constraint: later data may link them again."""

        def work(tx: GraphTransaction) -> StewardOutcome:
            if not tx.delete_edges([slot]):
                raise NotFound(f"no edge {slot[0]} -- {slot[1]} ({slot[2]}/{slot[3]})")
            outcome = self._resolver.reresolve(tx, {slot[0], slot[1]})
            return self._record(tx, "erase_edge", actor, outcome, {"edge": list(slot[2:])})

        return self._store.write(work)

    def merge_profiles(self, first: str, second: str, actor: str) -> StewardOutcome:
        """Join two profiles by hand: recorded as an approved manual edge between them."""

        def work(tx: GraphTransaction) -> StewardOutcome:
            members = _members(tx, (first, second))
            a, b = sorted((members[first][0], members[second][0]))
            now = utc_now()
            tx.upsert_edges(
                [
                    EdgeRow(
                        a,
                        b,
                        STEWARD_MATCHER,
                        RULE_MANUAL_MERGE,
                        1.0,
                        STATUS_APPROVED,
                        "steward",
                        json.dumps({"actor": actor}),
                        now,
                        now,
                        reason="manual merge by steward",
                    )
                ]
            )
            tx.set_edge_status(
                [
                    EdgeStatusRow(
                        a,
                        b,
                        STEWARD_MATCHER,
                        RULE_MANUAL_MERGE,
                        STATUS_APPROVED,
                        "manual merge by steward",
                    )
                ]
            )
            outcome = self._resolver.reresolve(tx, set(members[first]) | set(members[second]))
            return self._record(tx, "manual_merge", actor, outcome, {"profiles": [first, second]})

        return self._store.write(work)

    def split_profile(self, profile_id: str, move: Sequence[str], actor: str) -> StewardOutcome:
        """Move identifiers out of a profile: every moved identifier gets a cannot-link to
        every one that stays, so no later data joins them again."""

        def work(tx: GraphTransaction) -> StewardOutcome:
            members = _members(tx, (profile_id,))[profile_id]
            moving = sorted(set(move))
            strangers = [k for k in moving if k not in members]
            if strangers or not moving or len(moving) == len(members):
                raise InputRefused(
                    [
                        Refusal(
                            "identifiers",
                            strangers or moving,
                            "split.identifiers",
                            "name one or more (not all) identifiers of the profile to move out",
                        )
                    ]
                )
            staying = [k for k in members if k not in set(moving)]
            now = utc_now()
            evidence = json.dumps({"actor": actor})
            links = []
            for m in moving:
                for s in staying:
                    a, b = sorted((m, s))
                    links.append(
                        EdgeRow(
                            a,
                            b,
                            STEWARD_MATCHER,
                            RULE_CANNOT_LINK,
                            0.0,
                            STATUS_REJECTED,
                            "steward",
                            evidence,
                            now,
                            now,
                            reason="split by steward",
                        )
                    )
            tx.upsert_edges(links)
            tx.set_edge_status([EdgeStatusRow(*e.slot, STATUS_REJECTED, e.reason) for e in links])
            outcome = self._resolver.reresolve(tx, set(members))
            return self._record(
                tx, "manual_split", actor, outcome, {"profile": profile_id, "moved": len(moving)}
            )

        return self._store.write(work)

    def _record(
        self,
        tx: GraphTransaction,
        action: str,
        actor: str,
        outcome: BatchOutcome,
        detail: dict[str, Any],
    ) -> StewardOutcome:
        now = utc_now()
        profiles = outcome.touched_profiles
        body = json.dumps({**detail, "profiles": profiles}, sort_keys=True)
        (position,) = tx.append_changes(
            [ChangeRow(0, action, profiles[0] if profiles else "", now, body)]
        )
        tx.append_audit(
            [
                AuditRow(
                    0,
                    now,
                    actor,
                    action,
                    json.dumps(
                        {
                            **detail,
                            "profiles": len(profiles),
                            "merged": outcome.profiles_merged,
                            "split": outcome.profiles_split,
                        },
                        sort_keys=True,
                    ),
                )
            ]
        )
        return StewardOutcome(
            action, profiles, outcome.profiles_merged, outcome.profiles_split, position
        )

    def explain(self, left: Identifier, right: Identifier) -> list[dict[str, Any]]:
        """The path of joined edges that puts two identifiers in one profile, strongest
        path first (fewest, heaviest edges): each step with matcher, rule, weight and
        evidence."""

        def work(tx: GraphTransaction) -> list[dict[str, Any]]:
            owners = tx.profile_ids((left.key, right.key))
            if owners.get(left.key) is None or owners.get(left.key) != owners.get(right.key):
                raise NotFound(f"{left.key} and {right.key} are not in one profile")
            graph = _profile_graph(tx, owners[left.key] or "")
            path = nx.shortest_path(graph, left.key, right.key, weight="cost")
            return [graph.edges[a, b]["edge"] for a, b in itertools.pairwise(path)]

        return self._store.read(work)

    def profile_graph(self, profile_id: str) -> dict[str, Any]:
        """The profile's identifiers as nodes and every edge touching them."""

        def work(tx: GraphTransaction) -> dict[str, Any]:
            target = tx.resolve_aliases((profile_id,)).get(profile_id, profile_id)
            members = _members(tx, (target,))[target]
            identifiers = tx.get_identifiers(members)
            edges = tx.edges_of(members)
            return {
                "profile_id": target,
                "nodes": [
                    {
                        "key": k,
                        "type": i.type,
                        "generic": i.generic,
                        "first_seen": i.first_seen,
                        "last_seen": i.last_seen,
                        "count": i.sightings,
                    }
                    for k, i in sorted(identifiers.items())
                ],
                "edges": [edge_to_dict(e) for e in edges],
            }

        return self._store.read(work)


def _with_profiles(tx: GraphTransaction, page: ReviewPage) -> ReviewPage:
    """The page with the profile of every end of its edges, so that a steward sees which
    two profiles an edge would join (or which one it holds together)."""
    keys = {k for e in page.edges for k in (e.left, e.right)}
    stored = tx.get_identifiers(keys)
    profiles = {k: (stored[k].profile_id if k in stored else None) for k in sorted(keys)}
    return replace(page, profiles=profiles)


def _members(tx: GraphTransaction, profile_ids: Sequence[str]) -> dict[str, list[str]]:
    rows = tx.get_profiles(profile_ids)
    missing = [p for p in profile_ids if p not in rows]
    if missing:
        raise NotFound(f"no live profile {', '.join(missing)}")
    return {pid: json.loads(row.identifiers) for pid, row in rows.items()}


def _profile_graph(tx: GraphTransaction, profile_id: str) -> nx.Graph:
    members = set(_members(tx, (profile_id,))[profile_id])
    graph = nx.Graph()
    graph.add_nodes_from(members)
    for edge in tx.edges_of(members):
        joining = edge.status in (STATUS_JOINED, STATUS_APPROVED)
        if joining and edge.left in members and edge.right in members:
            cost = 1.0 + (1.0 - edge.weight)
            current = graph.get_edge_data(edge.left, edge.right)
            if current is None or cost < current["cost"]:
                graph.add_edge(edge.left, edge.right, cost=cost, edge=edge_to_dict(edge))
    return graph
