"""The exports, streamed: the list's rows (``/commitments/export.csv``/``.json``), the status updates
(``/updates/export.csv``/``.json``), the compliance matrix (``/countries/matrix.csv``), and the JSON Schema
of each JSON document (``…/export.schema.json``).

``lang`` (``language``: ``?lang=ru``, or the address's language, ``/ru/commitments/export.csv``) adds the
Russian texts in columns of their own, after the English ones.

Each export's columns are declared once (``commitments.EXPORT``, ``updates.EXPORT``: ``columns.Column``),
and drive its CSV header, its JSON rows, its schema (``schema``) and /about/data/. Rows come from
``CommitmentFilterSet`` as on the list page and /updates/; memory stays flat because rows are fetched in
chunks and written as they come; an error mid-stream leaves no valid document (``streaming``).

This module holds the views (thin); the read API (issue 16) can reuse the declarations and records.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC
from itertools import chain

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from .. import catalogue, selectors
from .. import status as rules
from ..filtersets import CommitmentFilterSet
from ..licence import LICENSE
from ..models import StatusUpdate
from ..spreadsheet import FORMULA_PREFIXES, neutralise
from . import commitments as commitment_rows
from . import language
from . import updates as update_rows
from .columns import Column, Export, csv_cell, row_writer
from .schema import FORMAT_VERSION, json_schema
from .streaming import _Echo, bad_filters, batches, cells, csv_lines, csv_response, json_chunks, json_response, started

__all__ = ["COLUMNS", "FORMULA_PREFIXES", "Column", "Export", "csv_cell", "neutralise"]

COLUMNS = commitment_rows.COLUMNS  # the fixed columns of the list's CSV, and the keys of a JSON row
CHUNK = 1000  # rows per fetch
_records = commitment_rows.records  # looked up here at each request (tests replace it to fail mid-stream)

TRACKER = "Commitments Tracker"


def _language(request) -> tuple[str, HttpResponse | None]:
    """The export's language (``language.for_export``), or the 400 that refuses the ``lang`` asked for."""
    try:
        return language.for_export(request), None
    except language.LanguageError as error:
        return "", HttpResponse(f"Bad request:\n{language.PARAMETER}: {' '.join(error.messages)}\n", status=400,
                                content_type="text/plain; charset=utf-8")


def _in_language(response: HttpResponse, lang: str) -> HttpResponse:
    response["Content-Language"] = language.content_language(lang)
    return response


def _filterset(request) -> tuple[CommitmentFilterSet, str]:
    """The FilterSet of the request and the public data version (read once: the catalogue is kept per version)."""
    version, entries = catalogue.load_versioned()
    return CommitmentFilterSet(request.GET, request=request, catalogue=entries), version


def _meta(request: HttpRequest, export: Export, *, filterset: CommitmentFilterSet, version: str, lang: str):
    """The document's ``meta`` object, given its row count at the end of the stream."""
    url = request.build_absolute_uri()
    now = timezone.now()
    fields = filterset.form.fields
    query = {name: filterset.data.getlist(name) for name in filterset.data if name in fields or
             name == language.PARAMETER}
    citation = (f"{TRACKER}, “{export.title}” export ({url}), data version {version or 'unknown'}, "
                f"generated {date_format(now, 'j F Y')} (accessed {date_format(timezone.localdate(), 'j F Y')}).")

    def meta(count: int) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "export": export.name,
            "generated_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data_version": version,
            "licence": dict(LICENSE),
            "citation": citation,
            "count": count,
            "query": query,
            "url": url,
            "schema": request.build_absolute_uri(reverse(export.schema_url_name)),
            "documentation": request.build_absolute_uri(reverse("commitments:data")),
            "language": lang,
        }

    return meta


# --- the list's rows ---------------------------------------------------------------------------


