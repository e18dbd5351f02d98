"""The rules in all their forms agree: SQL (the querysets), numpy (the facet index) and Python (reports, pages).

Overdue, stale and status-on-a-date are each written three times in ``commitments/status.py``.
One set of rows is built around every boundary day (due the day before, on, and after the day
asked; last update exactly ``STALE_AFTER_MONTHS`` before it, a day either side, with month-end
clamping; never assessed, counted from the date made; closed statuses; days between updates
and on an update's own as-of day) and the three forms must pick the same commitments.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from commitments import facet_index, services
from commitments import status as rules
from commitments.models import Commitment, Evidence, Source, StatusUpdate
from commitments.reports import snapshot as reports
from commitments.status import STALE_AFTER_MONTHS, Status

from .conftest import built_once

ONE = timedelta(days=1)
# Days the rules are asked about: an ordinary one, and two whose stale cutoff is clamped to the
# end of February (the day of the month does not exist STALE_AFTER_MONTHS earlier), leap and not.
ON_DAYS = [date(2026, 3, 15)]
for year in (2024, 2025):
    # The month STALE_AFTER_MONTHS after February, on its last day when that is after the 29th.
    month = (2 - 1 + STALE_AFTER_MONTHS) % 12 + 1
    ON_DAYS.append(date(year + (1 + STALE_AFTER_MONTHS) // 12, month, 31 if month in (1, 3, 5, 7, 8, 10, 12) else 30))
OPEN = (Status.IN_PROGRESS, Status.STALLED, Status.NOT_STARTED, Status.PARTIALLY_ACHIEVED)
CLOSED = (Status.ACHIEVED, Status.ABANDONED)
EARLY = date(2000, 1, 1)


def _stamp(day: date, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, second, tzinfo=UTC)


def _build():
    undated = Source.objects.create(slug="rules", title="Rules", issuer="EU", kind=Source.Kind.STRATEGY)
    dated = Source.objects.create(slug="dated", title="Dated", issuer="EU", kind=Source.Kind.STRATEGY,
                                  date=date(2025, 1, 10))
    n = 0

    def commitment(*, made=EARLY, due=None, updates=(), state=Commitment.State.PUBLISHED, source=undated,
                   evidence_on=None):
        nonlocal n
        n += 1
        c = Commitment.objects.create(slug=f"rule-{n}", title=f"Rule {n}", quote="q", source=source,
                                      date_made=made, due_date=due, due_text="by then" if due else "", state=state)
        for i, (status, as_of, published) in enumerate(updates):
            StatusUpdate.objects.create(commitment=c, status=status, as_of=as_of, summary="s",
                                        published_at=_stamp(published or as_of, i) if published is not False else None)
        if evidence_on:
            Evidence.objects.create(commitment=c, title="e", publisher="p", url="https://example.org/e",
                                    date=evidence_on)
        services.refresh_current_status(commitment=c)
        services.refresh_known_since(commitment=c)
        return c

    for on in ON_DAYS:
        cutoff = rules.stale_cutoff(on)
        assert cutoff.month == 2 or on == ON_DAYS[0]  # the clamped cases are what they say
        for due in (on - ONE, on, on + ONE, None):
            commitment(due=due)  # never assessed
            for status in (Status.IN_PROGRESS, *CLOSED):
                commitment(due=due, updates=[(status, on - 10 * ONE, None)])
        for last in (cutoff - ONE, cutoff, cutoff + ONE):
            commitment(made=None, due=on + ONE, updates=[(Status.STALLED, last, None)])
            for status in CLOSED:
                commitment(updates=[(status, last, None)])
            commitment(made=last, due=on + 400 * ONE)  # never assessed: counted from the date made
        commitment(made=None)  # never assessed, undated: never stale, and in no view of a past day
    # Undated, known to exist from the source's date or (undated source) the first evidence: around
    # the as-of days below, so each is absent the day before and present on the day.
    commitment(made=None, source=dated, updates=[(Status.IN_PROGRESS, date(2025, 6, 1), None)])
    commitment(made=None, evidence_on=date(2025, 6, 1), due=date(2025, 6, 1))
    commitment(made=None, evidence_on=date(2025, 1, 11), updates=[(Status.STALLED, date(2025, 1, 11), None)])
    # Several updates: a tie on one as-of day goes to the one published last; drafts never count.
    first, second = date(2025, 1, 10), date(2025, 6, 1)
    commitment(due=date(2025, 3, 1), updates=[
        (Status.NOT_STARTED, first, None),
        (Status.IN_PROGRESS, second, date(2025, 6, 3)),
        (Status.ACHIEVED, second, date(2025, 6, 2)),
        (Status.ABANDONED, first + ONE, False),  # a draft
    ])
    # A later as-of date wins over a later publication.
    commitment(made=date(2025, 1, 1),
               updates=[(Status.STALLED, second, None), (Status.ACHIEVED, first, date(2025, 7, 1))])
    commitment(updates=[(Status.ACHIEVED, first, None)], state=Commitment.State.DRAFT)  # never in any count
    return sorted({first - ONE, first, first + ONE, second - ONE, second, second + ONE, *ON_DAYS})


@pytest.fixture(scope="module")
def as_of_days(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _build) as days:
        yield days


@pytest.fixture
def rows(as_of_days, db):
    """Every public commitment as the Python forms see it, with its published updates."""
    updates = defaultdict(list)
    published = StatusUpdate.objects.public()
    for pk, *update in published.values_list("commitment_id", "as_of", "published_at", "id", "status"):
        updates[pk].append(tuple(update))
    columns = ("pk", "current_status", "current_status_date", "due_date", "date_made", "known_since")
    return [dict(zip(columns, r, strict=True), updates=updates[r[0]])
            for r in Commitment.objects.public().order_by("pk").values_list(*columns)]


@pytest.fixture
def index(rows):
    return facet_index.build(version="rules")


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def _mask_ids(index, mask: np.ndarray) -> set[int]:
    return set(index.ids[mask].tolist())


@pytest.mark.parametrize("on", ON_DAYS)
def test_overdue_is_the_same_in_sql_numpy_and_python(rows, index, on):
    python = {r["pk"] for r in rows if rules.is_overdue(status=r["current_status"], due_date=r["due_date"], on=on)}
    assert python, "the rows hold overdue commitments"
    assert _ids(Commitment.objects.public().overdue(on=on)) == python
    assert _mask_ids(index, index.overdue(on)) == python
    # Due the day asked is not overdue yet; due the day before is.
    by_due = {r["due_date"] for r in rows if r["pk"] in python}
    assert on - ONE in by_due and on not in by_due and on + ONE not in by_due


@pytest.mark.parametrize("on", ON_DAYS)
def test_stale_is_the_same_in_sql_numpy_and_python(rows, index, on):
    def stale(r):
        return rules.is_stale(status=r["current_status"], last_update=r["current_status_date"],
                              date_made=r["date_made"], on=on)

    python = {r["pk"] for r in rows if stale(r)}
    cutoff = rules.stale_cutoff(on)
    last = {r["current_status_date"] or r["date_made"] for r in rows if r["pk"] in python}
    assert cutoff in last and cutoff + ONE not in last  # exactly STALE_AFTER_MONTHS ago is stale, a day less is not
    assert _ids(Commitment.objects.public().stale(on=on)) == python
    assert _mask_ids(index, index.stale(on)) == python


@pytest.mark.parametrize("on", ON_DAYS)
def test_grouped_counts_agree_with_the_python_rules(rows, on):
    counts = Commitment.objects.public().by_status_and_flag_counts(on=on)
    for slug, row in counts.items():
        mine = [r for r in rows if r["current_status"] == slug]
        assert row["n_all"] == len(mine)
        assert row["n_overdue"] == sum(
            rules.is_overdue(status=slug, due_date=r["due_date"], on=on) for r in mine
        ), slug
        assert row["n_stale"] == sum(
            rules.is_stale(status=slug, last_update=r["current_status_date"], date_made=r["date_made"], on=on)
            for r in mine
        ), slug


def test_status_on_a_date_is_the_same_in_sql_numpy_python_and_the_report(rows, as_of_days):
    pk_row = {r["pk"]: i for i, r in enumerate(rows)}
    ordered = sorted(
        ((pk_row[pk], as_of, published, pk_id, status)
         for pk, as_of, published, pk_id, status in StatusUpdate.objects.public().values_list(
             "commitment_id", "as_of", "published_at", "id", "status")),
        key=lambda u: (u[0], *(-k for k in (u[1].toordinal(), u[2].timestamp(), u[3]))),
    )
    walked = reports._statuses_on(days=as_of_days)
    for i, day in enumerate(as_of_days):
        sql = dict(Commitment.objects.public().with_status_on(day).values_list("pk", "status_on"))
        python = {r["pk"]: rules.status_on(r["updates"], day)[0] for r in rows}
        numpy = rules.statuses_on_array(
            rows=np.array([u[0] for u in ordered], dtype=np.int64),
            as_of=rules.ordinals(u[1] for u in ordered),
            status=np.array([rules.CODES[u[4]] for u in ordered], dtype=np.int8),
            day=day,
            size=len(rows),
        )
        by_code = {code: slug for slug, code in rules.CODES.items()}
        assert sql == python, day
        assert {r["pk"]: by_code[int(numpy[pk_row[r["pk"]]])] for r in rows} == python, day
        report = {r["pk"]: walked.get(r["pk"], [Status.NOT_ASSESSED.value] * len(as_of_days))[i] for r in rows}
        assert report == python, day


def test_status_on_a_date_picks_the_update_published_last_and_ignores_drafts(rows):
    several = next(r for r in rows if len(r["updates"]) == 3)  # its draft is not among the public updates
    assert rules.status_on(several["updates"], date(2025, 1, 9)) == (Status.NOT_ASSESSED, None)
    assert rules.status_on(several["updates"], date(2025, 1, 11)) == (Status.NOT_STARTED, date(2025, 1, 10))
    assert rules.status_on(several["updates"], date(2025, 6, 1)) == (Status.IN_PROGRESS, date(2025, 6, 1))
    row = Commitment.objects.public().with_status_on(date(2025, 6, 1)).get(pk=several["pk"])
    assert (row.status_on, row.status_date_on) == (Status.IN_PROGRESS, date(2025, 6, 1))


def test_status_on_a_date_then_overdue_and_stale_on_that_day(rows, as_of_days):
    for day in as_of_days:
        made = [r for r in rows if rules.is_made_by(known_since=r["known_since"], day=day)]
        expected_overdue, expected_stale = set(), set()
        for r in made:
            status, since = rules.status_on(r["updates"], day)
            if rules.is_overdue(status=status, due_date=r["due_date"], on=day):
                expected_overdue.add(r["pk"])
            if rules.is_stale(status=status, last_update=since, date_made=r["date_made"], on=day):
                expected_stale.add(r["pk"])
        at_day = Commitment.objects.public().at(day)
        assert _ids(at_day.filter(eff_overdue=True)) == expected_overdue, day
        assert _ids(at_day.overdue(on=day)) == expected_overdue, day
        assert _ids(at_day.stale(on=day)) == expected_stale, day


def test_made_by_is_the_same_in_sql_python_and_the_report(rows, as_of_days):
    """Known to exist on a day (``known_since``: date made, else source date, else first evidence)."""
    from commitments.reports.periods import Period

    assert {r["known_since"] for r in rows if r["date_made"] is None} >= {None, date(2025, 1, 10), date(2025, 6, 1)}
    for day in as_of_days:
        python = {r["pk"] for r in rows if rules.is_made_by(known_since=r["known_since"], day=day)}
        assert _ids(Commitment.objects.public().made_by(day)) == python, day
        assert _ids(Commitment.objects.public().at(day)) == python, day
        # The report: its rows are the commitments made by its last day; existing at its start, made by the day before.
        period = Period("p", "P", day, day)
        snapshot = reports.build_snapshot(period=period)
        slugs = {r["slug"]: r for r in snapshot["rows"]}
        assert {r["slug"] for r in snapshot["rows"]} == set(
            Commitment.objects.filter(pk__in=python).values_list("slug", flat=True)), day
        existed = {s for s, r in slugs.items() if r["status_start"] != "new"}
        before = {r["pk"] for r in rows if rules.is_made_by(known_since=r["known_since"], day=day - ONE)}
        assert existed == set(Commitment.objects.filter(pk__in=before).values_list("slug", flat=True)), day
        total = sum(snapshot["timeline"][-1]["counts"].values()) if snapshot["timeline"] else 0
        assert total == len(python), day
    never = next(r for r in rows if r["date_made"] is None and r["known_since"] is None)
    assert never["pk"] not in _ids(Commitment.objects.public().at(date(9999, 12, 31)))
    assert never["pk"] in _ids(Commitment.objects.public().at())  # today's view shows every public commitment
