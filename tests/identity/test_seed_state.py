"""``identity.staging.seed_state``: after a batch's chunks are stored, what staging knows
of its identifiers and their edges without reading them back is exactly what the store
answers (both stores), for identifiers stored before the batch and for new ones, with
edges repeated across chunks (a weak link made joining, a fuzzy pair seen again stronger
or weaker)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from resolution_helpers import FIRST_NAMES, LAST_NAMES, observe, typo

from api.bootstrap import build_service
from graph.records import EdgeRow
from graph.store import GraphTransaction
from identity.observation import Observation
from identity.service import IdentityService
from identity.settings import Settings
from identity.staging import seed_state


def _people(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Per person: a CRM record, the same again later, two emails from a mail source whose
    records look like the CRM one (fuzzy pairs, the second a weaker or stronger sighting of
    the same pair), a shop's customer ID whose records are only like enough for review
    (held, then a stronger sighting with a new reason), and a cookie seen with the CRM
    email by the web (weak) and then by the point of sale (joining): the same edge twice."""
    rows: list[dict[str, Any]] = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        person = {
            "first_name": first,
            "last_name": last,
            "date_of_birth": f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}",
            "postcode": f"{rng.randint(10000, 99999)}",
        }
        crm = [("email", f"p{n}@crm.example")]
        mail = [("email", f"{first}{n}@mail.example")]
        shop = [("customer_id", f"shop/{n}")]
        names = {"first_name": first, "last_name": last, "postcode": person["postcode"]}
        # A birth date one digit off: a stronger sighting of the pair, still in review.
        digit = int(person["date_of_birth"][-1])
        near = person["date_of_birth"][:-1] + str(digit - 1 if digit >= 2 else digit + 1)
        rows += [
            {"source": "crm", "id": crm, "attributes": person, "day": 1},
            {"source": "crm", "id": crm, "attributes": person, "day": 6},
            {
                "source": "mail",
                "id": mail,
                "attributes": {**person, "last_name": typo(last, rng)},
                "day": 2,
            },
            {
                "source": "mail",
                "id": mail,
                "attributes": {**person, "first_name": typo(first, rng)},
                "day": 3,
            },
            {"source": "shop", "id": shop, "attributes": names, "day": 7},
            {
                "source": "shop",
                "id": shop,
                "attributes": {**names, "date_of_birth": near},
                "day": 8,
            },
            {"source": "web", "id": [*crm, ("cookie", f"web-{n}")], "attributes": {}, "day": 4},
            {"source": "pos", "id": [*crm, ("cookie", f"web-{n}")], "attributes": {}, "day": 5},
        ]
    rng.shuffle(rows)
    return rows


def _observations(service: IdentityService, rows: list[dict[str, Any]]) -> list[Observation]:
    return [
        observe(
            service,
            *row["id"],
            day=row["day"],
            source=row["source"],
            authenticated=row["source"] == "crm",
            attributes=row["attributes"] or None,
        )
        for row in rows
    ]


@pytest.fixture
def weighted(settings: Settings) -> Iterator[IdentityService]:
    """The store under test, where the point of sale's unauthenticated links join."""
    service = build_service(replace(settings, unauthenticated_weight_by_source={"pos": 0.95}))
    try:
        yield service
    finally:
        service.store.close()


class RolledBack(Exception):
    pass


def _by_slot(edges: list[EdgeRow]) -> list[EdgeRow]:
    return sorted(edges, key=lambda e: e.slot)


class TestSeedState:
    @pytest.mark.parametrize(
        ("seed", "stored_first", "sizes"),
        [
            pytest.param(3, 0.0, [400], id="a first load in one chunk"),
            pytest.param(4, 0.0, [37, 50, 13, 20], id="a first load in uneven chunks"),
            pytest.param(5, 0.4, [20, 20, 20, 20], id="a batch over stored profiles"),
            pytest.param(6, 0.7, [1, 2, 3, 10], id="tiny chunks over stored profiles"),
        ],
    )
    def test_it_is_what_the_store_answers(
        self, weighted: IdentityService, seed: int, stored_first: float, sizes: list[int]
    ) -> None:
        one_chunk = len(sizes) == 1
        service = weighted
        observations = _observations(service, _people(random.Random(seed), 25))
        first = int(len(observations) * stored_first)
        if first:
            service.ingest(observations[:first])
        rest = observations[first:]
        chunks, start = [], 0
        for size in sizes:
            chunks.append(rest[start : start + size])
            start += size
        chunks.append(rest[start:])
        seen: dict[str, int] = {}

        def work(tx: GraphTransaction) -> None:
            staged = service.resolver.staging.stage_chunks(tx, chunks)
            seeds = set(staged.identifiers)
            stored, edges = seed_state(tx, staged)
            assert stored == tx.get_identifiers(seeds)
            assert edges == _by_slot(tx.edges_of(seeds))
            seen["fresh"] = len(staged.fresh)
            seen["old"] = len(seeds) - len(staged.fresh)
            seen["fuzzy"] = sum(1 for e in edges if e.matcher == "fuzzy")
            seen["fuzzy seen twice"] = sum(
                1 for e in edges if e.matcher == "fuzzy" and e.sightings > 1
            )
            seen["held seen twice"] = sum(
                1 for e in edges if e.status == "held" and e.sightings > 1
            )
            seen["weak made joining"] = sum(
                1 for e in edges if e.rule == "unauthenticated" and e.status == "joined"
            )
            raise RolledBack

        with pytest.raises(RolledBack):
            service.store.write(work)
        assert seen["fresh"] > 0
        assert (seen["old"] > 0) == (first > 0)
        assert seen["fuzzy"] > 0
        # In one chunk the linker keeps the stronger of two sightings of a pair; across
        # chunks the later one is stored over the earlier, and counted.
        assert (seen["fuzzy seen twice"] > 0) != one_chunk
        assert (seen["held seen twice"] > 0) != one_chunk
        assert seen["weak made joining"] > 0
