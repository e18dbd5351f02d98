"""Read questions: what the public sees, the status on a day, overdue, stale and the counts."""

from datetime import date

import pytest
from django.utils import timezone

from commitments import services
from commitments.models import Commitment, StatusUpdate
from commitments.querysets import derived_status
from commitments.status import Status
from tests import factories

pytestmark = pytest.mark.django_db

ON = date(2026, 6, 15)  # "today" for the overdue and stale questions; stale cutoff is 2025-09-15


def status_on(commitment, day) -> tuple[str, date | None]:
    row = Commitment.objects.with_status_on(day).get(pk=commitment.pk)
    return row.status_on, row.status_date_on


def slugs(queryset) -> set[str]:
    return set(queryset.values_list("slug", flat=True))


# --- public() ---------------------------------------------------------------------------------


def test_public_commitments_exclude_drafts_and_archived():
    factories.commitment(slug="published", state=Commitment.State.PUBLISHED)
    factories.commitment(slug="draft", state=Commitment.State.DRAFT)
    factories.commitment(slug="archived", state=Commitment.State.ARCHIVED)
    assert slugs(Commitment.objects.public()) == {"published"}
    assert Commitment.objects.count() == 3


def test_public_updates_exclude_drafts_and_updates_of_non_public_commitments():
    shown = factories.commitment(state=Commitment.State.PUBLISHED)
    draft = factories.commitment(state=Commitment.State.DRAFT)
    archived = factories.commitment(state=Commitment.State.ARCHIVED)
    visible = factories.update(shown, as_of=date(2020, 1, 1), published=True)
    factories.update(shown, as_of=date(2020, 2, 1), published=False)  # a draft update
    factories.update(draft, as_of=date(2020, 1, 1), published=True)
    factories.update(archived, as_of=date(2020, 1, 1), published=True)
    assert list(StatusUpdate.objects.public()) == [visible]
    assert StatusUpdate.objects.published().count() == 3
    assert StatusUpdate.objects.drafts().count() == 1


# --- with_status_on ---------------------------------------------------------------------------


def test_update_counts_from_its_as_of_day_not_the_day_before():
    c = factories.commitment(date_made=date(2019, 5, 15))
    factories.update(c, status="in_progress", as_of=date(2020, 3, 1), published=True)
    assert status_on(c, date(2020, 3, 1)) == ("in_progress", date(2020, 3, 1))
    assert status_on(c, date(2020, 2, 29)) == ("not_assessed", None)
    assert status_on(c, date(2020, 3, 2)) == ("in_progress", date(2020, 3, 1))


def test_status_on_follows_several_updates():
    c = factories.commitment(date_made=date(2019, 5, 15))
    factories.update(c, status="not_started", as_of=date(2020, 1, 1), published=True)
    factories.update(c, status="in_progress", as_of=date(2020, 6, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2021, 1, 1), published=True)
    assert status_on(c, date(2019, 12, 31)) == ("not_assessed", None)
    assert status_on(c, date(2020, 1, 1)) == ("not_started", date(2020, 1, 1))
    assert status_on(c, date(2020, 5, 31)) == ("not_started", date(2020, 1, 1))
    assert status_on(c, date(2020, 6, 1)) == ("in_progress", date(2020, 6, 1))
    assert status_on(c, date(2020, 12, 31)) == ("in_progress", date(2020, 6, 1))
    assert status_on(c, date(2021, 1, 1)) == ("achieved", date(2021, 1, 1))
    assert status_on(c, ON) == ("achieved", date(2021, 1, 1))


def test_an_update_created_later_with_an_earlier_as_of_does_not_win():
    c = factories.commitment(date_made=date(2019, 5, 15))
    factories.update(c, status="achieved", as_of=date(2021, 1, 1), published=True)
    factories.update(c, status="stalled", as_of=date(2020, 6, 1), published=True)  # created and published last
    assert status_on(c, ON) == ("achieved", date(2021, 1, 1))
    assert status_on(c, date(2020, 12, 31)) == ("stalled", date(2020, 6, 1))


def test_status_on_ignores_draft_updates():
    c = factories.commitment(date_made=date(2019, 5, 15))
    factories.update(c, status="in_progress", as_of=date(2020, 1, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2021, 1, 1), published=False)
    assert status_on(c, ON) == ("in_progress", date(2020, 1, 1))


def test_status_on_ignores_withdrawn_updates():
    c = factories.commitment(date_made=date(2019, 5, 15))
    factories.update(c, status="in_progress", as_of=date(2020, 1, 1), published=True)
    withdrawn = factories.update(c, status="achieved", as_of=date(2021, 1, 1), published=True)
    services.withdraw_status_update(update=withdrawn, user=None, reason="Published in error.")
    assert status_on(c, ON) == ("in_progress", date(2020, 1, 1))


def test_status_on_without_updates_is_not_assessed():
    c = factories.commitment()
    factories.update(c, status="achieved", as_of=date(2021, 1, 1), published=False)
    assert status_on(c, ON) == ("not_assessed", None)


def test_status_on_is_per_commitment():
    a, b = factories.commitment(), factories.commitment()
    factories.update(a, status="achieved", as_of=date(2021, 1, 1), published=True)
    factories.update(b, status="stalled", as_of=date(2020, 1, 1), published=True)
    assert status_on(a, ON) == ("achieved", date(2021, 1, 1))
    assert status_on(b, ON) == ("stalled", date(2020, 1, 1))


def test_at_a_day_leaves_out_commitments_not_yet_made():
    factories.commitment(slug="old", date_made=date(2019, 5, 15))
    factories.commitment(slug="made-that-day", date_made=date(2021, 1, 1))
    factories.commitment(slug="later", date_made=date(2021, 1, 2))
    assert slugs(Commitment.objects.at(date(2021, 1, 1))) == {"old", "made-that-day"}
    assert slugs(Commitment.objects.at()) == {"old", "made-that-day", "later"}


