"""Query counts of the public pages are pinned, and do not grow with the data (no N+1)."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from commitments import cache, catalogue, facet_index
from commitments.models import Commitment

from . import factories
from .conftest import built_once

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _warm_synthetic_flag():
    """Production answers "is this demo data?" from the cache almost always; count pages that way."""
    from django.core.cache import cache

    from commitments.context_processors import SYNTHETIC_KEY

    cache.set(SYNTHETIC_KEY, False)

STATUSES = ["in_progress", "stalled", "achieved", "not_started", "partially_achieved"]

# Pinned counts, with the facet index out of date (counted in SQL) and current (counted in memory).
# The overview: the data version, status counts and two breakdowns (or, from the index, the version
# it checks and the theme and country names from the catalogue: the version read, as for the list),
# then the recent / overdue / stale rows with their two prefetches each, and the overdue and
# stale counts.
# The list: the data version, the taxonomy catalogue (validates slugs, labels facets: the public
# entries, which each process keeps while the data version is unchanged, so this is the version read
# again; see CATALOGUE_READ), the status facet with the overdue/stale counts in one grouped query
# (which also gives the list's count), the four taxonomy facets in one query, the rows and their themes' and
# countries' names (one query, ``selectors.shown_rows``); from the index, the version it checks instead of the two
# counting queries.
CACHE = 1  # the overview and the list read the public data version, then (on a miss) build the page
# As of a past day, the rows shown (the overview's three sections together): how precise each status
# date is, one query. The current status carries its own precision (``current_status_precision``).
AS_OF_PRECISION = 1
# SQL: the index's version probe, the status counts, the two breakdowns, each of the three sections' rows and
# their names for all three (4), the overdue and stale counts. The index: its version probe and the catalogue's;
# it counts everything and gives each section's first ids in the section's order, so the three sections are one
# query by id and their names (2 instead of 4).
HOME = {False: 10 + CACHE, True: 4 + CACHE}
HOME_NOTHING_STALE = 9 + CACHE + AS_OF_PRECISION  # as_of: in SQL, with no index probe
# The facets in SQL (the index out of date): the version the index checks, then statuses and both flags
# in one query.
LIST_LIVE = 6 + CACHE
LIST_FILTERED = LIST_LIVE - 1 + AS_OF_PRECISION  # as_of: in SQL, the index not asked
# Any other list: the facet index counts in memory once it is built at the data version it
# checks: the catalogue, the version, the rows and their names (plus the search's matches).
LIST_INDEXED = 4 + CACHE
LIST = {False: LIST_LIVE, True: LIST_INDEXED}
# The first filtered list after a change finds the index out of date (one query), counts in SQL,
# and once its response is sent the process builds the index: the version, the commitments, their ids in
# the list's default order (title, id) in each language (English, Russian), the three link tables, the stored
# country statuses, and the version again.
INDEX_BUILD = 9
# The first page after a change that needs the catalogue of public entries (a list, the overview,
# a filtered feed) reads it too: one query more than the pinned counts, which are for the pages after it.
CATALOGUE_READ = 1
# The commitment page: the commitment, its actors, countries and themes (one query), its updates (withdrawn
# ones too), their evidence, and the change history (one query, however long it is).
DETAIL = 5


def build(n: int) -> list[Commitment]:
    """``n`` public commitments, each with two themes, two countries, two actors, a past due date and
    two published updates with two pieces of evidence each, so every section of every page has rows."""
    themes = [factories.theme(slug=f"t{i}", name=f"Theme {i}") for i in range(3)]
    countries = [factories.country(slug, slug.upper()) for slug in ("kz", "kg", "tj")]
    actors = [factories.actor(slug=f"a{i}", name=f"Actor {i}") for i in range(3)]
    src = factories.source(slug="src")
    made = []
    for i in range(n):
        c = factories.commitment(slug=f"c-{i:02d}", title=f"Commitment {i:02d}", source=src,
                                 date_made=date(2019, 5, 15), due_date=date(2020 + i % 3, 1, 1),
                                 state=Commitment.State.DRAFT)
        c.themes.set([themes[i % 3], themes[(i + 1) % 3]])
        c.countries.set([countries[i % 3], countries[(i + 2) % 3]])
        c.actors.set([actors[i % 3], actors[(i + 1) % 3]])
        c.state = Commitment.State.PUBLISHED
        c.save()
        factories.update(c, status="not_started", as_of=date(2020, 1, 1), published=True, evidence=2)
        if i % 2 == 0:
            factories.update(c, status=STATUSES[i % 5], as_of=date(2021, 1, 1 + i % 28), published=True, evidence=2)
        made.append(c)
    return made


@pytest.fixture(scope="module")
def built(request, django_db_setup, django_db_blocker):
    """``build(n)`` once for every test of this module that asks for the same ``n`` (indirect parameter)."""
    with built_once(django_db_blocker, lambda: build(request.param)) as made:
        yield made


@pytest.fixture
def made(built, db) -> list[Commitment]:
    """This test's copy of the shared commitments (its writes are undone after it)."""
    return copy.deepcopy(built)


