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

from identity.guards import GuardSettings, broken_limit, key_limit_names

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
    """Union-find over the cluster's keys with each group's members and guard counts.

    Counts are plain dicts (not ``Counter`` arithmetic): a union is tried once per eligible
    edge, tens of thousands of times in a large batch."""

    def __init__(self, keys: Iterable[str], guards: GuardSettings) -> None:
        self._guards = guards
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.counts: dict[str, dict[str, int]] = {}
        for key in keys:
            self.parent[key] = key
            self.members[key] = [key]
            self.counts[key] = dict.fromkeys(key_limit_names(key, guards), 1)

    def find(self, key: str) -> str:
        parent = self.parent
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    def try_union(
        self, a: str, b: str, cannot_link: Mapping[str, set[str]], forced: bool = False
    ) -> str | None:
        """Join the groups of a and b; the reason when a guard forbids it, else None."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        small, large = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        if cannot_link:
            reason = self._cannot_link(small, large, cannot_link)
            if reason is not None:
                return reason
        small_counts, large_counts = self.counts[small], self.counts[large]
        if not forced:
            reason = self._broken_limit(small_counts, large_counts)
            if reason is not None:
                return reason
        self.parent[small] = large
        self.members[large].extend(self.members.pop(small))
        for name, count in small_counts.items():
            large_counts[name] = large_counts.get(name, 0) + count
        del self.counts[small]
        return None

    def _cannot_link(
        self, small: str, large: str, cannot_link: Mapping[str, set[str]]
    ) -> str | None:
        # The reason names the smallest pair, whichever group is the smaller: the held
        # edge's reason must not depend on the order the data arrived in.
        broken = [
            (min(key, other), max(key, other))
            for key in self.members[small]
            for other in cannot_link.get(key, ())
            if other in self.parent and self.find(other) == large
        ]
        if not broken:
            return None
        first, second = min(broken)
        return f"cannot-link: {first} and {second} are different people (steward)"

    def _broken_limit(self, left: dict[str, int], right: dict[str, int]) -> str | None:
        """``broken_limit`` of the union, each group's counts tolerated (a group a steward
        joined over a limit may stay over it): only a name counted in both groups can break
        a limit, so only those are checked."""
        if len(left) > len(right):
            left, right = right, left
        shared = [name for name in left if name in right]
        if not shared:
            return None
        merged = Counter({name: left[name] + right[name] for name in shared})
        tolerated = {name: max(left[name], right[name]) for name in shared}
        return broken_limit(merged, self._guards, tolerated)

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
