"""Dates as precise as their sources: rendered as the period they stand for, compared as ``dates`` documents
(a deadline by its period's last day, everything else from its first), an inferred end that is never a
deadline, and commitments absent from views of days before they are known to exist."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.template import Context, Template
from django.urls import reverse

from commitments import facet_index, services
from commitments import status as rules
from commitments.models import Commitment, Evidence, Source

from . import factories
from .test_public_pages import text

pytestmark = pytest.mark.django_db


def render(template: str, **context) -> str:
    return Template(template).render(Context(context))


def test_the_filter_renders_a_date_at_its_precision():
    july = date(2022, 7, 1)
    assert render("{{ d|as_precise:p }}", d=date(2022, 7, 15), p="day") == "15 July 2022"
    assert render("{{ d|as_precise:p }}", d=july, p="month") == "July 2022"
    assert render("{{ d|as_precise:p }}", d=july, p="year") == "2022"
    assert render("{{ d|as_precise:p }}", d="2022-07-01", p="month") == "July 2022"  # a report snapshot's string
    assert render("{{ d|as_precise:p }}", d="2022-07-01", p=None) == "1 July 2022"  # a snapshot without precisions
    assert render("{{ d|as_precise:p }}", d=None, p="month") == ""
    assert render("{{ d|iso_precise:p }}", d=july, p="month") == "2022-07"


# --- a deadline known to the month ------------------------------------------------------------


@pytest.fixture
def by_july(db):
    """Due "by July 2022": stored as 31 July 2022, its last day."""
    c = factories.commitment(slug="by-july", date_made=date(2021, 1, 1), due_date=date(2022, 7, 31),
                             due_precision="month", due_text="by July 2022")
    factories.update(c, status="in_progress", as_of=date(2022, 1, 1), published=True)
    return c


@pytest.mark.parametrize(("on", "overdue"), [
    (date(2022, 7, 15), False), (date(2022, 7, 31), False), (date(2022, 8, 1), True),
])
def test_a_deadline_known_to_the_month_is_overdue_only_once_the_month_has_passed(by_july, client, on, overdue):
    public = Commitment.objects.public()
    assert rules.is_overdue(status="in_progress", due_date=by_july.due_date, on=on) is overdue
    assert public.overdue(on=on).filter(pk=by_july.pk).exists() is overdue  # SQL
    assert public.at(on).get(pk=by_july.pk).eff_overdue is overdue
    index = facet_index.build(version="t")
    assert bool(index.overdue(on)[list(index.ids).index(by_july.pk)]) is overdue  # numpy
    page = client.get(f"/commitments/?as_of={on.isoformat()}&overdue=1")
    assert [c.slug for c in page.context["page"]] == (["by-july"] if overdue else [])


def test_a_deadline_known_to_the_month_is_shown_as_that_month(by_july, client):
    page = text(client.get(by_july.get_absolute_url()).content.decode())
    assert "Due By July 2022 (the source: “by July 2022”)" in page
    assert "31 July 2022" not in page
    rows = text(client.get("/commitments/").content.decode())
    assert "due by July 2022" in rows


# --- an as-of date known to the month ---------------------------------------------------------


def test_an_update_as_of_a_month_counts_from_its_first_day_and_says_the_month(client):
    c = factories.commitment(slug="july", date_made=date(2021, 1, 1))
    u = factories.update(c, status="in_progress", as_of=date(2022, 7, 1), as_of_precision="month", evidence=0)
    Evidence.objects.create(commitment=c, status_update=u, title="Report", publisher="P", date=date(2022, 7, 1),
                            date_precision="month", url="https://example.org/r", stance="supports",
                            indicates="under way")
    services.publish_status_update(update=u, user=None, reason="Assessed.")

    def status_on(day: str) -> str:
        return client.get(f"/commitments/?as_of={day}").context["page"][0].eff_status

    assert status_on("2022-06-30") == "not_assessed"
    assert status_on("2022-07-01") == status_on("2022-07-15") == "in_progress"
    markup = client.get(c.get_absolute_url()).content.decode()
    page = text(markup)
    assert "In progress as of July 2022" in page
    assert '<time datetime="2022-07">July 2022</time>' in markup
    assert "Publisher, July 2022" in page or "P, July 2022" in page  # the evidence's date, at its precision
    assert "1 July 2022" not in page and "1 Jul 2022" not in page
    # The rows of the list, the overview and a source's page say the month too, today and as of a day.
    for url in ("/commitments/", "/commitments/?as_of=2022-07-15", "/", f"/sources/{c.source.slug}/"):
        rows = text(client.get(url).content.decode())
        assert "In progress as of July 2022" in rows and "1 Jul 2022" not in rows, url


# --- an inferred end ----------------------------------------------------------------------------


def test_an_expected_end_is_labelled_inferred_and_never_makes_a_commitment_overdue(client):
    c = factories.commitment(slug="programme", date_made=date(2019, 1, 1), expected_end=date(2020, 12, 31),
                             expected_end_precision="year", expected_end_note="The programme runs to 2020.")
    factories.update(c, status="in_progress", as_of=date(2020, 1, 1), published=True)
    on = date(2026, 1, 1)
    assert not Commitment.objects.public().overdue(on=on).exists()
    assert not Commitment.objects.public().at(on).get(pk=c.pk).eff_overdue
    assert not c.is_overdue
    index = facet_index.build(version="t")
    assert not index.overdue(on).any()
    page = text(client.get(c.get_absolute_url()).content.decode())
    assert "Expected end (inferred) 2020 (inferred by the tracker, not a deadline stated in the source" in page
    assert "The programme runs to 2020." in page
    assert "Overdue" not in page and "No due date stated" in page
    assert client.get("/commitments/?overdue=1").context["page"].paginator.count == 0


# --- known to exist since -----------------------------------------------------------------------


def test_an_undated_commitment_says_since_when_it_is_known_to_exist(client):
    june = factories.source(date=date(2021, 6, 1), date_precision="month")
    from_source = factories.commitment(slug="from-source", date_made=None, source=june)
    undated_source = factories.source(date=None)
    from_evidence = factories.commitment(slug="from-evidence", date_made=None, source=undated_source)
    factories.update(from_evidence, status="in_progress", as_of=date(2023, 5, 1), published=True)
    unknown = factories.commitment(slug="unknown", date_made=None, source=factories.source(date=None))
    assert (from_source.known_since, from_evidence.known_since, unknown.known_since) == (
        date(2021, 6, 1), date(2023, 5, 1), None)

    def made(c) -> str:
        page = text(client.get(c.get_absolute_url()).content.decode())
        return re.search(r"Made (.*?) Due", page).group(1)

    assert made(from_source) == "Undated: known to exist since June 2021 (its source’s date)"
    assert made(from_evidence) == "Undated: known to exist since 1 May 2023 (its first evidence)"
    assert made(unknown) == "Undated: no date is known"

    def listed(day: str) -> set[str]:
        return {c.slug for c in client.get(f"/commitments/?as_of={day}").context["page"]}

    assert listed("1900-01-01") == set()
    assert listed("2021-05-31") == set()
    assert listed("2021-06-01") == {"from-source"}
    assert listed("2023-05-01") == {"from-source", "from-evidence"}
    assert "unknown" in {c.slug for c in client.get("/commitments/").context["page"]}  # today: every one


def test_as_of_before_any_commitment_existed_lists_none(client, catalogue):
    response = client.get("/commitments/?as_of=1900-01-01")
    assert response.context["page"].paginator.count == 0
    assert client.get("/?as_of=1900-01-01").context["total"] == 0
    assert client.get("/commitments/?as_of=2019-05-15").context["page"].paginator.count == 3


def test_known_since_follows_the_date_made_the_source_date_and_the_evidence():
    source = factories.source(date=None)
    c = factories.commitment(date_made=None, source=source)
    assert c.known_since is None
    Evidence.objects.create(commitment=c, title="E", publisher="P", url="https://example.org/e", date=date(2022, 3, 1))
    Evidence.objects.create(commitment=c, title="F", publisher="P", url="https://example.org/f", date=date(2021, 3, 1))
    services.refresh_known_since(commitment=c)
    assert c.known_since == date(2021, 3, 1)  # the first evidence
    Source.objects.filter(pk=source.pk).update(date=date(2022, 1, 1))
    assert services.refresh_known_since(source=source) == 1
    c.refresh_from_db()
    assert c.known_since == date(2022, 1, 1)  # the source's date
    Commitment.objects.filter(pk=c.pk).update(date_made=date(2022, 2, 1))
    services.refresh_known_since(commitment=c)
    assert c.known_since == date(2022, 2, 1)  # the date made
    history = c.history.count()
    services.refresh_known_since(commitment=c)
    assert c.history.count() == history  # a derived field: no history entry of its own
    with pytest.raises(ValueError):
        services.refresh_known_since()


# --- the admin --------------------------------------------------------------------------------


def _commitment_post(source, **overrides) -> dict:
    data = {
        "title": "Deploy an expert", "slug": "deploy-an-expert", "quote": "The EU will deploy an expert.",
        "statement_type": "pledge", "source": str(source.pk), "date_made": "", "date_made_precision": "day",
        "due_date": "", "due_precision": "day", "due_text": "", "expected_end": "", "expected_end_precision": "day",
        "expected_end_note": "", "actors_basis": "stated", "assessment_scope": "regional",
        "status_updates-TOTAL_FORMS": "0", "status_updates-INITIAL_FORMS": "0",
        "status_updates-MIN_NUM_FORMS": "0", "status_updates-MAX_NUM_FORMS": "1000",
        "evidence-TOTAL_FORMS": "0", "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0", "evidence-MAX_NUM_FORMS": "1000",
    }
    return data | overrides


def test_the_admin_refuses_a_due_date_without_the_sources_words_beside_the_field(client):
    client.force_login(factories.editor())
    response = client.post(reverse("admin:commitments_commitment_add"),
                           _commitment_post(factories.source(), date_made="2019-05-15", due_date="2025-12-31"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "use “expected end” instead" in errors["due_text"][0]
    assert not Commitment.objects.exists()


def test_the_admin_keeps_the_due_date_and_expected_end_together_with_their_help(client):
    client.force_login(factories.editor())
    page = client.get(reverse("admin:commitments_commitment_add")).content.decode()
    fieldset = page[page.index("When it is due"):]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    for name in ("due_date", "due_precision", "due_text", "expected_end", "expected_end_precision",
                 "expected_end_note"):
        assert f'name="{name}"' in fieldset, name
    assert "never makes the commitment overdue" in fieldset


def test_the_admin_saves_a_month_and_derives_known_since(client):
    client.force_login(factories.editor())
    source = factories.source(date=date(2021, 1, 1), date_precision="year")
    response = client.post(reverse("admin:commitments_commitment_add"), _commitment_post(
        source, due_date="2025-12-31", due_precision="month", due_text="by the end of 2025",
        expected_end="2026-06-30", expected_end_precision="month", expected_end_note="Programme end."))
    assert response.status_code == 302, response.context["adminform"].form.errors
    c = Commitment.objects.get()
    assert (c.due_date, c.due_precision, c.expected_end_precision) == (date(2025, 12, 31), "month", "month")
    assert c.known_since == date(2021, 1, 1)  # undated: from its source's date
    # A month stored on a day other than its last is refused, beside the field.
    response = client.post(reverse("admin:commitments_commitment_change", args=[c.pk]), _commitment_post(
        source, seen_version=str(c.version), due_date="2025-12-01", due_precision="month", due_text="by then"))
    assert "stored as the last day of that month (2025-12-31)" in response.context["adminform"].form.errors[
        "due_date"][0]


def test_changing_a_sources_date_in_the_admin_moves_its_undated_commitments(client):
    from commitments import revisions
    from commitments.models import Revision

    source = factories.source(date=date(2021, 1, 1))
    c = factories.commitment(date_made=None, source=source)
    dated = factories.commitment(date_made=date(2021, 5, 1), source=source)
    client.force_login(factories.editor())
    data = {"slug": source.slug, "title": source.title, "issuer": source.issuer, "date": "2020-03-01",
            "date_precision": "month", "date_note": "", "kind": source.kind, "url": source.url, "notes": ""}
    response = client.post(reverse("admin:commitments_source_change", args=[source.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    c.refresh_from_db()
    assert c.known_since == date(2021, 1, 1)  # a public source's edit waits for review
    revision = Revision.objects.get(subject_type="source", subject_id=source.pk)
    revisions.approve_revision(revision=revision, user=factories.publisher(), reason="The source is dated March 2020.")
    c.refresh_from_db()
    dated.refresh_from_db()
    assert (c.known_since, dated.known_since) == (date(2020, 3, 1), date(2021, 5, 1))


def test_an_as_of_month_may_describe_a_commitment_made_during_that_month():
    from django.core.exceptions import ValidationError

    from commitments.models import StatusUpdate

    c = factories.commitment(date_made=date(2019, 9, 11))
    september = StatusUpdate(commitment=c, status="in_progress", as_of=date(2019, 9, 1), as_of_precision="month",
                             summary="s")
    september.full_clean()  # the month is not wholly before the day it was made
    august = StatusUpdate(commitment=c, status="in_progress", as_of=date(2019, 8, 1), as_of_precision="month",
                          summary="s")
    with pytest.raises(ValidationError, match="before the commitment was made"):
        august.full_clean()
    day = StatusUpdate(commitment=c, status="in_progress", as_of=date(2019, 9, 1), summary="s")
    with pytest.raises(ValidationError, match="before the commitment was made"):
        day.full_clean()


def test_a_report_says_how_it_counts_undated_commitments_and_old_reports_do_not():
    from django.template.loader import render_to_string

    from commitments.models import ProgressReport
    from commitments.reports.periods import parse_period
    from commitments.reports.render import context_for

    c = factories.commitment(date_made=None, source=factories.source(date=date(2025, 2, 1)))
    factories.update(c, status="in_progress", as_of=date(2025, 3, 1), as_of_precision="month", published=True)
    report, _ = services.prepare_report(period=parse_period("2025-Q1"), today=date(2026, 1, 1))
    assert report.snapshot["schema"] == 2
    assert [r["status_start"] for r in report.snapshot["rows"]] == ["new"]  # known from 1 February 2025

    def body() -> str:
        return text(render_to_string("reports/_body.html", context_for(report)))

    assert "from the day it is known to exist" in body()
    assert "In progress as of March 2025" in body()
    # A report frozen before: its methodology said nothing of it, and still does not.
    ProgressReport.objects.filter(pk=report.pk).update(snapshot=report.snapshot | {"schema": 1})
    report.refresh_from_db()
    assert "known to exist" not in body()


def test_exports_say_how_precise_the_status_date_is_today_and_as_of_a_day(client):
    """The status date's precision is stored with the current status and read for a past day."""
    import csv
    import io
    import json

    c = factories.commitment(slug="july-export", date_made=date(2021, 1, 1))
    u = factories.update(c, status="in_progress", as_of=date(2022, 7, 1), as_of_precision="month", evidence=0)
    Evidence.objects.create(commitment=c, status_update=u, title="Report", publisher="P", date=date(2022, 7, 1),
                            date_precision="month", url="https://example.org/r", stance="supports",
                            indicates="under way")
    services.publish_status_update(update=u, user=None, reason="Assessed.")
    c.refresh_from_db()
    assert (c.current_status_date, c.current_status_precision) == (date(2022, 7, 1), "month")
    for query in ("", "?as_of=2022-08-01"):
        rows = list(csv.DictReader(io.StringIO(b"".join(client.get(f"/commitments/export.csv{query}")
                                                        .streaming_content).decode().lstrip("\ufeff"))))
        row = next(r for r in rows if r["slug"] == "july-export")
        assert (row["status_as_of"], row["status_as_of_precision"]) == ("2022-07-01", "month"), query
        records = json.loads(b"".join(client.get(f"/commitments/export.json{query}").streaming_content))
        record = next(r for r in records["commitments"] if r["slug"] == "july-export")
        assert record["status_as_of_precision"] == "month", query
