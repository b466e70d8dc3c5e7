"""The API's interactive documentation (``GET /docs``): Swagger UI over ``/openapi.json``,
served entirely by the app.

FastAPI's own ``/docs`` and ``/redoc`` load their scripts from a public CDN without
integrity hashes, on the same origin as the stewards' page. Here the Swagger UI files come
from the ``fastapi-offline`` package (a maintained copy of the ``swagger-ui-dist``
release) and the page's start-up script from ``api/web/docs.js``; the page's
Content-Security-Policy allows scripts and styles from this origin only, no inline ones.
The routes are public, like the schema, and not in the schema themselves (``api.app``
adds this router besides ``ROUTERS``).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from api.errors import ApiError
from api.routes.pages import PAGES, page, page_headers

router = APIRouter(include_in_schema=False)

_SWAGGER_UI = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (_SWAGGER_UI / "swagger-ui.css", "text/css"),
    "favicon.png": (_SWAGGER_UI / "favicon.png", "image/png"),
    "docs.js": (PAGES / "docs.js", "text/javascript"),
}
"""What ``/docs/assets/{name}`` serves: these files only."""

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Swagger UI draws its icons from ``data:`` images in its style sheet; "Try it out"
calls this origin."""


@router.get("/docs")
async def docs_page() -> HTMLResponse:
    return HTMLResponse(page("docs.html"), headers=page_headers(POLICY))


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise ApiError(404, "not_found", f"no documentation asset {name!r}")
    path, media_type = ASSETS[name]
    return FileResponse(
        path,
        media_type=media_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
    )
