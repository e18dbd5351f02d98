"""The one place that chooses how to count: the list's facets and row count, and a page's status breakdown.

Three engines give the same numbers (``tests/test_facet_index.py`` and ``tests/test_public_counts.py``
hold them to it); SQL is the reference:

- ``summary``: the ``PublicCount`` table, per taxonomy entry and current status, kept up to date
  after every public change. It answers the overview, the taxonomy pages and a list narrowed by a
  status at most, while it is current.
- ``facet_index``: the public commitments' facet values in memory (numpy). It answers any other
  list it can filter (everything but ``as_of``), while it is current.
- ``sql``: grouped queries over the rows the filters leave; everything else (``as_of``, or an
  engine out of date).

Callers ask ``list_counts`` or ``status_breakdown`` / ``entry_status_counts`` and never pick an
engine; ``facets`` only presents what ``list_counts`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import facet_index, public_counts
from ..filtersets import CommitmentFilterSet
from ..querysets import CommitmentQuerySet
from ..taxonomy import TAXONOMY_FACETS
from . import sql, summary


@dataclass(frozen=True)
class ListCounts:
    """Everything the list counts: its rows, and each facet option's count given the *other* filters."""

    rows: int  # how many commitments the list holds
    statuses: dict[str, int]  # status slug -> count
    flags: dict[str, int]  # "overdue" / "stale" -> the count of its option
    taxonomies: dict[str, dict[int, int]]  # facet -> entry id -> count


def list_counts(filterset: CommitmentFilterSet) -> ListCounts:
    """The list's counts: the summary answers a list narrowed by a status at most; the in-memory index
    any other list it can filter; SQL the rest (``as_of``, or a change mid-build)."""
    if filterset.narrowing(ignoring=("status",)) and facet_index.applies(filterset):
        index = facet_index.current()
        if index is not None:
            masks = facet_index.Masks(index, filterset)
            statuses, flags = facet_index.status_and_flag_counts(masks)
            taxonomies = facet_index.taxonomy_counts(masks, TAXONOMY_FACETS)
            return ListCounts(int(masks.without().sum()), statuses, flags, taxonomies)
    held = summary.for_list(filterset)
    if held is not None and public_counts.TOTAL in held:
        rows, statuses, flags = summary.status_and_flag_counts(filterset, held)
    else:
        rows, statuses, flags = sql.status_and_flag_counts(filterset)
    taxonomies = summary.taxonomy_counts(filterset, held)
    live = [name for name in TAXONOMY_FACETS if name not in (held or {})]
    taxonomies |= sql.taxonomy_counts(filterset, live)
    return ListCounts(rows, statuses, flags, taxonomies)


def status_breakdown(queryset: CommitmentQuerySet, *, current: bool, facets: tuple[str, ...]) -> tuple[dict, dict]:
    """A page's status counts in all, and per entry of each of ``facets`` (``theme``, ``country``).

    ``queryset`` is already ``at()`` the page's day; ``current``: that day is today (stored statuses),
    so the summary may answer. Returns (status -> n, facet -> rows of slug, name, total, counts).
    """
    held = public_counts.current(facets=(*facets, public_counts.TOTAL)) if current else None
    if held is not None:
        return public_counts.status_counts(held, public_counts.TOTAL), summary.breakdowns(held, facets)
    by = {name: sql.breakdown(queryset, TAXONOMY_FACETS[name].relation) for name in facets}
    return queryset.by_status_counts(), by


def entry_status_counts(queryset: CommitmentQuerySet, *, kind: str, entry_id: int) -> dict[str, int]:
    """Status -> count of the commitments filed under one taxonomy entry (``queryset``: those, ``at()`` today)."""
    held = public_counts.current(facets=(kind,))
    if held is not None:
        return public_counts.status_counts(held, kind, entry_id)
    return queryset.by_status_counts()
