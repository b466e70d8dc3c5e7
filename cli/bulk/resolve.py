"""Bulk stage 3: the profiles of the whole load, as one incremental batch would resolve it.

Every rule is the resolver's (``identity.resolver``), applied to all identifiers at once:

- the frequency cap marks identifiers generic (``identity.guards.frequency_cap_reasons``,
  called on the identifiers linked to more than ``frequency_cap`` others);
- eligible edges: linking status, joining weight (the fuzzy matcher's threshold for a
  fuzzy edge), neither end generic;
- connected components over every eligible edge at once (SciPy); a component whose
  identifiers break no guard limit together is one profile (guards are monotone, so the
  greedy partition would join every edge of it), any other is partitioned by
  ``identity.partition.partition_cluster`` itself;
- a profile's ID is ``Resolver.profile_id_for`` of its smallest key (every piece of one
  batch into an empty store is new);
- edge statuses as ``Resolver._update_edge_statuses`` sets them: ``held`` with the reason
  at a generic end or where the partition held the edge, else ``joined``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cli.bulk.tables import BulkTables
from identity.guards import GuardSettings, frequency_cap_reasons
from identity.observation import Observation
from identity.partition import CandidateEdge, partition_cluster
from identity.profile_consent import profile_statement_rows
from identity.resolver import Resolver
from identity.settings import Settings
from matchers.fuzzy import MATCHER_NAME as FUZZY

LINKING = "('joined', 'held', 'approved')"


@dataclass(slots=True)
class Resolved:
    identifiers: int = 0
    edges: int = 0
    profiles: int = 0
    generic: int = 0
    partitioned: int = 0
    """Components partitioned because together they break a guard."""


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _joins(resolver: Resolver, settings: Settings, edge: str = "") -> str:
    """``Resolver.joins`` as SQL over an edge row (``edge``: its alias and a dot)."""
    return (
        f"(({edge}matcher = '{FUZZY}' AND {edge}weight >= {resolver.fuzzy_threshold!r})"
        f" OR ({edge}matcher <> '{FUZZY}' AND {edge}weight >= {settings.merge_threshold!r}))"
    )


def resolve(tables: BulkTables, resolver: Resolver, settings: Settings) -> Resolved:
    db = tables.db
    done = Resolved()
    if not _exists(tables, "fuzzy_edges"):
        db.execute("CREATE TABLE fuzzy_edges AS SELECT * FROM co_edges LIMIT 0")
    db.execute("CREATE TABLE edges AS SELECT * FROM co_edges UNION ALL SELECT * FROM fuzzy_edges")
    guards = settings.guards
    done.generic = _mark_generic(tables, guards)
    joins = _joins(resolver, settings)
    db.execute(
        "CREATE TABLE eligible AS SELECT left_key, right_key, matcher, rule, weight FROM edges"
        f" WHERE status IN {LINKING} AND {joins}"
        " AND left_key NOT IN (SELECT key FROM generic)"
        " AND right_key NOT IN (SELECT key FROM generic)"
    )
    db.execute(
        "CREATE TABLE nodes AS SELECT key, (row_number() OVER (ORDER BY key)) - 1 AS ix"
        " FROM identifiers"
    )
    done.identifiers = tables.count("nodes")
    ends = db.execute(
        "SELECT l.ix, r.ix FROM eligible e JOIN nodes l ON l.key = e.left_key"
        " JOIN nodes r ON r.key = e.right_key"
    ).fetchnumpy()
    left, right = (np.asarray(v, dtype=np.int64) for v in ends.values())
    size = done.identifiers
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(size, size))
    count, labels = connected_components(graph.tocsr(), directed=False)
    db.register("labels", pa.table({"ix": np.arange(size, dtype=np.int64), "component": labels}))
    db.execute("CREATE TABLE components AS SELECT * FROM labels")
    db.unregister("labels")
    done.partitioned = _partition_broken(tables, guards, int(count))
    done.profiles = _assign_ids(tables, resolver)
    _final_edges(tables, _joins(resolver, settings, "e."))
    done.edges = tables.count("final_edges")
    _consent(tables)
    return done


def _exists(tables: BulkTables, name: str) -> bool:
    found = tables.db.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])


def _mark_generic(tables: BulkTables, guards: GuardSettings) -> int:
    """``generic(key, reason)``: the frequency cap over the linking edges of every matcher
    but the fuzzy one, decided by the resolver's own function."""
    db = tables.db
    linked = (
        f"SELECT left_key AS k, right_key AS o FROM edges WHERE matcher <> '{FUZZY}'"
        f" AND status IN {LINKING} UNION ALL SELECT right_key, left_key FROM edges"
        f" WHERE matcher <> '{FUZZY}' AND status IN {LINKING}"
    )
    crowded = [
        k
        for (k,) in db.execute(
            f"SELECT k FROM ({linked}) GROUP BY k HAVING count(DISTINCT o) > ?",
            [guards.frequency_cap],
        ).fetchall()
    ]
    reasons: dict[str, str] = {}
    if crowded:
        db.register("crowded", pa.table({"key": crowded}))
        pairs = db.execute(
            f"SELECT k, o FROM ({linked}) WHERE k IN (SELECT key FROM crowded)"
        ).fetchall()
        db.unregister("crowded")
        reasons = frequency_cap_reasons(pairs, crowded, guards)
    db.register("generic_rows", pa.table({"key": list(reasons), "reason": list(reasons.values())}))
    db.execute("CREATE TABLE generic AS SELECT key::VARCHAR AS key, reason::VARCHAR AS reason"
               " FROM generic_rows")  # fmt: skip
    db.unregister("generic_rows")
    return len(reasons)


