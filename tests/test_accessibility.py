"""axe-core (WCAG 2.2 AA rules) on every public page type (and a few in Russian), at desktop and phone widths,
in Debian's Chromium.

axe.min.js comes from npm into .tools/ (``make tools``); without it, or without Chromium, the test is
skipped, saying why (CI sets ``REQUIRE_STANDARDS_TOOLS`` and ``REQUIRE_BROWSER_TESTS``: then it fails).
One browser, one test: every page at both widths, every violation listed in the failure.
"""

from __future__ import annotations

import pytest

from .chromium import browser, sync_api  # noqa: F401 - browser: the shared fixture
from .public_pages import AXE_JS, PAGES, RU_PAGES, build, require

require("axe-core", AXE_JS.exists(), f"not found at {AXE_JS}")

pytestmark = [pytest.mark.browser]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {1280: 900, 375: 800}


def _describe(width: int, path: str, violation: dict) -> list[str]:
    lines = [f"{width}px {path}: {violation['id']} ({violation['impact']}) {violation['help']}"]
    for node in violation["nodes"][:5]:
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        lines.append(f"    {' '.join(map(str, node['target']))}: {summary[:300]}")
    return lines


def test_no_page_type_has_an_axe_violation(browser, live_server, transactional_db):
    build()
    axe = AXE_JS.read_text(encoding="utf-8")
    problems: list[str] = []
    checked = 0
    for width, height in WIDTHS.items():
        # The site's Content Security Policy allows no injected script: the test's own axe is let through.
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            for _name, path, status in PAGES + RU_PAGES:
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == status, path
                page.add_script_tag(content=axe)
                result = page.evaluate(
                    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                    TAGS,
                )
                checked += 1
                for violation in result["violations"]:
                    problems += _describe(width, path, violation)
        finally:
            context.close()
    assert checked == 2 * len(PAGES + RU_PAGES)
    assert not problems, "axe-core (WCAG 2.2 AA) violations:\n" + "\n".join(problems)
