"""Build the service from settings: the one place that picks and opens a store."""

from __future__ import annotations

from graph.registry import StoreOptions, open_store
from identity.service import IdentityService
from identity.settings import Settings


def build_service(settings: Settings) -> IdentityService:
    store = open_store(
        settings.store,
        StoreOptions(
            data_dir=settings.data_dir,
            neo4j_uri=settings.neo4j_uri,
            neo4j_user=settings.neo4j_user,
            neo4j_password=settings.neo4j_password,
            neo4j_database=settings.neo4j_database,
        ),
    )
    try:
        return IdentityService(store, settings)
    except BaseException:
        store.close()
        raise
