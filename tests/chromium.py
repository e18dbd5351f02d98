"""What every browser test module shares: Debian's Chromium driven by Playwright.

A module that does ``from .chromium import browser, sync_api`` is skipped when Chromium is not installed at
/usr/bin/chromium (or Playwright is missing), unless ``REQUIRE_BROWSER_TESTS`` is set (CI), where a missing
browser is a failure; and gets the module-scoped ``browser`` fixture.
"""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    if os.environ.get("REQUIRE_BROWSER_TESTS"):  # CI: a missing browser is a failure, not a skip
        raise RuntimeError("REQUIRE_BROWSER_TESTS is set but Chromium is not installed at /usr/bin/chromium")
    pytest.skip("Chromium not installed at /usr/bin/chromium: browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: browser tests skipped")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls of the tests
    # (factories, the transactional flush) would otherwise be refused as "async unsafe".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
