"""API keys and roles.

A key is a random token shown once; the store keeps only its SHA-256 (in the store's
meta settings, so every API process on the same store sees the same keys). Each key has
one role, and each role reaches only its own routes:

| role | may |
| --- | --- |
| ``reader`` | look up profiles and consent, follow the change feed |
| ``loader`` | ingest observations |
| ``steward`` | review held edges, approve, reject, merge, split, explain |
| ``privacy`` | record consent, export, erase, read the audit log |
| ``admin`` | create and revoke keys, read store statistics |
"""

from __future__ import annotations

import hashlib
import json
import secrets
from enum import StrEnum

from graph.store import GraphStore, GraphTransaction
from identity.errors import InputRefused, Refusal
from identity.timeutil import utc_now

_PREFIX = "api_key:"


class Role(StrEnum):
    READER = "reader"
    LOADER = "loader"
    STEWARD = "steward"
    PRIVACY = "privacy"
    ADMIN = "admin"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._cache: dict[str, Role | None] = {}

    def create(self, role: str, label: str = "") -> str:
        """A new key for the role; the key itself is returned once and never stored."""
        try:
            checked = Role(role)
        except ValueError:
            raise InputRefused(
                [Refusal("role", role, "role.known", f"one of {', '.join(r.value for r in Role)}")]
            ) from None
        key = f"idg_{secrets.token_urlsafe(32)}"
        record = json.dumps({"role": checked.value, "label": label, "created_at": utc_now()})
        self._store.write(lambda tx: tx.set_meta(_PREFIX + key_hash(key), record))
        return key

    def revoke(self, key_digest: str) -> bool:
        def work(tx: GraphTransaction) -> bool:
            name = _PREFIX + key_digest
            current = tx.get_meta(name)
            if current is None:
                return False
            record = json.loads(current)
            record["revoked_at"] = utc_now()
            tx.set_meta(name, json.dumps(record))
            return True

        revoked = self._store.write(work)
        self._cache.pop(key_digest, None)
        return revoked

    def role_of(self, key: str) -> Role | None:
        """The role of a valid, unrevoked key, else None."""
        digest = key_hash(key)
        if digest not in self._cache:
            record = self._store.read(lambda tx: tx.get_meta(_PREFIX + digest))
            role: Role | None = None
            if record is not None:
                data = json.loads(record)
                if "revoked_at" not in data:
                    role = Role(data["role"])
            self._cache[digest] = role
        return self._cache[digest]
