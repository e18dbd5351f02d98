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
from datetime import date
from itertools import chain, islice

from django.db import connections
from django.db.models import Case, CharField, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from . import country_status, selectors
from . import status as rules
from .aggregates import SEPARATOR, ListAggPerRow, split, with_lists
from .filtersets import CommitmentFilterSet
from .models import Commitment, Country, CountryStatus, StatusUpdate
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


# --- Status in each country (``country_status``) -------------------------------------------------
# Each (status, as-of date, update id) travels as one "status|date|id" string, in the same streamed query.
# Now: a per-country commitment's ``CountryStatus`` rows aggregated as one more list ("slug|status|date|id"
# each, ``with_lists``); on a day: one subquery per country, run only for per-country rows (a CASE).
_PACK_SEPARATOR = "|"
NOT_ASSESSED = country_status.NOT_ASSESSED


def _packed(status: str, day: str, pk: str, *, country: str | None = None) -> Concat:
    sep = Value(_PACK_SEPARATOR)
    parts = [F(status), sep, Cast(day, CharField()), sep, Cast(pk, CharField())]
    return Concat(*([F(country), sep] if country else []), *parts, output_field=CharField())


# The current status in each country of a per-country commitment: its ``CountryStatus`` rows, one list
# ("country id|status|date|update id" each; the id, not the slug: no join).
STORED = _packed("status", "status_date", "update_id", country="country_id")


def _with_stored(queryset: QuerySet, *, every_row: bool) -> QuerySet:
    """Annotate ``cs_stored``. PostgreSQL: one more grouped join (``with_lists``); SQLite: a correlated
    subquery run for per-country rows only."""
    if connections[queryset.db].vendor == "postgresql":
        return with_lists(queryset=queryset, lists={"cs_stored": (CountryStatus, "commitment", STORED)},
                          every_row=every_row)
    rows = CountryStatus.objects.filter(commitment=OuterRef("pk")).order_by().values(joined=ListAggPerRow(STORED))
    return queryset.annotate(cs_stored=Case(When(country_status.per_country_q(), then=Subquery(rows)),
                                            default=Value(None), output_field=CharField()))


def _country_annotations(countries: list[tuple[int, str]], day: date | None) -> dict:
    """SQL, per commitment row: ``cs_overall`` (a regional commitment's overall status, date and latest
    overall published update, now or on ``day``) and, on a day, ``cs_<slug>`` per country (a per-country
    commitment's own status there: its latest country update by ``day``)."""
    published = StatusUpdate.objects.published()
    ordered = rules.EFFECTIVE_ORDER
    overall_updates = published.overall().filter(commitment=OuterRef("pk"))
    if day is None:
        # Its status and date are the stored ones; the update that set them is the latest overall one, dated
        # that day (``refresh_current_status``): the seek is on (commitment, as_of), a row or two.
        latest = Subquery(overall_updates.filter(as_of=OuterRef("current_status_date"))
                          .order_by(*ordered).values("id")[:1])
        sep = Value(_PACK_SEPARATOR)
        overall = Concat(F("current_status"), sep, Cast("current_status_date", CharField()), sep,
                         Cast(latest, CharField()), output_field=CharField())
    else:
        overall = Subquery(overall_updates.filter(as_of__lte=day).order_by(*ordered)
                           .values(packed=_packed("status", "as_of", "id"))[:1])
    per_country = country_status.per_country_q()
    annotations = {"cs_overall": Case(When(per_country, then=Value(None)), default=overall, output_field=CharField())}
    for pk, slug in countries if day is not None else ():
        own = (published.filter(commitment=OuterRef("pk"), country=pk, as_of__lte=day).order_by(*ordered)
               .values(packed=_packed("status", "as_of", "id"))[:1])
        annotations[f"cs_{slug}"] = Case(When(per_country, then=Subquery(own)), default=Value(None),
                                         output_field=CharField())
    return annotations