def _limit_sql(guards: GuardSettings) -> tuple[str, str]:
    """SQL for the guard counts of an identifier key (``identity.guards.key_limit_names``)
    and for the limit of a count's name."""
    kind = "split_part(key, ':', 1)"
    names = []
    if guards.type_limits:
        types = ", ".join(_sql_text(t) for t in guards.type_limits)
        names.append(f"SELECT key, {kind} AS name FROM nodes WHERE {kind} IN ({types})")
    if guards.per_source_limits:
        types = ", ".join(_sql_text(t) for t in guards.per_source_limits)
        source = "split_part(substr(key, strpos(key, ':') + 1), '/', 1)"
        names.append(
            f"SELECT key, {kind} || '/' || {source} AS name FROM nodes WHERE {kind} IN ({types})"
        )
    limits = " ".join(
        [
            *(
                f"WHEN starts_with(name, {_sql_text(t + '/')}) THEN {int(n)}"
                for t, n in guards.per_source_limits.items()
            ),
            *(f"WHEN name = {_sql_text(t)} THEN {int(n)}" for t, n in guards.type_limits.items()),
        ]
    )
    return " UNION ALL ".join(names), f"CASE {limits} END"


def _partition_broken(tables: BulkTables, guards: GuardSettings, components: int) -> int:
    """``pieces(key, piece)``: a component breaking no limit is one piece; the others are
    partitioned by ``partition_cluster``. Returns how many were partitioned."""
    db = tables.db
    names, limit = _limit_sql(guards)
    broken = _broken(tables, names, limit) if names else []
    piece_keys: list[str] = []
    piece_ids: list[int] = []
    held: list[tuple[str, str, str, str, str]] = []
    if broken:
        db.register("broken", pa.table({"component": broken}))
        members: dict[int, list[str]] = {}
        for key, component in db.execute(
            "SELECT n.key, c.component FROM nodes n JOIN components c USING (ix)"
            " WHERE c.component IN (SELECT component FROM broken)"
        ).fetchall():
            members.setdefault(int(component), []).append(key)
        edges: dict[int, list[CandidateEdge]] = {}
        for left, right, matcher, rule, weight, component in db.execute(
            "SELECT e.left_key, e.right_key, e.matcher, e.rule, e.weight, c.component"
            " FROM eligible e JOIN nodes n ON n.key = e.left_key JOIN components c USING (ix)"
            " WHERE c.component IN (SELECT component FROM broken)"
        ).fetchall():
            edges.setdefault(int(component), []).append(
                CandidateEdge((left, right, matcher, rule), weight)
            )
        db.unregister("broken")
        next_piece = components
        for component in sorted(members):
            partition = partition_cluster(members[component], edges.get(component, []), [], guards)
            for piece in partition.pieces:
                piece_keys.extend(piece)
                piece_ids.extend([next_piece] * len(piece))
                next_piece += 1
            held.extend((*slot, reason) for slot, reason in partition.held.items())
    db.register("split_pieces", pa.table({"key": piece_keys, "piece": piece_ids},
                                         schema=pa.schema([("key", pa.string()),
                                                           ("piece", pa.int64())])))  # fmt: skip
    db.execute(
        "CREATE TABLE pieces AS SELECT n.key, coalesce(s.piece, c.component) AS piece"
        " FROM nodes n JOIN components c USING (ix) LEFT JOIN split_pieces s USING (key)"
    )
    db.unregister("split_pieces")
    columns: list[Any] = list(zip(*held, strict=True)) if held else [[], [], [], [], []]
    db.register(
        "held_rows",
        pa.table(
            dict(zip(("left_key", "right_key", "matcher", "rule", "reason"), columns, strict=True)),
            schema=pa.schema([(n, pa.string()) for n in
                              ("left_key", "right_key", "matcher", "rule", "reason")]),
        ),
    )  # fmt: skip
    db.execute("CREATE TABLE partition_held AS SELECT * FROM held_rows")
    db.unregister("held_rows")
    return len(broken)


