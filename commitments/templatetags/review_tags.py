"""The admin home's count of revisions of published content waiting for review."""

from django import template
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode

from .. import revisions
from ..models import Revision

register = template.Library()


@register.simple_tag
def revision_counts(user) -> dict | None:
    """Publishers: all pending revisions. Editors: their own pending and rejected ones. One query."""
    if not user.has_perm("commitments.view_revision"):
        return None
    counts = revisions.visible_to(user).aggregate(
        pending=Count("pk", filter=Q(review_state=Revision.State.PENDING)),
        rejected=Count("pk", filter=Q(review_state=Revision.State.REJECTED)),
    )
    changelist = reverse("admin:commitments_revision_changelist")
    return {
        **counts,
        "reviewer": user.has_perm(revisions.REVIEW_PERM),
        "queue_url": f"{changelist}?{urlencode({'review_state__exact': Revision.State.PENDING})}",
        "rejected_url": f"{changelist}?{urlencode({'review_state__exact': Revision.State.REJECTED})}",
    }
