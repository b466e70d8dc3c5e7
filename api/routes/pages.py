"""Web pages: the stewards' page (``GET /steward``), a review queue with approve and
reject and a picture of the profile graph.

The page is static and public (``api.roles``): it holds no data and no key. Everything
it shows it fetches from the JSON API with the key the steward types in (kept in the
browser tab's session storage), so the roles of ``api.roles`` apply to it unchanged: a
key without the steward role sees the API's 403 message and nothing else.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["pages"])


PAGES = Path(__file__).resolve().parent.parent / "web"
"""``api/web``, installed with the package (``package-data`` in pyproject.toml)."""


@cache
def _page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


@router.get(
    "/steward",
    response_class=HTMLResponse,
    summary="The stewards' web page (static; it calls the API with the key typed in)",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def steward_page() -> HTMLResponse:
    return HTMLResponse(
        _page("steward.html"),
        headers={
            # Scripts and styles of the page itself only; data from this origin only.
            "Content-Security-Policy": (
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                " connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none';"
                " frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
