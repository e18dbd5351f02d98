"""Turning a report's frozen snapshot into what readers get: HTML context, PDF bytes, CSV rows.

Reads only ``report.snapshot`` (and the report's own fields), never live data. Every language renders
the same snapshot (its texts in that language beside the English ones, ``snapshot``), so the figures of
each language's page and PDF are the same; the interface's words and dates follow the active language.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from .. import status as status_scale
from ..exports.columns import csv_cell
from ..languages import DEFAULT
from ..models import ProgressReport
from ..templatetags.tracker import status_label
from . import charts
from .snapshot import NEW

PDF_VARIANT = "pdf/ua-1"  # WeasyPrint's tagged, accessible variant

CSV_COLUMNS = [
    "slug",
    "title",
    "status_start",
    "status_end",
    "due_date",
    "overdue_start",
    "overdue_end",
    "date_made",
    "themes",
    "countries",
    "actors",
    "source",
    "url",
    # Added with date precision (day, month or year); a report frozen before then has them empty.
    "due_precision",
    "date_made_precision",
]


def _transition_table(snapshot: dict) -> dict:
    """A from × to matrix (rows: status at start or "new"; columns: status at end), zeros included."""
    cells = {(t["from"], t["to"]): t["count"] for t in snapshot["transitions"]}
    froms = [s for s in [NEW, *status_scale.Status.values] if any(k[0] == s for k in cells)]
    tos = status_scale.Status.values
    rows = [
        {
            "from": s,
            "label": status_label(s),
            "cells": [cells.get((s, t), 0) for t in tos],
            "moved": [s != t and cells.get((s, t), 0) > 0 for t in tos],
        }
        for s in froms
    ]
    return {"columns": [str(status_scale.info(t).label) for t in tos], "rows": rows}


def _count_rows(snapshot: dict) -> list[dict]:
    return [
        {
            "slug": i.slug,
            "label": i.label,
            "start": snapshot["counts_start"].get(i.slug, 0),
            "end": snapshot["counts_end"].get(i.slug, 0),
            "swatch": mark_safe(charts.swatch(i.slug)),  # noqa: S308 - built from constants only
        }
        for i in status_scale.scale()
    ]


def _country_transitions(snapshot: dict) -> list[dict]:
    return [{**t, "from_label": status_label(t["from"]), "to_label": status_label(t["to"])}
            for t in snapshot.get("country_transitions", [])]


def context_for(report: ProgressReport) -> dict:
    """The template's context, in the active language (its words come from the templates' catalog)."""
    snapshot = report.snapshot
    timeline = snapshot["timeline"]
    title = render_to_string("reports/_chart_title.txt", {"period": report.period_label}).strip()
    chart = charts.stacked_bars(timeline, title=title)
    return {
        "report": report,
        "s": snapshot,
        "count_rows": _count_rows(snapshot),
        "transitions": _transition_table(snapshot),
        "chart": mark_safe(chart),  # noqa: S308 - every text in it is escaped by charts.py
        "timeline_columns": [i.label for i in status_scale.scale()],
        "timeline_rows": [
            {
                "date": p["date"],
                "counts": [p["counts"].get(slug, 0) for slug in status_scale.Status.values],
                "total": sum(p["counts"].values()),
            }
            for p in timeline
        ],
        "legend": [
            {"label": i.label, "swatch": mark_safe(charts.swatch(i.slug, prefix="lg"))}  # noqa: S308
            for i in charts.legend()
        ],
        "scale": status_scale.scale(),
        # A report frozen before per-country assessments has none of these: it keeps its own "By country".
        "country_view": "country_counts_end" in snapshot,
        "country_transitions": _country_transitions(snapshot),
    }


def render_pdf(report: ProgressReport, *, base_url: str, lang: str = DEFAULT) -> bytes:
    """The report typeset as a PDF in ``lang`` (seconds at real size): a published one's is stored, see
    ``pdf_store``. The template sets ``<html lang>``, which WeasyPrint makes the document's language."""
    with translation.override(lang):
        html = render_to_string("reports/pdf.html", context_for(report))
    return _typeset(html, base_url=base_url)


def _typeset(html: str, *, base_url: str) -> bytes:
    """HTML to PDF with WeasyPrint: the slow step, which tests replace with a stand-in.

    PDF/UA-1: a tagged PDF (a structure tree that screen readers follow, headings and tables included)
    whose language and title come from the template's ``<html lang>`` and ``<title>``."""
    from weasyprint import CSS, HTML  # imported here: heavy, and only the PDF needs it

    stylesheet = Path(settings.BASE_DIR) / "static" / "css" / "report-pdf.css"
    return HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=[CSS(filename=str(stylesheet))], pdf_variant=PDF_VARIANT)


def country_columns(snapshot: dict) -> list[str]:
    """The report's countries (by slug): ``status_start_<slug>``/``status_end_<slug>`` columns follow
    ``CSV_COLUMNS`` (none for a report frozen before per-country assessments)."""
    return sorted(c["slug"] for c in snapshot.get("country_counts_end", []))


def render_csv(report: ProgressReport, *, absolute=lambda path: path, others: tuple[str, ...] = ()) -> str:
    """The per-commitment rows; ``absolute`` turns stored site paths into full URLs. The status in each
    country at the start and end is empty where the commitment is not filed under it (or did not exist).
    ``others``: languages whose ``title_<code>`` columns come last (as the exports add them; empty where the
    title has no translation, or the report was frozen before its snapshot kept one)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    countries = country_columns(report.snapshot)
    titles = [f"title_{code}" for code in others]
    writer.writerow([*CSV_COLUMNS, *(f"status_{when}_{c}" for c in countries for when in ("start", "end")),
                     *titles])
    for row in report.snapshot["rows"]:
        start, end = row.get("country_start", {}), row.get("country_end", {})
        writer.writerow([
            *(csv_cell(absolute(row[col]) if col == "url" else row.get(col)) for col in CSV_COLUMNS),
            *(csv_cell(side.get(c)) for c in countries for side in (start, end)),
            *(csv_cell(row.get(title, "")) for title in titles),
        ])
    return out.getvalue()
