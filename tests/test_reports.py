"""Progress reports: periods, the status-at-a-date rule at period boundaries, frozen snapshots,
the command, the renderings (HTML, PDF, CSV, chart) and who may publish."""

import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import threading
import time
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from unittest.mock import Mock

import pytest
from django import db
from django.contrib import admin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments import dates, services
from commitments.models import Commitment, ProgressReport, StatusUpdate
from commitments.reports import render as report_render
from commitments.reports.admin import ProgressReportAdmin
from commitments.reports.periods import check_complete, parse_period, period_from_dates
from commitments.reports.snapshot import build_snapshot
from commitments.status import info

from . import factories as f

Q3 = parse_period("2025-Q3")  # 1 Jul – 30 Sep 2025


# --- periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_parse_period(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "2026-H3", "Q3-2026", "2026/Q3", "", "20261-Q1", "<b>"])
def test_malformed_periods_say_why(text):
    with pytest.raises(ValidationError) as exc:
        parse_period(text)
    assert exc.value.messages[0]


def test_end_before_start_and_future_and_unfinished_periods_are_refused():
    with pytest.raises(ValidationError, match="ends .* before it starts"):
        period_from_dates(date(2025, 5, 1), date(2025, 4, 1))
    with pytest.raises(ValidationError, match="in the future"):
        check_complete(parse_period("2031-Q1"), today=date(2026, 11, 23))
    with pytest.raises(ValidationError, match="has not ended yet"):
        check_complete(parse_period("2026-Q4"), today=date(2026, 11, 23))
    check_complete(parse_period("2026-Q3"), today=date(2026, 11, 23))  # ended: fine


# --- the status-at-a-date rule at the period's boundaries ---------------------------------


def _report(period=Q3):
    report, _ = services.prepare_report(period=period)
    return report


def _row(report, slug):
    return next(r for r in report.snapshot["rows"] if r["slug"] == slug)


@pytest.mark.django_db
def test_boundaries_first_day_last_day_day_before_and_after():
    before = f.commitment(slug="before", date_made=date(2019, 1, 1))
    f.update(before, status="in_progress", as_of=date(2025, 6, 30), published=True)  # day before: counts at start
    first = f.commitment(slug="first", date_made=date(2019, 1, 1))
    f.update(first, status="stalled", as_of=date(2025, 7, 1), published=True)  # first day: a move in the period
    last = f.commitment(slug="last", date_made=date(2019, 1, 1))
    f.update(last, status="achieved", as_of=date(2025, 9, 30), published=True)  # last day: counts at end
    after = f.commitment(slug="after", date_made=date(2019, 1, 1))
    f.update(after, status="achieved", as_of=date(2025, 10, 1), published=True)  # day after: not in this report

    report = _report()

    def start_end(slug):
        return _row(report, slug)["status_start"], _row(report, slug)["status_end"]

    assert start_end("before") == ("in_progress", "in_progress")
    assert start_end("first") == ("not_assessed", "stalled")
    assert start_end("last") == ("not_assessed", "achieved")
    assert start_end("after") == ("not_assessed", "not_assessed")
    assert [u["commitment"] for u in report.snapshot["updates"]] == ["first", "last"]


@pytest.mark.django_db
def test_several_updates_in_one_period_out_of_order_and_drafts():
    c = f.commitment(slug="c", date_made=date(2019, 1, 1))
    f.update(c, status="in_progress", as_of=date(2025, 8, 15), published=True)
    f.update(c, status="stalled", as_of=date(2025, 7, 10), published=True)  # published later, earlier as-of
    f.update(c, status="achieved", as_of=date(2025, 9, 1), published=False)  # a draft never counts
    report = _report()
    assert _row(report, "c")["status_end"] == "in_progress"
    assert [u["status"] for u in report.snapshot["updates"]] == ["stalled", "in_progress"]
    assert "achieved" not in {u["status"] for u in report.snapshot["updates"]}


