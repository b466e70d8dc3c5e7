"""The store's secret: the key of profile IDs and erasure tombstones.

Tombstones are keyed hashes of erased identifiers, so a store opened with another secret
would not recognise them and an erased person would come back in full on the next load;
profile IDs would also stop being reproducible. The secret cannot be rotated: the erased
values a new key would need are gone. So a store remembers a check value of its secret
(a keyed hash of a fixed text, which does not reveal the secret) and refuses to open with
any other one.

- ``IDGRAPH_SECRET`` set: the store must be new, or carry the check of that secret (or,
  made before checks were kept, no secret of its own).
- ``IDGRAPH_SECRET`` unset: the store's own secret (made at its first opening) is used;
  a store made with ``IDGRAPH_SECRET`` refuses to open without it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from graph.store import GraphTransaction
from identity.errors import ConfigurationError

STORED_SECRET = "id_secret"
"""Meta name of the secret a store made itself (when ``IDGRAPH_SECRET`` was not set)."""
SECRET_CHECK = "secret_check"
"""Meta name of the check value of the secret the store's IDs and tombstones are keyed with."""


def secret_check(secret: str) -> str:
    return hashlib.blake2b(
        b"idgraph secret check", key=secret.encode()[:64], digest_size=16
    ).hexdigest()


def open_secret(tx: GraphTransaction, configured: str) -> str:
    """The secret to key this store's IDs and tombstones with (``configured`` is
    ``IDGRAPH_SECRET``, empty when unset); raises ``ConfigurationError`` when it is not the
    one the store was made with."""
    stored = tx.get_meta(STORED_SECRET)
    check = tx.get_meta(SECRET_CHECK)
    if configured:
        if stored is not None and not hmac.compare_digest(stored, configured):
            raise ConfigurationError(
                _mismatch("a secret of its own, made when IDGRAPH_SECRET was unset")
            )
        if check is not None and not hmac.compare_digest(check, secret_check(configured)):
            raise ConfigurationError(_mismatch("another IDGRAPH_SECRET"))
        secret = configured
    elif stored is not None:
        secret = stored
    elif check is not None or _holds_data(tx):
        raise ConfigurationError(
            "this store was made with IDGRAPH_SECRET (its profile IDs and erasure tombstones"
            " are keyed with it): set the same IDGRAPH_SECRET to open it"
        )
    else:
        secret = secrets.token_hex(32)
        tx.set_meta(STORED_SECRET, secret)
    if check is None:
        tx.set_meta(SECRET_CHECK, secret_check(secret))
    return secret


def _mismatch(made_with: str) -> str:
    return (
        f"IDGRAPH_SECRET does not match the secret this store was made with ({made_with}):"
        " its profile IDs and erasure tombstones are keyed with that secret, and with another"
        " one erased people would come back on the next load. Open it with the secret it was"
        " made with; a secret cannot be rotated, because the erased values a new key needs"
        " are gone."
    )


def _holds_data(tx: GraphTransaction) -> bool:
    return bool(tx.identifier_page(None, 1)) or tx.counts().get("tombstones", 0) > 0
