"""The public URL contract: one FilterSet declares every list parameter.

The list page, the CSV and JSON exports, the Atom feed and the taxonomy pages all take their
rows from ``CommitmentFilterSet``, so one grammar of GET parameters serves every format.
``as_of`` is applied first: every other filter then sees the status as it stood that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cached_property

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.forms.renderers import Jinja2
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import catalogue as public_catalogue
from . import country_status, languages
from .models import Commitment
from .status import Status, stale_after_text
from .taxonomy import TAXONOMY_FACETS, Entry, link_table

ISO_DATE = ["%Y-%m-%d"]
# The dates the filters accept: far wider than any date in the record, but bounded, so that date
# arithmetic (the stale cutoff is ``STALE_AFTER_MONTHS`` before ``as_of``) stays within Python's years 1-9999.
# ``as_of`` runs from FIRST_DAY to today; due dates, which may lie ahead, to LAST_DUE_DAY.
FIRST_DAY = date(1900, 1, 1)
LAST_DUE_DAY = date(2100, 12, 31)
AS_OF_RANGE_ERROR = _("The as-of date cannot be before 1 January 1900.")
DUE_RANGE_ERROR = _("Due dates can be from 1 January 1900 to 31 December 2100.")
# What a malformed date's error says: the format and the range, so the reader can correct it.
# English (tests look for it in pages); translated where it is used.
DATE_FORMAT_ERROR = gettext_noop("Enter a date as YYYY-MM-DD (e.g. 2026-07-01).")
AS_OF_FORMAT_ERROR = format_lazy(
    "{} {}", _(DATE_FORMAT_ERROR), _("The as-of date can be from 1 January 1900 to today."))
DUE_FORMAT_ERROR = format_lazy("{} {}", _(DATE_FORMAT_ERROR), DUE_RANGE_ERROR)


def _status_choice_text() -> str:
    valid = "; ".join(f"{slug} ({label})" for slug, label in Status.choices)
    # "%(value)s" is filled in by the form; "%%" keeps a percent sign of a label for that step.
    return gettext("“%%(value)s” is not a status. Choose one of: %(valid)s.") % {"valid": valid.replace("%", "%%")}


def _status_choice_error():
    """The status filter's error: which value was refused and every valid slug with its label (in the active
    language when the error is shown)."""
    return lazy(_status_choice_text, str)()

RELEVANCE = "relevance"
# Every order ends in the primary key, so rows that tie keep one order across pages and exports.
SORTS = {
    "title": (_("Title (A–Z)"), ["title", "pk"]),
    "due": (_("Due date (soonest first)"), [("due_date", "asc"), "title", "pk"]),
    "-due": (_("Due date (latest first)"), [("due_date", "desc"), "title", "pk"]),
    "updated": (_("Last assessed (oldest first)"), [("eff_status_date", "asc"), "title", "pk"]),
    "-updated": (_("Last assessed (newest first)"), [("eff_status_date", "desc"), "title", "pk"]),
    # Best match to the search first (``CommitmentQuerySet.search_rank``), ties by title. Only a search has a
    # best match: without ``q`` (or with no word to look for) the rows come in the default order.
    RELEVANCE: (_("Relevance (best match first, with a search)"), ["title", "pk"]),
}
DEFAULT_SORT = "title"

def _order_by(spec: list) -> list:
    """A sort's ORDER BY; its titles are the page's language's where a commitment has one (as the rows show them:
    ``languages.localized``), so the Russian list is in the order of its Russian titles."""
    out = []
    for item in spec:
        if item == "title":
            out.append(languages.localized_sql("title"))
        elif isinstance(item, tuple):
            name, direction = item
            out.append(F(name).asc(nulls_last=True) if direction == "asc" else F(name).desc(nulls_last=True))
        else:
            out.append(item)
    return out


class SlugMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Repeatable slug filter (``?theme=a&theme=b`` means a OR b) that never duplicates rows.

    Its choices are the catalogue's slugs, set by the FilterSet only when the parameter is given.
    ``refused``: the error for an unknown slug (not the thousands of valid slugs: the page links to the
    taxonomy's index beside it).
    """

    def __init__(self, *args, relation: str, refused: str, **kwargs):
        self.relation = relation
        kwargs.setdefault("error_messages", {"invalid_choice": refused})
        super().__init__(*args, distinct=False, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        entries = self.parent.catalogue[self.field_name]
        ids = [entries[slug].id for slug in value]
        if self.relation == "source":
            return qs.filter(source_id__in=ids)
        through, entry = link_table(self.relation)
        matches = through.objects.filter(commitment=OuterRef("pk"), **{f"{entry}__in": ids})
        return qs.filter(Exists(matches))


WIDGETS = Jinja2()  # one for the process: it keeps its compiled templates


class CommitmentFilterForm(forms.Form):
    """Rules that span fields; errors appear beside the field they concern."""

    # Its widgets (the search box, three dates, the sort) in Django's own markup, from Django's Jinja2 copies of its
    # widget templates: every list page renders them, in about half the time (docs/performance.md, issue 18).
    default_renderer = WIDGETS

    def clean(self):
        cleaned = super().clean()
        as_of = cleaned.get("as_of")
        if as_of and as_of > timezone.localdate():
            self.add_error("as_of", gettext("The as-of date cannot be in the future."))
        elif as_of and as_of < FIRST_DAY:
            self.add_error("as_of", AS_OF_RANGE_ERROR)
        for name in ("due_after", "due_before"):
            due = cleaned.get(name)
            if due and not FIRST_DAY <= due <= LAST_DUE_DAY:
                self.add_error(name, DUE_RANGE_ERROR)  # also drops it from ``cleaned``
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if after and before and after > before:
            self.add_error("due_before", gettext("“Due on or before” must not be earlier than “Due on or after”."))
        return cleaned


class CommitmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=pgettext_lazy("the list's search box", "Search"), method="search", max_length=200,
        help_text=_("Words in the title, quote, an update's summary, or the names it is filed under."),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        field_name="eff_status",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _status_choice_error()},
    )
    theme = SlugMultipleChoiceFilter(
        label=_("Theme"), relation="themes", refused=_("No public theme has the slug “%(value)s”."))
    country = SlugMultipleChoiceFilter(
        label=_("Country"), relation="countries", refused=_("No public country has the slug “%(value)s”."))
    actor = SlugMultipleChoiceFilter(
        label=_("Actor"), relation="actors", refused=_("No public actor has the slug “%(value)s”."))
    source = SlugMultipleChoiceFilter(
        label=_("Source"), relation="source", refused=_("No public source has the slug “%(value)s”."))
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue only"), choices=[("1", _("Overdue only"))], method="only_overdue")
    stale = django_filters.ChoiceFilter(
        label=_("Stale only"), choices=[("1", format_lazy(_("No update for {}"), stale_after_text))],
        method="only_stale",
    )
    due_after = django_filters.DateFilter(
        error_messages={"invalid": DUE_FORMAT_ERROR},
        label=_("Due on or after"),
        field_name="due_date",
        lookup_expr="gte",
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    due_before = django_filters.DateFilter(
        error_messages={"invalid": DUE_FORMAT_ERROR},
        label=_("Due on or before"),
        field_name="due_date",
        lookup_expr="lte",
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    as_of = django_filters.DateFilter(
        error_messages={"invalid": AS_OF_FORMAT_ERROR},
        label=_("Status as of"),
        method="noop",
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Show every status as it stood on this day."),
    )
    expand = django_filters.MultipleChoiceFilter(
        label=_("Show every option of"),
        choices=[(name, name) for name in TAXONOMY_FACETS],
        method="noop",
        help_text=_("Long facets show their largest options; this lists all of them."),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=[(k, label) for k, (label, _) in SORTS.items()], method="noop", empty_label=None
    )

    class Meta:
        model = Commitment
        fields: list[str] = []
        form = CommitmentFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, catalogue=None):
        if catalogue is not None:  # one already read (``keeping_valid``)
            self.__dict__["catalogue"] = catalogue
        if data is not None:
            data = _without_empty(data)
        super().__init__(
            data, queryset if queryset is not None else Commitment.objects.public(), request=request, prefix=prefix
        )
        # Render the required-looking sort field as optional: absent means the default order.
        self.form.fields["sort"].required = False
        # A browser's date picker offers only the dates the form accepts.
        for name, last in (("due_after", LAST_DUE_DAY), ("due_before", LAST_DUE_DAY), ("as_of", timezone.localdate())):
            self.form.fields[name].widget.attrs.update(min=FIRST_DAY.isoformat(), max=last.isoformat())
        for name in TAXONOMY_FACETS:
            if name in self.data:  # only then is there a slug to validate
                self.form.fields[name].choices = [(slug, e.label) for slug, e in self.catalogue[name].items()]

    def valid_data(self) -> QueryDict:
        """A copy of the data without what is invalid: a refused value of a repeatable filter (``status``, a slug)
        goes and its valid values stay; any other parameter with an error goes whole.

        The list, the matrix and /updates/ show the page these leave (answering 400, with each error beside its
        field); the exports and the feed answer a plain 400 instead.
        """
        errors = self.errors
        data = self.data.copy()
        for name in errors:
            if name not in data:
                continue
            field = self.form.fields.get(name)
            if isinstance(field, forms.MultipleChoiceField):
                kept = [value for value in data.getlist(name) if field.valid_value(value)]
                if kept and len(kept) < len(data.getlist(name)):
                    data.setlist(name, kept)
                    continue
            data.pop(name)
        return data

    def keeping_valid(self) -> CommitmentFilterSet:
        """This FilterSet if valid, else one over ``valid_data()`` (sharing the catalogue already read)."""
        if self.is_valid():
            return self
        return type(self)(self.valid_data(), self.queryset, request=self.request, prefix=self.form_prefix,
                          catalogue=self.__dict__.get("catalogue"))

    @cached_property
    def catalogue(self) -> dict[str, Mapping[str, Entry]]:
        """The public entries (``catalogue.load``): a slug of any other is refused as unknown."""
        return public_catalogue.load()

    # --- filtering ----------------------------------------------------------------------

    @property
    def as_of_date(self) -> date | None:
        return self.form.cleaned_data.get("as_of") if self.is_bound and self.is_valid() else None

    def narrowing(self, *, ignoring: tuple[str, ...] = ()) -> list[str]:
        """The valid parameters given that leave rows out, but those in ``ignoring``.

        ``sort`` and ``expand`` never leave rows out; ``as_of`` does (commitments not yet made).
        """
        cleaned = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        skipped = {"sort", "expand", *ignoring}
        return [name for name, value in cleaned.items() if value and name not in skipped]

    @property
    def narrows(self) -> bool:
        return bool(self.narrowing())

    @property
    def on(self) -> date:
        """The day the page describes: ``as_of`` or today."""
        return self.as_of_date or timezone.localdate()

    @property
    def status_country(self) -> Entry | None:
        """The one country chosen, if exactly one: the page then shows, filters and counts each commitment's
        status *in that country* (``country_status``). With none or several: the overall status."""
        chosen = (self.form.cleaned_data.get("country") or []) if self.is_bound and self.is_valid() else []
        return self.catalogue["country"][chosen[0]] if len(chosen) == 1 else None

    def updates_describing(self) -> Q:
        """Which status updates the feed and /updates/ list for these filters: with countries chosen, only those
        that describe them (``country_status.describes_q``); else every one."""
        chosen = (self.form.cleaned_data.get("country") or []) if self.is_bound and self.is_valid() else []
        return country_status.describes_q([self.catalogue["country"][slug].id for slug in chosen])

    def base_queryset(self):
        country = self.status_country
        return self.queryset.at(self.as_of_date, country=country.id if country else None)

    def filter_queryset(self, queryset, *, exclude: tuple[str, ...] = ()):
        """Apply every valid filter, except those named in ``exclude`` (used for facet counts).

        The status (and so the status, overdue and stale filters) is the one in the chosen country when
        exactly one is chosen and not excluded; the country facet counts each country's own
        (``counting``).
        """
        country = self.status_country if "country" not in exclude else None
        queryset = queryset.at(self.form.cleaned_data.get("as_of"), country=country.id if country else None)
        for name, value in self.form.cleaned_data.items():
            if name not in exclude:
                queryset = self.filters[name].filter(queryset, value)
        return queryset.order_by(*self.ordering(queryset))

    def ordering(self, queryset) -> list:
        """The ORDER BY of the chosen sort; ``relevance`` puts the best match to ``q`` first (without ``q``,
        the default order)."""
        sort = self.form.cleaned_data.get("sort") or DEFAULT_SORT
        if sort == RELEVANCE:
            rank = queryset.search_rank(self.form.cleaned_data.get("q") or "")
            return [rank.asc(), *_order_by(SORTS[sort][1])] if rank is not None else _order_by(SORTS[DEFAULT_SORT][1])
        return _order_by(SORTS[sort][1])

    @property
    def index_orders(self) -> bool:
        """Whether the facet index can give the rows' order: the default one (title, id:
        ``facet_index.FacetIndex.in_title_order``), or by relevance (``ranks_by_relevance``; without words to rank
        by, the default one)."""
        return self._sort in {DEFAULT_SORT, RELEVANCE}

    @property
    def ranks_by_relevance(self) -> bool:
        """Sorted by how well each row matches ``q``: ``ORDER BY search_rank, title, id``, which the facet index
        gives from the search's ranks (``CommitmentQuerySet.search_ranks``, ``FacetIndex.in_rank_order``)."""
        return self._sort == RELEVANCE and bool(self._cleaned.get("q"))

    @property
    def _cleaned(self) -> dict:
        return self.form.cleaned_data if self.is_bound and self.is_valid() else {}

    @property
    def _sort(self) -> str:
        return self._cleaned.get("sort") or DEFAULT_SORT

    def rows_by_id(self):
        """The rows of the given ids (``filter(pk__in=…)``), annotated as ``qs``'s, without the filters: for ids
        the facet index found to pass them (``selectors.RowsInOrder``, which gives them in the ids' order). In the
        default order, as the index's ids are when not ranked."""
        return self.base_queryset().order_by(*_order_by(SORTS[DEFAULT_SORT][1]))

    def queryset_without(self, *names: str):
        """The rows all other active filters leave: the base of the facet counts of ``names``."""
        self.errors  # noqa: B018 - runs validation so cleaned_data exists
        return self.filter_queryset(self.queryset.all(), exclude=names).order_by()

    def noop(self, queryset, name, value):
        return queryset

    def search(self, queryset, name, value):
        return queryset.search(value)

    def only_overdue(self, queryset, name, value):
        return queryset.overdue(on=self.form.cleaned_data.get("as_of")) if value == "1" else queryset

    def only_stale(self, queryset, name, value):
        return queryset.stale(on=self.form.cleaned_data.get("as_of")) if value == "1" else queryset


def _without_empty(data: Mapping) -> QueryDict:
    """The parameters without their empty values (``?status=``, ``?theme=``): an empty field filters nothing."""
    kept = QueryDict(mutable=True)
    if hasattr(data, "lists"):
        lists = data.lists()
    else:  # a plain dict (tests, internal callers)
        lists = ((name, value if isinstance(value, list) else [value]) for name, value in data.items())
    for name, values in lists:
        values = [value for value in values if value != ""]
        if values:
            kept.setlist(name, values)
    return kept