def _list_queryset(filterset: CommitmentFilterSet):
    day = filterset.as_of_date
    if day is None or "eff_status_precision" in filterset.qs.query.annotations:
        return filterset.qs  # ``at()`` gave the precision (the stored one, or in a country)
    # As of a day: the precision of the update that held then (one subquery per exported row).
    precision = rules.status_on_subquery(StatusUpdate.objects.published().overall(), day, field="as_of_precision")
    return filterset.qs.annotate(eff_status_precision=precision)


def _start(request, *, statuses_only: bool, lang: str) -> tuple[Iterator[tuple] | None, CommitmentFilterSet | None,
                                                                 str, HttpResponse | None]:
    filterset, version = _filterset(request)
    if not filterset.is_valid():
        return None, None, version, bad_filters(filterset)
    country = filterset.status_country
    records = started(_records(request=request, queryset=_list_queryset(filterset), day=filterset.as_of_date,
                               in_country=country.slug if country else None, chunk=CHUNK,
                               statuses_only=statuses_only, others=language.others(lang)))
    return records, filterset, version, None


def csv_header(slugs: list[str], lang: str = language.languages.DEFAULT) -> list[str]:
    """The list CSV's header: ``COLUMNS`` (and those ``lang`` adds), then ``status_<slug>`` for every public
    country (by slug)."""
    return [*(c.name for c in _fixed_csv_columns(lang)), *(f"status_{slug}" for slug in slugs)]


def _fixed_csv_columns(lang: str):
    """The list CSV's columns before its ``status_<code>`` ones (a record's last value, ``country_status``, is
    not one)."""
    columns = commitment_rows.EXPORT.csv_columns_in(language.others(lang))
    return [c for c in columns if c is not commitment_rows.PER_COUNTRY_COLUMN]


def _public_country_slugs(filterset: CommitmentFilterSet) -> list[str]:
    return sorted(filterset.catalogue["country"])


def export_csv(request):
    lang, error = _language(request)
    if error:
        return error
    records, filterset, _, error = _start(request, statuses_only=True, lang=lang)
    if error:
        return error
    slugs = _public_country_slugs(filterset)
    # The fixed columns' cells, then ``status_<code>``.
    write = row_writer(_fixed_csv_columns(lang))

    def rows():
        for record in records:
            yield [*write(record), *map(record[-1].status, slugs)]

    return _in_language(csv_response(csv_lines(csv_header(slugs, lang), rows()), request=request,
                                     filename=_file_name("commitments", lang, "csv")), lang)


def _file_name(stem: str, lang: str, extension: str) -> str:
    return f"{stem}-{lang}.{extension}" if language.others(lang) else f"{stem}.{extension}"


def export_json(request):
    lang, error = _language(request)
    if error:
        return error
    records, filterset, version, error = _start(request, statuses_only=False, lang=lang)
    if error:
        return error
    names = [c.name for c in commitment_rows.EXPORT.row_columns_in(language.others(lang))]

    def objects():
        for record in records:
            row = dict(zip(names, record, strict=True))
            row["country_status"] = record[-1].as_json()
            yield row

    meta = _meta(request, commitment_rows.EXPORT, filterset=filterset, version=version, lang=lang)
    return _in_language(json_response(json_chunks("commitments", objects(), meta), request=request), lang)


# --- the status updates --------------------------------------------------------------------------


def _updates_start(request, lang: str):
    filterset, version = _filterset(request)
    if not filterset.is_valid():
        return None, None, version, bad_filters(filterset)
    return (started(update_rows.records(request=request, filterset=filterset, others=language.others(lang))),
            filterset, version, None)


def export_updates_csv(request):
    """``/updates/export.csv``: every event /updates/ lists for the same filters, with its evidence."""
    lang, error = _language(request)
    if error:
        return error
    records, _, _, error = _updates_start(request, lang)
    if error:
        return error
    columns = update_rows.EXPORT.csv_columns_in(language.others(lang))
    header = [c.name for c in columns]
    return _in_language(csv_response(csv_lines(header, cells(columns, records)), request=request,
                                     filename=_file_name("updates", lang, "csv")), lang)


