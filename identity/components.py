"""Union-find over string nodes: the bookkeeping of connected components in a batch."""

from __future__ import annotations

from collections.abc import Iterable


class DisjointSet:
    def __init__(self, nodes: Iterable[str] = ()) -> None:
        self._parent: dict[str, str] = {}
        for node in nodes:
            self.add(node)

    def add(self, node: str) -> None:
        self._parent.setdefault(node, node)

    def find(self, node: str) -> str:
        parent = self._parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        self.add(a)
        self.add(b)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller root wins so the result is independent of union order.
            if rb < ra:
                ra, rb = rb, ra
            self._parent[rb] = ra

    def groups(self) -> list[list[str]]:
        members: dict[str, list[str]] = {}
        for node in self._parent:
            members.setdefault(self.find(node), []).append(node)
        return [sorted(group) for _, group in sorted(members.items())]
