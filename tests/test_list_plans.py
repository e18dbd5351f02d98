"""The list's rows query at its floor (issue 18): it reads the page's rows by id, never every match.

While the facet index is current, the list (and the matrix) reads the ids of its rows from the index in the
order of its sort: ``ORDER BY title, id`` (``FacetIndex.in_title_order``) or, by relevance, ``ORDER BY
search_rank, title, id`` (``FacetIndex.in_rank_order``, from the ranks the one read of the search brought with
its ids); and asks the database for the page's 25 rows alone (``selectors.RowsInOrder``). These tests pin that:
the plan of the rows query the page runs (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL) reads the
commitments by primary key and touches neither the search index nor all the matches; and the rows are those, in
the order, that the SQL of the filters gives (collation, ties of title and of rank, and pages included).
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from commitments import cache, counting, facet_index, selectors
from commitments.filtersets import CommitmentFilterSet
from commitments.models import Commitment

from . import factories
from .conftest import built_once

pytestmark = pytest.mark.django_db

ROWS_TABLE = "commitments_commitment"
# Titles that tie, differ in case only or carry accents: the order must be the database's (its collation).
TITLES = ["Border posts", "border posts", "Border posts", "Éducation border", "education border", "Zeta border",
          "alpha border", "Alpha border", "_border", "10 border", "9 border", "border", "Mobile border posts"]


def build():
    kz, kg = factories.country("kz", "Kazakhstan"), factories.country("kg", "Kyrgyzstan")
    theme = factories.theme(slug="borders", name="Borders")
    statuses = ["in_progress", "not_started", "achieved"]
    made = []
    for i in range(90):
        title = f"{TITLES[i % len(TITLES)]} {i % 7}" if i % 4 else TITLES[i % len(TITLES)]
        c = factories.commitment(title=title, current_status=statuses[i % 3],
                                 current_status_date=date(2024, 1, 1 + i % 28), due_date=date(2030, 1, 1))
        c.countries.set([kz] if i % 2 else [kz, kg])
        if i % 3:
            c.themes.set([theme])
        made.append(c)
    factories.commitment(title="Quiet water", current_status="in_progress")  # no "border": left out by the search
    factories.commitment(title="Border draft", state=Commitment.State.DRAFT)
    return made


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as made:
        yield made


@pytest.fixture
def index(data):
    cache.bump()
    built = facet_index.refresh()
    yield built
    facet_index.clear()


LISTS = [
    "q=border",
    "q=border&status=in_progress",
    "q=border&country=kz&status=in_progress",
    "q=border&theme=borders&country=kg&status=not_started",
    "country=kz",
    "",
    "sort=relevance",  # no words: the default order
    # By relevance: the search's rank (which ties and differs over these rows), then title, then id.
    "q=border&sort=relevance",
    "q=border+posts&sort=relevance&country=kz",
    "q=border&sort=relevance&country=kz&status=in_progress",
    "q=posts+OR+alpha&sort=relevance",
    "q=border&theme=borders&country=kg&status=not_started&sort=relevance",
]


def rows_query(url: str, client) -> str:
    """The SQL of the page's rows query (the one that reads the commitments' own columns, in title order)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    found = [q["sql"] for q in captured
             if q["sql"].startswith("SELECT") and f'"{ROWS_TABLE}"."quote"' in q["sql"] and "ORDER BY" in q["sql"]]
    assert len(found) == 1, [q["sql"][:200] for q in captured]
    return found[0]


def plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(row[3] for row in cursor.fetchall())
        # A test table is tiny, so the planner would rightly read it whole: with sequential scans priced out, it
        # shows the plan it has for a large one. (It still must have one that reads by primary key alone.)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        return json.dumps(cursor.fetchone()[0])


