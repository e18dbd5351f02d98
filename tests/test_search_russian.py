"""Search in both languages (issue 17): a Russian query finds Russian and English text, on SQLite and PostgreSQL.

The data is built once for the module: commitments with English and Russian titles, a Russian quote, a
quote's Russian translation, published (and draft) Russian summaries, and taxonomy entries and a source
with Russian names. Each query of ``QUERIES`` (the table of queries) is asked through the list's FilterSet
(public commitments, sorted by relevance) and through ``search_ids`` (what the facet index uses); both must
find exactly the expected commitments.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from commitments import search_highlight, search_query, search_terms, sqlite_search
from commitments.filtersets import CommitmentFilterSet
from commitments.models import Actor, Commitment, Country, Source, StatusUpdate, Theme

from . import factories as f
from .conftest import built_once

ON_SQLITE = connection.vendor == "sqlite"


def build() -> None:
    kz = f.country("kz", "Kazakhstan")
    Country.objects.filter(pk=kz.pk).update(name_ru="Казахстан")
    eeas = f.actor(slug="eeas", name="EEAS", name_ru="ЕСВД")
    borders = f.theme(slug="border-management", name="Border management", name_ru="Управление границами")
    strategy = f.source(title="The EU and Central Asia: new opportunities for a stronger partnership",
                        title_ru="ЕС и Центральная Азия: новые возможности для более прочного партнёрства")

    terror = f.commitment(slug="terror", title="Counter terrorist financing in the region",
                          title_ru="Противодействие финансированию терроризма в регионе",
                          quote="The EU will support the fight against the financing of terrorism.")
    f.commitment(slug="border", title="Secure the borders", title_ru="Обеспечить безопасность границ",
                 quote="The EU will help secure the borders.").themes.add(borders)
    returnees = f.commitment(slug="returnees", title="Reintegrate returning families",
                             quote="The EU will support reintegration.")
    f.update(returnees, as_of=date(2020, 1, 1), published=True, summary="A programme began.",
             summary_ru="Началась программа для возвращенцев из Сирии.")
    f.update(returnees, as_of=date(2020, 2, 1), summary="A draft.", summary_ru="Черновик о Бишкеке.")
    f.commitment(slug="unodc", title="Work with UNODC on drug trafficking",
                 quote="The EU and UNODC will cooperate.")
    f.commitment(slug="unodc-ru", title="Cooperate on drugs", title_ru="Сотрудничество по наркотикам",
                 quote="Совместно с Управлением ООН по наркотикам и преступности ЕС поддержит программу.",
                 quote_language="ru")
    clinic = f.commitment(slug="drugs-summary", title="Fund a clinic", quote="The EU will fund a clinic.")
    f.update(clinic, as_of=date(2020, 1, 1), published=True, summary="Help began.", summary_ru="Помощь по наркотикам.")
    f.commitment(slug="eeas-actor", title="Open a liaison office",
                 quote="The EU will open an office in Astana.").actors.add(eeas)
    f.commitment(slug="eeas-en", title="Report yearly",
                 quote="The European External Action Service will report every year.")
    f.commitment(slug="translated", title="Train judges", quote="The EU will train judges.",
                 quote_translation_ru="ЕС обучит судей.", quote_translation_source_ru="tracker")
    f.commitment(slug="strategy", title="Hold a ministerial meeting", quote="The EU will meet ministers.",
                 source=strategy)
    f.commitment(slug="kazakhstan", title="Support civil society", quote="The EU will fund NGOs.").countries.add(kz)
    f.commitment(slug="draft", title="Терроризм в черновике", quote="Not public.", state=Commitment.State.DRAFT)
    assert terror.title_ru


@pytest.fixture(scope="module")
def data_once(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build):
        yield


@pytest.fixture
def data(data_once, db):
    """The module's data, in this test's own savepoint."""


def found(text: str) -> set[str]:
    rows = set(CommitmentFilterSet({"q": text, "sort": "relevance"}).qs.values_list("slug", flat=True))
    public = set(Commitment.objects.public().values_list("pk", flat=True))
    by_ids = set(Commitment.objects.filter(pk__in=set(Commitment.objects.search_ids(text)) & public)
                 .values_list("slug", flat=True))
    assert rows == by_ids, text  # the list and the facet index agree
    return rows


# The table of queries: (query, the commitments it finds, exactly).
QUERIES = [
    # Russian word forms meet, in a Russian title.
    ("терроризма", {"terror"}),
    ("терроризм", {"terror"}),
    ("Терроризму", {"terror"}),
    ("финансирование терроризма", {"terror"}),
    ('"финансирования терроризма"', {"terror"}),
    # A Russian title and a theme's Russian name (both "border").
    ("границ", {"border"}),
    ("границы", {"border"}),
    ("границами", {"border"}),
    # A published update's Russian summary; never a draft's.
    ("возвращенцы", {"returnees"}),
    ("возвращенцев", {"returnees"}),
    ("Бишкек", set()),
    # The glossary across languages: the Russian abbreviation finds the English and the Russian text.
    ("УНП ООН", {"unodc", "unodc-ru"}),
    ("UNODC", {"unodc", "unodc-ru"}),
    ("Управление ООН по наркотикам и преступности", {"unodc", "unodc-ru"}),
    ("ЕСВД", {"eeas-actor", "eeas-en"}),
    ("EEAS", {"eeas-actor", "eeas-en"}),
    ("Европейской службы внешнеполитической деятельности", {"eeas-actor", "eeas-en"}),
    # A Russian original quote, a quote's Russian translation, a country's and a source's Russian names.
    ("программу", {"unodc-ru", "returnees"}),
    ("судьи", {"translated"}),
    ("Казахстана", {"kazakhstan"}),
    ("партнёрство", {"strategy"}),
    ("партнерства", {"strategy"}),
    # Syntax in Russian: stop words are dropped, "или" is "or", a minus leaves out.
    ("и терроризма", {"terror"}),
    ("терроризма или границ", {"terror", "border"}),
    ("регионе -терроризм", set()),
    ("наркотикам -ООН", {"drugs-summary"}),
    # Both languages in one query.
    ("границ borders", {"border"}),
    # English queries find what they found before.
    ("border", {"border"}),
    ("terrorism", {"terror"}),
    ("reintegration", {"returnees"}),
    ("Kazakhstan", {"kazakhstan"}),
    ("European External Action Service", {"eeas-actor", "eeas-en"}),
]


@pytest.mark.parametrize(("text", "expected"), QUERIES)
def test_the_table_of_queries(data, text, expected):
    assert found(text) == expected


def test_relevance_weighs_a_russian_title_above_a_summary(data):
    rows = CommitmentFilterSet({"q": "наркотики", "sort": "relevance"}).qs.values_list("slug", flat=True)
    assert list(rows) == ["unodc-ru", "drugs-summary"]  # in the Russian title, then in a summary


def test_a_russian_rename_or_summary_updates_the_results(data):
    """The triggers follow the Russian columns as they follow the English ones, on every write path."""
    Theme.objects.filter(slug="border-management").update(name_ru="Пограничный контроль")
    assert found("контроль") == {"border"}
    theme = Theme.objects.get(slug="border-management")
    theme.name_ru = "Охрана рубежей"
    theme.save()
    assert found("рубежи") == {"border"} and found("контроль") == set()

    Actor.objects.filter(slug="eeas").update(name_ru="Дипломатическая служба ЕС")
    assert found("дипломатической") == {"eeas-actor"}
    Country.objects.filter(slug="kz").update(name_ru="Республика Казахстан")
    assert found("республики") == {"kazakhstan"}
    Source.objects.filter(commitments__slug="strategy").update(title_ru="Стратегия ЕС")
    assert found("стратегии") == {"strategy"} and found("партнёрство") == set()
    Commitment.objects.filter(slug="terror").update(title_ru="Борьба с отмыванием денег")
    assert found("отмывания") == {"terror"} and found("финансированию") == set()
    Commitment.objects.filter(slug="translated").update(quote_translation_ru="ЕС подготовит прокуроров.")
    assert found("прокуроры") == {"translated"}

    published = StatusUpdate.objects.get(commitment__slug="returnees", published_at__isnull=False)
    StatusUpdate.objects.filter(pk=published.pk).update(summary_ru="Программа для семей продолжается.")
    assert found("семьи") == {"returnees"} and found("возвращенцев") == set()


def test_highlighting_marks_russian_stems(data):
    def marked(text: str, query: str) -> str:
        return str(search_highlight.highlight(text, search_query.parse(query), vendor=connection.vendor))

    assert marked("Противодействие финансированию терроризма", "терроризм") == (
        "Противодействие финансированию <mark>терроризма</mark>")
    assert marked("Управление границами", "границ") == "Управление <mark>границами</mark>"
    assert marked("Управления ООН по наркотикам и преступности и UNODC", "УНП ООН") == (
        "<mark>Управления</mark> <mark>ООН</mark> <mark>по</mark> <mark>наркотикам</mark> <mark>и</mark> "
        "<mark>преступности</mark> и <mark>UNODC</mark>")
    assert marked("Returnee families, возвращенцы", "returnees возвращенцев") == (
        "<mark>Returnee</mark> families, <mark>возвращенцы</mark>")
    snippet = str(search_highlight.snippet("Слово " * 40 + "о терроризме.", search_query.parse("терроризма"),
                                           vendor=connection.vendor))
    assert snippet.startswith("… ") and "<mark>терроризме</mark>" in snippet


def test_the_glossary_has_the_russian_terms_both_ways():
    for abbreviation, also in (("КТ", "ct"), ("ПВЭ", "pve"), ("ПНВЭ", "p/cve"), ("ИТБ", "ftf"), ("ЕСВД", "eeas"),
                               ("УНП ООН", "unodc"), ("ОБСЕ", "osce"), ("ООН", "united nations")):
        phrases = search_query.parse(abbreviation).clauses[0].phrases
        assert tuple(also.split()) in phrases, abbreviation
    assert ("кт",) in search_query.parse("противодействие терроризму").clauses[0].phrases
    assert ("итб",) in search_query.parse("иностранные террористические боевики").clauses[0].phrases
    # Russian writes ё or е, and declines: one term either way.
    for spelling in ("Организация Объединенных Наций", "Организации Объединённых Наций",
                     "иностранных террористических боевиков"):
        assert search_terms.glossary_term(search_terms.words(spelling)) is not None, spelling


@pytest.mark.skipif(not ON_SQLITE, reason="the Python function exists on SQLite only")
def test_sqlite_without_the_function_fails_loudly_never_indexes_unstemmed_text(data):
    """A connection lacking the stems function cannot write a document: the write fails, nothing is indexed."""
    raw = connection.connection
    raw.create_function(sqlite_search.FUNCTION, 1, None)  # calls to it now fail, as on a connection without it
    try:
        with pytest.raises(DatabaseError), transaction.atomic():
            Commitment.objects.filter(slug="terror").update(title_ru="Новое название")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            sqlite_search.create_triggers(cursor)
    finally:
        sqlite_search.register(connection=connection)
    assert found("терроризма") == {"terror"}


def test_the_document_follows_the_columns_the_database_has():
    """Migrations older than the Russian columns run the same code: they get an English-only document."""
    assert sqlite_search.present_languages({"title", "quote"}) == (("en",), ())
    assert sqlite_search.present_languages({"title", "title_ru", "quote_translation_en", "quote_translation_ru"}) == (
        ("en", "ru"), ("en", "ru"))
    english = " ".join(sqlite_search.triggers(("en",), ()).values())
    assert "_ru" not in english and "quote_translation" not in english
    assert "name_ru" in " ".join(sqlite_search.triggers(("en", "ru"), ("en", "ru")).values())


def test_the_about_page_says_how_russian_search_works(client, db):
    page = client.get("/about/").content.decode()
    assert "Russian works the same" in page and "УНП ООН" in page
