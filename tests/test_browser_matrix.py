"""A reader in a real browser opens the compliance matrix, clicks a cell and lands on its evidence.

Debian's Chromium driven by Playwright against the live server, with ``tests/chromium.py``'s browser,
as in ``test_browser.py``; skipped when Chromium is not installed at /usr/bin/chromium. Takes no screenshots.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from . import factories
from .chromium import TIMEOUT_MS, browser, sync_api  # noqa: F401 - browser: the shared fixture

pytestmark = [pytest.mark.browser]


@pytest.fixture
def data(transactional_db, browser):
    """The shared catalogue, with the returning families assessed per country: Kyrgyzstan has its own update
    (with evidence), published after the overall one; a later page of updates pushes it below the fold."""
    from commitments.models import Commitment

    ns = factories.catalogue()
    families = ns.families
    families.assessment_scope = Commitment.Scope.PER_COUNTRY
    families.save()
    ns.families_kg = factories.update(families, status="in_progress", as_of=date(2024, 2, 1), published=True,
                                      country=ns.kg, summary="Kyrgyzstan: one centre open in Osh.", evidence=2)
    for day in range(1, 9):  # a long timeline above it, so landing on it needs the anchor
        factories.update(families, status="partially_achieved", as_of=date(2025, 1, day), published=True,
                         summary=f"Overall review {day}.")
    from commitments import cache

    cache.bump()
    return ns


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 700})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_reader_opens_the_matrix_clicks_a_cell_and_lands_on_the_evidence(page, live_server, data):
    expect = sync_api.expect
    page.goto(f"{live_server.url}/countries/kg/")
    page.get_by_role("link", name="Compare every country: the compliance matrix").click()
    expect(page.locator("h1")).to_have_text("Compliance matrix")
    headers = page.locator("table.matrix thead th").all_inner_texts()
    assert headers == ["Commitment", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan"]

    row = page.locator("table.matrix tbody tr", has=page.get_by_role("link", name="Reintegrate returning families"))
    kg_cell = row.locator("td").nth(1)  # Kyrgyzstan's column
    expect(kg_cell).to_contain_text("In progress")  # its own, not the overall "Partially achieved"
    expect(row.locator("td").nth(0)).to_contain_text("not filed under Kazakhstan")
    regional = page.locator("table.matrix tbody tr", has=page.get_by_role("link", name="Deploy a dedicated CT expert"))
    expect(regional.locator("td").nth(1)).to_contain_text("Achieved")
    expect(regional.locator("td").nth(1)).to_contain_text("regional")

    kg_cell.get_by_role("link").click()
    update = page.locator(f"#update-{data.families_kg.pk}")
    page.wait_for_url(re.compile(rf"/commitments/reintegrate-returning-families/#update-{data.families_kg.pk}$"))
    expect(page.locator("h1")).to_have_text("Reintegrate returning families")
    expect(update).to_contain_text("Kyrgyzstan: one centre open in Osh.")
    evidence = update.locator("ul.evidence a")
    expect(evidence).to_have_count(2)
    expect(evidence.first).to_have_attribute("href", f"https://example.org/e/{data.families_kg.pk}/0")
    expect(evidence.first).to_be_in_viewport()  # the reader lands on it, not at the top of the page

    # The regional commitment's cell lands on its latest overall update.
    page.go_back()
    regional.locator("td").nth(1).get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/commitments/deploy-ct-expert/#update-{data.expert_u2.pk}$"))
    expect(page.locator(f"#update-{data.expert_u2.pk} ul.evidence a")).to_be_in_viewport()


def test_the_matrix_keeps_the_lists_filters_and_works_without_javascript(browser, live_server, data):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/commitments/?theme=pcve")
        page.get_by_role("link", name="Their status in each country (compliance matrix)").click()
        page.wait_for_url(re.compile(r"/countries/matrix/\?theme=pcve$"))
        assert page.locator("#results-heading").inner_text().startswith("3 commitments")
        page.locator("summary", has_text="Search, dates and order").click()
        page.fill("#id_as_of", "2021-01-01")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"/countries/matrix/\?.*as_of=2021-01-01"))
        assert "theme=pcve" in page.url  # the chosen filter rode along
        assert "as they stood on 1 January 2021" in page.locator("h1").inner_text()
    finally:
        context.close()