@pytest.mark.parametrize("query", [q for q in LISTS if "q=" in q])
@pytest.mark.parametrize("page", ["/commitments/", "/countries/matrix/"])
def test_a_search_list_reads_its_page_by_primary_key_not_every_match(index, client, synthetic_flag_cached, query,
                                                                       page):
    sql = rows_query(f"{page}?{query}", client)
    shape = plan(sql)
    # Never the search index nor a scan of the table: the page's ids, looked up by primary key.
    assert "commitment_search" not in sql and "commitment_search" not in shape, shape
    if connection.vendor == "sqlite":
        assert f"SEARCH {ROWS_TABLE} USING INTEGER PRIMARY KEY (rowid=?)" in shape, shape
        assert f"SCAN {ROWS_TABLE}" not in shape, shape
    else:
        scans = [node for node in _nodes(json.loads(shape)[0]["Plan"]) if node.get("Relation Name") == ROWS_TABLE]
        assert len(scans) == 1, shape
        # The page's ids bound the read (on a large table, the primary key's index; on this tiny one the planner
        # may prefer another index and test them): no ``Seq Scan`` of every row, no search.
        assert scans[0]["Node Type"] in {"Index Scan", "Bitmap Heap Scan", "Index Only Scan"}, shape
        assert "id = ANY" in scans[0].get("Index Cond", "") + scans[0].get("Filter", "") + scans[0].get(
            "Recheck Cond", ""), shape
    # At most a page of ids in the query: its sort (if any) is of those rows only.
    by_id = f'"{ROWS_TABLE}"."id" IN ('
    assert by_id in sql, sql
    assert sql.split(by_id, 1)[1].split(")", 1)[0].count(",") < 50, sql


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("query", LISTS)
def test_rows_by_id_are_the_rows_of_the_filters_in_their_order(index, query):
    filterset = CommitmentFilterSet(QueryDict(query))
    counts = counting.list_counts(filterset)
    assert counts.ordered_ids is not None, query  # the index gave the order
    expected = list(filterset.qs.values_list("pk", flat=True))
    assert len(expected) > 25 or "not_started" in query, (query, len(expected))
    rows = selectors.list_rows(filterset, counts.ordered_ids)
    assert isinstance(rows, selectors.RowsInOrder)
    for start in range(0, len(expected) + 25, 25):
        assert [c.pk for c in rows[start:start + 25]] == expected[start:start + 25], (query, start)
    assert counts.ordered_ids.tolist() == expected


def test_the_relevance_order_is_more_than_the_title_order(index):
    """The relevance cases above test something: the ranks tie and differ, and the order is not the title's."""
    ids, ranks = Commitment.objects.search_ranks("border")
    assert len(ids) == 91 and 1 < len(set(ranks)) < len(ranks)  # the draft's document is in the search too
    by_rank = CommitmentFilterSet(QueryDict("q=border&sort=relevance"))
    by_title = CommitmentFilterSet(QueryDict("q=border"))
    assert list(by_rank.qs.values_list("pk", flat=True)) != list(by_title.qs.values_list("pk", flat=True))


@pytest.mark.parametrize("text", ["border", "border posts", "posts OR alpha", "Éducation -zeta"])
def test_search_ranks_are_search_rank_to_the_bit(data, text):
    """The facet index orders by the ranks ``search_ranks`` reads; the SQL (and the API's cursor) by
    ``search_rank``: one expression, the same floats."""
    ids, ranks = Commitment.objects.search_ranks(text)
    assert ids
    per_row = dict(Commitment.objects.filter(pk__in=ids).annotate(rank=Commitment.objects.search_rank(text))
                   .values_list("pk", "rank"))
    assert dict(zip(ids, ranks, strict=True)) == per_row
    assert all(isinstance(rank, float) for rank in ranks)


