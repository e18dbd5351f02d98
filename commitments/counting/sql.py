"""The reference engine: counts in SQL over the rows the filters leave (any filter, ``as_of`` included)."""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import CharField, Count, F, Value

from .. import country_status
from .. import status as rules
from ..aggregates import union_all
from ..filtersets import CommitmentFilterSet
from ..languages import OTHERS
from ..querysets import FLAG_COLUMNS, CommitmentQuerySet
from ..taxonomy import TAXONOMY_FACETS, Taxonomy, link_table

FLAGS = ("overdue", "stale")
STATUS_FILTERS = ("status", *FLAGS)  # the filters that read a status
# Every parameter but those: ``narrowing(ignoring=STATUS_FREE)`` names the status filters in use.
STATUS_FREE = tuple(name for name in ("q", *TAXONOMY_FACETS, "due_after", "due_before", "as_of"))


def status_and_flag_counts(filterset: CommitmentFilterSet) -> tuple[int, dict, dict]:
    """The list's rows, the status facet's counts (status -> n) and the flag options' counts (flag -> n).

    One grouped query over the rows the other filters leave, ignoring the status and both flags,
    counts per status all, overdue, stale and both; every number here is a sum of those. (A flag's
    option counts the rows with that flag switched on, so it is the same number whether the flag
    is on now or not.)
    """
    cleaned = filterset.form.cleaned_data
    grouped = filterset.queryset_without("status", *FLAGS).by_status_and_flag_counts(on=cleaned.get("as_of"))
    overdue, stale = (cleaned.get(name) == "1" for name in FLAGS)
    chosen = cleaned.get("status") or list(grouped)
    statuses = {slug: row[FLAG_COLUMNS[overdue, stale]] for slug, row in grouped.items()}
    flags = {
        "overdue": sum(grouped[slug][FLAG_COLUMNS[True, stale]] for slug in chosen),
        "stale": sum(grouped[slug][FLAG_COLUMNS[overdue, True]] for slug in chosen),
    }
    return sum(statuses[slug] for slug in chosen), statuses, flags


def taxonomy_counts(filterset: CommitmentFilterSet, names: list[str]) -> dict[str, dict[int, int]]:
    """Per taxonomy facet of ``names``: entry id -> count of the rows the *other* filters leave.

    One query for all of them (a ``UNION ALL``), each part grouping the link rows of just the
    commitments its facet's filters leave, so a narrow filter means little work.
    """
    counts: dict[str, dict[int, int]] = {name: {} for name in names}
    parts = []
    for name in names:
        taxonomy = TAXONOMY_FACETS[name]
        remaining = filterset.queryset_without(name)
        if name == "country" and filterset.narrowing(ignoring=STATUS_FREE):
            # Each country's option counts the commitments with *its own* status among the chosen.
            through, option = link_table(taxonomy.relation)
            remaining = filterset.queryset_without(name, *STATUS_FILTERS)
            rows = _links_passing(filterset, through.objects.filter(commitment__in=remaining.values("pk")))
        elif taxonomy.is_linked:
            through, option = link_table(taxonomy.relation)
            rows = through.objects.filter(commitment__in=remaining.values("pk"))
        else:
            rows, option = remaining, "source_id"
        facet = Value(name, output_field=CharField())
        parts.append(rows.order_by().values(facet=facet, option=F(option)).annotate(n=Count("*")))
    if parts:
        for row in union_all(parts):
            if row["option"] is not None:
                counts[row["facet"]][row["option"]] = row["n"]
    return counts


def _links_passing(filterset: CommitmentFilterSet, links: models.QuerySet) -> models.QuerySet:
    """The country links whose status *in that country* passes the status, overdue and stale filters."""
    cleaned = filterset.form.cleaned_data
    on = filterset.on
    link_status, link_date = country_status.link_annotations(day=cleaned.get("as_of"))
    links = links.annotate(link_status=link_status, link_date=link_date)
    if cleaned.get("status"):
        links = links.filter(link_status__in=cleaned["status"])
    if cleaned.get("overdue") == "1":
        links = links.filter(rules.open_q("link_status"), rules.past_due_q(on, via="commitment__"))
    if cleaned.get("stale") == "1":
        links = links.filter(rules.open_q("link_status"),
                             rules.quiet_q(status_date="link_date", on=on, via="commitment__"))
    return links


def breakdown(queryset: CommitmentQuerySet, taxonomy: Taxonomy) -> list[dict]:
    """Per entry of ``taxonomy``: slug, name, total and status counts, one grouped query."""
    relation, label = taxonomy.relation, f"{taxonomy.relation}__{taxonomy.label_field}"
    rows: dict[str, dict] = {}
    for row in (
        queryset.order_by()
        .values(f"{relation}__slug", label, *(f"{label}_{code}" for code in OTHERS), "eff_status")
        .annotate(n=models.Count("pk"))
    ):
        slug = row[f"{relation}__slug"]
        if slug is None:
            continue
        entry = rows.setdefault(slug, {"slug": slug, "name": row[label],
                                       **{f"name_{code}": row[f"{label}_{code}"] for code in OTHERS},
                                       "total": 0, "counts": {}})
        entry["counts"][row["eff_status"]] = row["n"]
        entry["total"] += row["n"]
    return list(rows.values())


def country_breakdown(queryset: CommitmentQuerySet, *, day: date | None) -> list[dict]:
    """Per country: slug, name, total and counts of its commitments' statuses *in that country* (now, or on
    ``day``), one grouped query over the link rows of ``queryset``."""
    through, _ = link_table("countries")
    link_status, _ = country_status.link_annotations(day=day)
    rows: dict[str, dict] = {}
    links = (through.objects.filter(commitment__in=queryset.order_by().values("pk"))
             .annotate(link_status=link_status).order_by()
             .values("country__slug", "country__name", *(f"country__name_{code}" for code in OTHERS), "link_status")
             .annotate(n=models.Count("pk")))
    for row in links:
        slug = row["country__slug"]
        entry = rows.setdefault(slug, {"slug": slug, "name": row["country__name"],
                                       **{f"name_{code}": row[f"country__name_{code}"] for code in OTHERS},
                                       "total": 0, "counts": {}})
        entry["counts"][row["link_status"]] = row["n"]
        entry["total"] += row["n"]
    return list(rows.values())
