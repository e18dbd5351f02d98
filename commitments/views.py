"""Public views: thin. Each reads through the FilterSet and ``selectors``; none writes."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import catalogue, counting, search_query, search_terms, selectors, soft_cache
from . import facets as facet_builder
from . import status as status_scale
from .cache import cached_public_page
from .filtersets import CommitmentFilterSet
from .languages import localized, localized_sql
from .licence import LICENSE
from .models import Commitment, PublicDataVersion
from .taxonomy import TAXONOMY_FACETS, translated_names

PER_PAGE = 25
MATRIX_PER_PAGE = 50  # the compliance matrix's rows a page
PAGE_ERROR = _("The page number must be a whole number of 1 or more.")
logger = logging.getLogger(__name__)


def bad_request(request, errors, *, template: str = "400.html", context: dict | None = None) -> HttpResponse:
    """A 400 page that says what was wrong."""
    return render(request, template, {"errors": errors, **(context or {})}, status=400)


def handler400(request, exception=None):
    """Project-wide 400 page; ``BadRequest`` raised by our code carries a message for the reader."""
    message = str(exception) if exception is not None and str(exception) else gettext("The request was malformed.")
    return bad_request(request, {"request": [message]})


def handler500(request):
    """The 500 page, with the request id that the error was logged under."""
    from django.template import loader

    template = loader.get_template("500.html")  # no RequestContext: nothing that could fail again
    return HttpResponse(template.render({"request_id": getattr(request, "id", "")}), status=500)


def healthz(request):
    """Whether the site can serve pages: 503 unless the database holds the app's tables and answers.

    It reads the app's own data (the public data version, which every public page reads first),
    so an empty, corrupt or dropped database or a missing table is a 503, not a cheerful
    ``SELECT 1``. The cache only speeds pages up: when it is down the site still works, so the
    answer is 200 with ``"cache": "degraded"``. Says nothing else (no versions, no settings).
    """
    cache = "ok" if soft_cache.probe() else "degraded"
    try:
        list(PublicDataVersion.objects.filter(pk=1).values_list("token"))
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "unavailable", "database": "unavailable", "cache": cache}, status=503)
    return JsonResponse({"status": "ok" if cache == "ok" else "degraded", "database": "ok", "cache": cache})


class CountedPaginator(Paginator):
    """A paginator told its row count, which ``counting`` has already counted (one query fewer)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def robots_txt(request):
    """Every crawler may read everything public (the admin answers only to staff); the sitemap lists it all."""
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    return HttpResponse(f"User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: {sitemap}\n",
                        content_type="text/plain; charset=utf-8")


def _page_number(request) -> int | None:
    """The ``page`` parameter as a positive integer, or None when it is malformed."""
    raw = request.GET.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not raw.lstrip("0"):
        return None
    digits = raw.lstrip("0")
    # A whole number too long to be a real page is past the end of any list (404), not malformed.
    return int(digits) if len(digits) <= 9 else 10**9


@cached_public_page
def home(request):
    filterset = CommitmentFilterSet(request.GET, request=request)
    if not filterset.is_valid():
        return bad_request(request, filterset.errors)
    # The stored statuses (which the facet index holds): today's, and not the ones in a country (``?country=``).
    current = filterset.as_of_date is None and filterset.status_country is None
    overview = selectors.overview(queryset=filterset.base_queryset(), on=filterset.on, current=current)
    as_of = filterset.as_of_date
    context = {"as_of": as_of, "as_of_query": f"as_of={as_of.isoformat()}&" if as_of else "", **overview}
    return render(request, "commitments/home.html", context)


def _filters(request) -> tuple[dict, CommitmentFilterSet, int]:
    """The FilterSet of the valid filters given, the template context about them, and the status to answer.

    One invalid value keeps the rest (``CommitmentFilterSet.keeping_valid``): the page shows what the valid
    filters leave, with each error beside its field (``given``'s form), and answers 400 so that caches and
    crawlers see the address is wrong. Every link on the page (facets, chips, downloads, pages) is built
    from ``params``, the valid filters only.
    """
    given = CommitmentFilterSet(request.GET, request=request)
    applied = given.keeping_valid()
    context = {"filterset": applied, "given": given, "params": applied.data,
               # A refused slug's error links to its taxonomy's index (not thousands of valid slugs).
               "index_urls": {name: reverse(t.index_url_name) for name, t in TAXONOMY_FACETS.items()}}
    return context, applied, 200 if applied is given else 400