def _unpacked(packed: str | None, *, page: str, fallback_status: str) -> dict:
    """``{"status", "as_of", "update_url"}`` from a "status|date|id" string (None: nothing published there)."""
    if not packed:
        return {"status": fallback_status, "as_of": None, "update_url": None}
    status, day, pk = packed.split(_PACK_SEPARATOR)
    # Dates cast to text read "YYYY-MM-DD" on both databases (SQLite stores them so).
    return {"status": status, "as_of": day[:10] or None, "update_url": f"{page}#update-{pk}" if pk else None}


class InCountries:
    """A row's status in each of its countries, read from its packed columns only when asked (the CSV
    needs the statuses alone, the JSON the whole object)."""

    __slots__ = ("countries", "overall", "packed", "page", "per_country")

    def __init__(self, *, countries: list[str], per_country: bool, overall: str | None,
                 packed: dict[str, str | None], page: str):
        self.countries, self.per_country, self.overall, self.packed, self.page = (
            countries, per_country, overall, packed, page)

    def statuses(self) -> dict[str, str]:
        """Country slug -> status slug."""
        if self.per_country:
            packed = self.packed
            return {c: packed[c].split(_PACK_SEPARATOR, 1)[0] if packed.get(c) else NOT_ASSESSED
                    for c in self.countries}
        status = self.overall.split(_PACK_SEPARATOR, 1)[0] if self.overall else NOT_ASSESSED
        return dict.fromkeys(self.countries, status)

    def as_json(self) -> dict:
        """The row's ``country_status``: each of its countries -> its status there, by the per-country rule."""
        if self.per_country:
            return {c: _unpacked(self.packed.get(c), page=self.page, fallback_status=NOT_ASSESSED)
                    for c in self.countries}
        shared = _unpacked(self.overall, page=self.page, fallback_status=NOT_ASSESSED)
        return {c: dict(shared) for c in self.countries}


def _stored(joined: str | None, slugs: dict[str, str]) -> dict[str, str]:
    """The ``cs_stored`` list as country slug -> "status|date|id" (``slugs``: country id as text -> slug)."""
    if not joined:
        return {}
    pairs = (item.split(_PACK_SEPARATOR, 1) for item in joined.split(SEPARATOR))
    return {slugs[pk]: packed for pk, packed in pairs if pk in slugs}


def _records(*, request: HttpRequest, queryset: QuerySet, day: date | None,
             countries: list[tuple[int, str]]) -> Iterator[tuple]:
    """One streamed query (values, no model instances; taxonomies aggregated in SQL): flat memory.

    Each record holds the values of ``COLUMNS``, in that order, then the ``country_status`` object.
    """
    labels = dict(Status.choices)
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    # Every public row: the link tables are aggregated whole, which is cheapest then.
    every_row = queryset.query.where == Commitment.objects.public().query.where
    queryset = queryset.annotate(**_country_annotations(countries, day))
    slugs = [slug for _, slug in countries]
    by_id = {str(pk): slug for pk, slug in countries}
    packed_names = [f"cs_{slug}" for slug in slugs] if day is not None else ["cs_stored"]
    queryset = with_lists(queryset=queryset, lists=LISTS, every_row=every_row)
    if day is None:
        queryset = _with_stored(queryset, every_row=every_row)
    rows = queryset.values_list(*VALUES, "assessment_scope", "cs_overall", *packed_names)
    width = len(VALUES)
    for row in rows.iterator(chunk_size=CHUNK):
        (slug, title, status, as_of, due, overdue, made, kind, themes, countries_joined, actors, source, url,
         due_precision, made_precision, expected, expected_precision, as_of_precision) = row[:width]
        scope, overall = row[width], row[width + 1]
        page = f"{page_prefix}{slug}/"
        filed = split(countries_joined)
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
            filed,
            split(actors),
            source,
            url,
            page,
            due_precision if due else None,
            made_precision if made else None,
            _iso(expected),
            expected_precision if expected else None,
            as_of_precision if as_of else None,
            InCountries(countries=filed, per_country=scope == country_status.PER_COUNTRY, overall=overall,
                        page=page, packed=_stored(row[width + 2], by_id) if day is None else dict(
                            zip(slugs, row[width + 2:], strict=True))),
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
        return (filterset.qs, day), None  # ``at()`` gave the precision (the stored one, or in a country)
    # As of a day: the precision of the update that held then (one subquery per exported row).
    precision = rules.status_on_subquery(StatusUpdate.objects.published().overall(), day, field="as_of_precision")
    return (filterset.qs.annotate(eff_status_precision=precision), day), None


