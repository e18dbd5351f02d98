"""CSV and JSON exports: the list's rows for the same query string, all pages, streamed.

Rows come from ``CommitmentFilterSet`` exactly as on the list page; memory stays flat because
rows are fetched in chunks and written as they come.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse

from . import selectors
from .aggregates import split
from .filtersets import CommitmentFilterSet
from .status import Status

COLUMNS = [
    "slug",
    "title",
    "status",
    "status_label",
    "status_as_of",
    "due_date",
    "overdue",
    "date_made",
    "statement_type",
    "themes",
    "countries",
    "actors",
    "source",
    "source_url",
    "url",
]
CHUNK = 1000
# Spreadsheets run cells that start with these as formulas; a leading apostrophe keeps them text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _rows(request, queryset) -> Iterator[dict]:
    """One streamed query (values, no model instances; taxonomies aggregated in SQL): flat memory."""
    labels = dict(Status.choices)
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    rows = selectors.with_taxonomy_lists(queryset).values_list(
        "slug",
        "title",
        "eff_status",
        "eff_status_date",
        "due_date",
        "eff_overdue",
        "date_made",
        "statement_type",
        "theme_slugs",
        "country_slugs",
        "actor_names",
        "source__slug",
        "source__url",
    )
    for slug, title, status, as_of, due, overdue, made, kind, themes, countries, actors, source, url in rows.iterator(
        chunk_size=CHUNK
    ):
        yield {
            "slug": slug,
            "title": title,
            "status": status,
            "status_label": labels[status],
            "status_as_of": _iso(as_of),
            "due_date": _iso(due),
            "overdue": bool(overdue),
            "date_made": _iso(made),
            "statement_type": kind,
            "themes": split(themes),
            "countries": split(countries),
            "actors": split(actors),
            "source": source,
            "source_url": url,
            "url": f"{page_prefix}{slug}/",
        }


def _filtered(request):
    filterset = CommitmentFilterSet(request.GET, request=request)
    if not filterset.is_valid():
        lines = [f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items()]
        return None, HttpResponse(
            "Bad request:\n" + "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    return filterset.qs, None


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_cell(value) -> str:
    """One spreadsheet-safe CSV cell: empty for None, yes/no, lists joined by "; ", formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        value = "; ".join(value)
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterable[dict]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM, so spreadsheets read UTF-8
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([csv_cell(row[col]) for col in COLUMNS])


def export_csv(request):
    queryset, error = _filtered(request)
    if error:
        return error
    response = StreamingHttpResponse(_csv_lines(_rows(request, queryset)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.csv"'
    return response


def _json_chunks(rows: Iterable[dict]) -> Iterator[str]:
    yield '{"commitments": ['
    for i, row in enumerate(rows):
        yield ("," if i else "") + json.dumps(row, ensure_ascii=False)
    yield "]}"


def export_json(request):
    queryset, error = _filtered(request)
    if error:
        return error
    return StreamingHttpResponse(_json_chunks(_rows(request, queryset)), content_type="application/json")
