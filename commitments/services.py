"""Writes: publishing, withdrawing and archiving (each with a public reason), and keeping derived fields true.

Keyword-only functions, each one transaction. The admin and the management commands call
these; nothing else writes ``Commitment.current_status`` or publishes anything.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from . import public_log
from . import status as rules
from .models import Commitment, CountryStatus, Evidence, ProgressReport, PublicChange, Source, StatusUpdate
from .querysets import derived_status
from .reports import pdf_store as report_pdf_store
from .reports.periods import Period, check_complete, report_titles
from .reports.snapshot import build_snapshot

logger = logging.getLogger(__name__)

PUBLISH_UPDATE_PERM = "commitments.publish_statusupdate"
PUBLISH_COMMITMENT_PERM = "commitments.publish_commitment"


def _require(user, perm: str, refusal: str) -> None:
    """``refusal``: the whole sentence (``gettext_noop``), said in the active language."""
    # user=None is the system itself (data import from the command line).
    if user is not None and not user.has_perm(perm):
        raise PermissionDenied(gettext(refusal))


def _english_snapshot(period: Period) -> dict:
    """The report's frozen figures with their words (status labels, definitions) in the default language,
    whatever language the publisher's admin is in: every rendering reads the same snapshot."""
    with translation.override(settings.LANGUAGE_CODE):
        return build_snapshot(period=period)


def _attribute_history(instance, user) -> None:
    # The history entry names the user even outside a request (the middleware covers requests only).
    if user is not None:
        instance._history_user = user


def refresh_current_status(*, commitment: Commitment) -> Commitment:
    """Recompute the commitment's current status and date from its published overall updates, and its
    status in each country from its published country updates (``refresh_country_statuses``)."""
    derived = derived_status(commitment=commitment)
    stored = (commitment.current_status, commitment.current_status_date, commitment.current_status_precision)
    if stored != derived:
        status, as_of, precision = derived
        # .update() so derived fields never create a history entry of their own.
        Commitment.objects.filter(pk=commitment.pk).update(
            current_status=status, current_status_date=as_of, current_status_precision=precision
        )
        commitment.current_status, commitment.current_status_date, commitment.current_status_precision = derived
    refresh_country_statuses(commitment=commitment)
    return commitment


def refresh_country_statuses(*, commitment: Commitment) -> None:
    """Rewrite the commitment's ``CountryStatus`` rows: per country, its latest published country update.

    Derived from the updates alone (not from the commitment's countries or scope, which the readers in
    ``country_status`` consult), so editing those needs no refresh.
    """
    latest: dict[int, StatusUpdate] = {}
    for update in (commitment.status_updates.published().exclude(country=None).effective_order()
                   .only("id", "country_id", "status", "as_of", "as_of_precision")):
        latest.setdefault(update.country_id, update)
    wanted = {country: (u.status, u.as_of, u.as_of_precision, u.pk) for country, u in latest.items()}
    held = {row.country_id: row for row in CountryStatus.objects.filter(commitment=commitment)}
    if {c: (r.status, r.status_date, r.status_precision, r.update_id) for c, r in held.items()} == wanted:
        return
    CountryStatus.objects.filter(commitment=commitment).delete()
    CountryStatus.objects.bulk_create([
        CountryStatus(commitment=commitment, country_id=country, status=status, status_date=as_of,
                      status_precision=precision, update_id=pk)
        for country, (status, as_of, precision, pk) in wanted.items()
    ])


def known_since_expression() -> Coalesce:
    """SQL, per commitment row: the earliest day it is known to exist (date made, else source date, else evidence)."""
    source_date = Source.objects.filter(pk=OuterRef("source_id")).values("date")[:1]
    first_evidence = (
        Evidence.objects.filter(commitment=OuterRef("pk"), date__isnull=False)
        .order_by().values("commitment").annotate(first=Min("date")).values("first")[:1]
    )
    return Coalesce("date_made", Subquery(source_date), Subquery(first_evidence))


def refresh_known_since(*, commitment: Commitment | None = None, source: Source | None = None) -> int:
    """Recompute ``known_since`` of one commitment, or of every commitment taken from ``source``.

    Called wherever a date made, a source's date or an evidence item changes (the admin, the
    importer). ``.update()`` (one statement), so a derived field never creates a history entry.
    Returns how many commitments were written.
    """
    if (commitment is None) == (source is None):
        raise ValueError("Give a commitment or a source.")
    rows = Commitment.objects.filter(pk=commitment.pk) if commitment is not None else source.commitments.all()
    count = rows.order_by().update(known_since=known_since_expression())
    if commitment is not None:
        commitment.known_since = rows.values_list("known_since", flat=True).first()
    return count


def check_evidence(*, update: StatusUpdate, evidence: list[Evidence]) -> None:
    """Raise ValidationError (under ``evidence``) unless the evidence shows what ``update``'s status needs.

    The rules are ``status.EVIDENCE_RULES`` and ``status.evidence_problems``.
    """
    problems = rules.evidence_problems(
        status=update.status,
        as_of=update.as_of,
        as_of_precision=update.as_of_precision,
        items=[(e.stance, e.indicates, e.date, e.date_precision) for e in evidence],
    )
    if problems:
        raise ValidationError({"evidence": problems})


def _change_reason(instance, user, reason: str) -> None:
    # The simple-history record of this save carries the public reason ("Change reason" in the admin; a
    # text column: SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD).
    _attribute_history(instance, user)
    instance._change_reason = reason