@pytest.mark.django_db
def test_transitions_counts_and_lists():
    a = f.commitment(slug="a", date_made=date(2019, 1, 1), due_date=date(2025, 8, 1))
    f.update(a, status="in_progress", as_of=date(2024, 1, 1), published=True)  # open, due in period: newly overdue
    b = f.commitment(slug="b", date_made=date(2019, 1, 1))
    f.update(b, status="in_progress", as_of=date(2024, 1, 1), published=True)
    f.update(b, status="achieved", as_of=date(2025, 8, 1), published=True)  # newly achieved
    c = f.commitment(slug="c", date_made=date(2019, 1, 1))
    f.update(c, status="abandoned", as_of=date(2025, 9, 2), published=True)  # newly abandoned
    f.commitment(slug="d", date_made=date(2025, 8, 1))  # made in the period, never assessed
    f.commitment(slug="late", date_made=date(2025, 10, 5))  # made after the period: not in it

    s = _report().snapshot
    cells = {(t["from"], t["to"]): t["count"] for t in s["transitions"]}
    assert cells == {
        ("in_progress", "in_progress"): 1,
        ("in_progress", "achieved"): 1,
        ("not_assessed", "abandoned"): 1,
        ("new", "not_assessed"): 1,
    }
    assert s["totals"] == {"start": 3, "end": 4, "made_in_period": 1}
    assert s["counts_start"]["in_progress"] == 2 and s["counts_start"]["not_assessed"] == 1
    assert s["counts_end"]["achieved"] == 1 and s["counts_end"]["abandoned"] == 1
    assert [r["slug"] for r in s["newly_achieved"]] == ["b"]
    assert [r["slug"] for r in s["newly_stalled_or_abandoned"]] == ["c"]
    assert [r["slug"] for r in s["newly_overdue"]] == ["a"]
    assert [r["slug"] for r in s["still_not_assessed"]] == ["d"]


@pytest.mark.django_db
def test_drafts_and_archived_commitments_never_reach_a_report():
    f.commitment(slug="draft", state="draft", date_made=date(2019, 1, 1))
    archived = f.commitment(slug="archived", date_made=date(2019, 1, 1))
    f.update(archived, as_of=date(2025, 8, 1), published=True, summary="ARCHIVED-SUMMARY")
    archived.state = "archived"
    archived.save()
    s = _report().snapshot
    assert s["rows"] == [] and s["updates"] == []


@pytest.mark.django_db
def test_every_status_and_chart_point_follows_with_status_on():
    """The snapshot finds all its statuses in one pass; they must be what ``with_status_on`` says,
    on the day before the period, its last day and every chart day (ties and drafts included)."""
    a = f.commitment(slug="a", date_made=date(2012, 3, 1))
    f.update(a, status="in_progress", as_of=date(2014, 6, 1), published=True)
    f.update(a, status="stalled", as_of=date(2014, 6, 1), published=True)  # same as-of, published later
    f.update(a, status="achieved", as_of=date(2020, 12, 31), published=True)  # on a chart day
    f.update(a, status="abandoned", as_of=date(2025, 7, 1))  # a draft never counts
    b = f.commitment(slug="b", date_made=None)  # undated: known to exist from its source's date (2019)
    first = f.update(b, status="not_started", as_of=date(2018, 1, 1), published=True)
    second = f.update(b, status="partially_achieved", as_of=date(2018, 1, 1), published=True)
    tie = datetime(2024, 1, 1, 12, tzinfo=UTC)
    StatusUpdate.objects.filter(pk__in=[first.pk, second.pk]).update(published_at=tie)  # a full tie: higher id
    c = f.commitment(slug="c", date_made=date(2021, 5, 1))  # made after the early chart days
    early = f.update(c, status="stalled", as_of=date(2022, 3, 1), published=True)
    late = f.update(c, status="in_progress", as_of=date(2022, 3, 1), published=True)
    StatusUpdate.objects.filter(pk=late.pk).update(published_at=tie)
    StatusUpdate.objects.filter(pk=early.pk).update(published_at=tie + timedelta(hours=1))  # lower id, published last
    f.update(c, status="in_progress", as_of=date(2025, 6, 30), published=True)  # the day before the period
    f.update(c, status="achieved", as_of=date(2025, 10, 1), published=True)  # after it
    f.commitment(slug="d", date_made=date(2025, 8, 1))  # made in the period, never assessed

    s = _report().snapshot

    def on(day):
        return dict(Commitment.objects.public().made_by(day).with_status_on(day).values_list("slug", "status_on"))

    start, end = on(Q3.start - timedelta(days=1)), on(Q3.end)
    assert {r["slug"]: r["status_end"] for r in s["rows"]} == end
    assert {r["slug"]: r["status_start"] for r in s["rows"] if r["status_start"] != "new"} == start
    assert start == {"a": "achieved", "b": "partially_achieved", "c": "in_progress"}
    assert len(s["timeline"]) == 12
    for point in s["timeline"]:
        statuses = on(date.fromisoformat(point["date"]))
        assert {k: n for k, n in point["counts"].items() if n} == Counter(statuses.values())
    assert on(date(2022, 12, 31))["c"] == "stalled"


