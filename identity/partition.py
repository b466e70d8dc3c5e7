"""The deterministic partition of one cluster of identifiers into profiles.

A cluster is a connected component over *eligible* edges (joining weight, not rejected,
neither end generic). Inside it, edges join strongest first, ties broken by their keys;
each joins its two groups unless the union would break a guard; an edge that would is
*held* with the reason. An edge a steward approved keeps its place in that order but
yields only to cannot-links, not to limits: approving a held edge then means "this edge
too", and the profile it was held from grows by it instead of giving up the identifiers
that had joined before it. The result depends only on the set of identifiers,
edges and constraints, never on the order they were loaded in (sequence neutrality), and
when no guard is broken it is exactly the connected components.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from identity.guards import GuardSettings, broken_limit, limit_counters

EdgeSlot = tuple[str, str, str, str]
"""(left, right, matcher, rule): the key of an edge."""


@dataclass(frozen=True, slots=True)
class CandidateEdge:
    slot: EdgeSlot
    weight: float
    forced: bool = False
    """A steward approved or made it: it joins whatever the limits say (not a cannot-link)."""

    @property
    def left(self) -> str:
        return self.slot[0]

    @property
    def right(self) -> str:
        return self.slot[1]


@dataclass(slots=True)
class Partition:
    pieces: list[list[str]]
    """Groups of identifier keys, each sorted; pieces sorted by their first key."""
    held: dict[EdgeSlot, str] = field(default_factory=dict)
    """Edges that would have joined but broke a guard, with the reason."""


class _Groups:
    def __init__(self, keys: Iterable[str], guards: GuardSettings) -> None:
        self._guards = guards
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.counts: dict[str, Counter[str]] = {}
        for key in keys:
            self.parent[key] = key
            self.members[key] = [key]
            self.counts[key] = limit_counters((key,), guards)

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def try_union(
        self, a: str, b: str, cannot_link: Mapping[str, set[str]], forced: bool = False
    ) -> str | None:
        """Join the groups of a and b; the reason when a guard forbids it, else None."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        small, large = sorted((ra, rb), key=lambda r: len(self.members[r]))
        for key in self.members[small]:
            for other in cannot_link.get(key, ()):
                if other in self.parent and self.find(other) == large:
                    return f"cannot-link: {key} and {other} are different people (steward)"
        merged = self.counts[ra] + self.counts[rb]
        reason = broken_limit(merged, self._guards, self.counts[ra] | self.counts[rb])
        if reason is not None and not forced:
            return reason
        self.parent[small] = large
        self.members[large].extend(self.members.pop(small))
        self.counts[large] = merged
        del self.counts[small]
        return None

    def pieces(self) -> list[list[str]]:
        return sorted(sorted(m) for m in self.members.values())


def partition_cluster(
    keys: Iterable[str],
    edges: Iterable[CandidateEdge],
    cannot_links: Iterable[tuple[str, str]],
    guards: GuardSettings,
) -> Partition:
    groups = _Groups(sorted(set(keys)), guards)
    partners: dict[str, set[str]] = {}
    for a, b in cannot_links:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    held: dict[EdgeSlot, str] = {}
    for edge in sorted(edges, key=lambda e: (-e.weight, e.slot)):
        reason = groups.try_union(edge.left, edge.right, partners, edge.forced)
        if reason is not None:
            held[edge.slot] = reason
    # An approved edge that joined over a limit may have joined the ends of an edge held
    # before it: that edge is inside a profile now, not waiting.
    held = {
        slot: reason
        for slot, reason in held.items()
        if groups.find(slot[0]) != groups.find(slot[1])
    }
    return Partition(groups.pieces(), held)
