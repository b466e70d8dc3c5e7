"""The stewards' search: profiles by name in any script, birth date, postcode or the end
of a phone number (``identity.search``). Roles ``steward`` and ``privacy``; every search is
audited under the key's name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.auth import Caller, Service, keyed_router
from api.models import SearchPageOut
from identity.search import MAX_PAGE

router = keyed_router("stewardship")

Text = Annotated[str | None, Query(max_length=200)]


@router.get(
    "/search",
    response_model=SearchPageOut,
    summary="Profiles by name (any script), birth date, postcode or phone digits",
)
def search(
    service: Service,
    caller: Caller,
    name: Annotated[
        str | None, Query(max_length=200, description="family and given name, any script")
    ] = None,
    date_of_birth: Annotated[str | None, Query(max_length=20, description="YYYY-MM-DD")] = None,
    postcode: Text = None,
    phone: Annotated[
        str | None, Query(max_length=40, description="digits of a number, at least its last 4")
    ] = None,
    after: Annotated[str | None, Query(max_length=200, description="next_after")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> dict[str, Any]:
    page = service.search(
        caller.actor,
        name=name,
        date_of_birth=date_of_birth,
        postcode=postcode,
        phone=phone,
        after=after,
        limit=limit,
    )
    return {"profiles": [p.to_dict() for p in page.profiles], "next_after": page.next_after}