def _snapshot_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        build_snapshot(period=Q3)
    return len(queries)


@pytest.mark.django_db
def test_snapshot_queries_do_not_grow_with_rows():
    """One query per table read, whatever the number of commitments, updates, evidence and links."""
    f.commitment(date_made=date(2019, 1, 1))
    few = _snapshot_queries()
    theme, actor = f.theme(), f.actor()
    for i in range(5):
        c = f.commitment(date_made=date(2019, 1, 1 + i))
        c.themes.add(theme)
        c.countries.add(f.country())
        c.actors.add(actor)
        f.update(c, as_of=date(2024, 1, 1), published=True, evidence=2)
        f.update(c, status="achieved", as_of=date(2025, 8, 1), published=True, evidence=2)
    # The rows, the three taxonomies' names, the status scan, the three link tables, the updates with
    # evidence, and whether it is demo data.
    # And one scan of the country updates (the status in each country at the start and end).
    assert _snapshot_queries() == few == 11


# --- frozen once published ----------------------------------------------------------------


@pytest.mark.django_db
def test_published_report_is_frozen(client):
    c = f.commitment(slug="c", title="Original title", date_made=date(2019, 1, 1))
    f.update(c, status="in_progress", as_of=date(2025, 8, 1), published=True)
    report = services.publish_report(report=_report(), user=None)
    snapshot = report.snapshot
    page = client.get(report.get_absolute_url()).content
    csv_before = client.get(reverse("reports:csv", args=[report.slug])).content

    c.title = "Edited afterwards"
    c.save()
    f.update(c, status="achieved", as_of=date(2025, 9, 15), published=True)  # a late update dated in the period
    f.commitment(slug="new-one", date_made=date(2019, 1, 1))
    call_command("progress_report", "--period", "2025-Q3", "--publish")  # the scheduler re-runs

    report.refresh_from_db()
    assert report.snapshot == snapshot
    assert client.get(report.get_absolute_url()).content == page
    assert client.get(reverse("reports:csv", args=[report.slug])).content == csv_before
    assert b"Edited afterwards" not in page and ProgressReport.objects.count() == 1


@pytest.mark.django_db
def test_a_correction_is_a_new_report_that_names_the_one_it_supersedes(client):
    f.commitment(date_made=date(2019, 1, 1))
    original = services.publish_report(report=_report(), user=None)
    correction, created = services.prepare_report(period=Q3, supersedes=original)
    assert created and correction.pk != original.pk and correction.slug == "2025-q3-2"
    services.publish_report(report=correction, user=None)
    assert "corrects and replaces" in client.get(correction.get_absolute_url()).content.decode()
    assert "has been corrected" in client.get(original.get_absolute_url()).content.decode()


