"""JSON request bodies read by ``identity.strict_json``: what FastAPI's own reading lets
through or turns into an internal error (a lone surrogate, a name twice, a 5,000-digit
number, NaN, nesting deep enough to exhaust the stack, a million items for the schema
validator to report one by one) is refused with the one error body, field and rule.

Every keyed route reads its body so (``api.auth.KeyFirstRoute`` extends ``StrictJsonRoute``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from api.errors import ApiError
from api.models import MAX_BATCH
from identity.errors import Refusal
from identity.strict_json import decode_document

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
MAX_BODY_ITEMS = 10 * MAX_BATCH
"""Most members of any array or object in a body. Above the routes' own batch limit
(whose 413 names the route's items), so this only stops bodies far beyond any route's
use before the schema validator reports each of their items."""


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            document = decode_document(await self.body(), "body", max_items=MAX_BODY_ITEMS)
            if isinstance(document, Refusal):
                raise body_refused(document)
            self._json = document
        return self._json


def body_refused(refusal: Refusal) -> ApiError:
    """413 for a body with too many items (as for a batch over the limit), else 422."""
    if refusal.rule.endswith(".max_items"):
        return ApiError(413, "batch_too_large", refusal.message, refusals=[refusal])
    return ApiError(422, "invalid_request", refusal.message, refusals=[refusal])


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            try:
                return await handler(_StrictJsonRequest(request.scope, request.receive))
            except HTTPException as e:
                # FastAPI answers any failure to read the body with a bare 400; the
                # refusal that caused it is the answer.
                if isinstance(e.__cause__, ApiError):
                    raise e.__cause__ from None
                raise

        return strict
