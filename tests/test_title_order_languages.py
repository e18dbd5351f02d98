"""The list's title order is the page's language's: the Russian list ("Название (А–Я)") is in the order of the
titles it shows, a commitment's Russian title where it has one, else its English title (``languages.localized``),
as the database sorts them (its collation).

One rule in two forms: ``languages.localized`` (Python, what a row shows) and ``languages.localized_sql`` (SQL,
what the FilterSet sorts by); the facet index keeps each language's order (``FacetIndex.title_orders``),
which must be the SQL's row for row, as the English one is (``test_list_plans``).
"""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.utils import translation

from commitments import cache, counting, facet_index, languages, selectors
from commitments.filtersets import CommitmentFilterSet
from commitments.models import Commitment

from . import factories
from .conftest import built_once

pytestmark = pytest.mark.django_db

# English titles in one order, Russian titles in another; some without a Russian title (blank, or spaces only:
# the English one is shown and sorted by), ties in both languages.
ROWS = [
    ("Alpha border posts", "Пограничные посты"),
    ("Beta border training", "Обучение пограничников"),
    ("Gamma border exchange", ""),
    ("Delta border", "   "),
    ("Epsilon border", "Граница"),
    ("Zeta border", "Аналитика границы"),
    ("Alpha border posts", "Ёлка у границы"),
    ("alpha border", "ёлка у границы"),
    ("Omega border", "Пограничные посты"),
]


def build():
    kz = factories.country("kz", "Kazakhstan")
    made = []
    for i in range(36):
        title, title_ru = ROWS[i % len(ROWS)]
        c = factories.commitment(title=title, title_ru=title_ru,
                                 current_status=("in_progress", "not_started")[i % 2])
        if i % 3:
            c.countries.set([kz])
        made.append(c)
    factories.commitment(title="Draft border", title_ru="Аааа черновик", state=Commitment.State.DRAFT)
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


def test_localized_sql_is_localized(data):
    """The two forms of the rule give the same text on the same rows, in each language."""
    for lang in languages.CODES:
        got = dict(Commitment.objects.annotate(
            shown=languages.localized_sql("title", lang)).values_list("pk", "shown"))
        assert got == {c.pk: languages.localized(c, "title", lang)[0].strip() for c in Commitment.objects.all()}, lang


QUERIES = ["", "q=border", "country=kz&status=in_progress", "q=border&sort=relevance&status=not_started",
           "sort=due", "q=posts+OR+training&sort=relevance"]


@pytest.mark.parametrize("query", QUERIES)
def test_each_languages_order_is_the_sqls(index, query):
    orders = {}
    for lang in languages.CODES:
        with translation.override(lang):
            filterset = CommitmentFilterSet(QueryDict(query))
            expected = list(filterset.qs.values_list("pk", flat=True))
            counts = counting.list_counts(filterset)
            if counts.ordered_ids is not None:  # the index gave the order: the SQL's, row for row
                assert counts.ordered_ids.tolist() == expected, (lang, query)
                rows = selectors.list_rows(filterset, counts.ordered_ids)
                assert [c.pk for c in rows[0:25]] == expected[:25], (lang, query)
            else:
                assert query == "sort=due"
            orders[lang] = expected
    if "sort=due" not in query and "OR" not in query:  # ties (no due dates; "border" ranks alike): titles decide
        assert orders["ru"] != orders["en"], "the Russian order is not the English one: this test tests nothing"


def test_the_russian_list_shows_its_titles_in_order(index, client, synthetic_flag_cached):
    """From outside: the rows the Russian page shows are in the order of the titles it shows (as the database
    sorts them); the English page's, of the English titles. The unfiltered lists' kept counts (and orders) are
    kept per language."""
    for lang, prefix in (("en", ""), ("ru", "/ru"), ("en", "")):
        response = client.get(f"{prefix}/commitments/")
        assert response.status_code == 200
        shown = [c.pk for c in response.context["page"].object_list]
        with translation.override(lang):
            expected = list(CommitmentFilterSet(QueryDict("")).qs.values_list("pk", flat=True))
        assert len(shown) == 25 and shown == expected[:25], lang
    ru = [c.pk for c in client.get("/ru/commitments/").context["page"].object_list]
    en = [c.pk for c in client.get("/commitments/").context["page"].object_list]
    assert ru != en


@pytest.mark.parametrize("current", [True, False], ids=["index", "sql"])
def test_an_entrys_page_is_in_the_order_of_its_titles(data, client, synthetic_flag_cached, current):
    """A country's (or theme's) page lists its commitments as the list does: by the titles it shows, from the facet
    index while it is current, else sorted in SQL; the same rows either way."""
    shown = {}
    for lang, prefix in (("ru", "/ru"), ("en", "")):
        cache.bump()
        if current:
            facet_index.refresh()
        else:
            facet_index.clear()
        response = client.get(f"{prefix}/countries/kz/")
        assert response.status_code == 200
        shown[lang] = [c.pk for c in response.context["page"].object_list]
        with translation.override(lang):
            expected = list(Commitment.objects.public().filter(countries__slug="kz")
                            .order_by(languages.localized_sql("title"), "pk").values_list("pk", flat=True))
        assert len(expected) == 24 and shown[lang] == expected, lang
    facet_index.clear()
    assert shown["ru"] != shown["en"]
