"""The Neo4j store: the production ``GraphStore``, through the official ``neo4j`` driver.

The graph is one a Neo4j user can read (``docs/neo4j.md`` has it with example Cypher).
Labels, relationship types and property names are constants of the queries; every value
travels as a ``$parameter``, never inside the Cypher text. Each part is described, with
its queries beside the methods that run them, in a module of its own:

- ``identifiers``: ``(:Identifier {key, type, value, ...})`` and
  ``(:Identifier)-[:IN_PROFILE]->(:Profile)``;
- ``edges``: ``(:Identifier)-[:LINK {matcher, rule, weight, status, reason, ...}]->
  (:Identifier)``;
- ``observations``: facts (list properties of the identifier), ``(:Consent)``,
  ``(:PersonRecord)`` and the blocking index ``(:Block {key, members})``;
- ``profiles``: ``(:Profile)`` with its document, golden attributes and consent per
  purpose as properties, and ``(:Alias)`` IDs;
- ``logs``: ``(:Change)``, ``(:Audit)``, their ``(:Counter)``, ``(:Tombstone)``, ``(:Meta)``;
- ``pending`` and ``flush``: a unit of work's writes kept in Python, merged into its reads,
  and sent at its end in a few ``UNWIND`` queries (write once);
- ``transaction``: ``Neo4jTransaction`` made of those, with the erase cascade and counts;
- ``plans``: the hot queries, planned at start-up and checked for their plans;
- ``store``: ``Neo4jStore``, its start-up (version, constraints, indexes, plans), its
  managed transactions and the lookup's point read; ``driver``: the driver shared per
  process; ``upgrade``: the upgrade in place from the model of schema version 1;
  ``bulk_import``: the files ``neo4j-admin database import`` loads a new database from.

Index hints: queries that start from keys or IDs say ``USING INDEX SEEK``: planned while
the database is nearly empty (the first batch of a load), the cost planner would otherwise
cache a plan that scans the index or starts from the far end of the pattern, and keep it
for later, fuller batches (``USING INDEX`` still allows a scan).

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
