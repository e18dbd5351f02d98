"""A reader in a real browser: Debian's Chromium driven by Playwright against the live server.

Run alone with ``pytest -m browser``; skipped when Chromium is not installed at /usr/bin/chromium.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    if os.environ.get("REQUIRE_BROWSER_TESTS"):  # CI: a missing browser is a failure, not a skip
        raise RuntimeError("REQUIRE_BROWSER_TESTS is set but Chromium is not installed at /usr/bin/chromium")
    pytest.skip("Chromium not installed at /usr/bin/chromium: browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: browser tests skipped")

from . import factories  # noqa: E402

pytestmark = [pytest.mark.browser]

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
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


@pytest.fixture
def data(transactional_db, browser):
    return factories.catalogue()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def count_heading(page) -> str:
    return page.locator("#results-heading").inner_text()


def row_slugs(page) -> list[str]:
    hrefs = page.locator("ol.commitments li.commitment h3 a").evaluate_all("links => links.map(a => a.pathname)")
    return [h.strip("/").split("/")[-1] for h in hrefs]


def facet_link(page, facet: str, label: str):
    """The option whose label is exactly ``label`` ("Achieved", not "Partially achieved")."""
    exact = re.compile(rf"^\W*{re.escape(label)}\s+\d+\s*$")
    return page.locator(f'section[aria-labelledby="facet-{facet}"] a', has_text=exact)


def test_reader_filters_by_clicking_opens_a_commitment_and_downloads_the_rows(page, live_server, data):
    expect = sync_api.expect
    page.goto(f"{live_server.url}/commitments/")
    expect(page.locator("#results-heading")).to_have_text("5 commitments")
    assert len(row_slugs(page)) == 5

    facet_link(page, "theme", "P/CVE").click()
    expect(page.locator("#results-heading")).to_have_text("3 commitments")
    assert row_slugs(page) == ["deploy-ct-expert", "exchange-pcve-practice", "reintegrate-returning-families"]
    assert re.search(r"\?theme=pcve$", page.url)

    facet_link(page, "status", "Achieved").click()
    expect(page.locator("#results-heading")).to_have_text("1 commitment")
    assert row_slugs(page) == ["deploy-ct-expert"]
    chips = page.locator("ul.active-filters a")
    expect(chips).to_have_count(3)  # two filters and "Clear all"
    expect(chips.nth(0)).to_contain_text("Status: Achieved")
    expect(chips.nth(1)).to_contain_text("Theme: P/CVE")

    chips.filter(has_text="Status: Achieved").click()  # remove just that filter
    expect(page.locator("#results-heading")).to_have_text("3 commitments")
    assert "status=" not in page.url and "theme=pcve" in page.url
    expect(page.locator("ul.active-filters a")).to_have_count(2)

    page.locator("ol.commitments a", has_text="Deploy a dedicated CT expert").click()
    expect(page.locator("h1")).to_have_text("Deploy a dedicated CT expert")
    updates = page.locator("article.update")
    expect(updates).to_have_count(2)
    expect(updates.nth(0)).to_contain_text("Expert in post in Bishkek since March.")
    for u in (data.expert_u2, data.expert_u1):
        link = page.locator(f"#update-{u.pk} ul.evidence a")
        expect(link).to_have_attribute("href", f"https://example.org/e/{u.pk}/0")
        expect(link).to_be_visible()
    expect(page.locator(".current-status")).to_contain_text("Achieved: Delivered as committed.")

    page.go_back()
    expect(page.locator("#results-heading")).to_have_text("3 commitments")
    shown = row_slugs(page)
    with page.expect_download() as info:
        page.locator("p.downloads a", has_text="CSV").click()
    download = info.value
    assert download.suggested_filename == "commitments.csv"
    content = Path(download.path()).read_text(encoding="utf-8-sig")
    assert [row["slug"] for row in csv.DictReader(io.StringIO(content))] == shown


def test_list_works_without_javascript(browser, live_server, data):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/commitments/?theme=pcve")
        page.fill("#id_q", "Bishkek")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"q=Bishkek"))
        assert "theme=pcve" in page.url  # the chosen facet rode along in the form
        assert page.locator("#results-heading").inner_text() == "1 commitment"
        assert row_slugs(page) == ["deploy-ct-expert"]
        # A bad date comes back with the message beside the field, still without JavaScript.
        page.fill("#id_due_after", "2023-01-01")
        page.fill("#id_due_before", "2022-01-01")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"due_before=2022-01-01"))
        assert "must not be earlier than" in page.locator("#id_due_before_error").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/commitments/", "/", "/commitments/deploy-ct-expert/", "/methodology/"])
def test_phone_viewport_has_no_horizontal_scroll(browser, live_server, data, path):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 375 + 1, f"{path} is {width}px wide on a 375px phone"
    finally:
        context.close()


@pytest.fixture
def real_data(transactional_db, browser):
    """The real, sourced dataset from fixtures/ (the README's screenshots show real data only)."""
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command

    fixtures = Path(settings.BASE_DIR) / "fixtures"
    call_command("import_commitments", str(fixtures / "commitments-sources.yaml"),
                 str(fixtures / "assessments.yaml"), stdout=StringIO())


def test_screenshots(page, live_server, real_data):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in [("overview", "/"), ("list", "/commitments/?theme=p-cve"),
                       ("detail", "/commitments/cooperate-on-returning-terrorist-fighters/")]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
