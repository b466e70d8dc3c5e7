"""The stewards' page in a real headless Chromium against a live server: the review queue,
the picture of the profile graph, approve and reject, a key of the wrong role, and its
Content-Security-Policy (no page test may see the browser block anything).

The browser is Debian's Chromium (``make browser`` installs it; ``IDGRAPH_CHROMIUM``
names another), driven by Playwright. Without it these tests fail, they do not skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browser_session import csp_violations, live_server, watch_csp
from playwright.sync_api import Browser, Page, expect

from api.app import create_app
from identity.access import Role
from identity.profile import Profile
from identity.service import IdentityService

pytestmark = pytest.mark.browser


def observation(
    *identifiers: tuple[str, str], day: int, attributes: dict[str, str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "crm",
        "observed_at": f"2026-01-{day:02d}T12:00:00Z",
        "authenticated": True,
        "identifiers": [{"type": t, "value": v} for t, v in identifiers],
    }
    if attributes:
        data["attributes"] = attributes
    return data


ANN_ATTRIBUTES = {
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1980-01-31",
    "postcode": "10001",
}


@pytest.fixture
def held_service(embedded_service: IdentityService) -> IdentityService:
    """Ann's email with CRM number 1, then with CRM number 2: the per-source limit holds
    the second edge for review, so Ann's email and crm/2 stay in two profiles."""
    for data in (
        observation(("email", "ann@example.com"), ("customer_id", "crm/1"), day=1),
        observation(("email", "ann@example.com"), ("customer_id", "crm/2"), day=2),
    ):
        embedded_service.ingest([embedded_service.parse(data).observation])
    return embedded_service


@pytest.fixture
def base_url(held_service: IdentityService) -> Iterator[str]:
    with live_server(create_app(held_service)) as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """The stewards' page; a test that makes the browser block anything fails."""
    context = browser.new_context()
    watch_csp(context)
    opened = context.new_page()
    opened.goto(f"{base_url}/steward")
    try:
        yield opened
        assert csp_violations(opened) == []
    finally:
        context.close()


def use_key(page: Page, key: str) -> None:
    page.fill("#key", key)
    page.click("#key-form button")