@transaction.atomic
def publish_status_update(*, update: StatusUpdate, user, reason: str, when: datetime | None = None) -> StatusUpdate:
    """Publish a draft update with a public reason: it then counts everywhere public.

    ``when`` is the publication time for imports (the assessment's own date); by default, now.
    Refused for non-publishers, without a reason, for an update without evidence or one that fails
    validation or the evidence rules (``check_evidence``), and for a withdrawn update (it stays
    withdrawn: publish a new update instead).
    """
    _require(user, PUBLISH_UPDATE_PERM, gettext_noop("Only publishers can publish status updates."))
    reason = public_log.clean_reason(reason)
    update = StatusUpdate.objects.select_for_update().select_related("commitment").get(pk=update.pk)
    if update.is_withdrawn:
        raise ValidationError(
            gettext("This update was withdrawn and stays withdrawn on the public record; add a new update instead.")
        )
    if update.is_published:
        return update
    update.full_clean()
    evidence = list(update.evidence.all())
    if not evidence:
        raise ValidationError(
            gettext("A status update needs at least one piece of evidence before it can be published."))
    for item in evidence:
        item.full_clean()
    check_evidence(update=update, evidence=evidence)
    update.published_at = when or timezone.now()
    update.published_by = user
    update.publish_reason = reason
    _change_reason(update, user, reason)
    update.save(update_fields=["published_at", "published_by", "publish_reason", "updated_at"])
    public_log.record(
        kind=PublicChange.Kind.UPDATE_PUBLISHED,
        subject=update.commitment,
        reason=reason,
        by=user,
        status_update=update,
        when=update.published_at,
    )
    refresh_current_status(commitment=update.commitment)
    return update


@transaction.atomic
def withdraw_status_update(*, update: StatusUpdate, user, reason: str) -> StatusUpdate:
    """Withdraw a published update, with a public reason (e.g. it was published in error).

    It stays on the public record (page and feed) as withdrawn, with its reason, and counts for no
    status: the commitment's current status is recomputed without it. ``published_at`` is kept.
    """
    _require(user, PUBLISH_UPDATE_PERM, gettext_noop("Only publishers can withdraw status updates."))
    reason = public_log.clean_reason(reason)
    update = StatusUpdate.objects.select_for_update().select_related("commitment").get(pk=update.pk)
    if update.is_withdrawn:
        return update
    if not update.was_published:
        raise ValidationError(
            gettext("Only a published update can be withdrawn; a draft can simply be deleted or edited."))
    update.withdrawn_at = timezone.now()
    update.withdrawn_by = user
    update.withdraw_reason = reason
    _change_reason(update, user, reason)
    update.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason", "updated_at"])
    public_log.record(
        kind=PublicChange.Kind.UPDATE_WITHDRAWN,
        subject=update.commitment,
        reason=reason,
        by=user,
        status_update=update,
        when=update.withdrawn_at,
    )
    refresh_current_status(commitment=update.commitment)
    return update


NO_RETURN_TO_DRAFT = gettext_noop(
    "A commitment that has been public cannot go back to draft: readers may have cited it. "
    "Archive it instead (its address then says why it was withdrawn)."
)


@transaction.atomic
def set_commitment_state(
    *, commitment: Commitment, state: str, user, reason: str, when: datetime | None = None
) -> Commitment:
    """Publish or archive a commitment, with a public reason (publishers only).

    ``when`` dates the change-history entry when it is not now (an import gives the day its dataset
    was compiled, never the install time).

    The change history gets "published" the first time, "archived", and "restored" when an archived
    commitment is published again. A commitment that has been public never returns to draft, and a
    draft (never public) cannot be archived: there is nothing public to withdraw.
    """
    _require(user, PUBLISH_COMMITMENT_PERM, gettext_noop("Only publishers can publish or archive commitments."))
    if state not in Commitment.State.values:
        raise ValidationError(f"Unknown commitment state {state!r}.")
    reason = public_log.clean_reason(reason)
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.state == state:
        return commitment
    if state == Commitment.State.DRAFT:
        raise ValidationError(gettext(NO_RETURN_TO_DRAFT))
    if state == Commitment.State.ARCHIVED and commitment.state == Commitment.State.DRAFT:
        raise ValidationError(
            gettext("A draft has never been public, so there is nothing to archive: leave it as a draft."))
    if state == Commitment.State.ARCHIVED:
        kind = PublicChange.Kind.ARCHIVED
    elif commitment.state == Commitment.State.ARCHIVED:
        kind = PublicChange.Kind.RESTORED
    else:
        kind = PublicChange.Kind.PUBLISHED
    commitment.state = state
    _change_reason(commitment, user, reason)
    commitment.save()
    public_log.record(kind=kind, subject=commitment, reason=reason, by=user, when=when)
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
            raise ValidationError(gettext("Only a published report can be superseded."))
        existing = same_period.filter(supersedes=supersedes).first()
    else:
        existing = same_period.exclude(superseded_by__isnull=False).order_by("-created_at", "-id").first()
    if existing is not None and existing.is_published and supersedes is None:
        return existing, False
    snapshot = _english_snapshot(period)
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
    report = ProgressReport(
        slug=slug,
        **report_titles(period.label, correction=supersedes is not None),
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
    _require(user, PUBLISH_REPORT_PERM, gettext_noop("Only publishers can publish progress reports."))
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if report.is_published:
        return report
    period = Period(report.slug, report.period_label, report.start, report.end)
    report.snapshot = _english_snapshot(period)
    report.state = ProgressReport.State.PUBLISHED
    report.published_at = timezone.now()
    report.published_by = user
    report.save()
    return report
