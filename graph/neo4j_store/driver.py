"""One driver (one connection pool) per URI and user for the whole process.

Stores never close the shared driver; ``close_drivers`` does, and runs at interpreter exit.
"""

from __future__ import annotations

import atexit
import hashlib
import threading
from typing import Final

import neo4j
import neo4j.exceptions

from graph.store import StoreError

DRIVER_ERRORS: Final = (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError)
"""What the driver and the server raise; stores turn them into ``StoreError``."""

_drivers: dict[tuple[str, str], tuple[str, neo4j.Driver]] = {}
_retired: list[neo4j.Driver] = []
_drivers_lock = threading.Lock()


def _fingerprint(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def shared_driver(uri: str, user: str, password: str) -> neo4j.Driver:
    """The process's driver for ``uri`` and ``user``: one connection pool, shared by every
    store and session. An empty password means a server without authentication. Asking
    again with another password gives a new driver (the old one stays open for whoever
    holds it until ``close_drivers``)."""
    fingerprint = _fingerprint(password)
    with _drivers_lock:
        cached = _drivers.get((uri, user))
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        auth = None if not password else neo4j.basic_auth(user, password)
        try:
            driver = neo4j.GraphDatabase.driver(
                uri,
                auth=auth,
                # The server's warnings (performance hints, deprecations) go to the
                # ``neo4j.notifications`` logger, never to Python warnings. Not the
                # "property key does not exist" kind: optional properties (generic,
                # reason) are legitimately absent until first written.
                warn_notification_severity="OFF",
                notifications_min_severity="WARNING",
                notifications_disabled_classifications=["UNRECOGNIZED"],
                user_agent="idgraph",
            )
        except (*DRIVER_ERRORS, ValueError) as e:
            raise StoreError(f"neo4j store {uri}: cannot create a driver: {e}") from e
        if cached is not None:
            _retired.append(cached[1])
        _drivers[(uri, user)] = (fingerprint, driver)
        return driver


def close_drivers() -> None:
    """Close every shared driver (at shutdown; runs at interpreter exit anyway)."""
    with _drivers_lock:
        drivers = [driver for _, driver in _drivers.values()] + _retired
        _drivers.clear()
        _retired.clear()
    for driver in drivers:
        driver.close()


atexit.register(close_drivers)