class TestReviewQueue:
    def test_a_steward_sees_the_held_edge_with_its_reason(
        self, page: Page, held_service: IdentityService
    ) -> None:
        use_key(page, held_service.keys.create(Role.STEWARD.value))
        rows = page.locator("#queue tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("customer_id:crm/2")
        expect(rows.first).to_contain_text("more than 1 customer_id")
        expect(page.locator("#total")).to_have_text("(1 held)")

    @pytest.mark.parametrize(
        "role",
        [
            pytest.param(Role.READER, id="a reader's key is refused with the API's message"),
            pytest.param(Role.LOADER, id="a loader's key is refused with the API's message"),
        ],
    )
    def test_another_role_sees_the_refusal_and_no_data(
        self, page: Page, held_service: IdentityService, role: Role
    ) -> None:
        use_key(page, held_service.keys.create(role.value))
        expect(page.locator("#message")).to_have_text(
            f"403: the role '{role.value}' may not GET /v1/review"
        )
        expect(page.locator("#queue tbody tr")).to_have_count(0)

    def test_a_wrong_key_is_told_so(self, page: Page) -> None:
        use_key(page, "idg_not-a-key")
        expect(page.locator("#message")).to_have_text("401: unknown or revoked API key")


class TestPagingAndFilter:
    def test_more_fetches_the_next_page_and_a_reason_filters(
        self, page: Page, held_service: IdentityService
    ) -> None:
        # 59 more people, each with a second CRM number held back: 60 held edges in all.
        for day, suffix in ((3, "a"), (4, "b")):
            held_service.ingest(
                [
                    held_service.parse(
                        observation(
                            ("email", f"p{n}@example.com"),
                            ("customer_id", f"crm/{n}{suffix}"),
                            day=day,
                        )
                    ).observation
                    for n in range(59)
                ]
            )
        use_key(page, held_service.keys.create(Role.STEWARD.value))
        rows = page.locator("#queue tbody tr")
        expect(rows).to_have_count(50)
        expect(page.locator("#total")).to_have_text("(60 held)")
        page.click("#more")
        expect(rows).to_have_count(60)
        expect(page.locator("#more")).to_be_hidden()

        page.fill("#reason", "generic")
        page.click("#filter-form button")
        expect(rows).to_have_count(0)
        page.fill("#reason", "more than 1 customer_id")
        page.click("#filter-form button")
        expect(rows).to_have_count(50)
        expect(page.locator("#more")).to_be_visible()


def press_on_the_first_queued_edge(page: Page, service: IdentityService, button: str) -> None:
    """As a steward, press a button of the first edge in the review queue."""
    use_key(page, service.keys.create(Role.STEWARD.value))
    page.locator("#queue tbody tr").first.get_by_role("button", name=button).click()


def draw_profile_of_crm_1(page: Page, service: IdentityService) -> Profile:
    """As a steward, type in the ID of the profile holding ``customer_id:crm/1``."""
    use_key(page, service.keys.create(Role.STEWARD.value))
    profile = service.lookup("customer_id", "crm/1")
    page.fill("#profile-id", profile.id)
    page.click("#profile-form button")
    return profile


class TestPicture:
    def test_shows_both_profiles_and_the_held_edge_between_them(
        self, page: Page, held_service: IdentityService
    ) -> None:
        press_on_the_first_queued_edge(page, held_service, "Show")
        picture = page.locator("#picture")
        expect(picture.locator(".profile-label")).to_have_count(2)
        expect(picture.locator(".node")).to_have_count(3)
        expect(picture.locator(".node.type-customer_id")).to_have_count(2)
        expect(picture.locator(".edge.status-held")).to_have_count(1)
        expect(picture.locator(".edge.status-joined")).to_have_count(1)

    def test_a_profile_id_typed_in_is_drawn(
        self, page: Page, held_service: IdentityService
    ) -> None:
        profile = draw_profile_of_crm_1(page, held_service)
        expect(page.locator("#picture .profile-label")).to_have_text([profile.id])
        expect(page.locator("#picture .node:not(.outside)")).to_have_count(2)


def decide_the_only_queued_edge(
    page: Page, service: IdentityService, button: str, message: str
) -> None:
    """As a steward: press the button on the queue's one edge; it leaves the queue."""
    press_on_the_first_queued_edge(page, service, button)
    expect(page.locator("#message")).to_contain_text(message)
    expect(page.locator("#queue tbody tr")).to_have_count(0)


class TestDecisions:
    def test_rejecting_empties_the_queue_and_keeps_the_profiles_apart(
        self, page: Page, held_service: IdentityService
    ) -> None:
        decide_the_only_queued_edge(page, held_service, "Reject", "Rejected")
        expect(page.locator("#picture .edge.status-rejected")).to_have_count(1)
        rejected = held_service.stewardship.review_queue("rejected").edges
        assert [(e.left, e.right) for e in rejected] == [
            ("customer_id:crm/2", "email:ann@example.com")
        ]
        ann = held_service.lookup("email", "ann@example.com")
        assert ann.id != held_service.lookup("customer_id", "crm/2").id

    def test_approving_joins_the_two_profiles_into_one_picture(
        self, page: Page, held_service: IdentityService
    ) -> None:
        decide_the_only_queued_edge(page, held_service, "Approve", "Approved")
        expect(page.locator("#picture .profile-label")).to_have_count(1)
        expect(page.locator("#picture .node")).to_have_count(3)
        expect(page.locator("#picture .edge.status-approved")).to_have_count(1)
        ann = held_service.lookup("email", "ann@example.com")
        assert ann.id == held_service.lookup("customer_id", "crm/2").id


class TestEvidence:
    def test_a_queued_edge_shows_its_evidence(
        self, page: Page, held_service: IdentityService
    ) -> None:
        press_on_the_first_queued_edge(page, held_service, "Evidence")
        box = page.locator("#evidence .edge-evidence")
        expect(box).to_have_count(1)
        expect(box.locator("h3")).to_contain_text("co_occurrence / authenticated")
        expect(box.locator("h3")).to_contain_text("more than 1 customer_id")

    def test_clicking_an_edge_in_the_picture_shows_its_evidence(
        self, page: Page, held_service: IdentityService
    ) -> None:
        draw_profile_of_crm_1(page, held_service)
        hit = page.locator("#picture .hit").first
        expect(hit).to_have_count(1)
        # A user clicks the middle of the drawn line (12 px wide to the pointer; a browser
        # test tool sees a line's box as 0 px wide, so it clicks by position).
        x1, y1, x2, y2 = (float(hit.get_attribute(a) or 0) for a in ("x1", "y1", "x2", "y2"))
        drawn = hit.evaluate("line => line.previousElementSibling.textContent")
        box = page.locator("#picture").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + (x1 + x2) / 2 + 3, box["y"] + (y1 + y2) / 2)
        expect(page.locator("#evidence h3")).to_have_text(drawn)

    def test_why_two_identifiers_are_together_lists_the_fuzzy_fields(
        self, page: Page, held_service: IdentityService
    ) -> None:
        # A cookie seen only with Ann's person data: the fuzzy matcher joins it to her.
        for data in (
            observation(("email", "ann@example.com"), day=3, attributes=ANN_ATTRIBUTES),
            observation(("cookie", "ck-ann"), day=4, attributes=ANN_ATTRIBUTES),
        ):
            held_service.ingest([held_service.parse(data).observation])
        assert (
            held_service.lookup("cookie", "ck-ann").id
            == held_service.lookup("email", "ann@example.com").id
        )
        use_key(page, held_service.keys.create(Role.STEWARD.value))
        page.fill("#explain-left", "email:ann@example.com")
        page.fill("#explain-right", "cookie:ck-ann")
        page.click("#explain-form button")
        expect(page.locator("#message")).to_have_text(
            "email:ann@example.com and cookie:ck-ann are joined by 1 edge"
        )
        expect(page.locator("#evidence h3")).to_contain_text("fuzzy / fellegi_sunter")
        fields = page.locator("#evidence .evidence-field")
        expect(fields).to_have_count(4)
        expect(fields.filter(has_text="first_name")).to_have_count(1)

    def test_two_identifiers_of_two_profiles_are_not_explained(
        self, page: Page, held_service: IdentityService
    ) -> None:
        use_key(page, held_service.keys.create(Role.STEWARD.value))
        page.fill("#explain-left", "email:ann@example.com")
        page.fill("#explain-right", "customer_id:crm/2")
        page.click("#explain-form button")
        expect(page.locator("#message")).to_contain_text("404:")
        expect(page.locator("#message")).to_contain_text("are not in one profile")