def _public_countries() -> list[tuple[int, str]]:
    """Every public country (id, slug), by slug: the CSV has a ``status_<slug>`` column for each.

    The export's one query more: the columns must be known before the first row is written.
    """
    return list(Country.objects.public().order_by("slug").values_list("pk", "slug"))


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


def _csv_row(record: tuple, slugs: list[str], blanks: list[str]) -> tuple:
    """``csv_cell`` of each value, unrolled (it runs 1.5 million times for 100,000 rows).

    Status, label, dates, precisions, yes/no and the page URL cannot start a formula; the rest is neutralised.
    A ``status_<slug>`` cell is a status slug, or empty where the commitment is not filed under the country.
    """
    (slug, title, status, label, as_of, due, overdue, made, kind, themes, countries, actors, source, url, page,
     due_precision, made_precision, expected, expected_precision, as_of_precision, countries_status) = record
    in_country = countries_status.statuses()
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
        *map(in_country.get, slugs, blanks),
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_columns(slugs: list[str]) -> list[str]:
    """The CSV's header: ``COLUMNS``, then ``status_<slug>`` for every public country (by slug)."""
    return [*COLUMNS, *(f"status_{slug}" for slug in slugs)]


def _csv_chunks(records: Iterable[tuple], slugs: list[str]) -> Iterator[str]:
    """The CSV, ``ROWS_PER_WRITE`` rows at a time.

    A row with no comma, quote or line break in any cell is what ``csv.writer`` would write once
    its cells are joined by commas; joining is several times faster. Other rows go through the writer.
    """
    writer = csv.writer(_Echo())
    columns = csv_columns(slugs)
    separators = len(columns) - 1
    yield "\ufeff" + writer.writerow(columns)  # BOM, so spreadsheets read UTF-8
    blanks = [""] * len(slugs)  # a country the commitment is not filed under
    for batch in _batches(_csv_row(record, slugs, blanks) for record in records):
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


def _start(request) -> tuple[Iterator[tuple] | None, list[str], HttpResponse | None]:
    filtered, error = _filtered(request)
    if error:
        return None, [], error
    queryset, day = filtered
    countries = _public_countries()
    records = _started(_records(request=request, queryset=queryset, day=day, countries=countries))
    return records, [slug for _, slug in countries], None


def export_csv(request):
    records, slugs, error = _start(request)
    if error:
        return error
    chunks = _honest(_csv_chunks(records, slugs), request_id=_request_id(request), failed=_csv_failed)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="commitments.csv"'
    return response


def _json_chunks(records: Iterable[tuple]) -> Iterator[str]:
    encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(ensure_ascii=False) uses
    yield '{"commitments": ['
    separator = ""
    for batch in _batches(records):
        yield separator + ",".join(
            encode({**dict(zip(COLUMNS, record[:-1], strict=True)), "country_status": record[-1].as_json()})
            for record in batch
        )
        separator = ","
    yield "]}"


def _json_failed(message: str) -> str:
    # The array and object stay open (``_json_chunks`` closes them only at a clean end); the text after
    # them makes the document invalid even to a parser that tolerates a missing end.
    return "\n" + message


def export_json(request):
    records, _, error = _start(request)
    if error:
        return error
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
