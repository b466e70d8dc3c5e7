"""Edges: ``(:Identifier)-[:LINK {matcher, rule, weight, status, reason, source, evidence,
first_seen, last_seen, count}]->(:Identifier)``, one relationship per (left, right,
matcher, rule), from the left key to the right key. An end that was never upserted is a
bare ``Identifier`` node (see ``graph.neo4j_store.identifiers``).

Upserts and status changes are kept in the transaction's ``Pending`` and written by
``graph.neo4j_store.flush``: a new edge is one ``CREATE`` between two nodes found by key,
a changed one one ``SET``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final

from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import EdgeRow, EdgeStatusRow

EDGE_FIELDS: Final = (
    "e.matcher, e.rule, e.weight, e.status, e.source, e.evidence, e.first_seen, e.last_seen,"
    " e.count, coalesce(e.reason, '')"
)


def edge_row(values: Sequence[Any]) -> EdgeRow:
    """From start key, end key and ``EDGE_FIELDS``."""
    (left, right, matcher, rule, weight, status, source, evidence, first, last, count, reason) = (
        values
    )
    return EdgeRow(
        str(left),
        str(right),
        str(matcher),
        str(rule),
        float(weight),
        str(status),
        str(source),
        str(evidence),
        str(first),
        str(last),
        int(count),
        str(reason),
    )


EDGES_OF: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
USING INDEX SEEK i:Identifier(key)
MATCH (i)-[e:LINK]-()
WITH DISTINCT e
RETURN collect([startNode(e).key, endNode(e).key, """
    + EDGE_FIELDS
    + "]) AS rows"
)

EDGES_BY_SLOT: Final = (
    """
UNWIND $slots AS s
MATCH (a:Identifier {key: s[0]})-[e:LINK]->(b:Identifier)
USING INDEX SEEK a:Identifier(key)
WHERE b.key = s[1] AND e.matcher = s[2] AND e.rule = s[3]
RETURN collect([a.key, b.key, """
    + EDGE_FIELDS
    + "]) AS rows"
)

# Bare ends left with nothing (no edge, no fact) go with the edge.
_DELETE_EDGES: Final = """
UNWIND $slots AS s
MATCH (a:Identifier {key: s[0]})-[e:LINK]->(b:Identifier)
USING INDEX SEEK a:Identifier(key)
WHERE b.key = s[1] AND e.matcher = s[2] AND e.rule = s[3]
WITH collect(e) AS links, collect(DISTINCT a) + collect(DISTINCT b) AS ends
FOREACH (e IN links | DELETE e)
FOREACH (n IN [n IN ends WHERE n.type IS NULL AND n.facts IS NULL
                               AND NOT EXISTS { (n)--() }] | DELETE n)
RETURN size(links) AS deleted
"""

# The edges of one status are few (those waiting for a steward): found by the status
# index and sorted whole.
_EDGE_PAGE_OF_STATUS: Final = (
    """
MATCH (a:Identifier)-[e:LINK {status: $status}]->(b:Identifier)
WITH a.key AS left, b.key AS right, e
WHERE [left, right, e.matcher, e.rule] > $after
ORDER BY left, right, e.matcher, e.rule
LIMIT $limit
RETURN left, right, """
    + EDGE_FIELDS
)

# Walks identifiers in key order (the unique index gives it) and sorts only the edges of
# the identifiers on the page, not every edge of the graph.
_EDGE_PAGE: Final = (
    """
MATCH (a:Identifier)
WHERE a.key >= $after[0]
WITH a
ORDER BY a.key
MATCH (a)-[e:LINK]->(b:Identifier)
WITH a.key AS left, b.key AS right, e
WHERE [left, right, e.matcher, e.rule] > $after
WITH left, right, e
ORDER BY left, right, e.matcher, e.rule
LIMIT $limit
RETURN left, right, """
    + EDGE_FIELDS
)

_COUNT_EDGES_BY_STATUS: Final = """
MATCH ()-[e:LINK]->()
RETURN e.status AS status, count(*) AS edges
"""


class EdgeQueries(QueryRunner):
    def _known_edges(self, keys: Collection[str]) -> None:
        """Read every stored edge of the keys whose edges this transaction does not know."""
        pending = self._pending
        missing = [k for k in keys if k not in pending.edges_known]
        if not missing:
            return
        rows = self._collected("read edges", EDGES_OF, keys=unique(missing))
        pending.know_edges(missing, (edge_row(row) for row in rows))

    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        for row in rows:
            self._pending.add_edge_op(row)

    def set_edge_status(self, rows: Sequence[EdgeStatusRow]) -> None:
        for row in rows:
            self._pending.add_edge_op(row)

    def delete_edges(self, slots: Collection[tuple[str, str, str, str]]) -> int:
        if not slots:
            return 0
        self._send_pending()
        found = self._read(
            "delete_edges", _DELETE_EDGES, slots=[list(slot) for slot in sorted(set(slots))]
        )
        return int(found[0][0])

    def edge_page(
        self, after: tuple[str, str, str, str] | None, limit: int, status: str | None = None
    ) -> list[EdgeRow]:
        self._send_pending()
        start = list(after or ("", "", "", ""))
        if status is None:
            rows = self._read("edge_page", _EDGE_PAGE, after=start, limit=limit_of(limit))
        else:
            rows = self._read(
                "edge_page",
                _EDGE_PAGE_OF_STATUS,
                status=status,
                after=start,
                limit=limit_of(limit),
            )
        return [edge_row(row) for row in rows]

    def count_edges_by_status(self) -> dict[str, int]:
        self._send_pending()
        rows = self._read("count_edges_by_status", _COUNT_EDGES_BY_STATUS)
        return {str(status): int(n) for status, n in sorted(rows, key=lambda r: str(r[0]))}

    def edges_of(self, keys: Collection[str]) -> list[EdgeRow]:
        if not keys:
            return []
        self._known_edges(keys)
        return self._pending.edges_touching(keys)
