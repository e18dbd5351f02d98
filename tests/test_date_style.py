"""One date style on every page: "1 July 2026", as precise as its source ("July 2026", "2026").

ISO dates stay where machines read them (``<time datetime>``, URLs, form inputs, exports, the feed);
what a reader sees never shows one, nor an abbreviated month, nor a day with a leading zero.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from commitments import dates
from commitments.filtersets import DATE_FORMAT_ERROR
from commitments.templatetags.tracker import as_precise, day

from .conftest import built_once
from .public_pages import PAGES, build
from .test_public_pages import text

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SHORT_MONTH = re.compile(r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.? \d{4}\b")
LEADING_ZERO = re.compile(rf"\b0\d (?:{MONTHS}) \d{{4}}\b")
LONG_DAY = re.compile(rf"\b[1-9]\d? (?:{MONTHS}) \d{{4}}\b")

# Every page type, and the pages that show a date a filter or ``as_of`` gave.
URLS = [(name, path, status) for name, path, status in PAGES] + [
    ("overview-as-of", "/?as_of=2024-06-01", 200),
    ("list-as-of", "/commitments/?as_of=2024-06-01", 200),
    ("list-due-range", "/commitments/?due_after=2020-01-01&due_before=2030-12-31", 200),
    ("matrix-as-of", "/countries/matrix/?as_of=2024-06-01", 200),
    ("updates-as-of", "/updates/?as_of=2024-06-01", 200),
]


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def client(client, data, db):
    return client


def visible(markup: str) -> str:
    """What a reader sees (attributes, so URLs, ``<time datetime>`` and input values, are not text), less the
    places ISO is the point: a bad date's error shows the format to type (e.g. 2026-07-01), and ``<code>``
    shows a value as a file holds it (the export documentation's examples)."""
    markup = re.sub(r"<(script|style|code)\b.*?</\1>", " ", markup, flags=re.S)
    return text(markup).replace(DATE_FORMAT_ERROR, "")


@pytest.mark.parametrize(("name", "path", "status"), URLS, ids=[u[0] for u in URLS])
def test_no_page_shows_an_iso_or_abbreviated_date(client, name, path, status):
    response = client.get(path)
    assert response.status_code == status
    seen = visible(response.content.decode())
    for pattern in (ISO_DAY, SHORT_MONTH, LEADING_ZERO):
        found = pattern.findall(seen)
        assert not found, f"{name}: {found[:5]}"


@pytest.mark.parametrize(
    "path",
    ["/?as_of=2024-06-01", "/commitments/?as_of=2024-06-01", "/commitments/deploy-ct-expert/", "/reports/2025/",
     "/reports/", "/updates/"],
)
def test_the_pages_that_show_dates_show_them_in_the_one_style(client, path):
    """The check above could pass on pages that show no date at all: these do show some."""
    assert LONG_DAY.search(visible(client.get(path).content.decode()))


def test_the_report_page_gives_its_period_and_timeline_in_words(client, data):
    seen = visible(client.get("/reports/2025/").content.decode())
    assert "From 1 January 2025 to 31 December 2025" in seen
    assert "The figures were computed on " in seen


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        (date(2026, 7, 1), dates.Precision.DAY, "1 July 2026"),
        (date(2026, 7, 1), dates.Precision.MONTH, "July 2026"),
        (date(2026, 1, 1), dates.Precision.YEAR, "2026"),
        ("2024-08-31", "", "31 August 2024"),  # a report snapshot's stored string
        (None, "", ""),
    ],
)
def test_as_precise_is_the_one_spelling(value, precision, expected):
    assert as_precise(value, precision) == expected


def test_day_filter_spells_dates_and_times_the_same_way():
    from datetime import UTC, datetime

    assert day(date(2024, 8, 31)) == "31 August 2024"
    assert day(datetime(2024, 8, 1, 12, tzinfo=UTC)) == "1 August 2024"
