"""One error body for every failure: ``{"error": {"code", "message", "refusals"?}}``.

401, 403, 404, 405, 413, 422, 500 and 503 all answer in this shape, whether the domain, the
request validation, the router or an unexpected bug raised them."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from graph.store import STORE_FULL, StoreError
from identity.errors import InputRefused, NotFound, Refusal

log = logging.getLogger("idgraph.api")


class ApiError(Exception):
    """An answer decided by the HTTP layer itself (auth, limits)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        refusals: list[Refusal] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.refusals = refusals


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def store_failure_for_log(exc: StoreError) -> str:
    """What the server log says of a store failure: its cause and the driver error's type
    and code, never a message (a constraint error may quote the value that broke it)."""
    driver = exc.__cause__
    if driver is None:
        return exc.cause
    code = getattr(driver, "code", None) or getattr(driver, "sqlite_errorname", None)
    return f"{exc.cause} ({type(driver).__name__}{f' {code}' if code else ''})"


def store_unavailable(exc: StoreError) -> ApiError:
    """The 503 for a store failure: its cause, never the driver's message (which may
    quote data); nothing of the request was stored (a write is one transaction)."""
    if exc.cause == STORE_FULL:
        return ApiError(
            503,
            "store_full",
            "the store has no space left to write; nothing of this request was stored;"
            " retry when space has been freed",
            {"Retry-After": "60"},
        )
    return ApiError(
        503, "store_unavailable", "the store is unavailable; retry later", {"Retry-After": "5"}
    )


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        if exc.refusals:
            return JSONResponse(
                error_body(exc.code, exc.message, refusals=[r.to_dict() for r in exc.refusals]),
                status_code=exc.status,
                headers=exc.headers,
            )
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(InputRefused)
    async def refused(_: Request, exc: InputRefused) -> JSONResponse:
        return JSONResponse(
            error_body(
                "input_refused", exc.first.message, refusals=[r.to_dict() for r in exc.refusals]
            ),
            status_code=422,
        )

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, "not_found", str(exc))

    @app.exception_handler(StoreError)
    async def store_failed(_: Request, exc: StoreError) -> JSONResponse:
        log.error("store failed: %s", store_failure_for_log(exc))
        answer = store_unavailable(exc)
        return error_response(answer.status, answer.code, answer.message, answer.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode: one more kind of invalid request.
            return error_response(422, "invalid_request", "the body is not UTF-8 JSON")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_methods_of(app, request.url.path))
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal", "an internal error; the server log has details")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        refusals = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "value": _plain(e.get("input")),
                "rule": e.get("type", "invalid"),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body(
                "invalid_request", "the request does not match the schema", refusals=refusals
            ),
            status_code=422,
        )


def _methods_of(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at the path (routes of several routers may share
    a path, so the router's own answer would name only the first)."""
    templates: list[tuple[re.Pattern[str], list[str]]] | None = getattr(
        app.state, "path_methods", None
    )
    if templates is None:
        templates = [
            (compile_path(template)[0], [m.upper() for m in operations])
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.path_methods = templates
    return sorted({m for regex, methods in templates if regex.match(path) for m in methods})


def _plain(value: object) -> object:
    """The refused input as JSON can carry it (bytes and odd objects as text)."""
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)
