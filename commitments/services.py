"""Writes: publishing and unpublishing, and keeping derived fields true.

Keyword-only functions, each one transaction. The admin and the management commands call
these; nothing else writes ``Commitment.current_status`` or publishes anything.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Commitment, StatusUpdate
from .selectors import derived_status

PUBLISH_UPDATE_PERM = "commitments.publish_statusupdate"
PUBLISH_COMMITMENT_PERM = "commitments.publish_commitment"


def _require(user, perm: str, what: str) -> None:
    # user=None is the system itself (data import from the command line).
    if user is not None and not user.has_perm(perm):
        raise PermissionDenied(f"Only publishers can {what}.")


def refresh_current_status(*, commitment: Commitment) -> Commitment:
    """Recompute the commitment's current status and date from its published updates."""
    status, as_of = derived_status(commitment=commitment)
    if (commitment.current_status, commitment.current_status_date) != (status, as_of):
        # .update() so derived fields never create a history entry of their own.
        Commitment.objects.filter(pk=commitment.pk).update(current_status=status, current_status_date=as_of)
        commitment.current_status, commitment.current_status_date = status, as_of
    return commitment


@transaction.atomic
def publish_status_update(*, update: StatusUpdate, user) -> StatusUpdate:
    """Publish a draft update: it then counts everywhere public.

    Refused for non-publishers, and for an update without evidence or one that fails validation.
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
    update.published_at = timezone.now()
    update.published_by = user
    update.save(update_fields=["published_at", "published_by", "updated_at"])
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
    update.save(update_fields=["published_at", "published_by", "updated_at"])
    refresh_current_status(commitment=update.commitment)
    return update


@transaction.atomic
def set_commitment_state(*, commitment: Commitment, state: str, user) -> Commitment:
    """Publish, archive or return a commitment to draft (publishers only)."""
    _require(user, PUBLISH_COMMITMENT_PERM, "publish or archive commitments")
    if state not in Commitment.State.values:
        raise ValidationError(f"Unknown commitment state {state!r}.")
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.state != state:
        commitment.state = state
        commitment.save()
    return commitment
