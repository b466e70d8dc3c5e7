"""Which stores exist: an explicit registry from name to factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from graph.store import GraphStore, StoreError


@dataclass(frozen=True, slots=True)
class StoreOptions:
    data_dir: Path
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"


def _embedded(options: StoreOptions) -> GraphStore:
    from graph.embedded import EmbeddedStore

    return EmbeddedStore(options.data_dir)


def _neo4j(options: StoreOptions) -> GraphStore:
    from graph.neo4j_store import Neo4jStore

    return Neo4jStore(
        options.neo4j_uri, options.neo4j_user, options.neo4j_password, options.neo4j_database
    )


STORES: Mapping[str, Callable[[StoreOptions], GraphStore]] = {
    "embedded": _embedded,
    "neo4j": _neo4j,
}


def open_store(name: str, options: StoreOptions) -> GraphStore:
    factory = STORES.get(name)
    if factory is None:
        raise StoreError(f"unknown store {name!r}; known stores: {', '.join(sorted(STORES))}")
    return factory(options)
