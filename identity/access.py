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
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from graph.store import GraphStore, GraphTransaction
from identity.errors import InputRefused, NotFound, Refusal
from identity.timeutil import utc_now

_PREFIX = "api_key:"
_INDEX = "api_key_index"


class Role(StrEnum):
    READER = "reader"
    LOADER = "loader"
    STEWARD = "steward"
    PRIVACY = "privacy"
    ADMIN = "admin"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What is known about a key: never the key itself, only its digest."""

    digest: str
    role: Role
    label: str
    created_at: str
    revoked_at: str = ""

    @property
    def actor(self) -> str:
        """How the key's holder is named in the audit log: the role and a digest prefix
        (enough to find the key, no personal data)."""
        return f"{self.role.value}:{self.digest[:12]}"

    def to_dict(self) -> dict[str, str]:
        return {
            "digest": self.digest,
            "role": self.role.value,
            "label": self.label,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def _info(digest: str, record: str) -> KeyInfo:
    data = json.loads(record)
    return KeyInfo(
        digest,
        Role(data["role"]),
        data.get("label", ""),
        data.get("created_at", ""),
        data.get("revoked_at", ""),
    )


class ApiKeys:
    """``cache_seconds``: how long a key's record read from the store is trusted in this
    process. A revocation made here takes effect at once; one made by another process (the
    CLI, another server worker) within that time."""

    def __init__(
        self,
        store: GraphStore,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cache: dict[str, tuple[float, KeyInfo]] = {}
        self._cache_seconds = cache_seconds
        self._clock = clock

    def create(self, role: str, label: str = "") -> str:
        """A new key for the role; the key itself is returned once and never stored."""
        try:
            checked = Role(role)
        except ValueError:
            raise InputRefused(
                [Refusal("role", role, "role.known", f"one of {', '.join(r.value for r in Role)}")]
            ) from None
        key = f"idg_{secrets.token_urlsafe(32)}"
        digest = key_hash(key)
        record = json.dumps({"role": checked.value, "label": label, "created_at": utc_now()})

        def work(tx: GraphTransaction) -> None:
            tx.set_meta(_PREFIX + digest, record)
            index = json.loads(tx.get_meta(_INDEX) or "[]")
            tx.set_meta(_INDEX, json.dumps([*index, digest]))

        self._store.write(work)
        return key

    def all_keys(self) -> list[KeyInfo]:
        """Every key ever created (revoked ones too), oldest first."""

        def work(tx: GraphTransaction) -> list[KeyInfo]:
            found = []
            for digest in json.loads(tx.get_meta(_INDEX) or "[]"):
                record = tx.get_meta(_PREFIX + digest)
                if record is not None:
                    found.append(_info(digest, record))
            return found

        return self._store.read(work)

    def find(self, digest_prefix: str) -> str:
        """The full digest of the one key whose digest starts with the prefix (at least 6
        characters)."""
        prefix = digest_prefix.lower()
        if len(prefix) < 6:
            raise InputRefused(
                [Refusal("digest", digest_prefix, "key.digest", "give at least 6 characters")]
            )
        matches = [k.digest for k in self.all_keys() if k.digest.startswith(prefix)]
        if not matches:
            raise NotFound(f"no key has a digest starting {digest_prefix!r}")
        if len(matches) > 1:
            raise InputRefused(
                [Refusal("digest", digest_prefix, "key.digest", f"{len(matches)} keys match")]
            )
        return matches[0]

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
        info = self.identify(key)
        return None if info is None else info.role

    def identify(self, key: str) -> KeyInfo | None:
        """The valid, unrevoked key's description, else None. Known keys are cached in
        this process for ``cache_seconds`` (unknown ones are not, so random keys cannot
        fill the cache)."""
        digest = key_hash(key)
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is None or now - cached[0] >= self._cache_seconds:
            record = self._store.read(lambda tx: tx.get_meta(_PREFIX + digest))
            if record is None:
                self._cache.pop(digest, None)
                return None
            cached = self._cache[digest] = (now, _info(digest, record))
        info = cached[1]
        return None if info.revoked_at else info
