"""The API's documentation page in a real browser: Swagger UI renders every operation from our own files,
under the site's Content Security Policy, with no refused script or style."""

from __future__ import annotations

import pytest

from . import factories
from .chromium import TIMEOUT_MS, browser, sync_api  # noqa: F401 - browser: the shared fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def data(transactional_db, browser, settings):
    settings.API_RATE_LIMIT = ""
    return factories.catalogue()


def test_the_docs_page_renders_every_operation_under_the_csp(browser, live_server, data):
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:") else None)
    try:
        page.goto(f"{live_server.url}/api/v1/docs/")
        page.wait_for_selector(".opblock", state="attached")
        assert page.locator(".opblock").count() == 14  # every operation of docs/openapi.json
        page.locator(".opblock-summary").first.click()
        page.wait_for_selector(".parameters-container")
    finally:
        page.close()
    assert not problems, problems  # a CSP refusal is a console error too
    assert not outside, outside
