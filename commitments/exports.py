"""CSV and JSON exports: the list's rows for the same query string, all pages, streamed.

Rows come from ``CommitmentFilterSet`` exactly as on the list page; memory stays flat because
rows are fetched in chunks and written as they come.

A database error never reads as a short or empty export. The query runs, and its first chunk of
rows is fetched, before the response starts: an error there is the 500 page. An error later, when
the 200 and some rows are already sent, ends the body with a line that leaves no valid document
(CSV: an opening quote that never closes, so strict readers refuse the file; JSON: the array and
object are never closed) and is then raised again, so the server drops the connection without
the last chunk of the chunked response and the client sees a transfer error.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from . import selectors
from . import status as rules
from .aggregates import split, with_lists
from .filtersets import CommitmentFilterSet
from .models import Commitment, StatusUpdate
from .status import Status

logger = logging.getLogger(__name__)

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
    # How precise each date is (day, month or year: "July 2022" is stored as a deadline's last day, see
    # ``dates``), and the tracker's inferred end, which is never a due date. Added after the columns above.
    "due_precision",
    "date_made_precision",
    "expected_end",
    "expected_end_precision",
    "status_as_of_precision",
]
CHUNK = 1000  # rows per fetch
ROWS_PER_WRITE = 100  # rows per chunk of the response: few writes, each some tens of KB
# Spreadsheets run cells that start with these as formulas; a leading apostrophe keeps them text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# Taxonomy lists carried by the same query: annotation -> (link table, its commitment field, value).
LISTS = {
    "theme_slugs": (Commitment.themes.through, "commitment", "theme__slug"),
    "country_slugs": (Commitment.countries.through, "commitment", "country__slug"),
    "actor_names": (Commitment.actors.through, "commitment", "actor__name"),
}
VALUES = [
    "slug",
    "title",
    "eff_status",
    "eff_status_date",
    "due_date",
    "eff_overdue",
    "date_made",
    "statement_type",
    *LISTS,
    "source__slug",
    "source__url",
    "due_precision",
    "date_made_precision",
    "expected_end",
    "expected_end_precision",
    "eff_status_precision",
]


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _records(*, request: HttpRequest, queryset: QuerySet) -> Iterator[tuple]:
    """One streamed query (values, no model instances; taxonomies aggregated in SQL): flat memory.

    Each record holds the values of ``COLUMNS``, in that order.
    """
    labels = dict(Status.choices)
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    # Every public row: the link tables are aggregated whole, which is cheapest then.
    every_row = queryset.query.where == Commitment.objects.public().query.where
    rows = with_lists(queryset=queryset, lists=LISTS, every_row=every_row).values_list(*VALUES)
    for (slug, title, status, as_of, due, overdue, made, kind, themes, countries, actors, source, url, due_precision,
         made_precision, expected, expected_precision, as_of_precision) in rows.iterator(chunk_size=CHUNK):
        yield (
            slug,
            title,
            status,
            labels[status],
            _iso(as_of),
            _iso(due),
            bool(overdue),
            _iso(made),
            kind,
            split(themes),
            split(countries),
            split(actors),
            source,
            url,
            f"{page_prefix}{slug}/",
            due_precision if due else None,
            made_precision if made else None,
            _iso(expected),
            expected_precision if expected else None,
            as_of_precision if as_of else None,
        )


def _started(records: Iterator[tuple]) -> Iterator[tuple]:
    """Run the query and fetch its first chunk now, before the response starts, so an error is a 500 page."""
    first = next(records, None)
    return records if first is None else chain([first], records)


def _honest(chunks: Iterator[str], *, request_id: str, failed: Callable[[str], str]) -> Iterator[str]:
    """``chunks``; if they fail, a last piece ``failed(message)`` that leaves the document invalid, then the error
    again (the server then drops the connection without ending the chunked body).

    The error is logged here with the request id: the middleware's log context has ended by now, and
    the server logs only its traceback.
    """
    try:
        yield from chunks
    except Exception as exc:
        logger.exception("Export stopped by an error after the response had started (request id %s)", request_id)
        yield failed(
            f"ERROR: export incomplete: a {type(exc).__name__} stopped it. Nothing in this file is complete; "
            f"request it again. Reference: {request_id}"
        )
        raise


def _batches(items: Iterable, size: int = ROWS_PER_WRITE) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def _bad_filters(filterset: CommitmentFilterSet) -> HttpResponse:
    lines = [f"{name}: {' '.join(msgs)}" for name, msgs in filterset.errors.items()]
    return HttpResponse(
        "Bad request:\n" + "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )


def _filtered(request):
    filterset = CommitmentFilterSet(request.GET, request=request)
    if not filterset.is_valid():
        return None, _bad_filters(filterset)
    day = filterset.as_of_date
    if day is None or "eff_status_precision" in filterset.qs.query.annotations:
        return filterset.qs, None  # ``at()`` gave the precision (the stored one, or in a country)
    # As of a day: the precision of the update that held then (one subquery per exported row).
    precision = rules.status_on_subquery(StatusUpdate.objects.published().overall(), day, field="as_of_precision")
    return filterset.qs.annotate(eff_status_precision=precision), None


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


def _csv_row(record: tuple) -> tuple:
    """``csv_cell`` of each value, unrolled (it runs 1.5 million times for 100,000 rows).

    Status, label, dates, precisions, yes/no and the page URL cannot start a formula; the rest is neutralised.
    """
    (slug, title, status, label, as_of, due, overdue, made, kind, themes, countries, actors, source, url, page,
     due_precision, made_precision, expected, expected_precision, as_of_precision) = record
    return (
        neutralise(slug),
        neutralise(title),
        status,
        label,
        as_of or "",
        due or "",
        "yes" if overdue else "no",
        made or "",
        neutralise(kind),
        neutralise("; ".join(themes)),
        neutralise("; ".join(countries)),
        neutralise("; ".join(actors)),
        neutralise(source),
        neutralise(url),
        page,
        due_precision or "",
        made_precision or "",
        expected or "",
        expected_precision or "",
        as_of_precision or "",
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_chunks(records: Iterable[tuple]) -> Iterator[str]:
    """The CSV, ``ROWS_PER_WRITE`` rows at a time.

    A row with no comma, quote or line break in any cell is what ``csv.writer`` would write once
    its cells are joined by commas; joining is several times faster. Other rows go through the writer.
    """
    writer = csv.writer(_Echo())
    separators = len(COLUMNS) - 1
    yield "\ufeff" + writer.writerow(COLUMNS)  # BOM, so spreadsheets read UTF-8
    for batch in _batches(map(_csv_row, records)):
        lines = []
        for row in batch:
            line = ",".join(row)
            if line.count(",") == separators and not ('"' in line or "\n" in line or "\r" in line):
                lines.append(line + "\r\n")
            else:
                lines.append(writer.writerow(row))
        yield "".join(lines)


def _csv_failed(message: str) -> str:
    # A quoted field opened and never closed: strict CSV readers (Python's csv with strict=True, pandas)
    # refuse the file; and no line of plain text would do, since any line is a row to a CSV reader.
    # Every chunk ends a row, so this starts a line.
    return '"' + message.replace('"', "'")


def _request_id(request) -> str:
    return getattr(request, "id", "") or "-"


def export_csv(request):
    queryset, error = _filtered(request)
    if error:
        return error
    records = _started(_records(request=request, queryset=queryset))
    chunks = _honest(_csv_chunks(records), request_id=_request_id(request), failed=_csv_failed)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.csv"'
    return response


def _json_chunks(records: Iterable[tuple]) -> Iterator[str]:
    encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(ensure_ascii=False) uses
    yield '{"commitments": ['
    separator = ""
    for batch in _batches(records):
        yield separator + ",".join(encode(dict(zip(COLUMNS, record, strict=True))) for record in batch)
        separator = ","
    yield "]}"


def _json_failed(message: str) -> str:
    # The array and object stay open (``_json_chunks`` closes them only at a clean end); the text after
    # them makes the document invalid even to a parser that tolerates a missing end.
    return "\n" + message


def export_json(request):
    queryset, error = _filtered(request)
    if error:
        return error
    records = _started(_records(request=request, queryset=queryset))
    chunks = _honest(_json_chunks(records), request_id=_request_id(request), failed=_json_failed)
    return StreamingHttpResponse(chunks, content_type="application/json")


# --- the compliance matrix as CSV -------------------------------------------------------------
# One row per commitment: ``slug``, ``title``, ``url``, then for each country (by name; only those the
# ``country`` filter names, if any) three columns named by its ISO code: ``<code>`` the status slug in that
# country, ``<code>_scope`` "regional" (the commitment's one status) or "per_country" (that country's own
# assessment), ``<code>_evidence`` the address of the update the status comes from. All three are empty
# where the commitment is not filed under that country; the evidence is empty when it is not assessed.


def _matrix_header(countries) -> list[str]:
    return ["slug", "title", "url", *(f"{e.slug}{suffix}" for e in countries for suffix in ("", "_scope", "_evidence"))]


def _matrix_records(*, request: HttpRequest, filterset: CommitmentFilterSet, countries) -> Iterator[list]:
    """Each commitment's row; its cells read ``CHUNK`` commitments at a time (one query each)."""
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    rows = filterset.qs.values_list("pk", "slug", "title").iterator(chunk_size=CHUNK)
    for batch in _batches(rows, CHUNK):
        cells = selectors.matrix_cells(commitments=[pk for pk, _, _ in batch], countries=[e.id for e in countries],
                                       day=filterset.as_of_date)
        for pk, slug, title in batch:
            page = f"{page_prefix}{slug}/"
            record = [slug, title, page]
            for e in countries:
                cell = cells.get((pk, e.id), selectors.NOT_FILED)
                evidence = f"{page}{cell.anchor}" if cell.anchor else None
                record += [cell.status, cell.scope or None, evidence]
            yield record


def export_matrix_csv(request):
    """``/countries/matrix.csv``: the compliance matrix for the list's filters, all pages, streamed."""
    filterset = CommitmentFilterSet(request.GET, request=request)
    if not filterset.is_valid():
        return _bad_filters(filterset)
    countries = selectors.matrix_countries(filterset)
    records = _started(_matrix_records(request=request, filterset=filterset, countries=countries))
    writer = csv.writer(_Echo())
    lines = ("".join(writer.writerow([csv_cell(v) for v in r]) for r in batch) for batch in _batches(records))
    header = "\ufeff" + writer.writerow(_matrix_header(countries))  # BOM, so spreadsheets read UTF-8
    chunks = _honest(chain([header], lines), request_id=_request_id(request), failed=_csv_failed)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="compliance-matrix.csv"'
    return response
