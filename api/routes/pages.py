"""Web pages: the stewards' page (``GET /steward``), a review queue with approve and
reject and a picture of the profile graph.

The page is static and public (``api.roles``): it holds no data and no key. Everything
it shows it fetches from the JSON API with the key the steward types in (kept in the
browser tab's session storage), so the roles of ``api.roles`` apply to it unchanged: a
key without the steward role sees the API's 403 message and nothing else.

Its Content-Security-Policy allows its own inline script and style by their SHA-256
hashes, computed from the served file, and nothing else: no other inline script or
style, no script from anywhere (this origin's other pages included), requests to this
origin only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["pages"])


PAGES = Path(__file__).resolve().parent.parent / "web"
"""``api/web``, installed with the package (``package-data`` in pyproject.toml)."""


@cache
def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def page_headers(policy: str) -> dict[str, str]:
    """The headers of every page: its Content-Security-Policy, no MIME sniffing, no
    referrer (the URL of a page may carry more than its path)."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def inline_hash(html: str, element: str) -> str:
    """The CSP source of the page's one inline ``<script>`` or ``<style>``: the SHA-256
    of its text as written, which is what the browser hashes."""
    (text,) = re.findall(rf"<{element}>(.*?)</{element}>", html, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


@cache
def _steward_policy() -> str:
    html = page("steward.html")
    return (
        f"default-src 'none'; script-src {inline_hash(html, 'script')};"
        f" style-src {inline_hash(html, 'style')}; connect-src 'self'; img-src 'self';"
        " base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


@router.get(
    "/steward",
    response_class=HTMLResponse,
    summary="The stewards' web page (static; it calls the API with the key typed in)",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def steward_page() -> HTMLResponse:
    return HTMLResponse(page("steward.html"), headers=page_headers(_steward_policy()))
