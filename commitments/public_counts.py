"""The ``PublicCount`` summary: per taxonomy entry and status, how many public commitments.

Grouping every link row (300,000 at 100,000 commitments) on each overview and unfiltered list
is what made them slow; the summary holds those few thousand numbers instead. It is rebuilt
right after any change to public data commits (``cache.bump`` schedules it), and read only
while it was built at the current data version: otherwise readers count live. So it can lag
a change by the time a rebuild takes, but a page never shows a wrong count.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import CharField, Count, Exists, F, IntegerField, Value

from .aggregates import union_all
from .models import Commitment, PublicCount, PublicDataVersion
from .querysets import public_links
from .status import Status
from .taxonomy import TAXONOMY_FACETS, link_table

# facet -> entry id -> status -> count
Counts = dict[str, dict[int, dict[str, int]]]
TOTAL = "total"  # the pseudo-facet of all public commitments by status (entry id 0)
FACETS = (*TAXONOMY_FACETS, TOTAL)


def live_rows(*, facets=FACETS) -> list[tuple[str, int, str, int]]:
    """(facet, entry id, status, count) for every public commitment, grouped in SQL: one query."""
    parts = []
    for name in facets:
        facet = Value(name, output_field=CharField())
        relation = None if name == TOTAL else TAXONOMY_FACETS[name].relation
        if relation in (None, "source"):
            entry = Value(0, output_field=IntegerField()) if relation is None else F("source_id")
            rows = Commitment.objects.public().values(facet=facet, entry=entry, status=F("current_status"))
        else:
            through, target = link_table(relation)
            rows = public_links(through).values(
                facet=facet, entry=F(target), status=F("commitment__current_status")
            )
        parts.append(rows.order_by().annotate(n=Count("*")).values_list("facet", "entry", "status", "n"))
    return list(union_all(parts))


def _as_counts(rows, facets) -> Counts:
    counts: Counts = {name: defaultdict(dict) for name in facets}
    for facet, entry, status, n in rows:
        if entry is not None:
            counts[facet][entry][status] = n
    return counts


def status_counts(summary: Counts, facet: str, entry: int = 0) -> dict[str, int]:
    """Every status's count for one entry of ``facet`` (``TOTAL``: entry 0), zeros included."""
    return dict.fromkeys(Status.values, 0) | summary[facet].get(entry, {})


def current(*, facets=FACETS) -> Counts | None:
    """The summary for ``facets`` if it is up to date, else None (count live). One query.

    A marker row, present only while the summary matches the data version, tells "up to date
    and empty" from "out of date".
    """
    up_to_date = PublicDataVersion.objects.filter(pk=1, token=F("counts_token")).exclude(token="")
    rows = PublicCount.objects.filter(Exists(up_to_date), facet__in=list(facets))
    marker = (
        up_to_date.annotate(
            facet=Value("", output_field=CharField()),
            entry=Value(None, output_field=IntegerField()),
            status=Value("", output_field=CharField()),
            n=Value(0, output_field=IntegerField()),
        )
        .values_list("facet", "entry", "status", "n")
    )
    found = list(marker.union(rows.values_list("facet", "entry_id", "status", "count"), all=True))
    if not any(facet == "" for facet, *_ in found):
        return None
    return _as_counts(found, facets)


def refresh() -> bool:
    """Rebuild the summary for the current data version. False when the data changed meanwhile.

    Counting happens outside the lock; the swap is one short transaction that first checks
    the version is still the one counted, so a concurrent change is never labelled current.
    """
    token = PublicDataVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if not token:
        return False
    rows = live_rows()
    with transaction.atomic():
        version = PublicDataVersion.objects.select_for_update().filter(pk=1).first()
        if version is None or version.token != token:
            return False
        PublicCount.objects.all().delete()
        PublicCount.objects.bulk_create(
            [PublicCount(facet=f, entry_id=e, status=s, count=n) for f, e, s, n in rows if e is not None],
            batch_size=2000,
        )
        PublicDataVersion.objects.filter(pk=1, token=token).update(counts_token=token)
    return True


def refresh_if_stale() -> None:
    if PublicDataVersion.objects.filter(pk=1).exclude(token=F("counts_token")).exists():
        refresh()


def schedule_refresh() -> None:
    """Rebuild once the current transaction commits (at once outside one).

    A transaction that bumps many times queues many callbacks; all but the first find the
    summary current and stop after one query.
    """
    transaction.on_commit(refresh_if_stale, robust=True)  # a failed rebuild only means live counts
