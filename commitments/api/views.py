"""The API's views: thin, as the pages' are. Each reads through the public selectors, the FilterSets and
``counting``, builds its records (``records``) and renders them (``serializers``)."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .. import catalogue, counting, selectors
from ..exports.commitments import with_assessment
from ..filtersets import DEFAULT_SORT, RELEVANCE, CommitmentFilterSet
from ..models import Commitment, Evidence, ProgressReport, Source, StatusUpdate
from ..taxonomy import TAXONOMY_FACETS
from . import records, serializers
from .base import PublicReadView
from .errors import ParameterError, parameter_error
from .filters import ContractFilterBackend, UpdateFilterSet
from .pagination import BAD_CURSOR, CountedKeysetPagination, Key, KeysetPagination, decode, encode, page_size_of
from .records import Urls

ERRORS = {
    304: OpenApiResponse(description="Not modified: the `ETag` sent in `If-None-Match` is still current."),
    429: OpenApiResponse(serializers.DetailSerializer, description="Too many requests: wait `Retry-After` seconds."),
}
LIST_ERRORS = {**ERRORS, 400: OpenApiResponse(serializers.ParameterErrorSerializer,
                                              description="A parameter was refused: each is named, with why.")}
DETAIL_ERRORS = {**ERRORS, 404: OpenApiResponse(serializers.DetailSerializer, description="No such public record."),
                 400: OpenApiResponse(serializers.ParameterErrorSerializer,
                                      description="The lang parameter was refused (its valid values are given).")}

# The list's sorts (``filtersets.SORTS``) as keys for the cursor.
TITLE = [Key("title"), Key("pk", kind=int)]
SORT_KEYS = {
    "title": TITLE,
    "due": [Key("due_date", kind=date), *TITLE],
    "-due": [Key("due_date", descending=True, kind=date), *TITLE],
    "updated": [Key("eff_status_date", kind=date), *TITLE],
    "-updated": [Key("eff_status_date", descending=True, kind=date), *TITLE],
    # The best match first (``search_rank``, lower is better), ties by title; without ``q``, the title order.
    RELEVANCE: [Key("search_rank", kind=float), *TITLE],
}


MAX_SLUG = 100  # the longest slug any record may have


def _key(slug: str) -> str:
    """``slug`` if it could name a record, else 404 (text PostgreSQL could not even compare: a NUL)."""
    if len(slug) > MAX_SLUG or "\x00" in slug:
        raise Http404
    return slug


@extend_schema(exclude=True)
@api_view(["GET", "HEAD", "OPTIONS"])
@throttle_classes([])
def not_found(request, *args, **kwargs):
    """Any other address under /api/v1/: the API's 404, in JSON."""
    raise Http404


def _page(view, request, rows):
    return view.get_paginated_response(view.get_serializer(rows, many=True).data)


IN_COUNTRY = " With exactly one country, `status`, `overdue` and `stale` read the status in that country."


def _slug_parameters(*kinds: str) -> list[OpenApiParameter]:
    """The slug filters, described with where their valid values are (thousands: not an enum)."""
    plurals = {"theme": "themes", "country": "countries", "actor": "actors", "source": "sources",
               "commitment": "commitments"}
    return [OpenApiParameter(
        kind, str, many=True, explode=True, style="form",
        description=(f"A public {kind}'s slug; repeat for several (any of them). Valid slugs: /api/v1/{plurals[kind]}/."
                     + (IN_COUNTRY if kind == "country" and "commitment" not in kinds else "")),
    ) for kind in kinds]


@extend_schema_view(get=extend_schema(
    summary="Commitments", tags=["commitments"], parameters=_slug_parameters("theme", "country", "actor", "source"),
    responses={200: serializers.CommitmentSerializer(many=True), **LIST_ERRORS},
    description=("The public commitments for the list page's filters (the same parameters, values and validation "
                 "as /commitments/). `count` is the whole list's, counted as the page counts it.")))
class CommitmentList(PublicReadView):
    queryset = Commitment.objects.public()
    filter_backends = [ContractFilterBackend]
    filterset_class = CommitmentFilterSet
    pagination_class = CountedKeysetPagination
    serializer_class = serializers.CommitmentSerializer

    def keyset(self, request) -> list[Key]:
        sort = self.filterset.form.cleaned_data.get("sort") or DEFAULT_SORT
        return SORT_KEYS[sort if sort != RELEVANCE or self.rank is not None else DEFAULT_SORT]

    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        data = self.filterset.form.cleaned_data
        self.rank = queryset.search_rank(data.get("q") or "") if data.get("sort") == RELEVANCE else None
        if self.rank is not None:  # the cursor's key: the rank the page sorts by
            queryset = queryset.annotate(search_rank=self.rank)
        self.count = counting.row_count(self.filterset)
        country = self.filterset.status_country
        queryset = with_assessment(queryset, day=self.filterset.as_of_date, in_country=country is not None)
        rows = self.paginate_queryset(selectors.for_list(queryset).prefetch_related("actors"))
        rows = selectors.with_status_precision(rows)
        return _page(self, request, records.commitment_rows(rows, request=request, day=self.filterset.as_of_date,
                                                            in_country=country, others=self.others))