# --- overdue and stale ------------------------------------------------------------------------


def _commitment(slug, *, made=date(2019, 5, 15), due=None, updates=()):
    c = factories.commitment(slug=slug, date_made=made, due_date=due)
    for status, as_of, published in updates:
        factories.update(c, status=status, as_of=as_of, published=published)
    return c


def test_overdue_is_the_hand_computed_set():
    old = date(2020, 1, 1)
    _commitment("due-yesterday", due=date(2026, 6, 14))
    _commitment("due-today", due=ON)
    _commitment("due-tomorrow", due=date(2026, 6, 16))
    _commitment("achieved-late", due=old, updates=[("achieved", date(2021, 1, 1), True)])
    _commitment("abandoned-late", due=old, updates=[("abandoned", date(2021, 1, 1), True)])
    _commitment("stalled-late", due=old, updates=[("stalled", date(2021, 1, 1), True)])
    _commitment("achieved-only-in-draft", due=old, updates=[("achieved", date(2021, 1, 1), False)])
    _commitment("no-due-date")
    assert slugs(Commitment.objects.overdue(on=ON)) == {"due-yesterday", "stalled-late", "achieved-only-in-draft"}


def test_overdue_by_default_uses_today():
    today = timezone.localdate()
    _commitment("late", made=date(2019, 1, 1), due=date(2019, 1, 2))
    _commitment("due-today", made=date(2019, 1, 1), due=today)
    assert slugs(Commitment.objects.overdue()) == {"late"}


def test_stale_is_the_hand_computed_set():
    _commitment("made-at-cutoff", made=date(2025, 9, 15))
    _commitment("made-day-after-cutoff", made=date(2025, 9, 16))
    _commitment("updated-at-cutoff", updates=[("in_progress", date(2025, 9, 15), True)])
    _commitment("updated-day-before-cutoff", updates=[("in_progress", date(2025, 9, 14), True)])
    _commitment("updated-day-after-cutoff", updates=[("in_progress", date(2025, 9, 16), True)])
    _commitment("achieved-long-ago", updates=[("achieved", date(2020, 1, 1), True)])
    _commitment("abandoned-long-ago", updates=[("abandoned", date(2020, 1, 1), True)])
    _commitment(
        "old-then-recent", updates=[("in_progress", date(2020, 1, 1), True), ("stalled", date(2026, 1, 1), True)]
    )
    _commitment(
        "recent-only-in-draft",
        updates=[("in_progress", date(2020, 1, 1), True), ("stalled", date(2026, 1, 1), False)],
    )
    assert slugs(Commitment.objects.stale(on=ON)) == {
        "made-at-cutoff",
        "updated-at-cutoff",
        "updated-day-before-cutoff",
        "recent-only-in-draft",
    }


def test_overdue_and_stale_as_they_stood_on_a_past_day():
    # On 2021-06-15 the commitment was stalled and overdue; it was achieved later.
    _commitment(
        "late-then-done",
        due=date(2020, 1, 1),
        updates=[("stalled", date(2020, 6, 1), True), ("achieved", date(2022, 1, 1), True)],
    )
    day = date(2021, 6, 15)  # stale cutoff 2020-09-15
    assert slugs(Commitment.objects.at(day).overdue(on=day)) == {"late-then-done"}
    assert slugs(Commitment.objects.at(day).stale(on=day)) == {"late-then-done"}
    assert slugs(Commitment.objects.at().overdue(on=ON)) == set()
    assert slugs(Commitment.objects.at().stale(on=ON)) == set()


# --- counts -----------------------------------------------------------------------------------


def test_by_status_counts_has_every_slug_with_zeros(django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = Commitment.objects.by_status_counts()
    assert counts == dict.fromkeys(Status.values, 0)
    assert list(counts) == Status.values


def test_by_status_counts_counts_in_one_query(django_assert_num_queries):
    factories.commitment()
    factories.commitment(state=Commitment.State.DRAFT)
    for status in ["in_progress", "in_progress", "achieved"]:
        factories.update(factories.commitment(), status=status, as_of=date(2021, 1, 1), published=True)
    factories.update(factories.commitment(), status="stalled", as_of=date(2021, 1, 1), published=False)
    with django_assert_num_queries(1):
        counts = Commitment.objects.public().by_status_counts()
    assert counts == {
        "not_assessed": 2,
        "not_started": 0,
        "in_progress": 2,
        "stalled": 0,
        "partially_achieved": 0,
        "achieved": 1,
        "abandoned": 0,
    }
    assert Commitment.objects.by_status_counts()["not_assessed"] == 3  # with the draft commitment


def test_by_status_counts_on_a_past_day(django_assert_num_queries):
    c = factories.commitment(date_made=date(2019, 5, 15))
    factories.update(c, status="in_progress", as_of=date(2020, 1, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    factories.commitment(date_made=date(2023, 1, 1))  # not yet made in 2021
    with django_assert_num_queries(1):
        counts = Commitment.objects.public().at(date(2021, 1, 1)).by_status_counts()
    assert counts == dict.fromkeys(Status.values, 0) | {"in_progress": 1}


def test_derived_status_reads_the_latest_published_update():
    c = factories.commitment()
    assert derived_status(commitment=c) == ("not_assessed", None, "day")
    factories.update(c, status="stalled", as_of=date(2022, 1, 1), published=True)
    factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2023, 1, 1), published=False)
    assert derived_status(commitment=c) == ("stalled", date(2022, 1, 1), "day")