@pytest.mark.parametrize("page", ["/commitments/", "/countries/matrix/"])
def test_a_relevance_page_ranks_only_the_rows_its_filters_leave(index, client, synthetic_flag_cached, page):
    """With other filters, the search is read for its ids, then ranked for the rows that pass every filter alone
    (the ids asked); with none, read once with every match's rank. Never joined to the commitments."""
    for query, reads in (("q=border&sort=relevance&status=in_progress", 2), ("q=border&sort=relevance", 1)):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{page}?{query}").status_code == 200
        searches = [q for q in captured if "commitment_search" in q["sql"]]
        assert len(searches) == reads, [q["sql"] for q in searches]
        assert all(ROWS_TABLE not in q["sql"] for q in searches)  # the index alone
        ranked = searches[-1]["sql"]
        assert "rank" in ranked
        if reads == 2:
            assert "rank" not in searches[0]["sql"]
            passing = CommitmentFilterSet(QueryDict(query)).qs.values_list("pk", flat=True)
            tail = ranked.rsplit("json_each(" if connection.vendor == "sqlite" else "ANY(", 1)[-1]
            listed = re.search(r"[\[{]([\d,\s]*)[\]}]", tail).group(1)  # '[1,2]', ARRAY[1,2] or '{1,2}'
            asked = set(map(int, re.findall(r"\d+", listed)))
            assert asked == set(passing), "only the rows every filter leaves are ranked"


def test_other_orders_and_an_out_of_date_index_read_the_sql_rows(data):
    facet_index.clear()  # out of date: counted in SQL, rows found and sorted in SQL
    filterset = CommitmentFilterSet(QueryDict("q=border"))
    assert counting.list_counts(filterset).ordered_ids is None
    cache.bump()
    facet_index.refresh()
    try:
        for query in ("q=border&sort=due", "q=border&sort=-updated", "q=border&sort=relevance&as_of=2024-06-01",
                      "as_of=2024-06-01"):
            filterset = CommitmentFilterSet(QueryDict(query))
            assert counting.list_counts(filterset).ordered_ids is None, query
    finally:
        facet_index.clear()


def test_postgresql_reads_a_searchs_ids_and_ranks_through_its_index(data):
    """A search's ids (what the facet index masks with) and, with no other filter, its ranks come from
    ``pg_search.READERS``, which keep the planner from testing every document in a sequential scan when a word
    is common (it prices ``@@`` as one cheap call a row): each function as installed carries ``enable_seqscan =
    off`` and the current body, its query's plan is the GIN index's bitmap, and it finds what the search finds
    (the ranks equal ``search_rank``'s: ``test_search_ranks_are_search_rank_to_the_bit``)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's readers; SQLite's FTS5 answers from its own index")
    from commitments import pg_search

    with CaptureQueriesContext(connection) as captured:
        ids = Commitment.objects.search_ids("border")
        ranked, _ = Commitment.objects.search_ranks("border")
    assert [q["sql"].split("(", 1)[0] for q in captured] == [
        f"SELECT {pg_search.IDS_FUNCTION}", f"SELECT id, rank FROM {pg_search.RANKS_FUNCTION}"]  # noqa: S608 - constants
    found = sorted(Commitment.objects.search("border").values_list("pk", flat=True))
    assert sorted(ids.tolist()) == sorted(ranked) == found
    assert len(found) == 91  # the draft's document too: the facet index keeps the public ones
    border = "(phraseto_tsquery('english', 'border') || phraseto_tsquery('russian', 'border'))"
    with connection.cursor() as cursor:
        for name, sql in pg_search.READERS.items():
            cursor.execute("SELECT proconfig, prosrc FROM pg_proc WHERE oid = %s::regprocedure", [name])
            (config, body), = cursor.fetchall()
            assert config == ["enable_seqscan=off"], name
            assert f"$$ {body.strip()} $$" in sql, (name, body)
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN (FORMAT JSON) " + body.strip().replace(" q", f" {border}"))
            nodes = {n["Node Type"]: n.get("Index Name") for n in _nodes(cursor.fetchone()[0][0]["Plan"])}
            assert nodes.get("Bitmap Index Scan") == f"{pg_search.TABLE}_document_gin", (name, nodes)
