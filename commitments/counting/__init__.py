"""The one place that chooses how to count: the list's facets and row count, and a page's status breakdown.

Two engines give the same numbers (``tests/test_facet_index.py`` and ``tests/test_counting_engines.py``
hold them to it); SQL is the reference:

- ``facet_index``: the public commitments' current statuses and facet values in memory (numpy),
  kept per process while the public data version holds. It answers any list it can filter
  (everything but ``as_of``), the overview's breakdowns and a taxonomy page's counts, while it is
  current.
- ``sql``: grouped queries over the rows the filters leave; everything else (``as_of``, or the
  index out of date: the first page after a change, which asks the process to rebuild it once
  that page is sent).

(A third engine, the ``PublicCount`` summary table, answered the overview and unfiltered lists until
December 2026; the index answers them faster once built, and both fall back to SQL right after a
change, so the table went: migration 0023, ``docs/performance.md``.)

Callers ask ``list_counts`` or ``status_breakdown`` / ``entry_status_counts`` and never pick an
engine; ``facets`` only presents what ``list_counts`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from .. import catalogue, facet_index, languages
from ..filtersets import CommitmentFilterSet
from ..querysets import CommitmentQuerySet
from ..taxonomy import TAXONOMY_FACETS
from . import sql


@dataclass(frozen=True)
class ListCounts:
    """Everything the list counts: its rows, and each facet option's count given the *other* filters."""

    rows: int  # how many commitments the list holds
    statuses: dict[str, int]  # status slug -> count
    flags: dict[str, int]  # "overdue" / "stale" -> the count of its option
    taxonomies: dict[str, dict[int, int]]  # facet -> entry id -> count
    # The ids of every row in the list's order, when the index answered and can give that order (the default one,
    # or by relevance: ``CommitmentFilterSet.index_orders``); else None: the rows query finds and sorts them.
    ordered_ids: np.ndarray | None = None


def list_counts(filterset: CommitmentFilterSet) -> ListCounts:
    """The list's counts: the in-memory index answers any list it can filter while it is current; SQL the
    rest (``as_of``, or the first list after a change)."""
    if facet_index.applies(filterset):
        index = facet_index.current()
        if index is not None:
            masks = facet_index.Masks(index, filterset, ordered=filterset.index_orders)
            if masks.masks:
                return _index_counts(masks, ordered=filterset.index_orders)
            # No filter: the same counts on every such page while this index holds (a few ms of bincounts over
            # every row and link at 100k), so they are kept with it, per day (the overdue and stale options) and
            # language (the rows' order: their titles in it).
            key = ("unfiltered", masks.on, masks.lang)
            unfiltered = index.memo.get(key)
            if unfiltered is None:
                unfiltered = index.memo[key] = _index_counts(masks, ordered=True)
            return unfiltered if filterset.index_orders else replace(unfiltered, ordered_ids=None)
    rows, statuses, flags = sql.status_and_flag_counts(filterset)
    return ListCounts(rows, statuses, flags, sql.taxonomy_counts(filterset, list(TAXONOMY_FACETS)))


def _index_counts(masks: facet_index.Masks, *, ordered: bool) -> ListCounts:
    statuses, flags = facet_index.status_and_flag_counts(masks)
    taxonomies = facet_index.taxonomy_counts(masks, TAXONOMY_FACETS)
    rows = masks.without()
    ordered_ids = masks.in_order(rows) if ordered else None
    return ListCounts(int(rows.sum()), statuses, flags, taxonomies, ordered_ids=ordered_ids)


def row_count(filterset: CommitmentFilterSet) -> int:
    """How many commitments the filters leave (a page that shows no facets, or orders its rows itself: the API):
    from the index when it can answer, else one ``COUNT`` in SQL."""
    return rows_in_order(filterset, ordered=False)[0]


def rows_in_order(filterset: CommitmentFilterSet, *, ordered: bool = True) -> tuple[int, np.ndarray | None]:
    """How many commitments the filters leave, and (``ordered``) the ids of the rows in order when the index can
    give them (``ListCounts.ordered_ids``): the matrix."""
    if facet_index.applies(filterset):
        index = facet_index.current()
        if index is not None:
            ordered = ordered and filterset.index_orders
            masks = facet_index.Masks(index, filterset, ordered=ordered)
            rows = masks.without()
            return int(rows.sum()), masks.in_order(rows) if ordered else None
    return filterset.qs.count(), None


