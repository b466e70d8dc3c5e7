"""Bearer-key authentication and role checks as one FastAPI dependency.

The dependencies are ``async``: they only compute (a key's role is cached after its first
use), and an async dependency saves the thread-pool hop a plain one costs per request.
Every keyed router depends on ``authorize``: it reads ``Authorization: Bearer KEY``, finds
the key's role (``identity.access.ApiKeys``, hashed keys in the store) and checks the role
against ``api.roles.ROUTE_ROLES`` for the matched route. Missing, unknown or revoked key:
401; a role the route does not allow: 403.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.roles import may_use
from identity.access import KeyInfo
from identity.errors import InputRefused, Refusal
from identity.service import IdentityService

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="An API key from `idgraph keys create --role ROLE`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def service_of(request: Request) -> IdentityService:
    service: IdentityService = request.app.state.service
    return service


async def authorize(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyInfo:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer KEY", _CHALLENGE)
    service: IdentityService = request.app.state.service
    key = service.keys.identify(credentials.credentials)
    if key is None:
        raise ApiError(401, "unauthenticated", "unknown or revoked API key", _CHALLENGE)
    route = request.scope["route"]
    if not may_use(key.role, request.method, route.path):
        raise ApiError(
            403,
            "forbidden",
            f"the role {key.role.value!r} may not {request.method} {route.path}",
        )
    known_query_only(request)
    return key


def known_query_only(request: Request) -> None:
    """Refuse query parameters the route does not declare, and any given twice (every
    parameter here is a single value): a misspelt ``limt=10`` or a repeated ``type=`` is an
    error, not a silently ignored or silently chosen wish."""
    declared = {p.alias for p in request.scope["route"].dependant.query_params}
    given = Counter(name for name, _ in request.query_params.multi_items())
    refusals = [
        Refusal(f"query.{name}", request.query_params[name], "query.known", "no such parameter")
        for name in sorted(given.keys() - declared)
    ] + [
        Refusal(
            f"query.{name}",
            request.query_params.getlist(name),
            "query.single",
            "given more than once; send it once",
        )
        for name in sorted(n for n, times in given.items() if n in declared and times > 1)
    ]
    if refusals:
        raise InputRefused(refusals)


Caller = Annotated[KeyInfo, Depends(authorize)]
Service = Annotated[IdentityService, Depends(service_of)]
