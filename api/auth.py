"""Bearer-key authentication, role checks and rate limits, before the body is read.

Every keyed router uses ``KeyFirstRoute`` and depends on ``authorize``. The route class
admits the caller before FastAPI reads the body (FastAPI reads and parses a body before it
solves any dependency): it reads ``Authorization: Bearer KEY``, finds the key's role
(``identity.access.ApiKeys``, hashed keys in the store), checks the role against
``api.roles.ROUTE_ROLES`` for the matched route and takes a token from the key's rate
limit (``api.rate_limits``). Missing, unknown or revoked key: 401; a role the route does
not allow: 403; over the limit: 429 with ``Retry-After``. The dependency then hands the
admitted key to the route.

Both are ``async``: they only compute (a key's role is cached after its first use), and
async saves the thread-pool hop a plain dependency costs per request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.json_body import StrictJsonRoute
from api.metrics import ADMITTED_SCOPE, KEY_SCOPE, Metrics
from api.models import KEYED_ERRORS
from api.rate_limits import RateLimiter, retry_after
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
    """The caller's key, admitted by ``KeyFirstRoute`` before the body was read (the
    ``bearer`` dependency is here for the OpenAPI schema's security scheme)."""
    if request.scope.get(ADMITTED_SCOPE):
        key: KeyInfo = request.scope[KEY_SCOPE]
        return key
    return await admit(request, credentials)


async def admit(request: Request, credentials: HTTPAuthorizationCredentials | None) -> KeyInfo:
    """Check the key, its role for the matched route, its rate limit and the query
    parameters. The key, once identified, is kept in the request's scope (for the access
    log); ``ADMITTED_SCOPE`` is set when it passed every check."""
    if credentials is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer KEY", _CHALLENGE)
    service: IdentityService = request.app.state.service
    key = service.keys.identify(credentials.credentials)
    if key is None:
        raise ApiError(401, "unauthenticated", "unknown or revoked API key", _CHALLENGE)
    request.scope[KEY_SCOPE] = key
    route = request.scope["route"]
    if not may_use(key.role, request.method, route.path):
        raise ApiError(
            403,
            "forbidden",
            f"the role {key.role.value!r} may not {request.method} {route.path}",
        )
    rate, burst = service.settings.rate_limit(key.role.value)
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.take(key.digest, rate, burst)
    if wait:
        metrics: Metrics = request.app.state.metrics
        metrics.rate_limited.labels(route.path, key.role.value).inc()
        raise ApiError(
            429,
            "rate_limited",
            f"this key's rate limit ({rate:g} requests a second for the role"
            f" {key.role.value!r}) is reached; retry in {wait:.2f} s",
            {"Retry-After": retry_after(wait)},
        )
    known_query_only(request)
    request.scope[ADMITTED_SCOPE] = True
    return key


class KeyFirstRoute(StrictJsonRoute):
    """A keyed route that admits the caller before FastAPI reads and parses the body: a
    request without a valid key, of a role the route refuses, or over its rate limit is
    answered without a byte of its body read; the body of an admitted one is read
    strictly (``StrictJsonRoute``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def key_first(request: Request) -> Response:
            if not request.scope.get(ADMITTED_SCOPE):
                await admit(request, await bearer(request))
            return await handler(request)

        return key_first


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


def keyed_router(tag: str) -> APIRouter:
    """A router of keyed routes under ``/v1``: each admits its caller before its body is
    read (``KeyFirstRoute``) and hands the route the key (``authorize``)."""
    return APIRouter(
        prefix="/v1",
        tags=[tag],
        dependencies=[Depends(authorize)],
        responses=KEYED_ERRORS,
        route_class=KeyFirstRoute,
    )


Caller = Annotated[KeyInfo, Depends(authorize)]
Service = Annotated[IdentityService, Depends(service_of)]
