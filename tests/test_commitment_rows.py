"""``{% commitment_rows %}``, ``{% breakdown_rows %}`` and ``{% facet_options %}`` write the HTML the template
partials and loops they replaced wrote, whitespace aside (issue 18: the hottest markup in Python).

The references are the partials as they were (``tests/references/``): each case renders both, in English and
Russian, with and without a search and a country.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from commitments import search_query, selectors
from commitments.facets import Option
from commitments.models import Commitment
from tests import factories

from .conftest import built_once

REFERENCES = Path(__file__).parent / "references"
ROWS_PARTIAL = (REFERENCES / "commitment_rows.html").read_text()
BREAKDOWN_LOOP = (REFERENCES / "breakdown_rows.html").read_text()
ROWS_TAG = "{% load commitment_rows %}{% commitment_rows rows %}"


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _build() -> list[int]:
    border = factories.theme(name="Border management", name_ru="Управление границами")
    water = factories.theme(name="Water & <energy>")  # no Russian name: falls back, lang="en"
    kz = factories.country("kz", "Kazakhstan")
    long_source = factories.source(title="A source whose title runs on " + "and on " * 12 + "past ninety characters")
    rows = [
        # Russian title by machine, overdue (due by a month), a Russian title and an escaped one.
        factories.commitment(title="Border <script> posts", title_ru="Пограничные посты",
                             translation_source_ru="machine", due_date=date(2020, 7, 1), due_precision="month",
                             source=long_source,
                             quote="The EU will fund border posts along the border."),
        # Regional, due on a day, no Russian text at all.
        factories.commitment(title="Regional water dialogue", assessment_scope="regional", due_date=date(2030, 3, 15)),
        factories.commitment(title="Nothing due", assessment_scope="per_country"),
    ]
    rows[0].themes.add(border, water)
    rows[0].countries.add(kz)
    rows[1].themes.add(water)
    factories.update(rows[0], status="in_progress", as_of=date(2021, 5, 1), published=True)
    return [c.pk for c in rows]


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _build) as pks:
        yield pks


def _rows(pks: list[int]) -> list[Commitment]:
    rows = selectors.for_list(Commitment.objects.filter(pk__in=pks).at()).order_by("id")
    return selectors.with_status_precision(rows)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("q", ["", "border", "energy kazakhstan", "пограничные"])
@pytest.mark.parametrize("in_country", ["", "Kazakhstan & <Co>"])
def test_rows_same_html_as_the_partial(shared, db, lang, q, in_country):
    search = search_query.parse(q) if q else None
    with translation.override(lang):
        rows = _rows(shared)
        context = {"rows": rows, "search": search, "in_country": in_country}
        old = engines["django"].from_string(ROWS_PARTIAL).render(context)
        new = engines["django"].from_string(ROWS_TAG).render(context)
    assert _squeezed(new) == _squeezed(old)
    assert "&lt;script&gt;" in new or lang == "ru"
    assert "<script>" not in new
    assert ("machine translation" in new or "машинный перевод" in new) == (lang == "ru")
    # Marked where a shown text holds the word: not the Russian word on the English page (the title is English there).
    assert ("<mark>" in new) == (bool(q) and (q, lang) != ("пограничные", "en"))


def test_no_rows(db):
    for lang in ("en", "ru"):
        with translation.override(lang):
            old = engines["django"].from_string(ROWS_PARTIAL).render({"rows": []})
            new = engines["django"].from_string(ROWS_TAG).render({"rows": []})
        assert _squeezed(new) == _squeezed(old)


def test_prefetched_rows_render_without_a_query(shared, db):
    rows = _rows(shared)
    with CaptureQueriesContext(connection) as queries:
        html = engines["django"].from_string(ROWS_TAG).render({"rows": rows})
    assert len(queries) == 0
    names = "<span>Border management</span>, <span>Water &amp; &lt;energy&gt;</span> · <span>Kazakhstan</span>"
    assert names in _squeezed(html)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("kind", ["theme", "country"])
def test_breakdown_same_html_as_the_loop(shared, db, lang, kind):
    with translation.override(lang):
        rows = selectors.overview(queryset=Commitment.objects.public().at(), on=date(2026, 1, 1), current=False)[
            f"by_{kind}"]
        assert rows
        for given in (rows, []):
            context = {"rows": given, "kind": kind}
            old = engines["django"].from_string(BREAKDOWN_LOOP).render(context)
            new = engines["django"].from_string("{% breakdown_rows rows kind %}").render(context)
            assert _squeezed(new) == _squeezed(old)
            assert ('href="/ru/' in new) == (lang == "ru" and bool(given))


FACET_OPTIONS = (REFERENCES / "facet_options.html").read_text()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_facet_options_same_html_as_the_loop(lang):
    options = [
        Option("in_progress", "In progress", 35272, False, "?status=in_progress"),
        Option("kz", "Kazakhstan & <Co>", 12, True, "?country=kz&status=achieved"),  # selected: the note
        Option("none", "Nothing here", 0, False, "?theme=none&q=a+b"),  # zero, not selected: greyed
        Option("gone", "Chosen, now empty", 0, True, "?"),  # zero but selected: not greyed
    ]
    with translation.override(lang):
        for given in (options, []):
            old = engines["django"].from_string(FACET_OPTIONS).render({"facet": {"options": given}})
            new = engines["django"].from_string("{% load facet_options %}{% facet_options options %}").render(
                {"options": given})
            assert _squeezed(new) == _squeezed(old)
            assert ('href="?country=kz&amp;status=achieved" aria-current="true" class="selected"' in new) == bool(given)
            assert new.count('class="zero"') == (1 if given else 0)


def test_shown_rows_names_are_the_relations_in_their_order(shared, db):
    """``selectors.shown_rows`` reads each row's themes and countries as ``c.themes.all()`` gives them, for a page of
    rows and for more than a batch of ids (the query is written once per batch of 25 and the ids bound)."""
    zone = factories.theme(name="Zone")
    more = [factories.commitment() for _ in range(26)]
    for c in more[::5]:
        c.themes.add(zone)
    for pks in (shared, shared + [c.pk for c in more]):
        rows = selectors.shown_rows(selectors.for_page(Commitment.objects.filter(pk__in=pks).at()).order_by("id"))
        assert len(rows) == len(pks)
        for c in rows:
            for relation in ("themes", "countries"):
                expected = [(e.slug, e.name, e.name_ru) for e in getattr(c, relation).all()]
                assert [(n.slug, n.name, n.name_ru) for n in c.shown_names[relation]] == expected
    assert sum(bool(c.shown_names["themes"]) for c in rows) == 2 + 6  # the shared rows' two, and every fifth