@cached_public_page
def commitment_list(request):
    context, filterset, status = _filters(request)
    if not filterset.is_valid():  # cannot happen (the valid data are valid): no results rather than a 500
        return render(request, "commitments/list.html", context, status=400)
    params = context["params"]
    page_number = _page_number(request)
    if page_number is None:
        return bad_request(request, {"page": [PAGE_ERROR]})
    counts = counting.list_counts(filterset)
    facets = facet_builder.build_facets(filterset, params, counts)
    paginator = CountedPaginator(selectors.list_rows(filterset, counts.ordered_ids), PER_PAGE, count=counts.rows)
    if page_number > max(paginator.num_pages, 1):
        raise Http404(gettext("That page is past the end of the list."))
    page = paginator.page(page_number)
    page.object_list = selectors.shown_rows(page.object_list)
    context |= {
        "page": page,
        "facets": facets,
        "active": facet_builder.active_filters(filterset, params, facets),
        "as_of": filterset.as_of_date,
        "in_country": localized(filterset.status_country, "label")[0] if filterset.status_country else "",
        "status_label": facet_builder.status_label(filterset),
        "query": facet_builder.url_with(params).lstrip("?"),
        "clear_url": "?",
        "search": search_query.parse(text) if (text := filterset.form.cleaned_data.get("q")) else None,
    }
    return render(request, "commitments/list.html", context, status=status)


@cached_public_page
def compliance_matrix(request):
    """Commitments down, countries across: each cell the status in that country (``country_status``), linking to
    the update it comes from. The list's filters (``CommitmentFilterSet``): an invalid one is a 400 showing the
    matrix of the valid ones, as on the list."""
    context, filterset, status = _filters(request)
    context["form_action"] = reverse("commitments:matrix")
    if not filterset.is_valid():  # cannot happen (the valid data are valid): no results rather than a 500
        return render(request, "commitments/matrix.html", context, status=400)
    params = context["params"]
    page_number = _page_number(request)
    if page_number is None:
        return bad_request(request, {"page": [PAGE_ERROR]})
    countries = selectors.matrix_countries(filterset)
    count, ordered_ids = counting.rows_in_order(filterset)
    rows = filterset.qs if ordered_ids is None else selectors.RowsInOrder(filterset.rows_by_id(), ordered_ids)
    paginator = CountedPaginator(rows, MATRIX_PER_PAGE, count=count)
    if page_number > max(paginator.num_pages, 1):
        raise Http404(gettext("That page is past the end of the matrix."))
    page = paginator.page(page_number)
    context |= {
        "page": page,
        "countries": countries,
        "rows": selectors.matrix_rows(page.object_list, countries=countries, day=filterset.as_of_date),
        "active": facet_builder.active_filters(filterset, params, facet_builder.labels_only(filterset, params)),
        "as_of": filterset.as_of_date,
        "status_label": facet_builder.status_label(filterset),
        "query": facet_builder.url_with(params).lstrip("?"),
    }
    return render(request, "commitments/matrix.html", context, status=status)


def commitment_detail(request, slug: str):
    commitment = selectors.for_detail(Commitment.objects.public()).filter(slug=slug).first()
    if commitment is None:
        return _archived(request, slug)
    taxonomies = selectors.taxonomies_of(commitment=commitment)
    country, problem = _timeline_country(request, taxonomies["country"])
    if problem:
        return bad_request(request, {"country": [problem]})
    per_country = commitment.assessment_scope == Commitment.Scope.PER_COUNTRY
    # A regional commitment's updates all hold in each of its countries: filtered by one, it shows them all.
    updates = selectors.public_timeline(commitment=commitment, country=country.id if country and per_country else None)
    table = selectors.country_table(commitment=commitment, countries=taxonomies["country"],
                                    timeline=None if per_country else updates)
    shown = {u.pk for u in updates}
    return render(
        request,
        "commitments/detail.html",
        {
            "commitment": commitment,
            "status": status_scale.info(commitment.current_status),
            "per_country": per_country,
            "known_since": selectors.known_since(commitment=commitment),
            "taxonomies": taxonomies,
            "country_table": [(row, _update_href(row, shown)) for row in table],
            "timeline_country": country,
            "updates": updates,
            "changes": selectors.public_changes(commitment=commitment),
            "page_url": request.build_absolute_uri(commitment.get_absolute_url()),
            "accessed": timezone.localdate(),  # the page is never cached: today is the day it is read
        },
    )