LIST_URLS = [
    ("/commitments/", LIST),
    ("/commitments/?sort=-updated", LIST),
    ("/commitments/?status=not_started&status=in_progress", LIST),
    ("/commitments/?as_of=2020-06-01", LIST_FILTERED),  # as_of: always in SQL
    ("/commitments/?status=not_started&status=in_progress&overdue=1&due_before=2022-01-01", LIST),
    ("/commitments/?q=commitment&stale=1&as_of=2021-06-01&sort=due", LIST_FILTERED),
    ("/commitments/?theme=t1&status=not_started", LIST),
    ("/commitments/?theme=t1&q=commitment&sort=-updated", {False: LIST_LIVE, True: LIST_INDEXED + 1}),
    # By relevance: the index reads the search's ids, then the ranks of the rows every filter leaves (two reads of
    # the search index), and the page's rows by id, as in the title order. The search alone: one read, with ranks.
    ("/commitments/?theme=t1&q=commitment&sort=relevance", {False: LIST_LIVE, True: LIST_INDEXED + 2}),
    ("/commitments/?q=commitment&sort=relevance", {False: LIST_LIVE, True: LIST_INDEXED + 1}),
    # One country: the status in it carries its date's precision (no query for it).
    ("/commitments/?country=kg&as_of=2021-06-01&q=commitment", LIST_FILTERED - AS_OF_PRECISION),
    ("/commitments/?actor=a2&sort=-due", LIST),
]


@pytest.mark.parametrize("index", [False, True], ids=["sql", "index"])
@pytest.mark.parametrize("built", [3, 40], indirect=True)
@pytest.mark.parametrize(("url", "queries"), [("/", HOME), ("/?as_of=2020-06-01", HOME_NOTHING_STALE), *LIST_URLS])
def test_overview_and_list_query_counts_do_not_grow(client, django_assert_num_queries, made, url, queries, index,
                                                    index_not_built_after_responses):
    expected = queries[index] if isinstance(queries, dict) else queries
    if index:
        facet_index.refresh()  # built, as after the first page since the last change (INDEX_BUILD)
    else:
        facet_index.clear()
    catalogue.load()  # kept, as after the first page since the last change (CATALOGUE_READ)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.context["page"].object_list if "page" in response.context else response.context["recent"]
    assert len(rows) > 0  # the rows (and their prefetches) were really read


@pytest.fixture
def index_not_built_after_responses():
    """Pages as they are before the process rebuilt its facet index (which happens after a response)."""
    facet_index.disconnect()
    yield
    facet_index.connect()


@pytest.mark.parametrize("built", [3, 40], indirect=True)
def test_the_facet_index_is_built_after_a_page_counted_in_sql(client, django_assert_num_queries, made,
                                                              index_not_built_after_responses):
    # The index is out of date: the facets count in SQL (and the catalogue is read at the new version).
    with django_assert_num_queries(LIST_LIVE + CATALOGUE_READ):
        assert client.get("/commitments/?theme=t1").status_code == 200
    with django_assert_num_queries(INDEX_BUILD):  # what the process then does, the same at any size
        assert facet_index.refresh_if_wanted() is None
    with django_assert_num_queries(LIST_INDEXED):
        assert client.get("/commitments/?theme=t2").status_code == 200


