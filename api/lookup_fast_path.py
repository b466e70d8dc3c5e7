"""The plain single lookup answered before FastAPI's routing: the hot path of the API.

``GET /v1/lookup`` is what other services call per page view or event, at thousands per
second; FastAPI's routing and dependency solving for it cost several times the lookup
itself (``bench/http.py`` compares a lookup's server CPU with ``/healthz``'s; see
docs/benchmarks.md and bench/RESULTS.md). This ASGI middleware answers the ordinary case
directly: a bearer key whose role may use the route (``api.roles``, as ``api.auth``
checks it), exactly the ``type`` and ``value`` query parameters once each, the key within
its rate limit (``api.rate_limits``, the same bucket as the route's), and a profile
found. The answer is the route's own: the same ``profile_json`` of the same service call,
counted by the metrics middleware under the route's template.

Anything else (no key, a wrong role, an unknown or repeated parameter, a key over its rate
limit, a value that does not normalize, no profile, a store error) is passed on untouched
to the FastAPI route, which gives the documented answer and error body: the fast path has
no error answers of its own, so it cannot drift from the OpenAPI schema or the role
matrix, both of which the test suite checks through it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api.metrics import ADMITTED_SCOPE, KEY_SCOPE
from api.rate_limits import RateLimiter
from api.roles import may_use
from api.routes.lookup import profile_json
from graph.store import StoreError
from identity.errors import IdgraphError
from identity.service import IdentityService

PATH = "/v1/lookup"
_PARAMETERS = frozenset({"type", "value"})


class LookupFastPath:
    def __init__(self, app: ASGIApp, route: BaseRoute) -> None:
        self.app = app
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = self._answer(scope)
            if body is not None:
                scope["route"] = self.route
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-length", str(len(body)).encode()),
                            (b"content-type", b"application/json"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> bytes | None:
        """The answer's body, or None to leave the request to the route."""
        key = _bearer_key(scope)
        if key is None:
            return None
        # Where the routes find it too (``api.auth.service_of``).
        service: IdentityService = scope["app"].state.service
        info = service.keys.identify(key)
        if info is None or not may_use(info.role, "GET", PATH):
            return None
        # As Starlette reads a query string, so both paths see the same values.
        params = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if len(params) != 2 or {name for name, _ in params} != _PARAMETERS:
            return None
        limiter: RateLimiter = scope["app"].state.rate_limiter
        if limiter.take(info.digest, *service.settings.rate_limit(info.role.value)):
            return None  # the route answers 429 (a refused request takes no token)
        # Admitted, as ``api.auth.admit`` would: the route, if it answers instead, does
        # not check (nor count) the key again.
        scope[KEY_SCOPE], scope[ADMITTED_SCOPE] = info, True
        values = dict(params)
        try:
            profile = service.lookup(values["type"], values["value"])
        except (IdgraphError, StoreError):
            return None
        return profile_json(profile.to_dict())


def _bearer_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            return key if scheme.lower() == "bearer" and key else None
    return None