def _update_href(row, shown: set[int]) -> str | None:
    """Where a country row's update is: on this page, or on the page filtered to that country when the
    timeline shown leaves it out. None when the country has no update."""
    if row.update_id is None:
        return None
    page = "" if row.update_id in shown else f"?country={row.country.slug}"
    return f"{page}#update-{row.update_id}"


def _timeline_country(request, countries: list) -> tuple:
    """The country the timeline is filtered by (``?country=kz``: one of the commitment's countries, which
    are public with it), or None for all; and what is wrong with the parameter, if anything."""
    chosen = [value for value in request.GET.getlist("country") if value]
    if not chosen:
        return None, ""
    if len(chosen) > 1:
        return None, gettext("Choose one country to filter the updates by, or none to see them all.")
    entry = next((c for c in countries if c.slug == chosen[0]), None)
    if entry is not None:
        return entry, ""
    if not countries:
        return None, gettext("This commitment names no country, so its updates cannot be filtered by one.")
    known = ", ".join(f"{c.slug} ({c.label})" for c in countries)
    return None, gettext("“%(value)s” is not one of this commitment's countries; choose one of: %(known)s.") % {
        "value": chosen[0][:40], "known": known}


def _methodology_context() -> dict:
    """What ``_methodology.html`` shows, on /methodology/ and /about/ alike (one text, from ``status``)."""
    return {"scale": status_scale.scale(), "rules": status_scale.evidence_rules(),
            "evidence_date_rule": gettext(status_scale.EVIDENCE_DATE_RULE),
            "stale_after": status_scale.stale_after_text}


def methodology(request):
    """How the tracker rates: the scale, the evidence each status needs, and how dates are read."""
    return render(request, "commitments/methodology.html", _methodology_context())


def about(request):
    """What the tracker is, how it rates (the methodology's own text), how quotes are checked, how search works
    (with the glossary of ``search_terms``), corrections, the data's licence (the open-data dump's), how to cite,
    and whom to write to."""
    return render(request, "commitments/about.html", {
        **_methodology_context(), "licence": LICENSE, "corrections_email": settings.CORRECTIONS_EMAIL,
        "glossary": search_terms.GLOSSARY,
    })


def data_documentation(request):
    """/about/data/: every export, its addresses and every column with its meaning (from the declarations that
    also make the exports and their JSON Schemas: ``exports.EXPORTS``)."""
    from .exports import EXPORTS
    from .exports.columns import TYPES
    from .exports.schema import FORMAT_VERSION

    def described(columns, prefix=""):
        rows = []
        for c in columns:
            rows.append({"name": prefix + c.name, "type": c.type, "description": c.description,
                         "nullable": c.nullable, "formats": " and ".join(f.upper() for f in c.formats),
                         "enum": [v for v in c.enum if v], "added_in": c.added_in,
                         "example": json.dumps(c.example, ensure_ascii=False) if c.example is not None else ""})
            rows += described(c.fields, prefix=f"{prefix}{c.name}[].")
        return rows

    exports = [{"export": e, "csv_url": reverse(e.csv_url_name), "json_url": reverse(e.json_url_name),
                "schema_url": reverse(e.schema_url_name), "columns": described(e.columns)} for e in EXPORTS]
    return render(request, "commitments/data.html", {
        "exports": exports, "types": TYPES.items(), "format_version": FORMAT_VERSION, "licence": LICENSE,
    })


@cached_public_page
def taxonomy_index(request, kind: str):
    """Every public entry of one taxonomy (the catalogue: drafts' entries never), each with its count and
    status bar. A country counts each commitment's status *in that country* (``counting.status_breakdown``)."""
    taxonomy = TAXONOMY_FACETS[kind]
    entries = catalogue.load(facets=(kind,))[kind]
    _, by = counting.status_breakdown(Commitment.objects.public().at(), day=None, facets=(kind,))
    counted = {row["slug"]: row for row in by[kind]}
    rows = []
    for entry in entries.values():  # ordered by label; one with no commitment filed under it counts 0
        counts = counted[entry.slug]["counts"] if entry.slug in counted else {}
        rows.append({"slug": entry.slug, "name": entry.label, **translated_names(entry), "total": sum(counts.values()),
                     "bar": selectors.status_bar(counts)})
    return render(request, "commitments/taxonomy_index.html", {"kind": kind, "taxonomy": taxonomy, "rows": rows})