def _broken(tables: BulkTables, names: str, limit: str) -> list[int]:
    """The components whose identifiers together break a limit."""
    return [
        int(c)
        for (c,) in tables.db.execute(
            "SELECT DISTINCT component FROM (SELECT c.component, n.name, count(*) AS total"
            f" FROM ({names}) n JOIN nodes USING (key) JOIN components c USING (ix)"
            f" GROUP BY c.component, n.name) WHERE total > {limit}"
        ).fetchall()
    ]


def _assign_ids(tables: BulkTables, resolver: Resolver) -> int:
    """``owner(key, profile_id)``: each piece's ID from its smallest key."""
    db = tables.db
    founders = db.execute("SELECT piece, min(key) FROM pieces GROUP BY piece").fetchall()
    ids = [resolver.profile_id_for(key) for _, key in founders]
    if len(set(ids)) != len(ids):
        raise RuntimeError("two new profiles drew the same ID: load this file incrementally")
    db.register(
        "piece_ids",
        pa.table({"piece": [p for p, _ in founders], "profile_id": ids},
                 schema=pa.schema([("piece", pa.int64()), ("profile_id", pa.string())])),
    )  # fmt: skip
    db.execute(
        "CREATE TABLE owner AS SELECT p.key, i.profile_id FROM pieces p JOIN piece_ids i"
        " USING (piece)"
    )
    db.unregister("piece_ids")
    return len(ids)


def _final_edges(tables: BulkTables, joins: str) -> None:
    """``final_edges``: every edge with the status the resolver leaves it in."""
    tables.db.execute(
        "CREATE TABLE final_edges AS SELECT e.left_key, e.right_key, e.matcher, e.rule,"
        " e.weight,"
        f" CASE WHEN NOT (e.status IN ('joined', 'held') AND {joins}) THEN e.status"
        " WHEN gl.key IS NOT NULL OR gr.key IS NOT NULL OR h.reason IS NOT NULL THEN 'held'"
        " ELSE 'joined' END AS status,"
        " e.source, e.evidence, e.first_seen, e.last_seen, e.sightings,"
        f" CASE WHEN NOT (e.status IN ('joined', 'held') AND {joins}) THEN e.reason"
        " WHEN gl.key IS NOT NULL THEN coalesce(nullif(gl.reason, ''), 'generic: ' || gl.key)"
        " WHEN gr.key IS NOT NULL THEN coalesce(nullif(gr.reason, ''), 'generic: ' || gr.key)"
        " WHEN h.reason IS NOT NULL THEN h.reason ELSE '' END AS reason"
        " FROM edges e LEFT JOIN generic gl ON gl.key = e.left_key"
        " LEFT JOIN generic gr ON gr.key = e.right_key"
        " LEFT JOIN partition_held h ON h.left_key = e.left_key"
        " AND h.right_key = e.right_key AND h.matcher = e.matcher AND h.rule = e.rule"
    )


def _consent(tables: BulkTables) -> None:
    """``consent``: every statement of the load, those made without a subject recorded
    where ``identity.profile_consent`` says, now that the profiles are known."""
    db = tables.db
    claims: list[tuple[Observation, int]] = []
    for (blob,) in db.execute("SELECT observation FROM parsed_claims ORDER BY line").fetchall():
        obs: Observation = pickle.loads(blob)
        claims.extend((obs, i) for i, c in enumerate(obs.consent) if c.subject is None)
    rows = []
    if claims:
        named = sorted({i.key for obs, _ in claims for i in obs.identifiers})
        db.register("claim_keys", pa.table({"key": named}))
        owner = dict(
            db.execute(
                "SELECT o.key, o.profile_id FROM owner o WHERE o.profile_id IN"
                " (SELECT profile_id FROM owner WHERE key IN (SELECT key FROM claim_keys))"
            ).fetchall()
        )
        db.unregister("claim_keys")
        rows = profile_statement_rows(claims, owner, set())
    names = ("statement_id", "subject_key", "purpose", "status", "at", "source", "proof", "via")
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    db.register(
        "claim_rows",
        pa.table(dict(zip(names, columns, strict=True)),
                 schema=pa.schema([(n, pa.string()) for n in names])),
    )  # fmt: skip
    db.execute(
        "CREATE TABLE consent AS SELECT DISTINCT ON (statement_id) statement_id, subject_key,"
        ' purpose, status, "at", source, proof, via FROM (SELECT 0 AS part, line AS at_line,'
        " * EXCLUDE (line) FROM parsed_consent UNION ALL SELECT 1, 0, * FROM claim_rows)"
        " ORDER BY statement_id, part, at_line"
    )
    db.unregister("claim_rows")