class TestContentSecurityPolicy:
    def test_allows_no_inline_script_or_style_but_the_pages_own(self, base_url: str) -> None:
        response = httpx.get(f"{base_url}/steward")
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response.headers["content-security-policy"].split(";")
        )
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert policy["default-src"] == "'none'"
        assert policy["script-src"].startswith("'sha256-")
        assert policy["style-src"].startswith("'sha256-")
        assert " " not in policy["script-src"] and " " not in policy["style-src"]

    def test_a_stewards_work_runs_without_the_browser_blocking_anything(
        self, page: Page, held_service: IdentityService
    ) -> None:
        press_on_the_first_queued_edge(page, held_service, "Show")
        expect(page.locator("#picture .edge.status-held")).to_have_count(1)
        page.locator("#queue tbody tr").first.get_by_role("button", name="Evidence").click()
        expect(page.locator("#evidence .edge-evidence")).to_have_count(1)
        decide_the_only_queued_edge(page, held_service, "Approve", "Approved")
        assert csp_violations(page) == []

    def test_a_script_put_into_the_page_is_blocked(self, page: Page) -> None:
        """The check above can see a violation: an inline script added to the page (as an
        injection would) is blocked and reported."""
        page.evaluate(
            """() => {
                const s = document.createElement("script");
                s.textContent = "window.injected = true";
                document.body.appendChild(s);
            }"""
        )
        assert page.evaluate("window.injected === undefined")
        assert [v.split(" ")[0] for v in csp_violations(page)] == ["script-src-elem"]
        page.evaluate("window.cspViolations.length = 0")