UPDATES_PER_PAGE = 25
# The newest 5,000 events: a deeper page walks more rows for each reader; filters reach further back.
UPDATES_MAX_PAGE = 200


@dataclass(frozen=True)
class UpdatesPage:
    """A page of /updates/ (no total: counting a million updates would cost more than the page)."""

    number: int
    object_list: list
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@cached_public_page
def updates(request):
    """The latest published status updates and withdrawals, newest first, for the list's filters (as the feed)."""
    context, filterset, status = _filters(request)
    if not filterset.is_valid():  # cannot happen (the valid data are valid)
        return bad_request(request, context["given"].errors)
    number = _page_number(request)
    if number is None:
        return bad_request(request, {"page": [PAGE_ERROR]})
    if number > UPDATES_MAX_PAGE:
        raise Http404(gettext("Only the newest %(pages)d pages are listed: narrow the filters to go further back.")
                      % {"pages": UPDATES_MAX_PAGE})
    per_page = UPDATES_PER_PAGE
    events = selectors.update_events(commitments=filterset.qs, narrows=filterset.narrows, as_of=filterset.as_of_date,
                                     offset=(number - 1) * per_page, limit=per_page + 1,  # one more: a next page?
                                     describing=filterset.updates_describing())
    if number > 1 and not events:
        raise Http404(gettext("That page is past the end of the list."))
    page = UpdatesPage(number, events[:per_page], len(events) > per_page and number < UPDATES_MAX_PAGE)
    query = facet_builder.url_with(context["params"]).lstrip("?")  # the valid, non-empty filters; no page
    return render(request, "commitments/updates.html", context | {
        "page": page, "query": query, "last_page": number == UPDATES_MAX_PAGE,
        "feed_url": f"{reverse('commitments:feed')}{'?' + query if query else ''}",
        "list_url": f"{reverse('commitments:list')}{'?' + query if query else ''}",
    }, status=status)


def _archived(request, slug: str) -> HttpResponse:
    """An archived commitment's address: 410 Gone, with why and when, and what it said when it was archived.

    Readers and reports that cited it keep a page to land on. Anything else is 404.
    """
    commitment = selectors.for_detail(Commitment.objects.archived()).filter(slug=slug).first()
    if commitment is None:
        raise Http404(gettext("No commitment at this address."))
    context = {
        "commitment": commitment,
        "status": status_scale.info(commitment.current_status),
        "archived": selectors.archive_notice(commitment=commitment),
        "changes": selectors.public_changes(commitment=commitment),
    }
    return render(request, "410.html", context, status=410)


def taxonomy_detail(request, kind: str, slug: str):
    """An entry's page: 404 unless a public commitment uses it (a draft's new theme or source stays unseen)."""
    taxonomy = TAXONOMY_FACETS[kind]
    relation = taxonomy.relation
    entry = get_object_or_404(taxonomy.public(), slug=slug)
    page_number = _page_number(request)
    if page_number is None:
        return bad_request(request, {"page": [PAGE_ERROR]})
    # A country's page shows each commitment's status in that country (``country_status``).
    in_country = entry.pk if kind == "country" else None
    queryset = Commitment.objects.public().filter(**{relation: entry}).at(country=in_country)
    counts, ids = counting.entry_page(queryset, kind=kind, entry_id=entry.pk)
    # By the titles the page shows, as the list: from the facet index while it is current (the page's rows read by
    # id), else sorted in SQL (``languages.localized_sql``).
    rows = (selectors.for_page(queryset.order_by(localized_sql("title"), "pk")) if ids is None else
            selectors.RowsInOrder(selectors.for_page(Commitment.objects.public().at(country=in_country)), ids))
    paginator = CountedPaginator(rows, PER_PAGE, count=sum(counts.values()))
    if page_number > max(paginator.num_pages, 1):
        raise Http404(gettext("That page is past the end of the list."))
    page = paginator.page(page_number)
    page.object_list = selectors.shown_rows(page.object_list)
    return render(
        request,
        "commitments/taxonomy.html",
        {
            "kind": kind,
            "taxonomy": TAXONOMY_FACETS[kind],
            "entry": entry,
            "bar": selectors.status_bar(counts),
            "total": paginator.count,
            "page": page,
            "query": "",
            "list_url": f"?{kind}={entry.slug}",
            "in_country": localized(entry, "name")[0] if kind == "country" else "",
        },
    )
