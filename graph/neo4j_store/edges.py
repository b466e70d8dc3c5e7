"""Edges: ``(:Identifier)-[:LINK {matcher, rule, weight, status, reason, source, evidence,
first_seen, last_seen, count}]->(:Identifier)``, one relationship per (left, right,
matcher, rule), from the left key to the right key.

An end that was never upserted is a ``(:Identifier:Placeholder {key})``: the protocol
keeps edges apart from identifiers (the resolver always upserts both). Every read but
``edges_of`` and ``counts`` ignores it; ``upsert_identifiers`` fills it in and drops the
label; deleting its last edge deletes it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final

from graph.neo4j_store.runner import QueryRunner, limit_of, unique
from graph.records import EdgeRow, EdgeStatusRow
from graph.rules import EdgeStatus

_EDGE_FIELDS: Final = (
    "e.matcher, e.rule, e.weight, e.status, e.source, e.evidence, e.first_seen, e.last_seen,"
    " e.count, coalesce(e.reason, '')"
)


def _edge(values: Sequence[Any]) -> EdgeRow:
    """From start key, end key and ``_EDGE_FIELDS``."""
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


# ``merge_edge`` of graph.rules; ``$weak`` is the status that yields to a repeat. Rows are
# lists, as in ``_UPSERT_IDENTIFIERS``. Every expression of one SET reads the values from
# before it: e.status in the reason's CASE is the old status, as in the embedded store's
# ON CONFLICT DO UPDATE.
_UPSERT_EDGES: Final = """
UNWIND $rows AS row
WITH {left: row[0], right: row[1], matcher: row[2], rule: row[3], weight: row[4],
      status: row[5], reason: row[6], source: row[7], evidence: row[8], first_seen: row[9],
      last_seen: row[10], count: row[11]} AS r
MERGE (a:Identifier {key: r.left})
  ON CREATE SET a:Placeholder
MERGE (b:Identifier {key: r.right})
  ON CREATE SET b:Placeholder
MERGE (a)-[e:LINK {matcher: r.matcher, rule: r.rule}]->(b)
  ON CREATE SET e.weight = r.weight, e.status = r.status, e.reason = r.reason,
                e.source = r.source, e.evidence = r.evidence, e.first_seen = r.first_seen,
                e.last_seen = r.last_seen, e.count = r.count
  ON MATCH SET e.weight = CASE WHEN r.weight > e.weight THEN r.weight ELSE e.weight END,
               e.status = CASE WHEN e.status = $weak THEN r.status ELSE e.status END,
               e.reason = CASE WHEN e.status = $weak THEN r.reason ELSE e.reason END,
               e.source = r.source, e.evidence = r.evidence,
               e.first_seen = CASE WHEN r.first_seen < e.first_seen
                                   THEN r.first_seen ELSE e.first_seen END,
               e.last_seen = CASE WHEN r.last_seen > e.last_seen
                                  THEN r.last_seen ELSE e.last_seen END,
               e.count = e.count + r.count
"""

_SET_EDGE_STATUS: Final = """
UNWIND $rows AS r
MATCH (:Identifier {key: r.left})-[e:LINK {matcher: r.matcher, rule: r.rule}]->
      (:Identifier {key: r.right})
SET e.status = r.status, e.reason = r.reason
"""

# Placeholder ends left without any edge go with the edge.
_DELETE_EDGES: Final = """
UNWIND $slots AS s
MATCH (a:Identifier {key: s[0]})-[e:LINK {matcher: s[2], rule: s[3]}]->
      (b:Identifier {key: s[1]})
WITH collect(e) AS links, collect(DISTINCT a) + collect(DISTINCT b) AS ends
FOREACH (e IN links | DELETE e)
FOREACH (n IN [n IN ends WHERE n:Placeholder AND NOT EXISTS { (n)--() }] | DELETE n)
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
    + _EDGE_FIELDS
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
    + _EDGE_FIELDS
)

_COUNT_EDGES_BY_STATUS: Final = """
MATCH ()-[e:LINK]->()
RETURN e.status AS status, count(*) AS edges
"""

# ``USING INDEX``: planned while the database is nearly empty (the first batch of a load),
# the cost planner would cache a plan that starts from the far end of the pattern and
# keep it for later, fuller batches.
_EDGES_OF: Final = (
    """
UNWIND $keys AS k
MATCH (i:Identifier {key: k})
USING INDEX i:Identifier(key)
MATCH (i)-[e:LINK]-(:Identifier)
WITH DISTINCT e
RETURN collect([startNode(e).key, endNode(e).key, """
    + _EDGE_FIELDS
    + "]) AS rows"
)


class EdgeQueries(QueryRunner):
    def upsert_edges(self, rows: Sequence[EdgeRow]) -> None:
        if not rows:
            return
        self._write(
            "upsert_edges",
            _UPSERT_EDGES,
            weak=EdgeStatus.WEAK.value,
            rows=[
                [
                    r.left,
                    r.right,
                    r.matcher,
                    r.rule,
                    float(r.weight),
                    r.status,
                    r.reason,
                    r.source,
                    r.evidence,
                    r.first_seen,
                    r.last_seen,
                    int(r.sightings),
                ]
                for r in rows
            ],
        )

    def set_edge_status(self, rows: Sequence[EdgeStatusRow]) -> None:
        if not rows:
            return
        self._write(
            "set_edge_status",
            _SET_EDGE_STATUS,
            rows=[
                {
                    "left": r.left,
                    "right": r.right,
                    "matcher": r.matcher,
                    "rule": r.rule,
                    "status": r.status,
                    "reason": r.reason,
                }
                for r in rows
            ],
        )

    def delete_edges(self, slots: Collection[tuple[str, str, str, str]]) -> int:
        if not slots:
            return 0
        found = self._read(
            "delete_edges", _DELETE_EDGES, slots=[list(slot) for slot in sorted(set(slots))]
        )
        return int(found[0][0])

    def edge_page(
        self, after: tuple[str, str, str, str] | None, limit: int, status: str | None = None
    ) -> list[EdgeRow]:
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
        return [_edge(row) for row in rows]

    def count_edges_by_status(self) -> dict[str, int]:
        rows = self._read("count_edges_by_status", _COUNT_EDGES_BY_STATUS)
        return {str(status): int(n) for status, n in sorted(rows, key=lambda r: str(r[0]))}

    def edges_of(self, keys: Collection[str]) -> list[EdgeRow]:
        if not keys:
            return []
        rows = self._collected("edges_of", _EDGES_OF, keys=unique(keys))
        return sorted((_edge(row) for row in rows), key=lambda e: e.slot)