@pytest.mark.parametrize("index", ["out of date", "current"])
@pytest.mark.parametrize("url", [u for u, _ in LIST_URLS])
@pytest.mark.parametrize("built", [30], indirect=True)
def test_list_never_exceeds_twelve_queries(client, django_assert_max_num_queries, url, index, made,
                                           index_not_built_after_responses):
    if index == "current":
        facet_index.refresh()
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("built", [3, 40], indirect=True)
def test_detail_query_count_does_not_grow(client, django_assert_num_queries, made):
    n, c = len(made), made[0]
    for i in range(n // 4):  # more updates with evidence on bigger data
        factories.update(c, status="in_progress", as_of=date(2022, 1, 1 + i), published=True, evidence=3)
    with django_assert_num_queries(DETAIL):
        response = client.get(c.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["updates"]) == 2 + n // 4


@pytest.mark.parametrize("built", [3], indirect=True)
@pytest.mark.parametrize("edits", [1, 12])
def test_detail_query_count_does_not_grow_with_its_history(client, django_assert_num_queries, edits, made):
    from commitments import public_log, services
    from commitments.models import PublicChange

    c = made[0]
    for i in range(edits):  # corrections of the commitment and of its source, and withdrawals
        changes = public_log.field_changes(subject="commitment", model=Commitment, old={"title": c.title},
                                           new={"title": f"Commitment renamed {i}"})
        public_log.record(kind=PublicChange.Kind.REVISED, subject=c, reason=f"Correction {i}.", changes=changes)
        public_log.record(kind=PublicChange.Kind.REVISED, subject=c.source, reason=f"Source correction {i}.")
        u = factories.update(c, status="in_progress", as_of=date(2022, 1, 1 + i), published=True)
        services.withdraw_status_update(update=u, user=None, reason=f"Withdrawn {i}.")
    with django_assert_num_queries(DETAIL):
        response = client.get(c.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["changes"]) >= 4 * edits
    assert len(response.context["updates"]) == 2 + edits


# A taxonomy page: the entry, the version the index checks, its status counts (in SQL unless the index has them), a page
# of rows and their names (the status dates carry their precision). The feed: its updates by publication,
# and its withdrawals (two queries; three with a slug filter: the catalogue).
TAXONOMY = {False: 5, True: 4}


@pytest.mark.parametrize("index", [False, True], ids=["sql", "index"])
@pytest.mark.parametrize("built", [3, 40], indirect=True)
@pytest.mark.parametrize(("url", "queries"), [("/themes/t1/", TAXONOMY), ("/countries/kg/", TAXONOMY),
                                              ("/sources/src/", TAXONOMY), ("/sources/src/?page=2", TAXONOMY),
                                              ("/feeds/updates.atom", 2), ("/feeds/updates.atom?theme=t1", 3)])
def test_taxonomy_pages_and_feed_query_counts_do_not_grow(client, django_assert_num_queries, made, url, queries,
                                                          index, index_not_built_after_responses):
    if "page=2" in url and len(made) < 26:
        url = url.replace("?page=2", "")
    if index:
        facet_index.refresh()
    else:
        facet_index.clear()
    catalogue.load()  # kept since an earlier page (CATALOGUE_READ)
    with django_assert_num_queries(queries[index] if isinstance(queries, dict) else queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("built", [3], indirect=True)
def test_the_catalogue_of_public_entries_is_read_once_per_data_version(client, django_assert_num_queries, made):
    """Which entries are public is asked once per change, not on every page (a probe per entry, see taxonomy)."""
    facet_index.refresh()
    url = "/commitments/?actor=a2&sort=-due"
    with django_assert_num_queries(LIST_INDEXED + CATALOGUE_READ):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(LIST_INDEXED):
        assert client.get(url).status_code == 200
    cache.bump()  # any public change
    facet_index.refresh()
    with django_assert_num_queries(LIST_INDEXED + CATALOGUE_READ):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("built", [3, 40], indirect=True)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_query_count_does_not_grow(client, django_assert_num_queries, made, fmt):
    n = len(made)
    # The public data version (the public countries, for the CSV's status_<code> columns, come from the catalogue
    # kept at that version; the JSON's metadata states it), one streamed query (taxonomies aggregated in SQL),
    # and for each chunk of 1,000 rows two: the status in each of their countries (``country_status``'s rule, as
    # the matrix reads it) and the assessments their statuses come from (confidence, summary).
    catalogue.load()  # kept, as after the first page since the last change
    with django_assert_num_queries(2 + 2):
        response = client.get(f"/commitments/export.{fmt}?as_of=2021-06-01")
        content = b"".join(response.streaming_content)
    assert content.count(b"c-") >= n