# --- the command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_is_idempotent_and_publishes(capsys):
    f.commitment(date_made=date(2019, 1, 1))
    call_command("progress_report", "--period", "2025-Q3")
    call_command("progress_report", "--period", "2025-Q3")
    assert ProgressReport.objects.count() == 1 and ProgressReport.objects.get().state == "draft"
    call_command("progress_report", "--period", "2025-Q3", "--publish")
    call_command("progress_report", "--period", "2025-Q3", "--publish")
    assert ProgressReport.objects.count() == 1 and ProgressReport.objects.get().is_published
    assert "already published" in capsys.readouterr().out


@pytest.mark.django_db
def test_command_pdf_of_a_published_report_is_the_stored_one(tmp_path, pdf_renders):
    f.commitment(date_made=date(2019, 1, 1))
    call_command("progress_report", "--period", "2025-Q3", "--publish", "--pdf", str(tmp_path / "q3.pdf"))
    call_command("progress_report", "--period", "2025-Q3", "--pdf", str(tmp_path / "again.pdf"))
    stored = bytes(ProgressReport.objects.get().pdf)
    assert (tmp_path / "q3.pdf").read_bytes() == stored == (tmp_path / "again.pdf").read_bytes()
    assert len(pdf_renders) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2025-Q9"], "quarters Q1 to Q4"),
        (["--period", "nonsense"], "is not a period"),
        (["--period", "2099-Q1"], "in the future"),
        (["--start", "2025-05-01", "--end", "2025-04-01"], "before it starts"),
        (["--start", "2025-02-30", "--end", "2025-04-01"], "is not a date"),
        ([], "Give --period"),
        (["--period", "2025-Q3", "--start", "2025-01-01"], "not both"),
    ],
)
def test_command_bad_input_exits_with_one_line_and_creates_nothing(args, message):
    with pytest.raises(CommandError) as exc:
        call_command("progress_report", *args)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert not ProgressReport.objects.exists()


# --- renderings ---------------------------------------------------------------------------


@pytest.fixture
def published(db):
    theme = f.theme(slug="p-cve", name="P/CVE")
    for i, status in enumerate(["in_progress", "achieved", "stalled"]):
        c = f.commitment(slug=f"c{i}", title=f"=cmd|{i}" if i == 0 else f"Commitment {i}", date_made=date(2019, 1, 1))
        c.themes.add(theme)
        f.update(c, status="in_progress", as_of=date(2023, 2, 1), published=True)
        f.update(c, status=status, as_of=date(2025, 8, 1), published=True)
    return services.publish_report(report=_report(), user=None)


@pytest.mark.parametrize("synthetic", [False, True], ids=["real", "demo"])
def test_a_report_of_demo_data_says_so_in_every_rendering(client, db, synthetic):
    c = f.commitment(slug="c0", date_made=date(2019, 1, 1))
    Commitment.objects.filter(pk=c.pk).update(is_synthetic=synthetic)  # as generate_demo_data marks its rows
    f.update(c, status="achieved", as_of=date(2025, 8, 1), published=True)
    report = services.publish_report(report=_report(), user=None)
    assert report.snapshot["synthetic"] is synthetic
    banner = "<strong>Demo data.</strong> Every figure in this report"
    page = client.get(report.get_absolute_url()).content.decode()
    assert (banner in page) is synthetic
    # The PDF is this HTML, typeset.
    assert (banner in render_to_string("reports/pdf.html", report_render.context_for(report))) is synthetic
    for kind in ("pdf", "csv"):
        response = client.get(reverse(f"reports:{kind}", args=[report.slug]))
        name = f"demo-data-commitments-report-{report.slug}" if synthetic else f"commitments-report-{report.slug}"
        assert f'filename="{name}.{kind}"' in response["Content-Disposition"]


