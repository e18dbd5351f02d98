"""Atom feed of published status updates, newest first; accepts the list's filters."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.db.models import Exists, OuterRef
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from .filtersets import CommitmentFilterSet
from .models import StatusUpdate

FEED_SIZE = 50


class UpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = "Commitments Tracker: status updates"
    subtitle = "Published status updates, newest first."
    link = reverse_lazy("commitments:list")

    def get_object(self, request, *args, **kwargs):
        filterset = CommitmentFilterSet(request.GET, request=request)
        if not filterset.is_valid():
            raise BadRequest("; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()))
        return filterset

    def items(self, filterset):
        commitments = filterset.qs.order_by()
        if filterset.narrows:
            # Perhaps few commitments match: start from them, then sort their updates.
            updates = StatusUpdate.objects.public().filter(commitment__in=commitments.values("pk"))
        else:
            # Every public commitment: walk the published updates newest first, checking each one's
            # commitment, until the feed is full (SQLite otherwise sorted all million of them).
            updates = StatusUpdate.objects.published().filter(Exists(commitments.filter(pk=OuterRef("commitment_id"))))
        if filterset.as_of_date:  # as it stood that day: no update dated later
            updates = updates.filter(as_of__lte=filterset.as_of_date)
        return updates.select_related("commitment").order_by("-published_at", "-id")[:FEED_SIZE]

    def item_title(self, item):
        return f"{item.commitment.title}: {item.get_status_display()} (as of {item.as_of:%d %b %Y})"

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        # The fragment makes each update's link (and so its Atom id) unique.
        return f"{item.commitment.get_absolute_url()}#update-{item.pk}"

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
