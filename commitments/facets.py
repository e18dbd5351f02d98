"""Facets: filter options with their counts, selected state and toggle URL, so templates only loop.

Each option's count is how many commitments it would leave given the *other* active filters.
A list narrowed by a status at most reads the ``PublicCount`` summary; any other list counts in
``facet_index`` (in memory); ``as_of``, or an index out of date, counts in SQL: the status facet and
the two flags share one query, the four taxonomy facets another (a ``UNION ALL`` of grouped
counts, each driven from the rows its facet's filters leave).
A long taxonomy facet shows its ``FACET_SIZE`` largest options plus any selected one, with a
link (``expand=<facet>``) to all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import CharField, Count, F, Value
from django.http import QueryDict

from . import facet_index, public_counts
from . import status as status_scale
from .aggregates import union_all
from .filtersets import CommitmentFilterSet
from .public_counts import Counts
from .querysets import FLAG_COLUMNS
from .status import STALE_AFTER_TEXT
from .taxonomy import TAXONOMY_FACETS, link_table

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


def status_facet(params: QueryDict, counts: dict[str, int]) -> Facet:
    chosen = _selected(params, "status")
    facet = Facet("status", "Status")
    for info in status_scale.scale():
        toggle = url_with(params, toggle=("status", info.slug))
        facet.options.append(Option(info.slug, info.label, counts[info.slug], info.slug in chosen, toggle))
    return facet


def _only_status(filterset: CommitmentFilterSet, facet: str) -> bool:
    """True when the rows ``facet`` counts are narrowed by a status choice at most (no ``as_of`` either)."""
    return not filterset.narrowing(ignoring=(facet, "status"))


def summary_for(filterset: CommitmentFilterSet) -> Counts | None:
    """The ``PublicCount`` summary of every facet it can answer here, if up to date (one query), else None.

    It can answer a facet whose other filters are at most a status choice (no ``as_of`` either):
    so the status facet (which ignores the status filter) only when no other filter is active.
    """
    names = [name for name in TAXONOMY_FACETS if _only_status(filterset, name)]
    if _only_status(filterset, "status"):
        names.append(public_counts.TOTAL)
    return public_counts.current(facets=names) if names else None


def taxonomy_counts(filterset: CommitmentFilterSet, summary: Counts | None) -> dict[str, dict[int, int]]:
    """Per taxonomy facet: entry id -> count of the rows the *other* filters leave.

    Facets the summary holds are read from it; the rest share one live query, each part grouping
    the link rows of just the commitments its filters leave, so a narrow filter means little work.
    """
    counts: dict[str, dict[int, int]] = {name: {} for name in TAXONOMY_FACETS}
    statuses = filterset.form.cleaned_data.get("status") or None
    for name in TAXONOMY_FACETS:
        for entry, by_status in (summary or {}).get(name, {}).items():
            n = sum(c for status, c in by_status.items() if statuses is None or status in statuses)
            if n:
                counts[name][entry] = n
    live = [name for name in TAXONOMY_FACETS if name not in (summary or {})]
    parts = []
    for name in live:
        relation = TAXONOMY_FACETS[name].relation
        remaining = filterset.queryset_without(name)
        if relation == "source":
            rows, option = remaining, "source_id"
        else:
            through, option = link_table(relation)
            rows = through.objects.filter(commitment__in=remaining.values("pk"))
        facet = Value(name, output_field=CharField())
        parts.append(rows.order_by().values(facet=facet, option=F(option)).annotate(n=Count("*")))
    if parts:
        for row in union_all(parts):
            if row["option"] is not None:
                counts[row["facet"]][row["option"]] = row["n"]
    return counts


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
        facet.options.append(Option(entry.slug, entry.label, counts.get(entry.id, 0), entry.slug in chosen, toggle))
    return facet


FLAGS = {
    "overdue": ("Overdue", "Only overdue commitments"),
    "stale": ("Stale", f"No update for {STALE_AFTER_TEXT}"),
}


def status_and_flag_counts(filterset: CommitmentFilterSet, summary: Counts | None) -> tuple[dict, dict]:
    """The status facet's counts (status -> n) and the ``overdue=1`` / ``stale=1`` options' counts (flag -> n).

    With nothing chosen but a status, the statuses come from the summary and each flag is one range
    of an index. Otherwise one grouped query over the rows the other filters leave, ignoring the
    status and both flags, counts per status all, overdue, stale and both; every number of these
    three facets is a sum of those. (A flag's option counts the rows with that flag switched on, so
    it is the same number whether the flag is on now or not.)
    """
    cleaned = filterset.form.cleaned_data
    on = cleaned.get("as_of")
    if summary is not None and public_counts.TOTAL in summary:
        flags = {name: getattr(filterset.queryset_without(name), name)(on=on).count() for name in FLAGS}
        return public_counts.status_counts(summary, public_counts.TOTAL), flags
    grouped = filterset.queryset_without("status", *FLAGS).by_status_and_flag_counts(on=on)
    overdue, stale = (cleaned.get(name) == "1" for name in FLAGS)
    chosen = cleaned.get("status") or list(grouped)
    statuses = {slug: row[FLAG_COLUMNS[overdue, stale]] for slug, row in grouped.items()}
    flags = {
        "overdue": sum(grouped[slug][FLAG_COLUMNS[True, stale]] for slug in chosen),
        "stale": sum(grouped[slug][FLAG_COLUMNS[overdue, True]] for slug in chosen),
    }
    return statuses, flags


def flag_facets(params: QueryDict, counts: dict[str, int]) -> list[Facet]:
    facets = []
    for name, (heading, label) in FLAGS.items():
        selected = params.get(name) == "1"
        toggle = None if selected else (name, "1")
        url = url_with(params, drop=(name,), toggle=toggle)
        facets.append(Facet(name, heading, [Option("1", label, counts[name], selected, url)]))
    return facets


def matching_count(facets: list[Facet]) -> int:
    """How many rows the list holds, read off the status facet (its counts ignore only the status filter)."""
    status = next(f for f in facets if f.name == "status")
    chosen = [o.count for o in status.options if o.selected]
    return sum(chosen) if chosen else sum(o.count for o in status.options)


def _counts(filterset: CommitmentFilterSet) -> tuple[dict, dict, dict]:
    """The status, flag and taxonomy counts: the summary answers a list narrowed by a status at most;
    the in-memory index any other list it can filter; SQL the rest (``as_of``, or a change mid-build)."""
    if filterset.narrowing(ignoring=("status",)) and facet_index.applies(filterset):
        index = facet_index.current()
        if index is not None:
            masks = facet_index.Masks(index, filterset)
            statuses, flags = facet_index.status_and_flag_counts(masks)
            return statuses, flags, facet_index.taxonomy_counts(masks, TAXONOMY_FACETS)
    summary = summary_for(filterset)
    return (*status_and_flag_counts(filterset, summary), taxonomy_counts(filterset, summary))


def build_facets(filterset: CommitmentFilterSet, params: QueryDict) -> list[Facet]:
    statuses, flags, counts = _counts(filterset)
    return [
        status_facet(params, statuses),
        *flag_facets(params, flags),
        *(taxonomy_facet(filterset, params, name, counts[name]) for name in TAXONOMY_FACETS),
    ]


def active_filters(filterset: CommitmentFilterSet, params: QueryDict, facets: list[Facet]) -> list[ActiveFilter]:
    """Every active filter as a removable chip, in the order of the form."""
    labels = {(f.name, o.value): (f.label, o.label) for f in facets for o in f.options}
    chips = []
    for key in filterset.filters:
        for value in params.getlist(key):
            if not value or key in ("sort", "expand"):
                continue
            facet_label, option_label = labels.get((key, value), (filterset.filters[key].label, value))
            text = facet_label if key in FLAGS else f"{facet_label}: {option_label}"
            chips.append(ActiveFilter(text, url_with(params, toggle=(key, value))))
    return chips
