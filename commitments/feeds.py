"""Atom feed of status updates, newest first; accepts the list's filters.

Each update on the public record is an entry from its publication on; a withdrawn update keeps that
entry (readers who saw it keep their link) and adds one of its own, "Withdrawn: …", with the reason,
dated when it was withdrawn.

With ``country`` filters the feed lists the updates that describe those countries (``country_status``):
a per-country commitment's updates for them, and a regional commitment's overall updates; never another
country's update, nor a per-country commitment's overall one. Each entry says what it describes: a
country update's title names its country, and every entry has a category (the country, "Regional" or
"Overall").

In the language of its address (``/ru/feeds/updates.atom``: the feed's ``xml:lang`` is ``ru``): its words
come from the templates under ``templates/feeds/`` (the templates' catalog), the commitments' titles and the
updates' summaries are the Russian ones where there are (the English ones where not). Categories stay the
same terms in every language (readers' filters match on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from . import country_status
from .filtersets import CommitmentFilterSet
from .models import StatusUpdate

FEED_SIZE = 50


@dataclass(frozen=True)
class Entry:
    """One feed entry: an update's publication, or its withdrawal."""

    update: StatusUpdate
    withdrawal: bool

    @property
    def when(self) -> datetime:
        return self.update.withdrawn_at if self.withdrawal else self.update.published_at

    @property
    def per_country(self) -> bool:
        return self.update.commitment.assessment_scope == country_status.PER_COUNTRY


def _query(filterset) -> str:
    """The filters a feed was asked with, as a query string ("" for the whole feed)."""
    given = filterset.data.copy()
    for name in [name for name, values in given.lists() if not any(values)]:
        del given[name]  # an empty field of the list's form filters nothing
    return f"?{given.urlencode()}" if given else ""


def category(update: StatusUpdate) -> str:
    """What an update assesses, as the entry's category (the same term in every language): its country,
    "Overall" (a per-country commitment's overall status) or "Regional" (a regional commitment's)."""
    if update.country_id:
        return update.country.name
    if update.commitment.assessment_scope == country_status.PER_COUNTRY:
        return "Overall"
    return "Regional"


def _words(part: str) -> str:
    return render_to_string("feeds/updates_feed.txt", {"part": part}).strip()


class UpdatesFeed(Feed):
    feed_type = Atom1Feed

    def title(self, filterset) -> str:
        return _words("title")

    def subtitle(self, filterset) -> str:
        return _words("subtitle")

    def author_name(self, filterset) -> str:  # Atom (RFC 4287, 4.1.1) wants an author for the feed or every entry
        return _words("author")

    def get_object(self, request, *args, **kwargs):
        filterset = CommitmentFilterSet(request.GET, request=request)
        if not filterset.is_valid():
            raise BadRequest("; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()))
        return filterset

    # A filtered feed is a feed of its own: its "self" link keeps the filters (a reader that follows it
    # stays subscribed to what was asked for), and its alternate link, which is also its Atom id, is the
    # list with the same filters, so two feeds of different filters never share an id.
    def link(self, filterset) -> str:
        return f"{reverse('commitments:list')}{_query(filterset)}"

    def feed_url(self, filterset) -> str:
        return f"{reverse('commitments:feed')}{_query(filterset)}"

    def items(self, filterset) -> list[Entry]:
        commitments = filterset.qs.order_by()
        if filterset.narrows:
            # Perhaps few commitments match: start from them, then sort their updates.
            updates = StatusUpdate.objects.on_record().filter(commitment__in=commitments.values("pk"))
        else:
            # Every public commitment: walk the updates newest first, checking each one's commitment,
            # until the feed is full (SQLite otherwise sorted all million of them).
            updates = StatusUpdate.objects.on_record().filter(Exists(commitments.filter(pk=OuterRef("commitment_id"))))
        if filterset.as_of_date:  # as it stood that day: no update dated later
            updates = updates.filter(as_of__lte=filterset.as_of_date)
        updates = updates.filter(filterset.updates_describing()).select_related("commitment", "country")
        published = updates.order_by("-published_at", "-id")[:FEED_SIZE]
        # The newest withdrawals: a second query, over the few withdrawn updates.
        withdrawn = updates.withdrawn().order_by("-withdrawn_at", "-id")[:FEED_SIZE]
        entries = [Entry(u, False) for u in published] + [Entry(u, True) for u in withdrawn]
        entries.sort(key=lambda e: (e.when, e.update.pk, e.withdrawal), reverse=True)
        return entries[:FEED_SIZE]

    def item_title(self, item: Entry):
        # As precise as the assessment: "as of July 2022", never a made-up "01 Jul 2022".
        return render_to_string("feeds/update_title.txt", {"obj": item}).strip()

    def item_description(self, item: Entry):
        return render_to_string("feeds/update_description.txt", {"obj": item}).strip()

    def item_categories(self, item: Entry):
        return [category(item.update)]

    def item_link(self, item: Entry):
        # The fragment makes each entry's link (and so its Atom id) unique.
        anchor = f"withdrawn-{item.update.pk}" if item.withdrawal else f"update-{item.update.pk}"
        return f"{item.update.commitment.get_absolute_url()}#{anchor}"

    def item_pubdate(self, item: Entry):
        return item.when

    def item_updateddate(self, item: Entry):
        return item.when
