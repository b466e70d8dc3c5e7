"""A live server for an app and what page tests need around a real headless Chromium.

The browser is Debian's Chromium (``make browser`` installs it; ``IDGRAPH_CHROMIUM``
names another), driven by Playwright; the ``browser`` fixture is in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Page

CHROMIUM = Path(os.environ.get("IDGRAPH_CHROMIUM", "/usr/bin/chromium"))
# As root on a machine without outside network: no sandbox, no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") + ": " + event.sample);
});
"""


@contextlib.contextmanager
def live_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port; yields its base URL.
    ``options``: more of ``uvicorn.Config``'s (by default it logs warnings only)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **{"log_level": "warning", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def watch_csp(context: BrowserContext) -> None:
    """Record, in every page of the context, what its Content-Security-Policy blocks (the
    browser's ``securitypolicyviolation`` events); read with ``csp_violations``."""
    context.add_init_script(_WATCH_CSP)


def csp_violations(page: Page) -> list[str]:
    violations: list[str] = page.evaluate("window.cspViolations")
    return violations