def _pdf_pages(content: bytes) -> int:
    """The PDF's page count, as poppler's ``pdfinfo`` reads it (a tool we did not write; CI installs it
    and sets REQUIRE_PDFINFO=1). Without it, the same checks by hand: a PDF header and end, a
    cross-reference where ``startxref`` points, and a page tree."""
    if shutil.which("pdfinfo"):
        result = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=False)  # noqa: S607
        assert result.returncode == 0 and not result.stderr, result.stderr
        return int(re.search(rb"^Pages:\s+(\d+)$", result.stdout, re.MULTILINE)[1])
    assert not os.environ.get("REQUIRE_PDFINFO"), "pdfinfo (poppler-utils) is required but not installed"
    # WeasyPrint keeps most objects in compressed object streams, so those are read too.
    assert content.startswith(b"%PDF-1.") and content.rstrip().endswith(b"%%EOF")
    offset = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", content)[1])
    assert re.match(rb"xref|\d+ 0 obj\s*<<[^>]*/Type /XRef", content[offset:]), "startxref points at no xref"
    streams = re.findall(rb"/Type /ObjStm.*?stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL)
    text = b"".join([content, *(zlib.decompress(stream) for stream in streams)])
    page_trees = [d for d in re.findall(rb"<<[^<>]*>>", text) if re.search(rb"/Type\s*/Pages\b", d)]
    return int(re.search(rb"/Count (\d+)", page_trees[0])[1])


@pytest.mark.real_pdf
def test_publishing_stores_the_pdf_readers_get(client, published, pdf_renders, settings):
    """The one test that typesets with WeasyPrint (a second or more): at publish, once."""
    assert pdf_renders == [settings.SITE_URL]  # at publish, links made absolute on the site's address
    published.refresh_from_db()
    stored = bytes(published.pdf)
    assert _pdf_pages(stored) >= 2
    assert published.pdf_sha256 == hashlib.sha256(stored).hexdigest()

    response = client.get(reverse("reports:pdf", args=[published.slug]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == stored and response["ETag"] == f'"{published.pdf_sha256}"'
    assert response["Content-Disposition"] == f'inline; filename="commitments-report-{published.slug}.pdf"'
    assert len(pdf_renders) == 1
    _check_tagged_and_readable(stored, published)


def _check_tagged_and_readable(pdf: bytes, report) -> None:
    """PDF/UA: tagged (a structure tree), with the report's title and language; its text all there."""
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        assert not os.environ.get("REQUIRE_PDFINFO"), "pdfinfo (poppler-utils) is required but not installed"
        return  # the page count above was checked by hand; tags need poppler to read
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S607
    fields = dict(re.findall(r"^([A-Za-z ]+):\s+(.*)$", info, re.MULTILINE))
    assert fields["Tagged"] == "yes"
    assert fields["Title"] == report.title
    objects = re.findall(rb"/Type /ObjStm.*?stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL)
    catalogue = b"".join([pdf, *(zlib.decompress(stream) for stream in objects)])
    assert re.search(rb"/Lang\s*\(en\)", catalogue), "no document language"  # from <html lang="en">
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,  # noqa: S607
                          check=True).stdout.decode()
    squeezed = " ".join(text.split())
    for expected in (report.title, "1 July 2025 – 30 September 2025", "Commitment 1", "Commitment 2", "=cmd|0",
                     "At a glance", "Methodology"):
        assert expected in squeezed, expected
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", squeezed), "an ISO date in the PDF's text"


def test_a_fresh_worker_serves_the_stored_pdf_without_rendering(published, pdf_renders, monkeypatch):
    url = reverse("reports:pdf", args=[published.slug])
    assert len(pdf_renders) == 1  # at publish
    published.refresh_from_db()
    cache.clear()  # nothing kept in this process, as in a worker that has just started
    monkeypatch.setattr(report_render, "render_pdf", Mock(side_effect=AssertionError("rendered again")))
    for worker in (Client(), Client()):
        response = worker.get(url)
        assert response.status_code == 200 and response.content == bytes(published.pdf)
    assert len(pdf_renders) == 1


def test_a_reader_who_has_the_pdf_gets_304(client, published):
    url = reverse("reports:pdf", args=[published.slug])
    etag = client.get(url)["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)  # strong: the same bytes, byte for byte
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert not [q for q in queries if '."pdf"' in q["sql"]]  # the bytes were not even read
    assert client.get(url, headers={"if-none-match": f'"{"0" * 64}", W/"x"'}).status_code == 200
    assert client.get(url, headers={"if-none-match": f'"{"0" * 64}", {etag}'}).status_code == 304


def _as_published_before_pdfs_were_stored(report):
    ProgressReport.objects.filter(pk=report.pk).update(pdf=b"", pdf_sha256="")  # as the migration leaves it


def test_a_report_published_before_pdfs_were_stored_renders_once_then_serves_the_stored_pdf(
    published, pdf_renders, settings
):
    _as_published_before_pdfs_were_stored(published)
    pdf_renders.clear()
    url = reverse("reports:pdf", args=[published.slug])
    first = Client().get(url)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    assert pdf_renders == [settings.SITE_URL]
    published.refresh_from_db()
    assert bytes(published.pdf) == first.content
    assert first["ETag"] == f'"{hashlib.sha256(first.content).hexdigest()}"' == f'"{published.pdf_sha256}"'
    second = Client().get(url)  # another worker
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert pdf_renders == [settings.SITE_URL]


@pytest.mark.django_db(transaction=True)
def test_workers_asking_at_once_wait_for_one_rendering(monkeypatch, pdf_renders):
    """Two workers ask for a PDF that is not stored yet: one renders it, the other waits, then reads it."""
    f.commitment(date_made=date(2019, 1, 1))
    report = services.publish_report(report=_report(), user=None)
    _as_published_before_pdfs_were_stored(report)
    pdf_renders.clear()
    url = reverse("reports:pdf", args=[report.slug])
    typeset, rendering = report_render._typeset, threading.Event()

    def slow_typeset(html, *, base_url):  # the other worker asks while this one is rendering
        rendering.set()
        time.sleep(1)
        return typeset(html, base_url=base_url)

    monkeypatch.setattr(report_render, "_typeset", slow_typeset)
    responses = {}

    def worker(name):
        try:
            responses[name] = Client().get(url)
        finally:
            db.connection.close()  # this thread's own connection

    first = threading.Thread(target=worker, args=["first"])
    first.start()
    assert rendering.wait(timeout=30)
    second = threading.Thread(target=worker, args=["second"])
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)
    assert [responses[n].status_code for n in ("first", "second")] == [200, 200]
    assert responses["first"].content == responses["second"].content
    assert len(pdf_renders) == 1


def test_a_failed_rendering_at_publish_leaves_the_report_published(client, monkeypatch, caplog, db):
    f.commitment(date_made=date(2019, 1, 1))
    typeset = report_render._typeset
    monkeypatch.setattr(report_render, "_typeset", Mock(side_effect=OSError("no fonts")))
    report = services.publish_report(report=_report(), user=None)
    report.refresh_from_db()
    assert report.is_published and report.pdf_sha256 == ""
    assert "its PDF will be rendered on the first request" in caplog.text
    monkeypatch.setattr(report_render, "_typeset", typeset)
    response = client.get(reverse("reports:pdf", args=[report.slug]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    report.refresh_from_db()
    assert bytes(report.pdf) == response.content


@pytest.mark.django_db
def test_a_draft_pdf_is_rendered_for_each_request_and_never_stored(client, pdf_renders):
    draft = _report()
    client.force_login(f.editor())
    url = reverse("reports:pdf", args=[draft.slug])
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF") and "ETag" not in response
    assert pdf_renders == ["http://testserver/", "http://testserver/"]
    draft.refresh_from_db()
    assert draft.pdf_sha256 == "" and bytes(draft.pdf) == b""


def test_csv_rows_match_the_snapshot_and_are_neutralised(client, published):
    body = client.get(reverse("reports:csv", args=[published.slug])).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    snap = published.snapshot["rows"]
    assert [r["slug"] for r in rows] == [r["slug"] for r in snap]
    assert [(r["status_start"], r["status_end"]) for r in rows] == [(r["status_start"], r["status_end"]) for r in snap]
    assert rows[0]["title"] == "'=cmd|0"
    assert rows[0]["url"].startswith("http://testserver/commitments/")


def test_chart_numbers_match_the_table(client, published):
    html = client.get(published.get_absolute_url()).content.decode()
    chart = html[html.index("<svg xmlns") : html.index("</svg>", html.index("<svg xmlns"))]
    bars = {(m[0], m[1]): int(m[2]) for m in re.findall(r"<title>(\d+ \w+ \d{4}): ([^<]+?) (\d+)</title>", chart)}
    expected = {}
    for point in published.snapshot["timeline"]:
        label = dates.render(date.fromisoformat(point["date"]))  # "31 December 2025", as every page writes dates
        for slug, n in point["counts"].items():
            if n:
                expected[(label, info(slug).label)] = n
    assert bars == expected and bars  # every bar segment is a figure of the table, and nothing else
    table = html[html.index('<table class="timeline">') :]
    last = published.snapshot["timeline"][-1]
    assert f'<th scope="row"><time datetime="{last["date"]}">{dates.render(date.fromisoformat(last["date"]))}</time>' \
        in table


def test_report_page_shows_the_sections(client, published):
    html = client.get(published.get_absolute_url()).content.decode()
    for text in ["Commitments by status at the start and end", "What moved", "Newly achieved", "Newly overdue",
                 "Still not assessed", "Status updates dated in the period", "By theme", "By country", "By actor",
                 "Methodology", "Delivered as committed."]:
        assert text in html
    assert "/reports/" in client.get(reverse("reports:list")).content.decode()


# --- who may see and publish --------------------------------------------------------------


@pytest.mark.django_db
def test_draft_reports_are_for_staff_only(client):
    draft = _report()
    urls = [draft.get_absolute_url(), *(reverse(f"reports:{kind}", args=[draft.slug]) for kind in ("pdf", "csv"))]
    for url in urls:
        assert client.get(url).status_code == 404
    assert draft.title not in client.get(reverse("reports:list")).content.decode()
    client.force_login(f.editor())
    assert client.get(draft.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_an_editor_cannot_publish_a_report(client):
    draft = _report()
    with pytest.raises(PermissionDenied):
        services.publish_report(report=draft, user=f.editor())
    client.force_login(f.editor())
    changelist = reverse("admin:commitments_progressreport_changelist")
    assert "publish_reports" not in dict(client.get(changelist).context["action_form"].fields["action"].choices)
    client.post(changelist, {"action": "publish_reports", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_published
    publisher = f.publisher()
    assert services.publish_report(report=draft, user=publisher).published_by == publisher


@pytest.mark.django_db
def test_admin_add_form_creates_a_draft_or_says_what_is_wrong(client):
    client.force_login(f.publisher())
    add = reverse("admin:commitments_progressreport_add")
    bad = client.post(add, {"period": "2025-Q7", "introduction": "Kept text"})
    assert bad.status_code == 200 and "quarters Q1 to Q4" in bad.content.decode()
    assert "Kept text" in bad.content.decode() and not ProgressReport.objects.exists()
    future = client.post(add, {"period": "2099-H1"})
    assert "in the future" in future.content.decode() and not ProgressReport.objects.exists()
    good = client.post(add, {"period": "2025-Q3", "introduction": "Quiet quarter."})
    assert good.status_code == 302
    report = ProgressReport.objects.get()
    assert (report.slug, report.state, report.introduction) == ("2025-q3", "draft", "Quiet quarter.")
    services.publish_report(report=report, user=None)
    again = client.post(add, {"period": "2025-Q3"})
    assert "already published for this period" in again.content.decode()
    assert ProgressReport.objects.count() == 1


# --- links come from the URL configuration -------------------------------------------------


@pytest.mark.django_db
def test_admin_links_to_a_report_follow_the_url_configuration(settings):
    settings.ROOT_URLCONF = "tests.urls_elsewhere"
    report = _report()
    links = ProgressReportAdmin(ProgressReport, admin.site).links(report)
    for suffix in ("/", ".pdf", ".csv"):
        assert f'href="/elsewhere/reports/{report.slug}{suffix}"' in links
