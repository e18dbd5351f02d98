"""Facets: every filter option with its count, selected state and toggle URL, so templates only loop.

Each option's count is how many commitments it would leave given the *other* active filters.
One grouped query per facet, never one per option.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import QueryDict

from . import status as status_scale
from .filtersets import TAXONOMY_FACETS, CommitmentFilterSet


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


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_url: str


def url_with(params: QueryDict, *, toggle: tuple[str, str] | None = None, drop: tuple[str, ...] = ()) -> str:
    """The current query string with one value toggled and ``drop`` keys removed; page always reset."""
    q = params.copy()
    for key in ("page", *drop):
        q.pop(key, None)
    if toggle:
        key, value = toggle
        values = q.getlist(key)
        q.setlist(key, [v for v in values if v != value] if value in values else [*values, value])
    encoded = q.urlencode()
    return f"?{encoded}" if encoded else "?"


def _selected(params: QueryDict, key: str) -> set[str]:
    return set(params.getlist(key))


def status_facet(filterset: CommitmentFilterSet, params: QueryDict) -> Facet:
    counts = filterset.queryset_without("status").by_status_counts()
    chosen = _selected(params, "status")
    facet = Facet("status", "Status")
    for info in status_scale.scale():
        facet.options.append(
            Option(
                info.slug,
                info.label,
                counts[info.slug],
                info.slug in chosen,
                url_with(params, toggle=("status", info.slug)),
            )
        )
    return facet


def taxonomy_facet(filterset: CommitmentFilterSet, params: QueryDict, name: str) -> Facet:
    model, _, label_field = TAXONOMY_FACETS[name]
    remaining = filterset.queryset_without(name).values("pk")
    rows = model.objects.annotate(n=Count("commitments", filter=Q(commitments__in=remaining))).order_by(label_field)
    chosen = _selected(params, name)
    facet = Facet(name, filterset.filters[name].label)
    for row in rows.values("slug", label_field, "n"):
        slug = row["slug"]
        toggle = url_with(params, toggle=(name, slug))
        facet.options.append(Option(slug, row[label_field], row["n"], slug in chosen, toggle))
    return facet


FLAGS = {
    "overdue": ("Overdue", "Only overdue commitments"),
    "stale": ("Stale", "No update for nine months"),
}


def flag_facets(filterset: CommitmentFilterSet, params: QueryDict) -> list[Facet]:
    """``overdue=1`` and ``stale=1``: each option counted with the other filters applied.

    With neither flag active both counts share one base, so one query answers both.
    """
    on = filterset.form.cleaned_data.get("as_of")
    if not any(filterset.form.cleaned_data.get(name) for name in FLAGS):
        base = filterset.queryset_without("overdue")
        counts = base.aggregate(
            overdue=Count("pk", filter=base.overdue_q(on=on)), stale=Count("pk", filter=base.stale_q(on=on))
        )
    else:
        counts = {name: getattr(filterset.queryset_without(name), name)(on=on).count() for name in FLAGS}
    facets = []
    for name, (heading, label) in FLAGS.items():
        selected = params.get(name) == "1"
        toggle = None if selected else (name, "1")
        url = url_with(params, drop=(name,), toggle=toggle)
        facets.append(Facet(name, heading, [Option("1", label, counts[name], selected, url)]))
    return facets


def build_facets(filterset: CommitmentFilterSet, params: QueryDict) -> list[Facet]:
    return [
        status_facet(filterset, params),
        *flag_facets(filterset, params),
        *(taxonomy_facet(filterset, params, name) for name in TAXONOMY_FACETS),
    ]


def active_filters(filterset: CommitmentFilterSet, params: QueryDict, facets: list[Facet]) -> list[ActiveFilter]:
    """Every active filter as a removable chip, in the order of the form."""
    labels = {(f.name, o.value): (f.label, o.label) for f in facets for o in f.options}
    chips = []
    for key in filterset.filters:
        for value in params.getlist(key):
            if not value or key == "sort":
                continue
            facet_label, option_label = labels.get((key, value), (filterset.filters[key].label, value))
            text = facet_label if key in FLAGS else f"{facet_label}: {option_label}"
            chips.append(ActiveFilter(text, url_with(params, toggle=(key, value))))
    return chips
