"""Reads: every question the site asks of the data, asked in one place.

``Commitment.objects.public()`` is the one name for "what the public may see"; every public
surface starts from it. Status "as of a day" is answered by ``with_status_on`` only.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .status import CLOSED, Status, stale_cutoff


class StatusUpdateQuerySet(models.QuerySet):
    def published(self) -> StatusUpdateQuerySet:
        return self.filter(published_at__isnull=False)

    def drafts(self) -> StatusUpdateQuerySet:
        return self.filter(published_at__isnull=True)

    def effective_order(self) -> StatusUpdateQuerySet:
        """Latest first by as-of date; ties go to the update published last."""
        return self.order_by("-as_of", "-published_at", "-id")

    def public(self) -> StatusUpdateQuerySet:
        """Published updates of public commitments."""
        from .models import Commitment

        return self.published().filter(commitment__state=Commitment.State.PUBLISHED)


class CommitmentQuerySet(models.QuerySet):
    def public(self) -> CommitmentQuerySet:
        """What the public may see: published commitments (not drafts, not archived)."""
        return self.filter(state=self.model.State.PUBLISHED)

    def with_status_on(self, day: date) -> CommitmentQuerySet:
        """Annotate ``status_on`` and ``status_date_on``: the status as it stood on ``day``.

        From published updates with an as-of date up to and including ``day``; with none,
        "not assessed". Reports and the ``as_of`` filter both use this.
        """
        from .models import StatusUpdate

        latest = StatusUpdate.objects.published().filter(commitment=OuterRef("pk"), as_of__lte=day).effective_order()
        return self.annotate(
            status_on=Coalesce(Subquery(latest.values("status")[:1]), Value(Status.NOT_ASSESSED.value)),
            status_date_on=Subquery(latest.values("as_of")[:1]),
        )

    def overdue(self, *, on: date | None = None) -> CommitmentQuerySet:
        """A due date before ``on`` (default today) and not achieved or abandoned."""
        on = on or timezone.localdate()
        return self.filter(due_date__lt=on).exclude(current_status__in=CLOSED)

    def stale(self, *, on: date | None = None) -> CommitmentQuerySet:
        """Open, and no published update for nine months (no update: counted from date made)."""
        cutoff = stale_cutoff(on or timezone.localdate())
        return self.exclude(current_status__in=CLOSED).filter(
            Q(current_status_date__lte=cutoff) | Q(current_status_date__isnull=True, date_made__lte=cutoff)
        )

    def with_status(self, *statuses: str) -> CommitmentQuerySet:
        return self.filter(current_status__in=statuses)

    def by_status_counts(self) -> dict[str, int]:
        """Counts per status slug, every slug present (zero where none), in one query."""
        counts = dict.fromkeys(Status.values, 0)
        for row in self.order_by().values("current_status").annotate(n=models.Count("pk")):
            counts[row["current_status"]] = row["n"]
        return counts

    def for_admin(self) -> CommitmentQuerySet:
        return self.select_related("source")


def derived_status(*, commitment) -> tuple[str, date | None]:
    """The current status and its as-of date, from the commitment's published updates."""
    latest = commitment.status_updates.published().effective_order().values("status", "as_of").first()
    if latest is None:
        return Status.NOT_ASSESSED.value, None
    return latest["status"], latest["as_of"]
