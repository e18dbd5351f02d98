"""Counting from the ``PublicCount`` summary (maintained by ``public_counts``), where it can answer."""

from __future__ import annotations

from .. import catalogue, public_counts
from ..filtersets import CommitmentFilterSet
from ..public_counts import Counts
from ..taxonomy import TAXONOMY_FACETS

FLAGS = ("overdue", "stale")


def _only_status(filterset: CommitmentFilterSet, facet: str) -> bool:
    """True when the rows ``facet`` counts are narrowed by a status choice at most (no ``as_of`` either)."""
    return not filterset.narrowing(ignoring=(facet, "status"))


def for_list(filterset: CommitmentFilterSet) -> Counts | None:
    """The summary of every facet it can answer for this list, if up to date (one query), else None.

    It can answer a facet whose other filters are at most a status choice (no ``as_of`` either):
    so the status facet (which ignores the status filter) only when no other filter is active.
    """
    names = [name for name in TAXONOMY_FACETS if _only_status(filterset, name)]
    if _only_status(filterset, "status"):
        names.append(public_counts.TOTAL)
    return public_counts.current(facets=names) if names else None


def status_and_flag_counts(filterset: CommitmentFilterSet, summary: Counts) -> tuple[int, dict, dict]:
    """With nothing chosen but a status: the statuses from the summary, each flag one range of an index."""
    statuses = public_counts.status_counts(summary, public_counts.TOTAL)
    on = filterset.form.cleaned_data.get("as_of")
    flags = {name: getattr(filterset.queryset_without(name), name)(on=on).count() for name in FLAGS}
    chosen = filterset.form.cleaned_data.get("status") or list(statuses)
    return sum(statuses[slug] for slug in chosen), statuses, flags


def taxonomy_counts(filterset: CommitmentFilterSet, summary: Counts | None) -> dict[str, dict[int, int]]:
    """Per taxonomy facet the summary holds: entry id -> count among the chosen statuses (all when none)."""
    counts: dict[str, dict[int, int]] = {}
    statuses = filterset.form.cleaned_data.get("status") or None
    for name in TAXONOMY_FACETS:
        if name not in (summary or {}):
            continue
        counts[name] = {}
        for entry, by_status in summary[name].items():
            n = sum(c for status, c in by_status.items() if statuses is None or status in statuses)
            if n:
                counts[name][entry] = n
    return counts


def breakdowns(summary: Counts, facets: tuple[str, ...]) -> dict[str, list[dict]]:
    """Per facet of ``facets``: each entry's slug, name, total and status counts (one query for the names)."""
    out = {}
    for facet, entries in catalogue.load(facets=facets).items():
        rows = []
        for entry in entries.values():
            by_status = summary[facet].get(entry.id)
            if by_status:
                rows.append({"slug": entry.slug, "name": entry.label, "total": sum(by_status.values()),
                             "counts": dict(by_status)})
        out[facet] = rows
    return out
