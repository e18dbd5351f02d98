"""The in-memory facet index: the same rules as SQL, never older than the data, and set aside when it cannot answer."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import timezone

from commitments import cache, facet_index, services
from commitments.filtersets import CommitmentFilterSet
from commitments.models import Commitment
from commitments.status import CLOSED, Status, stale_cutoff

from . import factories

pytestmark = pytest.mark.django_db


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def indexed(mask, index) -> set[int]:
    return set(index.ids[mask].tolist())


def test_overdue_and_stale_follow_the_sql_rules_at_their_boundaries():
    today = timezone.localdate()
    cutoff = stale_cutoff(today)
    for status in (Status.IN_PROGRESS, Status.NOT_ASSESSED, *sorted(CLOSED)):
        for due in (None, today - timedelta(days=1), today, today + timedelta(days=1)):
            factories.commitment(current_status=status, due_date=due)
        for news in (cutoff - timedelta(days=1), cutoff, cutoff + timedelta(days=1)):
            factories.commitment(current_status=status, current_status_date=news)
            factories.commitment(current_status=status, date_made=news)  # never assessed: counted from made
        factories.commitment(current_status=status, date_made=None)  # no date at all: never stale
    factories.commitment(state=Commitment.State.DRAFT, due_date=today - timedelta(days=9))
    index = facet_index.refresh()
    public = Commitment.objects.public()
    assert set(index.ids.tolist()) == ids(public)  # drafts are not in it
    assert indexed(index.overdue(today), index) == ids(public.overdue())
    assert indexed(index.stale(today), index) == ids(public.stale())
    assert ids(public.overdue()) and ids(public.stale())  # the comparisons above were not of empty sets


def test_due_range_and_search_match_the_list():
    today = timezone.localdate()
    for days, title in ((-3, "border water"), (0, "water"), (3, "border"), (None, "border")):
        factories.commitment(title=title, due_date=None if days is None else today + timedelta(days=days))
    index = facet_index.refresh()
    for params in ({"due_after": today.isoformat()}, {"due_before": today.isoformat()}, {"q": "border"},
                   {"q": "border", "due_after": today.isoformat()}, {"q": "!!!"}):
        filterset = CommitmentFilterSet(params)
        assert filterset.is_valid()
        masks = facet_index.Masks(index, filterset)
        assert indexed(masks.without(), index) == ids(filterset.qs), params


def test_a_published_update_is_counted_on_the_next_page(client):
    """The index is kept per data version: a publish bumps the version, so the next page rebuilds it."""
    user = factories.publisher()
    theme = factories.theme(slug="water")
    made = [factories.commitment() for _ in range(3)]
    for c in made:
        c.themes.add(theme)

    def statuses(client) -> dict[str, int]:
        return {o.value: o.count for o in client.get("/commitments/?theme=water").context["facets"][0].options}

    assert statuses(client)["not_assessed"] == 3
    update = factories.update(made[0], status="achieved")
    assert statuses(client)["achieved"] == 0  # a draft counts nowhere
    services.publish_status_update(update=update, user=user, reason=factories.REASON)
    assert statuses(client)["achieved"] == 1 and statuses(client)["not_assessed"] == 2


def test_an_index_built_while_the_data_changed_is_not_kept(monkeypatch):
    factories.commitment()
    facet_index.clear()
    real_build = facet_index.build

    def build_then_change(*, version):
        index = real_build(version=version)
        cache.bump()  # a publish commits while the index is read
        return index

    monkeypatch.setattr(facet_index, "build", build_then_change)
    assert facet_index.refresh() is None
    assert facet_index.current() is None  # pages count in SQL instead
    monkeypatch.setattr(facet_index, "build", real_build)
    first = facet_index.refresh()
    assert first is not None and first.version == cache.current_version()
    assert facet_index.current() is first  # kept while the version holds
    cache.bump()
    assert facet_index.current() is None  # any change puts it out of date at once


def test_a_page_that_finds_the_index_out_of_date_counts_in_sql_and_the_index_follows_its_response(client):
    theme = factories.theme(slug="water")
    factories.commitment().themes.add(theme)
    facet_index.clear()
    client.get("/commitments/?as_of=2021-01-01")  # a page that does not use the index (as_of) does not build it
    assert facet_index.current() is None
    response = client.get("/commitments/?theme=water")
    assert response.context["page"].paginator.count == 1  # counted in SQL, then the index was built
    index = facet_index.current()
    assert index is not None and index.version == cache.current_version()
    assert client.get("/commitments/?theme=water").context["page"].paginator.count == 1
    assert facet_index.current() is index  # used, not rebuilt


@pytest.mark.parametrize(("params", "applies"), [
    ({"theme": "water", "q": "x", "overdue": "1", "sort": "due", "expand": ["theme"]}, True),
    ({"as_of": "2021-01-01"}, False),  # a status per row and day: counted in SQL
    ({"as_of": "2021-01-01", "theme": "water"}, False),
])
def test_the_index_answers_every_filter_but_as_of(params, applies):
    factories.commitment().themes.add(factories.theme(slug="water"))  # a public theme: a filter may name it
    filterset = CommitmentFilterSet(QueryDict(urlencode(params, doseq=True)))
    assert filterset.is_valid(), filterset.errors
    assert facet_index.applies(filterset) is applies


def test_the_unfiltered_counts_are_kept_with_their_index_and_go_with_it(client):
    """The unfiltered list's counts are computed once per index (and day) and are the ones counted afresh; a new
    index (a publish: a new data version) counts again."""
    from commitments import counting

    user = factories.publisher()
    made = [factories.commitment() for _ in range(3)]
    theme = factories.theme(slug="water")
    for c in made:
        c.themes.add(theme)
    cache.bump()
    index = facet_index.refresh()

    def counts(query: str = "") -> counting.ListCounts:
        filterset = CommitmentFilterSet(QueryDict(query))
        assert filterset.is_valid()
        return counting.list_counts(filterset)

    first = counts()
    assert index.memo and counts() is first  # kept
    fresh = counting._index_counts(facet_index.Masks(index, CommitmentFilterSet(QueryDict(""))), ordered=True)
    assert (first.rows, first.statuses, first.flags, first.taxonomies) == (
        fresh.rows, fresh.statuses, fresh.flags, fresh.taxonomies)
    assert first.ordered_ids.tolist() == fresh.ordered_ids.tolist()
    assert counts("sort=due").ordered_ids is None and counts("sort=due").statuses == first.statuses
    services.publish_status_update(update=factories.update(made[0], status="achieved"), user=user,
                                   reason=factories.REASON)
    assert facet_index.refresh() is not index
    assert counts().statuses["achieved"] == 1 and first.statuses["achieved"] == 0
    assert client.get("/commitments/").context["facets"][0].options[0].count == 2  # not assessed: 3 - 1


def test_the_overview_counts_are_kept_with_their_index_and_go_with_it(client):
    """The overview's numbers are computed once per index and day, equal to SQL's, and a new index counts again."""
    from commitments import counting

    user = factories.publisher()
    made = [factories.commitment(due_date=date(2021, 1, 1)) for _ in range(3)]
    cache.bump()
    index = facet_index.refresh()
    today = timezone.localdate()

    def numbers(day=None) -> counting.OverviewCounts:
        return counting.overview_counts(Commitment.objects.public().at(day), day=day, on=today,
                                        facets=("theme", "country"), limit=8)

    first = numbers()
    assert numbers() is first  # kept
    in_sql = numbers(today)  # a day given: SQL, the reference
    assert (first.statuses, first.overdue, first.stale) == (in_sql.statuses, in_sql.overdue, in_sql.stale)
    assert first.overdue == 3
    page = client.get("/").content
    assert client.get("/").content == page  # the page from what was kept is the page
    services.publish_status_update(update=factories.update(made[0], status="achieved"), user=user,
                                   reason=factories.REASON)
    assert facet_index.refresh() is not index
    assert numbers().overdue == 2 and first.overdue == 3
