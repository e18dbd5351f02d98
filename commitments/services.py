"""Writes: publishing and unpublishing, and keeping derived fields true.

Keyword-only functions, each one transaction. The admin and the management commands call
these; nothing else writes ``Commitment.current_status`` or publishes anything.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from .models import Commitment, ProgressReport, StatusUpdate
from .querysets import derived_status
from .reports import pdf_store as report_pdf_store
from .reports.periods import Period, check_complete
from .reports.snapshot import build_snapshot

logger = logging.getLogger(__name__)

PUBLISH_UPDATE_PERM = "commitments.publish_statusupdate"
PUBLISH_COMMITMENT_PERM = "commitments.publish_commitment"


def _require(user, perm: str, what: str) -> None:
    # user=None is the system itself (data import from the command line).
    if user is not None and not user.has_perm(perm):
        raise PermissionDenied(f"Only publishers can {what}.")


HISTORY_REASON_MAX = 100  # django-simple-history's change-reason column


def _history_reason(instance, reason: str) -> None:
    # The admin history shows why (its column is short: the whole reason is kept on the record itself).
    if reason:
        instance._change_reason = Truncator(reason).chars(HISTORY_REASON_MAX)


def _attribute_history(instance, user) -> None:
    # The history entry names the user even outside a request (the middleware covers requests only).
    if user is not None:
        instance._history_user = user


def refresh_current_status(*, commitment: Commitment) -> Commitment:
    """Recompute the commitment's current status and date from its published updates."""
    status, as_of = derived_status(commitment=commitment)
    if (commitment.current_status, commitment.current_status_date) != (status, as_of):
        # .update() so derived fields never create a history entry of their own.
        Commitment.objects.filter(pk=commitment.pk).update(current_status=status, current_status_date=as_of)
        commitment.current_status, commitment.current_status_date = status, as_of
    return commitment


@transaction.atomic
def publish_status_update(
    *, update: StatusUpdate, user, reason: str = "", when: datetime | None = None
) -> StatusUpdate:
    """Publish a draft update: it then counts everywhere public.

    ``reason`` is the public reason (kept in ``publish_reason``); ``when`` is the publication time
    when it is not now (an import gives the assessment's own date). Refused for non-publishers, and
    for an update without evidence or one that fails validation.
    """
    _require(user, PUBLISH_UPDATE_PERM, "publish status updates")
    update = StatusUpdate.objects.select_for_update().select_related("commitment").get(pk=update.pk)
    if update.is_published:
        return update
    update.full_clean()
    evidence = list(update.evidence.all())
    if not evidence:
        raise ValidationError("A status update needs at least one piece of evidence before it can be published.")
    for item in evidence:
        item.full_clean()
    update.published_at = when or timezone.now()
    update.published_by = user
    if reason:
        update.publish_reason = reason
    _history_reason(update, reason)
    _attribute_history(update, user)
    update.save(update_fields=["published_at", "published_by", "publish_reason", "updated_at"])
    refresh_current_status(commitment=update.commitment)
    return update


@transaction.atomic
def unpublish_status_update(*, update: StatusUpdate, user) -> StatusUpdate:
    """Withdraw a published update back to draft (e.g. it was published in error)."""
    _require(user, PUBLISH_UPDATE_PERM, "unpublish status updates")
    update = StatusUpdate.objects.select_for_update().select_related("commitment").get(pk=update.pk)
    if not update.is_published:
        return update
    update.published_at = None
    update.published_by = None
    _attribute_history(update, user)
    update.save(update_fields=["published_at", "published_by", "updated_at"])
    refresh_current_status(commitment=update.commitment)
    return update


@transaction.atomic
def set_commitment_state(*, commitment: Commitment, state: str, user, reason: str = "") -> Commitment:
    """Publish, archive or return a commitment to draft (publishers only); ``reason`` goes in its history."""
    _require(user, PUBLISH_COMMITMENT_PERM, "publish or archive commitments")
    if state not in Commitment.State.values:
        raise ValidationError(f"Unknown commitment state {state!r}.")
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.state != state:
        commitment.state = state
        _history_reason(commitment, reason)
        _attribute_history(commitment, user)
        commitment.save()
    return commitment


# --- progress reports -------------------------------------------------------------------

PUBLISH_REPORT_PERM = "commitments.publish_progressreport"


@transaction.atomic
def prepare_report(
    *, period, user=None, supersedes=None, today=None, introduction: str = ""
) -> tuple[ProgressReport, bool]:
    """Create the draft report for ``period``, or refresh the figures of its existing draft.

    Returns ``(report, created)``. A published report for the period is returned unchanged,
    unless ``supersedes`` names it: then a new draft correction is made.
    """
    check_complete(period, today=today or timezone.localdate())
    same_period = ProgressReport.objects.select_for_update().filter(start=period.start, end=period.end)
    if supersedes is not None:
        if not supersedes.is_published:
            raise ValidationError("Only a published report can be superseded.")
        existing = same_period.filter(supersedes=supersedes).first()
    else:
        existing = same_period.exclude(superseded_by__isnull=False).order_by("-created_at", "-id").first()
    if existing is not None and existing.is_published and supersedes is None:
        return existing, False
    snapshot = build_snapshot(period=period)
    if existing is not None:
        existing.snapshot = snapshot
        if introduction:
            existing.introduction = introduction
        existing.save()
        return existing, False
    slug = period.slug
    n = 1
    while ProgressReport.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{period.slug}-{n}"
    title = f"Progress report {period.label}" + (" (correction)" if supersedes else "")
    report = ProgressReport(
        slug=slug,
        title=title,
        period_label=period.label,
        start=period.start,
        end=period.end,
        snapshot=snapshot,
        supersedes=supersedes,
        created_by=user,
        introduction=introduction,
    )
    report.full_clean()
    report.save()
    return report, True


def publish_report(*, report: ProgressReport, user) -> ProgressReport:
    """Freeze the figures as they stand now and make the report public, then store its PDF. Publishers only.

    The PDF is rendered after the publish commits (seconds at real size: no transaction waits on
    it). Should that fail, the report stays published and the first request for its PDF renders it.
    """
    report = _freeze_report(report=report, user=user)
    try:
        report_pdf_store.ensure_stored(report)
    except Exception:
        logger.exception("Report %s is published; its PDF will be rendered on the first request for it.", report.slug)
    return report


@transaction.atomic
def _freeze_report(*, report: ProgressReport, user) -> ProgressReport:
    _require(user, PUBLISH_REPORT_PERM, "publish progress reports")
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if report.is_published:
        return report
    period = Period(report.slug, report.period_label, report.start, report.end)
    report.snapshot = build_snapshot(period=period)
    report.state = ProgressReport.State.PUBLISHED
    report.published_at = timezone.now()
    report.published_by = user
    report.save()
    return report