def status_breakdown(queryset: CommitmentQuerySet, *, day: date | None, facets: tuple[str, ...]) -> tuple[dict, dict]:
    """A page's status counts in all, and per entry of each of ``facets`` (``theme``, ``country``).

    ``queryset`` is every public commitment, already ``at(day)``; ``day`` None: today (stored statuses), so
    the index may answer. A country's counts are of the statuses in that country (``country_status``).
    Returns (status -> n, facet -> rows of slug, name, total, counts).
    """
    return _breakdown(facet_index.current() if day is None else None, queryset, day=day, facets=facets)


@dataclass(frozen=True)
class OverviewCounts:
    """The overview's numbers (``overview_counts``)."""

    statuses: dict[str, int]  # status slug -> count
    by: dict[str, list[dict]]  # facet -> rows of slug, name, total, counts
    overdue: int
    stale: int
    # Section name -> the ids of its first rows in its order, when the index answered; else None (SQL finds them).
    sections: dict[str, np.ndarray] | None = None


def overview_counts(queryset: CommitmentQuerySet, *, day: date | None, on: date, facets: tuple[str, ...],
                    limit: int = 0) -> OverviewCounts:
    """The overview's numbers: ``status_breakdown``'s, and how many are overdue and how many stale on ``on``.

    The index answers all of them while it is current and ``day`` is None (today): the overdue and stale
    counts by the rules' numpy forms (``status.overdue_mask``/``stale_mask``), and the ids of each section's
    first ``limit`` rows (``FacetIndex.overview_sections``); else SQL, by their SQL forms.
    """
    index = facet_index.current() if day is None else None
    if index is not None:
        # The same on every overview of the day while this index holds (about 8 ms at 100k: the breakdowns, the
        # overdue and stale masks, each section's first rows), so they are kept with it, as the unfiltered list's.
        key = ("overview", on, facets, limit)
        kept = index.memo.get(key)
        if kept is None:
            statuses, by = _breakdown(index, queryset, day=day, facets=facets)
            overdue, stale = index.overdue(on), index.stale(on)
            kept = index.memo[key] = OverviewCounts(
                statuses, by, int(overdue.sum()), int(stale.sum()),
                sections=index.overview_sections(on, limit, overdue=overdue, stale=stale))
        return kept
    statuses, by = _breakdown(index, queryset, day=day, facets=facets)
    return OverviewCounts(statuses, by, queryset.overdue(on=on).count(), queryset.stale(on=on).count())


def _breakdown(index: facet_index.FacetIndex | None, queryset: CommitmentQuerySet, *, day: date | None,
               facets: tuple[str, ...]) -> tuple[dict, dict]:
    if index is not None:
        entries = catalogue.load(facets=facets)
        return index.status_counts(), {name: index.breakdown(name, entries[name].values()) for name in facets}
    by = {name: sql.country_breakdown(queryset, day=day) if name == "country"
          else sql.breakdown(queryset, TAXONOMY_FACETS[name]) for name in facets}
    return queryset.by_status_counts(), by


def entry_status_counts(queryset: CommitmentQuerySet, *, kind: str, entry_id: int) -> dict[str, int]:
    """Status -> count of the commitments filed under one taxonomy entry (``queryset``: those, ``at()`` today,
    in the country for a country's page)."""
    return entry_page(queryset, kind=kind, entry_id=entry_id, ordered=False)[0]


def entry_page(queryset: CommitmentQuerySet, *, kind: str, entry_id: int,
               ordered: bool = True) -> tuple[dict[str, int], np.ndarray | None]:
    """An entry's page: ``entry_status_counts``, and (``ordered``) the ids of its commitments in the page's order
    (the titles the page shows, as the list's default order) when the facet index answers; None: SQL sorts them.
    One look at the data version for both."""
    index = facet_index.current()
    if index is None:
        return queryset.by_status_counts(), None
    mask = index.linked_to(kind, [entry_id])
    if kind == "country":  # a country's page counts the statuses in that country (``country_status``)
        status, _ = index.in_country(entry_id)
        by_code = np.bincount(status[mask], minlength=len(facet_index.STATUS_CODES))
        counts = {slug: int(by_code[code]) for slug, code in facet_index.STATUS_CODES.items()}
    else:
        counts = index.status_counts(mask)
    return counts, index.in_title_order(mask, languages.active()) if ordered else None
