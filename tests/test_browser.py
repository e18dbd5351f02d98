"""A reader in a real browser: Debian's Chromium driven by Playwright against the live server.

Run alone with ``pytest -m browser``; skipped when Chromium is not installed at /usr/bin/chromium.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from . import factories
from .chromium import TIMEOUT_MS, browser, sync_api  # noqa: F401 - browser: the shared fixture

pytestmark = [pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


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
        page.locator("p.downloads").get_by_role("link", name="CSV", exact=True).click()
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


@pytest.fixture
def report_url(data):
    """A published report of a finished quarter (its tables are the widest on the site)."""
    from commitments import services
    from commitments.reports.periods import parse_period

    report, _ = services.prepare_report(period=parse_period("2025-Q3"))
    return services.publish_report(report=report, user=None).get_absolute_url()


@pytest.mark.parametrize("width", [375, 320])
@pytest.mark.parametrize("path", ["/commitments/", "/", "/commitments/deploy-ct-expert/", "/methodology/",
                                  "/about/", "/updates/", "/themes/", "/countries/", "/sources/", "/themes/pcve/",
                                  "/countries/matrix/", "REPORT", "/commitments/?status=bogus&theme=pcve"])
def test_phone_viewport_has_no_horizontal_scroll(browser, live_server, data, report_url, path, width):
    """Nothing scrolls sideways on a phone, down to 320 px: wide tables (the matrix, a report's) scroll in
    their own box."""
    context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}{path.replace('REPORT', report_url)}")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{path} is {scroll_width}px wide on a {width}px phone"
    finally:
        context.close()


TABLES_IN_BOXES = """() => [...document.querySelectorAll('main table')].map(t => {
    const box = t.closest('.table-scroll');
    return {table: t.className, width: t.scrollWidth, box: box ? box.clientWidth : null,
            focusable: box ? box.tabIndex === 0 && box.getAttribute('role') === 'region' : false,
            named: box ? Boolean(box.getAttribute('aria-label') || box.getAttribute('aria-labelledby')) : false,
            scrolls: box ? getComputedStyle(box).overflowX === 'auto' : false};
})"""


def test_report_tables_scroll_in_their_own_box_and_the_figures_are_not_clipped(browser, live_server, data, report_url):
    """A report's tables on a 320 px phone: each in a named, focusable box that scrolls sideways (by keyboard too),
    the page itself never; on a desktop the chart's figures table, below the chart, fits whole."""
    for width in (320, 1280):
        context = browser.new_context(viewport={"width": width, "height": 740}, is_mobile=width < 400)
        try:
            page = context.new_page()
            page.goto(f"{live_server.url}{report_url}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            tables = page.evaluate(TABLES_IN_BOXES)
            assert len(tables) >= 6
            for t in tables:
                assert t["focusable"] and t["named"] and t["scrolls"], t
            figures = page.locator("div.table-scroll:has(table.timeline)")
            if width == 320:
                assert [t for t in tables if t["table"] == "timeline"][0]["width"] > 320  # it does need to scroll
                figures.focus()
                page.keyboard.press("ArrowRight")
                # The key scrolls smoothly: wait for the box to move (a timeout if it never does).
                page.wait_for_function("box => box.scrollLeft > 0", arg=figures.element_handle(), timeout=5000)
            else:
                (timeline,) = [t for t in tables if t["table"] == "timeline"]
                assert timeline["width"] <= timeline["box"], timeline  # nothing of it hidden
                chart = page.locator("svg.chart").bounding_box()
                assert figures.bounding_box()["y"] >= chart["y"] + chart["height"]  # below the chart, not beside
        finally:
            context.close()


def test_phone_shows_the_first_result_on_the_first_screen_with_the_filters_folded_above(browser, live_server, data):
    """On a phone the list's filters fold into a disclosure above the results (no JavaScript needed), so the
    first result starts within the first screen; on a wide screen they are the sidebar, always shown."""
    context = browser.new_context(viewport={"width": 375, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/commitments/?theme=pcve")
        first = page.locator("ol.commitments li.commitment").first.bounding_box()
        assert first is not None and first["y"] < 800, first
        summary = page.locator("details.filters-disclosure > summary")
        assert summary.inner_text().strip() == "Filters (1 active)"
        assert summary.bounding_box()["y"] < first["y"]  # above the results
        facet = page.locator('section[aria-labelledby="facet-status"]')
        assert not facet.is_visible()
        summary.click()  # opens without JavaScript
        assert facet.is_visible()
        # The matrix's filters are a disclosure above its table too, and its table scrolls in its own box.
        page.goto(f"{live_server.url}/countries/matrix/")
        assert page.locator("details.matrix-filters > summary").bounding_box()["y"] < \
            page.locator("table.matrix").bounding_box()["y"]
        box = page.locator("div.table-scroll")
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
        assert box.get_attribute("aria-label")
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/commitments/")
        assert page.locator('section[aria-labelledby="facet-status"]').is_visible()  # folded, yet shown
    finally:
        context.close()


# Each menu link and the heading of the page it opens.
MENU = {"Overview": "Where the commitments stand", "Commitments": "Commitments", "Countries": "Countries",
        "Themes": "Themes", "Reports": "Progress reports", "Updates": "Latest updates",
        "About": "About the Commitments Tracker"}


@pytest.mark.parametrize("width", [1280, 375])
def test_reader_reaches_every_menu_page_from_the_home_page(browser, live_server, data, width):
    """By the menu's links alone, without JavaScript, on a desktop and a phone: each page answers with its
    heading, marks itself in the menu, and every menu link is at least 24 px high."""
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        menu = page.get_by_role("navigation", name="Main").get_by_role("link")
        labels = menu.all_inner_texts()
        assert labels == list(MENU)
        for label in labels:
            page.goto(f"{live_server.url}/")
            with page.expect_navigation() as navigation:
                page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
            assert navigation.value.status == 200, label
            assert page.get_by_role("heading", level=1).all_inner_texts() == [MENU[label]], label
            current = page.get_by_role("navigation", name="Main").locator('a[aria-current="page"]')
            assert current.inner_text() == label
            heights = page.get_by_role("navigation", name="Main").get_by_role("link").evaluate_all(
                "links => links.map(a => a.getBoundingClientRect().height)")
            assert min(heights) >= 24, f"{label}: menu targets {heights}"
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


PASSWORD = "pw-for-tests-only"  # factories.staff's


def signed_in(browser, live_server, user):
    """A fresh browser context signed in at /admin/ through the login form, as staff do."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    sync_api.expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))) \
        .to_be_visible()
    return context, page


def test_editor_edit_is_reviewed_published_with_its_reason_then_an_update_is_withdrawn(browser, live_server, data):
    """Editor → publisher review → public page → withdrawal, each step as its user sees it."""
    from django.utils import timezone

    from commitments.models import StatusUpdate
    from commitments.templatetags.tracker import day

    expect = sync_api.expect
    c = data.expert
    public_url = f"{live_server.url}{c.get_absolute_url()}"
    old_title, new_title = c.title, "Deploy a dedicated counter-terrorism expert"
    old_quote = c.quote
    new_quote = "The EU will deploy a dedicated security and counter-terrorism expert to the region."
    approve_reason = "The source spells out counter-terrorism; the title now says it the same way."
    withdraw_reason = "The report it relied on was about another expert."
    contexts = []
    try:
        # (a) An editor changes the title and the quote of the published commitment: held for review.
        editor_context, editor = signed_in(browser, live_server, factories.editor())
        contexts.append(editor_context)
        editor.goto(f"{live_server.url}/admin/commitments/commitment/{c.pk}/change/")
        expect(editor.locator("ul.messagelist")).to_contain_text("This record is public")
        # By id: the evidence inline's empty form has a "Title:" too.
        editor.locator("#id_title").fill(new_title)
        editor.locator("#id_quote").fill(new_quote)
        editor.get_by_role("button", name="Save", exact=True).click()
        expect(editor.locator("ul.messagelist .success")).to_contain_text("pending a publisher's review")
        expect(editor.locator("#revision-diff")).to_contain_text(new_title)

        # (b) A reader (not signed in) still sees the published words.
        reader_context = browser.new_context()
        contexts.append(reader_context)
        reader_context.set_default_timeout(TIMEOUT_MS)
        reader = reader_context.new_page()
        reader.goto(public_url)
        expect(reader.locator("h1")).to_have_text(old_title)
        expect(reader.locator("figure.quote blockquote")).to_have_text(f"“{old_quote}”")
        expect(reader.get_by_text(new_title)).to_have_count(0)

        # (c) A publisher finds it in the queue on the admin home and reads the diff.
        publisher_context, publisher = signed_in(browser, live_server, factories.publisher())
        contexts.append(publisher_context)
        counts = publisher.locator("#revision-counts")
        expect(counts.get_by_role("row", name="Pending revisions to review")).to_contain_text("1")
        counts.get_by_role("link", name="Pending revisions to review").click()
        expect(publisher.locator("#result_list tbody tr")).to_have_count(1)
        publisher.locator("#result_list tbody tr").get_by_role("link", name=re.compile(r"^#\d+$")).click()
        diff = publisher.locator("#revision-diff")
        for label, old, new in (("Title", old_title, new_title), ("Quote", old_quote, new_quote)):
            row = diff.get_by_role("row", name=re.compile(rf"^{label}\b"))
            expect(row.locator("td").nth(0)).to_have_text(old)
            expect(row.locator("td").nth(1)).to_have_text(new)
        approve = publisher.get_by_role("button", name="Approve and apply")
        reason = publisher.get_by_label("Reason:")
        approve.click()  # empty: the browser refuses to send it and says why
        assert reason.evaluate("e => !e.form.noValidate && !e.form.checkValidity() && e.validationMessage")
        expect(publisher.locator("#review-form .errorlist")).to_have_count(0)
        reason.fill("   ")  # blank but not empty: the server says what is missing
        approve.click()
        expect(publisher.locator("#review-form .errorlist")).to_contain_text("Give a reason")
        expect(publisher.locator("ul.messagelist")).to_have_count(0)
        publisher.get_by_label("Reason:").fill(approve_reason)
        publisher.get_by_role("button", name="Approve and apply").click()
        expect(publisher.locator("ul.messagelist .success")).to_contain_text("Approved and applied revision")
        expect(publisher.locator("#result_list tbody tr")).to_have_count(0)

        # (d) The public page shows the new words, and the change history the reason with old and new words.
        reader.goto(public_url)
        expect(reader.locator("h1")).to_have_text(new_title)
        expect(reader.locator("figure.quote blockquote")).to_have_text(f"“{new_quote}”")
        revised = reader.locator("ol.changes > li", has_text=approve_reason)
        expect(revised).to_have_count(1)
        for old, new in ((old_title, new_title), (old_quote, new_quote)):
            field = revised.locator("ul.changed-fields li", has=reader.locator("del", has_text=f"“{old}”"))
            expect(field.locator("ins")).to_have_text(f"“{new}”")
        expect(reader.locator(".current-status")).to_contain_text("Achieved")

        # (e) The publisher withdraws the achieved update: changelist action, then the reason page.
        publisher.goto(f"{live_server.url}/admin/commitments/statusupdate/")
        publisher.locator(f'input[name="_selected_action"][value="{data.expert_u2.pk}"]').check()
        publisher.locator('select[name="action"]').select_option(label="Withdraw selected status updates (stay "
                                                                         "listed as withdrawn)")
        publisher.get_by_role("button", name="Go").click()
        expect(publisher.locator("ul.selected-objects li")).to_have_text([f"{new_title}: {data.expert_u2}"])
        publisher.get_by_label("Reason").fill(withdraw_reason)
        publisher.get_by_role("button", name="Withdraw status updates").click()
        expect(publisher.locator("ul.messagelist .success")).to_have_text("Withdrew 1 status update.")

        # (f) The page lists it as withdrawn, its text collapsed; the status falls back; the feed says so.
        withdrawn_at = StatusUpdate.objects.get(pk=data.expert_u2.pk).withdrawn_at
        reader.goto(public_url)
        update = reader.locator(f"#update-{data.expert_u2.pk}")
        expect(update.locator("p.withdrawal")).to_have_text(
            f"Withdrawn on {day(timezone.localtime(withdrawn_at))}: {withdraw_reason}")
        summary_text = update.get_by_text(data.expert_u2.summary)
        expect(summary_text).to_be_hidden()
        update.locator("details > summary").click()
        expect(summary_text).to_be_visible()
        status = reader.locator(".current-status")
        expect(status).not_to_contain_text("Achieved")
        expect(status.locator(".status-badge")).to_have_text("In progress")

        feed = reader.request.get(f"{live_server.url}/feeds/updates.atom")
        assert feed.ok
        body = feed.text()
        assert f"<title>Withdrawn: {new_title}: Achieved (as of 1 March 2022)</title>" in body
        assert f"{c.get_absolute_url()}#withdrawn-{data.expert_u2.pk}" in body
        assert withdraw_reason in body
    finally:
        for context in contexts:
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


# The README's screenshots: each page on a desktop (``<name>.png``) and a phone (``<name>-phone.png``).
SCREENSHOT_PAGES = [("overview", "/"), ("list", "/commitments/?theme=p-cve"),
                    ("detail", "/commitments/conclude-epca-negotiations-uzbekistan-kyrgyzstan/")]
SCREENSHOT_SIZES = {"": {"width": 1280, "height": 900}, "-phone": {"width": 375, "height": 812}}
# And a page in Russian, on a desktop only (``<name>.png``).
RUSSIAN_SCREENSHOT_PAGES = [("list-ru", "/ru/commitments/?theme=p-cve")]


def test_screenshots(browser, live_server, real_data):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for suffix, viewport in SCREENSHOT_SIZES.items():
        context = browser.new_context(viewport=viewport, is_mobile=bool(suffix), device_scale_factor=1)
        try:
            page = context.new_page()
            for name, path in SCREENSHOT_PAGES + (RUSSIAN_SCREENSHOT_PAGES if not suffix else []):
                page.goto(f"{live_server.url}{path}")
                assert page.locator("h1").count() == 1
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], name
                shot = SCREENSHOTS / f"{name}{suffix}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                width = int.from_bytes(shot.read_bytes()[16:20], "big")  # the PNG's IHDR width
                assert width == viewport["width"], (shot.name, width)
        finally:
            context.close()
    readme = (SCREENSHOTS.parent.parent / "README.md").read_text(encoding="utf-8")
    for name, _ in SCREENSHOT_PAGES:
        for suffix in SCREENSHOT_SIZES:
            assert f"(docs/screenshots/{name}{suffix}.png)" in readme, f"the README does not show {name}{suffix}.png"
    for name, _ in RUSSIAN_SCREENSHOT_PAGES:
        assert f"(docs/screenshots/{name}.png)" in readme, f"the README does not show {name}.png"
