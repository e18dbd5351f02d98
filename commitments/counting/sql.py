"""The reference engine: counts in SQL over the rows the filters leave (any filter, ``as_of`` included)."""

from __future__ import annotations

from django.db import models
from django.db.models import CharField, Count, F, Value

from ..aggregates import union_all
from ..filtersets import CommitmentFilterSet
from ..querysets import FLAG_COLUMNS, CommitmentQuerySet
from ..taxonomy import TAXONOMY_FACETS, Taxonomy, link_table

FLAGS = ("overdue", "stale")


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
        if taxonomy.is_linked:
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


def breakdown(queryset: CommitmentQuerySet, taxonomy: Taxonomy) -> list[dict]:
    """Per entry of ``taxonomy``: slug, name, total and status counts, one grouped query."""
    relation, label = taxonomy.relation, f"{taxonomy.relation}__{taxonomy.label_field}"
    rows: dict[str, dict] = {}
    for row in (
        queryset.order_by()
        .values(f"{relation}__slug", label, "eff_status")
        .annotate(n=models.Count("pk"))
    ):
        slug = row[f"{relation}__slug"]
        if slug is None:
            continue
        entry = rows.setdefault(slug, {"slug": slug, "name": row[label], "total": 0, "counts": {}})
        entry["counts"][row["eff_status"]] = row["n"]
        entry["total"] += row["n"]
    return list(rows.values())
