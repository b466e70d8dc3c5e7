"""The API documentation (``/docs``) in a real headless Chromium: Swagger UI served by the
app itself, nothing from another origin, and nothing blocked by its strict policy."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from browser_session import csp_violations, live_server, watch_csp
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from api.routes.docs import ASSETS
from identity.service import IdentityService


@pytest.fixture
def base_url(embedded_service: IdentityService) -> Iterator[str]:
    with live_server(create_app(embedded_service)) as url:
        yield url


class TestDocsPage:
    def test_the_policy_allows_this_origins_files_only(self, base_url: str) -> None:
        policy = httpx.get(f"{base_url}/docs").headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "script-src 'self';" in policy
        assert "http" not in policy

    def test_swagger_ui_shows_and_calls_the_api_with_nothing_from_elsewhere(
        self, browser: Browser, base_url: str
    ) -> None:
        context = browser.new_context()
        watch_csp(context)
        page: Page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        try:
            page.goto(f"{base_url}/docs")
            healthz = page.locator(".opblock", has_text="/healthz")
            expect(healthz).to_have_count(1)
            healthz.locator(".opblock-summary").click()
            page.get_by_role("button", name="Try it out").click()
            page.get_by_role("button", name="Execute").click()
            expect(healthz.locator(".response .response-col_status").first).to_have_text("200")
            assert csp_violations(page) == []
        finally:
            context.close()
        assert requested and all(url.startswith(base_url) for url in requested)
        assert f"{base_url}/docs/assets/swagger-ui-bundle.js" in requested


class TestDocsAssets:
    @pytest.mark.parametrize("name", sorted(ASSETS))
    def test_each_is_served_with_its_type(self, base_url: str, name: str) -> None:
        response = httpx.get(f"{base_url}/docs/assets/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(ASSETS[name][1])
        assert response.content

    def test_another_name_is_404(self, base_url: str) -> None:
        response = httpx.get(f"{base_url}/docs/assets/app.py")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_there_is_no_redoc_page_loading_a_cdn(self, base_url: str) -> None:
        assert httpx.get(f"{base_url}/redoc").status_code == 404
