"""The Neo4j store: the production ``GraphStore``, through the official ``neo4j`` driver.

Graph model (labels, relationship types and property names are constants of the
queries; every value travels as a ``$parameter``, never inside the Cypher text), each part
described, with its queries beside the methods that run them, in a module of its own:

- ``identifiers``: ``(:Identifier {key, ...})``, key ``type:value``, with its profile ID;
- ``edges``: ``(:Identifier)-[:LINK {matcher, rule, ...}]->(:Identifier)``, and the
  ``:Placeholder`` label of an edge end that was never upserted;
- ``observations``: ``(:Fact)``, ``(:Consent)``, ``(:PersonRecord)`` and the blocking
  index ``(:Block)-[:HOLDS]->(:PersonRecord)``;
- ``profiles``: ``(:Profile)`` documents and ``(:Alias)`` IDs;
- ``logs``: ``(:Change)``, ``(:Audit)``, their ``(:Counter)``, ``(:Tombstone)``, ``(:Meta)``;
- ``transaction``: ``Neo4jTransaction`` made of those, with the erase cascade and counts;
- ``store``: ``Neo4jStore``, its start-up (constraints, indexes, schema version) and its
  managed transactions; ``driver``: the driver shared per process.

Every operation of ``Neo4jTransaction`` runs a fixed number of queries (nearly always
one), whatever the batch size: writes are ``UNWIND $rows AS r ...``. The merges a store
must do in its own queries follow ``graph.rules``.

Index hints: queries that start from identifier keys and expand over ``LINK`` say
``USING INDEX i:Identifier(key)``: the cost planner would otherwise cache, from the first
nearly empty batch of a load, plans that start from the far end of the pattern.

Errors of the driver or the server become ``StoreError`` naming the store, the URI, the
database and the operation (and the method of the transaction that failed); the driver's
error is chained. Exceptions raised by ``work`` itself pass through unchanged after the
rollback.

Ordering: Neo4j compares strings by UTF-16 code unit outside of indexes but by code point
inside them, and Python (like SQLite) sorts by code point. Lists are therefore sorted in
Python after they are read, so both stores order them identically. The paged reads
(``profile_page``, ``edge_page``) must filter and limit in the server and keep its
order; it differs from the embedded store's only between characters above U+FFFF and
those in U+E000..U+FFFF, which no built-in identifier type or generated ID contains.
"""

from __future__ import annotations

from graph.neo4j_store.driver import close_drivers, shared_driver
from graph.neo4j_store.store import SCHEMA_VERSION, Neo4jStore
from graph.neo4j_store.transaction import Neo4jTransaction

__all__ = ["SCHEMA_VERSION", "Neo4jStore", "Neo4jTransaction", "close_drivers", "shared_driver"]
