"""What other services use: lookups (one, a batch, by profile ID), consent per address
and the change feed. Role ``reader``.

These routes are ``async`` although the store is not: each is one short read, and running
it on the event loop is cheaper than the two thread-pool hops (handler, then response
serialization) a plain route costs, most of all on a busy machine with few CPUs. The
price: while a read runs, the loop waits. On the embedded store that is one local SQLite
statement; on Neo4j it is a network round trip, so run several workers (``idgraph serve
--workers N``) in front of Neo4j (docs/benchmarks.md).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Query, Response

from api.auth import Service, keyed_router
from api.errors import ApiError
from api.models import (
    MAX_BATCH,
    NOT_FOUND,
    BatchLookupIn,
    BatchLookupOut,
    ChangesOut,
    ConsentAnswerOut,
    ProfileOut,
)

router = keyed_router("lookup")


def profile_json(document: dict[str, Any]) -> bytes:
    """A profile document as JSON without a second pass through ``ProfileOut``: the
    document already has that shape (the schemathesis run checks every answer against the
    schema), and validating its nested provenance and consent again was the largest part
    of a single lookup's CPU time."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def profile_response(document: dict[str, Any]) -> Response:
    return Response(profile_json(document), media_type="application/json")


TypeParam = Annotated[str, Query(description="identifier type, e.g. email")]
ValueParam = Annotated[str, Query(description="raw value; normalized before the lookup")]
RegionParam = Annotated[
    str | None,
    Query(
        pattern="^[A-Z]{2}$",
        description="country of a local phone number (ISO 3166 alpha-2, e.g. KR);"
        " default: the server's default region",
    ),
]


@router.get(
    "/lookup",
    response_model=ProfileOut,
    responses=NOT_FOUND,
    summary="The profile behind one identifier",
)
async def lookup(
    service: Service, type: TypeParam, value: ValueParam, region: RegionParam = None
) -> Response:
    return profile_response(service.lookup(type, value, region).to_dict())


@router.post(
    "/lookup/batch",
    response_model=BatchLookupOut,
    summary=f"The profiles behind up to {MAX_BATCH:,} identifiers, in the order asked",
)
async def lookup_batch(service: Service, body: BatchLookupIn) -> dict[str, Any]:
    if len(body.identifiers) > MAX_BATCH:
        raise ApiError(
            413, "batch_too_large", f"{len(body.identifiers):,} identifiers; at most {MAX_BATCH:,}"
        )
    answers = service.lookup_batch([(i.type, i.value) for i in body.identifiers], body.region)
    results = [
        {
            "index": index,
            "key": a.key or None,
            "profile": None if a.profile is None else a.profile.to_dict(),
            "refusals": [r.to_dict() for r in a.refusals],
        }
        for index, a in enumerate(answers)
    ]
    return {"found": sum(1 for a in answers if a.profile), "results": results}


@router.get(
    "/profiles/{profile_id}",
    response_model=ProfileOut,
    responses=NOT_FOUND,
    summary="A profile by ID; a merged-away ID answers the survivor",
)
async def get_profile(service: Service, profile_id: str) -> Response:
    return profile_response(service.get_profile(profile_id).to_dict())


@router.get(
    "/consent",
    response_model=ConsentAnswerOut,
    responses=NOT_FOUND,
    summary="May I use this address? Its own and its profile's consent, with statements",
)
async def consent(
    service: Service, type: TypeParam, value: ValueParam, region: RegionParam = None
) -> dict[str, Any]:
    return service.consent_of(type, value, region)


@router.get(
    "/changes",
    response_model=ChangesOut,
    summary="Merges, splits and erasures after a position, oldest first",
)
async def changes(
    service: Service,
    after: Annotated[int, Query(ge=0, le=2**62, description="last position already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_BATCH)] = 100,
) -> dict[str, Any]:
    rows = service.changes(after, limit)
    return {
        "changes": [
            {
                "position": c.position,
                "kind": c.kind,
                "profile_id": c.profile_id,
                "at": c.at,
                "detail": json.loads(c.detail) if c.detail else {},
            }
            for c in rows
        ],
        "next_after": rows[-1].position if rows else after,
    }
