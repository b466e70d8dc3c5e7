"""HTTP fixtures: an app over the store under test and one API key per role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from identity.access import Role
from identity.service import IdentityService

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def app(service: IdentityService) -> FastAPI:
    return create_app(service)


@pytest.fixture
def keys(service: IdentityService) -> dict[Role, str]:
    return {role: service.keys.create(role.value, f"test {role.value}") for role in Role}


@pytest.fixture
def clients(app: FastAPI, keys: dict[Role, str]) -> Iterator[dict[Role, TestClient]]:
    """One client per role, each sending its role's key."""
    made = {role: TestClient(app, headers=bearer(key)) for role, key in keys.items()}
    for client in made.values():
        client.__enter__()
    try:
        yield made
    finally:
        for client in made.values():
            client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A real headless Chromium (``browser_session.CHROMIUM``); without it page tests
    fail, they do not skip."""
    from browser_session import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (or set IDGRAPH_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