@extend_schema_view(get=extend_schema(summary="A commitment", tags=["commitments"],
                                      responses={200: serializers.CommitmentDetailSerializer, **DETAIL_ERRORS}))
class CommitmentDetail(PublicReadView):
    serializer_class = serializers.CommitmentDetailSerializer

    def get(self, request, slug: str):
        commitment = with_assessment(selectors.for_detail(Commitment.objects.public()), day=None).filter(
            slug=_key(slug)).first()
        if commitment is None:
            raise Http404
        return Response(self.get_serializer(records.commitment_detail(commitment, request=request,
                                                                      others=self.others)).data)


def _updates():
    evidence = Prefetch("evidence", queryset=Evidence.objects.on_record().order_by("pk"))
    return StatusUpdate.objects.public_record().select_related("commitment", "country").prefetch_related(evidence)


UPDATE_KEYS = [Key("published_at", descending=True, kind=datetime), Key("pk", descending=True, kind=int)]


@extend_schema_view(get=extend_schema(
    summary="Status updates", tags=["updates"], parameters=_slug_parameters("commitment", "country"),
    responses={200: serializers.UpdateSerializer(many=True), **LIST_ERRORS},
    description=("The status updates on the public record of public commitments, newest published first: published "
                 "ones, and withdrawn ones marked `withdrawn` (they count for no status). No `count`: there may be "
                 "millions.")))
class UpdateList(PublicReadView):
    queryset = StatusUpdate.objects.none()  # the schema's model; ``get`` reads ``_updates()``
    filter_backends = [ContractFilterBackend]
    filterset_class = UpdateFilterSet
    pagination_class = KeysetPagination
    serializer_class = serializers.UpdateSerializer

    def keyset(self, request) -> list[Key]:
        return UPDATE_KEYS

    def get(self, request):
        rows = self.paginate_queryset(self.filter_queryset(_updates()))
        urls = Urls(request)
        return _page(self, request, [records.update_record(u, urls=urls, others=self.others) for u in rows])


@extend_schema_view(get=extend_schema(summary="A status update", tags=["updates"],
                                      parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH,
                                                                   description="The update's id.")],
                                      responses={200: serializers.UpdateSerializer, **DETAIL_ERRORS}))
class UpdateDetail(PublicReadView):
    serializer_class = serializers.UpdateSerializer

    def get(self, request, pk: str):
        if not (pk.isascii() and pk.isdigit()) or len(pk) > 18:  # a bigint's ids; "007" is 7
            raise Http404
        update = _updates().filter(pk=int(pk)).first()
        if update is None:
            raise Http404
        return Response(self.get_serializer(records.update_record(update, urls=Urls(request), others=self.others)).data)


# --- themes, countries, actors, sources ------------------------------------------------------------


class EntryList(PublicReadView):
    """Every public entry of one taxonomy (the catalogue) with its status counts, by name then slug; the counts
    are the index page's (``counting.status_breakdown``). ``count``: the catalogue is in memory."""

    kind = ""
    pagination_class = CountedKeysetPagination

    def keyset(self, request):
        return [Key("name"), Key("slug")]

    def get(self, request):
        entries = sorted(catalogue.load(facets=(self.kind,))[self.kind].values(), key=lambda e: (e.label, e.slug))
        size = page_size_of(request)
        cursor = request.query_params.get("cursor")
        keys = self.keyset(request)
        forward = True
        if cursor:
            (name, slug), forward = decode(cursor, keys)
            if None in (name, slug):
                raise ParameterError([parameter_error("cursor", BAD_CURSOR)])
            mark = (name, slug)
            before = [e for e in entries if (e.label, e.slug) < mark]
            after = [e for e in entries if (e.label, e.slug) > mark]
        else:
            before, after = [], entries
        if forward:
            shown, has_next, has_previous = after[:size], len(after) > size, bool(cursor)
        else:
            shown, has_next, has_previous = before[-size:], True, len(before) > size
        _, by = counting.status_breakdown(Commitment.objects.public().at(), day=None, facets=(self.kind,))
        counted = {row["slug"]: row["counts"] for row in by[self.kind]}
        urls = Urls(request)
        extra = self._extra([e.id for e in shown])
        data = [records.entry_record(self.kind, slug=e.slug, name=e.label, counts=counted.get(e.slug, {}), urls=urls,
                                     others=self.others) | extra.get(e.id, {}) for e in shown]

        def link(entry, *, forward):
            return replace_query_param(request.build_absolute_uri(), "cursor",
                                       encode([entry.label, entry.slug], forward=forward))

        body = {
            "count": len(entries),
            "next": link(shown[-1], forward=True) if has_next and shown else None,
            "previous": link(shown[0], forward=False) if has_previous and shown else None,
            "results": self.get_serializer(data, many=True).data,
        }
        return Response(body)

    def _extra(self, ids: list[int]) -> dict[int, dict]:
        return {}


