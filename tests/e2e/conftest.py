"""Browser tests: Playwright for Python driving Debian's chromium.

Playwright's own browser download is not used (it needs the internet); the
tests launch the system chromium through ``executable_path``. The flags turn
off the background traffic that a machine without internet would refuse,
and ``--no-sandbox`` is needed when the tests run as root (as in CI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django.db import connections

from tests.conftest import require_or_skip

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    configured = os.environ.get("SHOUMI_CHROMIUM")
    if configured:
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if shutil.which(candidate):
            return candidate
    return None


@pytest.fixture
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        require_or_skip("SHOUMI_REQUIRE_BROWSER", "Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip("SHOUMI_REQUIRE_BROWSER", "playwright is not installed")
    flags = list(CHROMIUM_FLAGS)
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=flags)
        yield launched
        launched.close()
        # The test's ORM calls ran beside Playwright's event loop, and the connection they
        # opened is not the one pytest-django closes after the test. Left open, it kept the
        # PostgreSQL test database in use when the run ended, so dropping it failed with
        # 'database "test_postgres" is being accessed by other users'.
        connections.close_all()


@pytest.fixture
def page(browser, live_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread while the
    # browser is open (so the browser fixture is per test); the ORM calls
    # the test itself makes (not the server's) are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()
