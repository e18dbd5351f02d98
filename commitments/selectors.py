"""Page reads: what each public page reads, from the QuerySets' questions (``querysets.py``).

``Commitment.objects.public()`` is the one name for "what the public may see"; every public
surface starts from it. Status "as of a day" is answered by ``with_status_on`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models
from django.db.models import F, Prefetch, Q, Value

from . import counting
from .aggregates import union_all
from .models import Evidence, PublicChange, Revision
from .querysets import CommitmentQuerySet
from .status import scale
from .taxonomy import LINKED, Entry, link_table

# --- what each public page reads ----------------------------------------------------------


def for_list(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    """Rows of the list, taxonomy pages and exports: source joined, themes and countries prefetched."""
    return queryset.select_related("source").prefetch_related("themes", "countries")


def for_detail(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    return queryset.select_related("source", "attributed_to")


def taxonomies_of(*, commitment) -> dict[str, list]:
    """The commitment's actors, countries and themes (``Entry``: slug and label), each by name: one query."""
    parts = []
    for name, taxonomy in LINKED.items():
        links = link_table(taxonomy.relation)[0].objects.filter(commitment=commitment).order_by()
        facet = Value(name, output_field=models.CharField())
        columns = {"facet": facet, "entry": F(f"{name}_id"), "slug": F(f"{name}__slug"), "label": F(f"{name}__name")}
        parts.append(links.annotate(**columns).values_list(*columns))
    found: dict[str, list] = {name: [] for name in LINKED}
    # Ordered by the database, like the taxonomy models' own ordering (its collation, not Python's).
    for facet, pk, slug, label in union_all(parts).order_by("label", "entry"):
        found[facet].append(Entry(pk, slug, label))
    return found


def public_timeline(*, commitment) -> list:
    """The commitment's updates on the public record, newest first, each with its evidence.

    Withdrawn updates are listed too (the page shows them collapsed, with the withdrawal's date and
    reason); they count for no status.
    """
    evidence = Prefetch("evidence", queryset=Evidence.objects.on_record())
    return list(commitment.status_updates.on_record().effective_order().prefetch_related(evidence))


def public_changes(*, commitment) -> list[PublicChange]:
    """The public change history of the commitment, newest first: one query.

    Every ``PublicChange`` of the commitment (publication, corrections, assessments, withdrawals,
    archiving) and the corrections of the sources it is quoted from (their title and address are
    shown on its page). Each entry has its date, kind, reason and, for cited words, old and new text.
    """
    sources = [pk for pk in (commitment.source_id, commitment.attributed_to_id) if pk]
    mine = Q(commitment=commitment) | Q(subject_type=Revision.Subject.SOURCE, subject_id__in=sources)
    return list(
        PublicChange.objects.filter(mine)
        .select_related("status_update")
        .order_by("-happened_at", "-id")
    )


def archive_notice(*, commitment) -> PublicChange | None:
    """The entry that archived the commitment (its date and public reason), or None if none was recorded."""
    return (
        PublicChange.objects.filter(commitment=commitment, kind=PublicChange.Kind.ARCHIVED)
        .order_by("-happened_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Segment:
    slug: str
    label: str
    definition: str
    count: int
    percent: float
    offset: float


def status_bar(counts: dict[str, int]) -> list[Segment]:
    """The status counts as bar segments (every status, zeros included, in scale order)."""
    total = sum(counts.values()) or 1
    segments, offset = [], 0.0
    for info in scale():
        percent = 100 * counts.get(info.slug, 0) / total
        segments.append(Segment(info.slug, info.label, info.definition, counts.get(info.slug, 0), percent, offset))
        offset += percent
    return segments


def _with_bars(rows) -> list[dict]:
    for entry in rows:
        entry["bar"] = status_bar(entry["counts"])
    return sorted(rows, key=lambda e: (-e["total"], e["name"]))


def overview(*, queryset: CommitmentQuerySet, on: date, current: bool, limit: int = 8) -> dict:
    """Everything the overview page shows, for the day ``on`` (queryset already ``at()`` that day).

    ``current``: the day is today and the statuses are the stored ones, so the per-theme and
    per-country counts may come from the ``PublicCount`` summary when it is up to date.
    """
    counts, by = counting.status_breakdown(queryset, current=current, facets=("theme", "country"))
    # Order by the stored column itself when it is the one shown, so the index gives the order.
    assessed = "current_status_date" if current else "eff_status_date"
    recent = queryset.exclude(eff_status_date=None).order_by(F(assessed).desc(), "title")
    overdue = queryset.overdue(on=on).order_by("due_date", "title")
    stale = queryset.stale(on=on).order_by(F(assessed).asc(nulls_first=True), "date_made", "title")
    return {
        "total": sum(counts.values()),
        "bar": status_bar(counts),
        "by_theme": _with_bars(by["theme"]),
        "by_country": _with_bars(by["country"]),
        "recent": list(for_list(recent)[:limit]),
        "overdue": list(for_list(overdue)[:limit]),
        "overdue_count": overdue.count(),
        "stale": list(for_list(stale)[:limit]),
        "stale_count": stale.count(),
    }
