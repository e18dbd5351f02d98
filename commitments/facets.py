"""Facets: filter options with their counts, selected state and toggle URL, so templates only loop.

Each option's count is how many commitments it would leave given the *other* active filters;
``counting.list_counts`` counts them (and chooses how), this module only presents them.
A long taxonomy facet shows its ``FACET_SIZE`` largest options plus any selected one, with a
link (``expand=<facet>``) to all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

import django_filters
from django.http import QueryDict
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import dates
from . import status as status_scale
from .counting import ListCounts
from .filtersets import CommitmentFilterSet
from .languages import localized
from .status import stale_after_text
from .taxonomy import TAXONOMY_FACETS

FACET_SIZE = 12  # options shown before "Show all" (about a phone screen)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str


@dataclass
class Facet:
    name: str
    label: str
    options: list[Option] = field(default_factory=list)
    total: int = 0  # options in all, shown or not
    more_url: str = ""  # set when some options are hidden
    fewer_url: str = ""  # set when a long facet is expanded


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_url: str


def url_with(params: QueryDict, *, toggle: tuple[str, str] | None = None, drop: tuple[str, ...] = ()) -> str:
    """The current query string with one value toggled and ``drop`` keys removed; page always reset.

    Encoded as ``QueryDict.urlencode`` would (keys in their first order, a new key last), without
    copying the QueryDict: a list page builds about a hundred of these.
    """
    lists = {key: values for key, values in params.lists() if key not in drop and key != "page"}
    if toggle:
        key, value = toggle
        values = lists.get(key, [])
        lists[key] = [v for v in values if v != value] if value in values else [*values, value]
    encoded = urlencode([(key, value) for key, values in lists.items() for value in values])
    return f"?{encoded}" if encoded else "?"


def _selected(params: QueryDict, key: str) -> set[str]:
    return set(params.getlist(key))


def status_label(filterset: CommitmentFilterSet) -> str:
    """The status facet's heading: "Status in <country>" when one country is chosen (``country_status``); else
    "Status", the overall one (the list says so above its rows)."""
    country = filterset.status_country
    if not country:
        return gettext("Status")
    return gettext("Status in %(country)s") % {"country": localized(country, "label")[0]}


def status_facet(params: QueryDict, counts: dict[str, int], label: str = _("Status")) -> Facet:
    chosen = _selected(params, "status")
    facet = Facet("status", label)
    for info in status_scale.scale():
        toggle = url_with(params, toggle=("status", info.slug))
        facet.options.append(Option(info.slug, info.label, counts[info.slug], info.slug in chosen, toggle))
    return facet


def taxonomy_facet(filterset: CommitmentFilterSet, params: QueryDict, name: str, counts: dict[int, int]) -> Facet:
    chosen = _selected(params, name)
    entries = list(filterset.catalogue[name].values())  # ordered by label
    facet = Facet(name, filterset.filters[name].label, total=len(entries))
    expanded = name in _selected(params, "expand")
    if len(entries) > FACET_SIZE:
        if expanded:
            facet.fewer_url = url_with(params, toggle=("expand", name))
        else:
            ranked = sorted(entries, key=lambda e: -counts.get(e.id, 0))  # stable: ties stay by label
            shown = ranked[:FACET_SIZE]
            shown += [e for e in ranked[FACET_SIZE:] if e.slug in chosen]
            entries = shown
            facet.more_url = url_with(params, toggle=("expand", name))
    for entry in entries:
        toggle = url_with(params, toggle=(name, entry.slug))
        label = localized(entry, "label")[0]  # the page's language (the catalogue carries each)
        facet.options.append(Option(entry.slug, label, counts.get(entry.id, 0), entry.slug in chosen, toggle))
    return facet


FLAGS = {
    "overdue": (_("Overdue"), _("Only overdue commitments")),
    "stale": (_("Stale"), format_lazy(_("No update for {}"), stale_after_text)),
}


def flag_facets(params: QueryDict, counts: dict[str, int]) -> list[Facet]:
    facets = []
    for name, (heading, label) in FLAGS.items():
        selected = params.get(name) == "1"
        toggle = None if selected else (name, "1")
        url = url_with(params, drop=(name,), toggle=toggle)
        facets.append(Facet(name, heading, [Option("1", label, counts[name], selected, url)]))
    return facets


def build_facets(filterset: CommitmentFilterSet, params: QueryDict, counts: ListCounts) -> list[Facet]:
    """Every facet of the list, from the counts ``counting.list_counts`` gave."""
    return [
        status_facet(params, counts.statuses, status_label(filterset)),
        *flag_facets(params, counts.flags),
        *(taxonomy_facet(filterset, params, name, counts.taxonomies[name]) for name in TAXONOMY_FACETS),
    ]


def labels_only(filterset: CommitmentFilterSet, params: QueryDict) -> list[Facet]:
    """Every facet with its labels and no counts: what ``active_filters`` needs on a page that shows no
    facets (the compliance matrix). Reads nothing but the catalogue the FilterSet holds."""
    from .status import Status

    return [
        status_facet(params, dict.fromkeys(Status.values, 0), status_label(filterset)),
        *flag_facets(params, dict.fromkeys(FLAGS, 0)),
        *(taxonomy_facet(filterset, params, name, {}) for name in TAXONOMY_FACETS),
    ]


def _date_label(value: str) -> str:
    """A date filter's value as readers read dates ("1 July 2026"); as typed when it is no date."""
    try:
        return dates.render(date.fromisoformat(value))
    except ValueError:
        return value


def active_filters(filterset: CommitmentFilterSet, params: QueryDict, facets: list[Facet]) -> list[ActiveFilter]:
    """Every active filter as a removable chip, in the order of the form."""
    labels = {(f.name, o.value): (f.label, o.label) for f in facets for o in f.options}
    chips = []
    for key in filterset.filters:
        for value in params.getlist(key):
            if not value or key in ("sort", "expand"):
                continue
            facet_label, option_label = labels.get((key, value), (filterset.filters[key].label, value))
            if isinstance(filterset.filters[key], django_filters.DateFilter):
                option_label = _date_label(value)
            text = str(facet_label) if key in FLAGS else f"{facet_label}: {option_label}"
            chips.append(ActiveFilter(text, url_with(params, toggle=(key, value))))
    return chips