def export_updates_json(request):
    """``/updates/export.json``: as the CSV, with the document's ``meta``."""
    lang, error = _language(request)
    if error:
        return error
    records, filterset, version, error = _updates_start(request, lang)
    if error:
        return error
    names = [c.name for c in update_rows.EXPORT.row_columns_in(language.others(lang))]
    objects = (dict(zip(names, record, strict=True)) for record in records)
    meta = _meta(request, update_rows.EXPORT, filterset=filterset, version=version, lang=lang)
    return _in_language(json_response(json_chunks("updates", objects, meta), request=request), lang)


# --- the JSON Schemas ----------------------------------------------------------------------------


def _schema_response(request, export: Export) -> JsonResponse:
    schema = json_schema(export, url=request.build_absolute_uri(reverse(export.schema_url_name)))
    return JsonResponse(schema, content_type="application/schema+json", json_dumps_params={"ensure_ascii": False,
                                                                                          "indent": 2})


def commitments_schema(request):
    return _schema_response(request, commitment_rows.EXPORT)


def updates_schema(request):
    return _schema_response(request, update_rows.EXPORT)


EXPORTS = (commitment_rows.EXPORT, update_rows.EXPORT)


# --- the compliance matrix as CSV -------------------------------------------------------------
# One row per commitment: ``slug``, ``title``, ``url``, then for each country (by name; only those the
# ``country`` filter names, if any) three columns named by its ISO code: ``<code>`` the status slug in that
# country, ``<code>_scope`` "regional" (the commitment's one status) or "per_country" (that country's own
# assessment), ``<code>_evidence`` the address of the update the status comes from. All three are empty
# where the commitment is not filed under that country; the evidence is empty when it is not assessed.
# ``lang=ru`` (or /ru/countries/matrix.csv) adds ``title_ru`` last (empty where not translated).


def _matrix_header(countries, others: tuple[str, ...] = ()) -> list[str]:
    return ["slug", "title", "url", *(f"{e.slug}{suffix}" for e in countries for suffix in ("", "_scope", "_evidence")),
            *(f"title_{code}" for code in others)]


def _matrix_records(*, request: HttpRequest, filterset: CommitmentFilterSet, countries,
                    others: tuple[str, ...] = ()) -> Iterator[list]:
    """Each commitment's row; its cells read ``CHUNK`` commitments at a time (one query each)."""
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    rows = filterset.qs.values_list("pk", "slug", "title", *(f"title_{code}" for code in others)).iterator(
        chunk_size=CHUNK)
    for batch in batches(rows, CHUNK):
        found = selectors.matrix_cells(commitments=[row[0] for row in batch], countries=[e.id for e in countries],
                                       day=filterset.as_of_date)
        for pk, slug, title, *titles in batch:
            page = f"{page_prefix}{slug}/"
            record = [slug, title, page]
            for e in countries:
                cell = found.get((pk, e.id), selectors.NOT_FILED)
                evidence = f"{page}{cell.anchor}" if cell.anchor else None
                record += [cell.status, cell.scope or None, evidence]
            yield record + titles


def export_matrix_csv(request):
    """``/countries/matrix.csv``: the compliance matrix for the list's filters, all pages, streamed."""
    lang, error = _language(request)
    if error:
        return error
    filterset = CommitmentFilterSet(request.GET, request=request)
    if not filterset.is_valid():
        return bad_filters(filterset)
    countries = selectors.matrix_countries(filterset)
    others = language.others(lang)
    records = started(_matrix_records(request=request, filterset=filterset, countries=countries, others=others))
    writer = csv.writer(_Echo())
    lines = ("".join(writer.writerow([csv_cell(v) for v in r]) for r in batch) for batch in batches(records))
    header = "\ufeff" + writer.writerow(_matrix_header(countries, others))  # BOM, so spreadsheets read UTF-8
    return _in_language(csv_response(chain([header], lines), request=request,
                                     filename=_file_name("compliance-matrix", lang, "csv")), lang)
