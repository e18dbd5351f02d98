"""The status scale and the overdue and stale rules, as the product brief states them."""

from datetime import date, timedelta

import pytest

from commitments import status
from commitments.status import Status, info, is_overdue, is_stale, months_before, scale, stale_cutoff

ON = date(2026, 6, 15)
DAY = timedelta(days=1)
OPEN = ["not_assessed", "not_started", "in_progress", "stalled", "partially_achieved"]
CLOSED = ["achieved", "abandoned"]

# The brief's table: slug, label, meaning.
BRIEF_SCALE = [
    ("not_assessed", "Not yet assessed", "No published update yet."),
    ("not_started", "Not started", "No evidence of any action."),
    ("in_progress", "In progress", "Action is under way, not complete."),
    ("stalled", "Stalled", "Action began but has stopped or is blocked."),
    ("partially_achieved", "Partially achieved", "Delivered in part, or in weaker form than promised."),
    ("achieved", "Achieved", "Delivered as committed."),
    ("abandoned", "Abandoned", "Dropped, or can no longer be delivered."),
]


# --- the scale --------------------------------------------------------------------------------


def test_scale_has_the_seven_slugs_of_the_url_contract_in_display_order():
    assert [s.slug for s in scale()] == [slug for slug, _, _ in BRIEF_SCALE]
    assert Status.values == [slug for slug, _, _ in BRIEF_SCALE]


def test_scale_labels_and_definitions_match_the_brief():
    assert [(s.slug, s.label, s.definition) for s in scale()] == BRIEF_SCALE


@pytest.mark.parametrize(("slug", "label", "definition"), BRIEF_SCALE)
def test_info_gives_label_and_definition(slug, label, definition):
    got = info(slug)
    assert (got.slug, got.label, got.definition) == (slug, label, definition)


@pytest.mark.parametrize("slug", ["done", "", "In_Progress", "not assessed"])
def test_info_on_an_unknown_slug_raises(slug):
    with pytest.raises(ValueError, match="is not a valid Status"):
        info(slug)


def test_an_update_can_claim_every_status_except_not_assessed():
    assert [value for value, _ in status.ASSESSABLE] == [slug for slug, _, _ in BRIEF_SCALE[1:]]


def test_closed_statuses_are_achieved_and_abandoned():
    closed, months = status.CLOSED, status.STALE_AFTER_MONTHS
    assert closed == {"achieved", "abandoned"}
    assert months == 9


# --- overdue ----------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", OPEN)
def test_open_commitment_due_yesterday_is_overdue(slug):
    assert is_overdue(status=slug, due_date=ON - DAY, on=ON) is True


@pytest.mark.parametrize("slug", OPEN)
def test_due_today_or_tomorrow_is_not_overdue(slug):
    assert is_overdue(status=slug, due_date=ON, on=ON) is False
    assert is_overdue(status=slug, due_date=ON + DAY, on=ON) is False


@pytest.mark.parametrize("slug", CLOSED)
def test_closed_statuses_are_never_overdue(slug):
    assert is_overdue(status=slug, due_date=ON - DAY, on=ON) is False
    assert is_overdue(status=slug, due_date=date(2000, 1, 1), on=ON) is False


@pytest.mark.parametrize("slug", OPEN + CLOSED)
def test_no_due_date_is_never_overdue(slug):
    assert is_overdue(status=slug, due_date=None, on=ON) is False


# --- months_before and stale_cutoff -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 6, 15), 9, date(2025, 9, 15)),
        (date(2026, 1, 31), 1, date(2025, 12, 31)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),  # clamped to the end of February
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2025, 11, 30), 9, date(2025, 2, 28)),
        (date(2024, 11, 30), 9, date(2024, 2, 29)),  # leap year
        (date(2026, 12, 31), 9, date(2026, 3, 31)),
        (date(2026, 12, 31), 10, date(2026, 2, 28)),
        (date(2026, 9, 1), 9, date(2025, 12, 1)),  # across the year end
        (date(2026, 5, 31), 12, date(2025, 5, 31)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
        (date(2026, 1, 15), 25, date(2023, 12, 15)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_stale_cutoff_is_nine_calendar_months_earlier():
    assert stale_cutoff(date(2026, 6, 15)) == date(2025, 9, 15)
    # 30 November minus nine months clamps to the last day of February.
    assert stale_cutoff(date(2025, 11, 30)) == date(2025, 2, 28)
    assert stale_cutoff(date(2024, 11, 30)) == date(2024, 2, 29)
    assert stale_cutoff(date(2026, 11, 29)) == date(2026, 2, 28)


# --- stale ------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", OPEN)
def test_update_exactly_nine_months_ago_is_stale(slug):
    assert is_stale(status=slug, last_update=date(2025, 9, 15), date_made=date(2019, 1, 1), on=ON) is True


@pytest.mark.parametrize("slug", OPEN)
def test_update_one_day_either_side_of_nine_months(slug):
    assert is_stale(status=slug, last_update=date(2025, 9, 14), date_made=date(2019, 1, 1), on=ON) is True
    assert is_stale(status=slug, last_update=date(2025, 9, 16), date_made=date(2019, 1, 1), on=ON) is False


def test_recent_update_is_not_stale_even_if_made_long_ago():
    assert is_stale(status="in_progress", last_update=ON, date_made=date(2019, 1, 1), on=ON) is False


def test_stale_at_month_end_uses_the_clamped_cutoff():
    on = date(2025, 11, 30)
    assert is_stale(status="stalled", last_update=date(2025, 2, 28), date_made=None, on=on) is True
    assert is_stale(status="stalled", last_update=date(2025, 3, 1), date_made=None, on=on) is False
    leap = date(2024, 11, 30)
    assert is_stale(status="stalled", last_update=date(2024, 2, 29), date_made=None, on=leap) is True
    assert is_stale(status="stalled", last_update=date(2024, 3, 1), date_made=None, on=leap) is False


def test_no_update_counts_from_the_date_made():
    assert is_stale(status="not_assessed", last_update=None, date_made=date(2025, 9, 15), on=ON) is True
    assert is_stale(status="not_assessed", last_update=None, date_made=date(2025, 9, 14), on=ON) is True
    assert is_stale(status="not_assessed", last_update=None, date_made=date(2025, 9, 16), on=ON) is False


def test_last_update_wins_over_date_made():
    # Made long ago but updated recently: the clock runs from the update.
    assert is_stale(status="in_progress", last_update=date(2026, 1, 1), date_made=date(2019, 1, 1), on=ON) is False


def test_no_update_and_no_date_made_is_not_stale():
    assert is_stale(status="not_assessed", last_update=None, date_made=None, on=ON) is False


@pytest.mark.parametrize("slug", CLOSED)
def test_closed_statuses_are_never_stale(slug):
    assert is_stale(status=slug, last_update=date(2019, 1, 1), date_made=date(2019, 1, 1), on=ON) is False
    assert is_stale(status=slug, last_update=None, date_made=date(2019, 1, 1), on=ON) is False
