"""One error body for every failure: ``{"error": {"code", "message", "refusals"?}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from graph.store import StoreError
from identity.errors import InputRefused, NotFound


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
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
        return JSONResponse(error_body("not_found", str(exc)), status_code=404)

    @app.exception_handler(StoreError)
    async def store_failed(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse(error_body("store_unavailable", str(exc)), status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        refusals = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "value": e.get("input"),
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
