"""Helpers shared by the resolution tests (guards, stewardship, lineage, survivorship,
sequence neutrality, check, fuzzy matching): build observations, read the partition, and
assert that ``idgraph check`` passes after a scenario."""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from store_params import TEST_SECRET, _wipe_neo4j

from api.bootstrap import build_service
from identity.observation import Observation
from identity.service import IdentityService
from identity.settings import Settings

Ident = tuple[str, str]

FIRST_NAMES = ["ann", "bob", "carla", "dmitri", "eve", "farid", "greta", "hugo", "ines", "jun"]
LAST_NAMES = ["lee", "smith", "okafor", "novak", "garcia", "tanaka", "muller", "rossi", "khan"]


def typo(word: str, rng: random.Random) -> str:
    """The word with two neighbouring letters swapped (words under four letters as they
    are)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def observe(
    service: IdentityService,
    *identifiers: Ident,
    day: int = 1,
    source: str = "crm",
    authenticated: bool = True,
    attributes: dict[str, str] | None = None,
    consent: list[dict[str, Any]] | None = None,
) -> Observation:
    """An observation parsed by the service (asserted to be accepted whole)."""
    data: dict[str, Any] = {
        "source": source,
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": authenticated,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
    }
    if attributes is not None:
        data["attributes"] = attributes
    if consent is not None:
        data["consent"] = consent
    parsed = service.parse(data)
    assert parsed.refusals == ()
    return parsed.observation


def key(service: IdentityService, ident: Ident) -> str:
    return service.normalize(*ident).key


def pid(service: IdentityService, ident: Ident) -> str:
    return service.lookup(*ident).id


def same_profile(service: IdentityService, a: Ident, b: Ident) -> bool:
    return pid(service, a) == pid(service, b)


def partition(service: IdentityService) -> list[list[str]]:
    """The profiles as sorted groups of identifier keys, sorted: what sequence neutrality
    compares (IDs depend on history by design; the grouping must not)."""
    return sorted(p.identifiers for p in service.iter_profiles())


def export_without_ids(service: IdentityService) -> list[str]:
    """The export as ``idgraph export`` writes it, minus the history-dependent ID and
    lineage, one line per profile, sorted."""
    lines = []
    for profile in service.iter_profiles():
        document = profile.to_dict(with_lineage=False)
        del document["id"]
        lines.append(json.dumps(document, sort_keys=True))
    return sorted(lines)


def assert_check_passes(service: IdentityService) -> None:
    report = service.check()
    assert report.ok, "idgraph check failed:\n" + "\n".join(report.violations)


@contextmanager
def fresh_service(store_name: str, neo4j: dict[str, str] | None) -> Iterator[IdentityService]:
    """A new, empty store for one example (hypothesis runs many examples per test)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(data_dir=Path(tmp) / "data", store=store_name, secret=TEST_SECRET)
        if neo4j is not None:
            _wipe_neo4j(**neo4j)
            base = base.with_overrides(**neo4j)
        service = build_service(base)
        try:
            yield service
        finally:
            service.store.close()