class EntryDetail(PublicReadView):
    """One public entry with its status counts, as its page counts them (``counting.entry_status_counts``)."""

    kind = ""

    def get(self, request, slug: str):
        taxonomy = TAXONOMY_FACETS[self.kind]
        entry = get_object_or_404(taxonomy.public(), slug=_key(slug))
        in_country = entry.pk if self.kind == "country" else None
        queryset = Commitment.objects.public().filter(**{taxonomy.relation: entry}).at(country=in_country)
        counts = counting.entry_status_counts(queryset, kind=self.kind, entry_id=entry.pk)
        record = records.entry_record(self.kind, slug=entry.slug, name=getattr(entry, taxonomy.label_field),
                                      counts=counts, urls=Urls(request), others=self.others)
        if self.kind == "source":
            record |= records.source_extra(entry)
        return Response(self.get_serializer(record).data)


def _source_extras(ids: list[int]) -> dict[int, dict]:
    return {s.pk: records.source_extra(s) for s in Source.objects.public().filter(pk__in=ids)}


def _entry_views(kind: str, plural: str) -> tuple[type, type]:
    serializer = serializers.SourceSerializer if kind == "source" else serializers.EntrySerializer
    list_view = extend_schema_view(get=extend_schema(
        summary=plural.capitalize(), tags=["taxonomies"], responses={200: serializer(many=True), **LIST_ERRORS},
        description=(f"Every public {kind} (one a public commitment is filed under), by name, with how many "
                     "public commitments have each status.")))(
        type(f"{kind.capitalize()}List", (EntryList,), {
            "kind": kind, "serializer_class": serializer,
            "_extra": staticmethod(_source_extras) if kind == "source" else EntryList._extra}))
    detail_view = extend_schema_view(get=extend_schema(
        summary=f"A {kind}", tags=["taxonomies"], responses={200: serializer, **DETAIL_ERRORS}))(
        type(f"{kind.capitalize()}Detail", (EntryDetail,), {"kind": kind, "serializer_class": serializer}))
    return list_view, detail_view


ENTRY_VIEWS = {kind: _entry_views(kind, plural) for kind, plural in
               (("theme", "themes"), ("country", "countries"), ("actor", "actors"), ("source", "sources"))}


# --- reports ------------------------------------------------------------------------------------

REPORT_KEYS = [Key("end", descending=True, kind=date), Key("pk", descending=True, kind=int)]


def _reports():
    return ProgressReport.objects.published().select_related("supersedes").defer(
        *ProgressReport.PDF_FIELDS, *(f"supersedes__{name}" for name in ProgressReport.PDF_FIELDS))


@extend_schema_view(get=extend_schema(
    summary="Progress reports", tags=["reports"], responses={200: serializers.ReportSerializer(many=True),
                                                             **LIST_ERRORS},
    description="The published progress reports, latest period first (the snapshot is in each report's own record)."))
class ReportList(PublicReadView):
    pagination_class = CountedKeysetPagination
    serializer_class = serializers.ReportSerializer

    def keyset(self, request):
        return REPORT_KEYS

    def get(self, request):
        reports = _reports()
        self.count = reports.count()
        rows = self.paginate_queryset(reports.defer("snapshot"))
        urls = Urls(request)
        return _page(self, request, [records.report_record(r, urls=urls, snapshot=False, others=self.others)
                                     for r in rows])


@extend_schema_view(get=extend_schema(
    summary="A progress report", tags=["reports"], responses={200: serializers.ReportDetailSerializer, **DETAIL_ERRORS},
    description="A published report: its frozen snapshot as JSON, and its HTML, PDF and CSV addresses."))
class ReportDetail(PublicReadView):
    serializer_class = serializers.ReportDetailSerializer

    def get(self, request, slug: str):
        report = _reports().filter(slug=_key(slug)).first()
        if report is None:
            raise Http404
        return Response(self.get_serializer(records.report_record(report, urls=Urls(request), snapshot=True,
                                                                  others=self.others)).data)


