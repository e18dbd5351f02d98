"""Progress reports follow the per-country rule: a country × status breakdown at the start and end of the
period and the per-country transitions, in the snapshot, the HTML, the PDF and the CSV; a country never
shows a status assessed for another country or for the whole of a per-country commitment."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from commitments import services
from commitments.models import Commitment, ProgressReport
from commitments.reports import render as report_render
from commitments.reports.periods import parse_period

from . import factories as f

pytestmark = pytest.mark.django_db

Q3 = parse_period("2025-Q3")  # 1 Jul – 30 Sep 2025
PER_COUNTRY = Commitment.Scope.PER_COUNTRY


@pytest.fixture
def report(db, pdf_renders) -> ProgressReport:
    """Returnees (per country): Kazakhstan in progress → achieved in the period; Kyrgyzstan in progress
    throughout; Tajikistan never assessed; its *overall* status turns "stalled" in the period. A CT expert
    (regional, Kazakhstan and Kyrgyzstan): in progress → achieved. A per-country commitment made in the
    period, assessed in Tajikistan only."""
    kz, kg, tj = f.country("kz", "Kazakhstan"), f.country("kg", "Kyrgyzstan"), f.country("tj", "Tajikistan")
    returnees = f.commitment(slug="returnees", title="Reintegrate returnee families", date_made=date(2019, 1, 1),
                             assessment_scope=PER_COUNTRY)
    returnees.countries.set([kz, kg, tj])
    f.update(returnees, status="in_progress", as_of=date(2024, 1, 1), published=True)  # overall
    f.update(returnees, status="stalled", as_of=date(2025, 8, 15), published=True)  # overall, in the period
    f.update(returnees, status="in_progress", as_of=date(2024, 1, 1), published=True, country=kz)
    f.update(returnees, status="achieved", as_of=date(2025, 8, 1), published=True, country=kz)
    f.update(returnees, status="in_progress", as_of=date(2024, 3, 1), published=True, country=kg)
    f.update(returnees, status="abandoned", as_of=date(2025, 9, 1), country=kg)  # a draft: counts for nothing
    expert = f.commitment(slug="expert", title="Deploy a CT expert", date_made=date(2019, 1, 1))
    expert.countries.set([kz, kg])
    f.update(expert, status="in_progress", as_of=date(2024, 1, 1), published=True)
    f.update(expert, status="achieved", as_of=date(2025, 9, 1), published=True)
    fresh = f.commitment(slug="fresh", title="=Open a centre", date_made=date(2025, 8, 1),
                         assessment_scope=PER_COUNTRY)
    fresh.countries.set([kg, tj])
    f.update(fresh, status="not_started", as_of=date(2025, 8, 2), published=True, country=tj)
    prepared, _ = services.prepare_report(period=Q3)
    return services.publish_report(report=prepared, user=None)


def counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    return {row["slug"]: {s: n for s, n in row["counts"].items() if n} for row in rows}


def test_each_country_counts_its_own_statuses_at_the_start_and_end(report):
    s = report.snapshot
    assert counts(s["country_counts_start"]) == {
        "kz": {"in_progress": 2}, "kg": {"in_progress": 2}, "tj": {"not_assessed": 1}}
    assert counts(s["country_counts_end"]) == {
        "kz": {"achieved": 2},
        "kg": {"in_progress": 1, "achieved": 1, "not_assessed": 1},  # never the draft "abandoned"
        "tj": {"not_assessed": 1, "not_started": 1},
    }
    # The overall "stalled" counts in no country; the overall figures keep it, as before.
    assert all("stalled" not in c for c in counts(s["country_counts_end"]).values())
    assert s["counts_end"]["stalled"] == 1
    row = next(r for r in s["rows"] if r["slug"] == "returnees")
    assert row["country_start"] == {"kg": "in_progress", "kz": "in_progress", "tj": "not_assessed"}
    assert row["country_end"] == {"kg": "in_progress", "kz": "achieved", "tj": "not_assessed"}


def test_a_per_country_move_shows_in_its_country_and_in_no_other(report):
    moves = [(t["country"], t["commitment"], t["from"], t["to"]) for t in report.snapshot["country_transitions"]]
    assert moves == [("kz", "returnees", "in_progress", "achieved"), ("tj", "fresh", "new", "not_started")]


def test_the_page_and_the_pdf_show_the_country_tables_and_moves(client, report):
    html = client.get(report.get_absolute_url()).content.decode()
    section = html[html.index('id="r-countries"'):html.index('id="r-breakdowns"')]
    assert "What moved in each country (2)" in section
    moves = section[section.index('class="report-list country-transitions"'):]
    assert ('<th scope="row">Kazakhstan</th><td><a href="/commitments/returnees/">Reintegrate returnee families</a>'
            "</td><td>In progress</td><td>Achieved</td>") in moves
    assert "Kyrgyzstan" not in moves
    assert "=Open a centre</a></td><td>Made during the period</td><td>Not started</td>" in moves
    ends = section[section.index("At the end of the period"):]
    assert '<th scope="row">Kyrgyzstan</th><td class="num">3</td>' in ends
    # The old "By country" (each commitment's overall status) is not shown beside it.
    assert "by theme, country and actor" not in html and "by theme and actor" in html
    pdf_html = render_to_string("reports/pdf.html", report_render.context_for(report))
    assert "What moved in each country (2)" in pdf_html and "At the start of the period" in pdf_html


@pytest.mark.real_pdf
def test_the_typeset_pdf_has_the_country_section(client, report):
    pdf = client.get(reverse("reports:pdf", args=[report.slug])).content
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S607
    assert "What moved in each country (2)" in " ".join(text.split())


def test_the_csv_has_each_countrys_status_at_the_start_and_end(client, report):
    body = client.get(reverse("reports:csv", args=[report.slug])).content.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(body))
    assert reader.fieldnames[-6:] == ["status_start_kg", "status_end_kg", "status_start_kz", "status_end_kz",
                                      "status_start_tj", "status_end_tj"]
    rows = {r["slug"]: r for r in reader}
    assert (rows["returnees"]["status_start_kz"], rows["returnees"]["status_end_kz"]) == ("in_progress", "achieved")
    assert rows["returnees"]["status_end"] == "stalled"  # the overall column, as before
    assert (rows["expert"]["status_start_tj"], rows["expert"]["status_end_tj"]) == ("", "")  # not filed there
    assert rows["fresh"]["status_start_tj"] == "" and rows["fresh"]["status_end_tj"] == "not_started"
    assert rows["fresh"]["title"] == "'=Open a centre"  # still neutralised


def test_a_report_frozen_before_per_country_assessments_still_renders(client, report):
    old = {k: v for k, v in report.snapshot.items()
           if k not in ("country_counts_start", "country_counts_end", "country_transitions")}
    old["rows"] = [{k: v for k, v in r.items() if k not in ("assessment_scope", "country_start", "country_end")}
                   for r in old["rows"]]
    ProgressReport.objects.filter(pk=report.pk).update(snapshot=old)
    report.refresh_from_db()
    html = client.get(report.get_absolute_url()).content.decode()
    assert "by theme, country and actor" in html and 'id="r-countries"' not in html
    body = client.get(reverse("reports:csv", args=[report.slug])).content.decode("utf-8-sig")
    assert body.splitlines()[0] == ",".join(report_render.CSV_COLUMNS)
