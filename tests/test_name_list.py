"""``{% name_list %}`` writes a row's themes and countries exactly as the loop of tags it replaced (issue 18)."""

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from commitments import search_query, selectors
from commitments.models import Commitment
from tests import factories

from .conftest import built_once

# The loop the list's rows used before: three tags per name.
LOOP = ('{% load i18n_content language_links %}'
        '{% for t in c.themes.all %}{% if forloop.first %} · {% endif %}<span{% lang_attr t "name" %}>'
        '{% marked t|tr:"name" %}</span>{% if not forloop.last %}, {% endif %}{% endfor %}'
        '{% for k in c.countries.all %}{% if forloop.first %} · {% endif %}<span{% lang_attr k "name" %}>'
        '{% marked k|tr:"name" %}</span>{% if not forloop.last %}, {% endif %}{% endfor %}')
TAG = '{% load language_links %}{% name_list c "themes" %}{% name_list c "countries" %}'


def _build() -> tuple[Commitment, Commitment]:
    c = factories.commitment()
    c.themes.add(factories.theme(name="Border management", name_ru="Управление границами"),
                 factories.theme(name="Water & <energy>"))  # no Russian name: falls back, lang="en"
    c.countries.add(factories.country("kz", "Kazakhstan"))
    return c, factories.commitment()  # the second with no theme and no country


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _build) as rows:
        yield rows


@pytest.fixture
def row(shared, db) -> Commitment:
    return shared[0]


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("q", ["", "border", "energy kazakhstan", "управление"])
def test_same_html_as_the_loop(row, lang, q):
    search = search_query.parse(q) if q else None
    with translation.override(lang):
        c = selectors.for_list(Commitment.objects.filter(pk=row.pk)).get()
        old = engines["django"].from_string(LOOP).render({"c": c, "search": search})
        new = engines["django"].from_string(TAG).render({"c": c, "search": search})
    assert new == old
    assert " · " in new
    assert (' lang="en"' in new) == (lang == "ru")  # the theme without a Russian name, on the Russian page
    # Marked where the shown name holds the word: not "border" on the Russian page, nor "управление" on the English.
    unmarked = {("", "en"), ("", "ru"), ("border", "ru"), ("управление", "en")}
    assert ("<mark>" in new) == ((q, lang) not in unmarked)


def test_prefetched_rows_read_without_a_query(row):
    c = selectors.for_list(Commitment.objects.filter(pk=row.pk)).get()
    with CaptureQueriesContext(connection) as queries:
        out = engines["django"].from_string(TAG).render({"c": c})
    assert len(queries) == 0
    assert out == " · <span>Border management</span>, <span>Water &amp; &lt;energy&gt;</span> · <span>Kazakhstan</span>"


def test_without_prefetch_it_still_reads_them(row):
    c = Commitment.objects.get(pk=row.pk)
    out = engines["django"].from_string(TAG).render({"c": c})
    assert "<span>Kazakhstan</span>" in out


def test_no_names_no_separator(shared, db):
    c = selectors.for_list(Commitment.objects.filter(pk=shared[1].pk)).get()
    assert engines["django"].from_string(TAG).render({"c": c}) == ""
