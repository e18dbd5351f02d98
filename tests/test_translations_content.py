"""Content in both languages: staff edit them side by side, a filter lists what still needs translating,
translations of public records go through review, and a quote is shown verbatim with its labelled translation."""

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from commitments import revisions, translation_status
from commitments.admin_review import DIVERTED
from commitments.languages import TranslationSource
from commitments.models import Actor, Commitment, Country, Evidence, PublicChange, Revision, Source, StatusUpdate, Theme

from . import factories as f
from .conftest import built_once
from .factories import admin_change_url as _change_url
from .factories import logged_in as _client

pytestmark = pytest.mark.django_db

OFFICIAL_URL = "https://example.org/ru/strategy-2019"
QUOTE = "The EU will deploy a dedicated security and CT expert to the region."
QUOTE_RU = "ЕС направит в регион специального эксперта по безопасности и борьбе с терроризмом."
EVIDENCE_QUOTE = "The expert took up the post in Bishkek in March."
EVIDENCE_QUOTE_RU = "Эксперт приступил к работе в Бишкеке в марте."


def _build() -> SimpleNamespace:
    ns = SimpleNamespace(editor=f.editor(username="ayla"), publisher=f.publisher(username="pat"))
    ns.theme = f.theme(name="P/CVE", name_ru="Предупреждение насильственного экстремизма")
    ns.theme_missing = f.theme(name="Border management")
    ns.country = f.country("kz", "Kazakhstan")
    Country.objects.filter(pk=ns.country.pk).update(name_ru="Казахстан")
    ns.country_missing = f.country("kg", "Kyrgyzstan")
    ns.actor = f.actor(name="OSCE", name_ru="ОБСЕ")
    ns.actor_missing = f.actor(name="EEAS", name_ru="   ")  # white space is no translation
    ns.source = f.source(title="EU strategy 2019", title_ru="Стратегия ЕС 2019 года")
    ns.source_missing = f.source(title="Joint statement")
    ns.expert = f.commitment(
        slug="deploy-ct-expert", title="Deploy a CT expert", title_ru="Направить эксперта по борьбе с терроризмом",
        quote=QUOTE, quote_translation_ru=QUOTE_RU, quote_translation_source_ru=TranslationSource.OFFICIAL,
        quote_translation_url_ru=OFFICIAL_URL, source=ns.source,
    )
    ns.expert.themes.set([ns.theme])
    ns.expert.countries.set([ns.country])
    ns.update = f.update(ns.expert, summary="Expert in post.", summary_ru="Эксперт на месте.", evidence=0)
    Evidence.objects.create(
        commitment=ns.expert, status_update=ns.update, title="Press release", publisher="EEAS", date=ns.update.as_of,
        url="https://example.org/press", stance=Evidence.Stance.SUPPORTS, indicates=Evidence.Indicates.UNDER_WAY,
        quote=EVIDENCE_QUOTE, quote_translation_ru=EVIDENCE_QUOTE_RU,
        quote_translation_source_ru=TranslationSource.MACHINE,
    )
    from commitments import services

    services.publish_status_update(update=ns.update, user=ns.publisher, reason=f.REASON)
    ns.untranslated_update = f.update(ns.expert, summary="A draft nobody translated.")
    ns.untranslated_update.evidence.update(description="Described in English only.")
    # Needs Russian: its English quote has no translation (its title has one).
    ns.no_quote_ru = f.commitment(title="Exchange practice", title_ru="Обмен опытом", source=ns.source_missing)
    # Needs Russian: no Russian title.
    ns.no_title_ru = f.commitment(title="Cut financing", quote="Words.", quote_translation_ru="Слова.",
                                  quote_translation_source_ru=TranslationSource.TRACKER, source=ns.source_missing)
    # Needs Russian: a gloss on the quote, untranslated.
    ns.no_context_ru = f.commitment(title="Programme", title_ru="Программа", quote_context="Said at a summit.",
                                    quote="Words.", quote_translation_ru="Слова.",
                                    quote_translation_source_ru=TranslationSource.TRACKER, source=ns.source_missing)
    # Complete in Russian: its quote is in Russian already, so it needs no Russian translation.
    ns.russian_quote = f.commitment(title="Families", title_ru="Семьи", quote="Мы вернём семьи.", quote_language="ru",
                                    source=ns.source_missing, state=Commitment.State.DRAFT)
    return ns


@pytest.fixture(scope="module")
def ns(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _build) as built:
        yield built


def _ru(url_name: str, *args) -> str:
    with translation.override("ru"):
        return reverse(url_name, args=args)


# --- the admin: both languages side by side ------------------------------------------------------


@pytest.mark.parametrize("pick, rows", [
    (lambda ns: ns.expert, [("title", "title_ru"), ("quote_context", "quote_context_ru"), ("location", "location_ru"),
                            ("quote_translation_source_ru", "quote_translation_url_ru")]),
    (lambda ns: ns.untranslated_update, [("summary", "summary_ru"), ("evidence-0-description",
                                                                     "evidence-0-description_ru")]),
    (lambda ns: ns.source, [("title", "title_ru")]),
    (lambda ns: ns.theme, [("name", "name_ru")]),
    (lambda ns: ns.country, [("name", "name_ru")]),
    (lambda ns: ns.actor_missing, [("name", "name_ru")]),
])
def test_the_change_form_shows_each_translated_field_beside_its_russian_column(ns, pick, rows):
    record = pick(ns)
    page = _client(ns.publisher).get(_change_url(record)).content.decode()
    for row in rows:
        # One form row holds them all: <div class="form-row field-title field-title_ru">.
        names = " ".join(f"field-{name.split('-')[-1]}" for name in row)
        assert f'class="form-row {names}"' in page, row
        for name in row:
            assert f'name="{name}"' in page, name
    assert 'lang="ru"' in page and "css/admin-translations.css" in page


def test_a_draft_reports_introduction_is_written_beside_its_russian(ns):
    from datetime import date

    from commitments.models import ProgressReport

    report = ProgressReport.objects.create(slug="2025", title="Progress report 2025", period_label="2025",
                                           start=date(2025, 1, 1), end=date(2025, 12, 31), introduction="Words.")
    client = _client(ns.publisher)
    url = reverse("admin:commitments_progressreport_change", args=[report.pk])
    page = client.get(url).content.decode()
    assert 'class="form-row field-introduction field-introduction_ru"' in page
    assert 'class="form-row field-title field-title_ru"' in page
    response = client.post(url, {"introduction": "Words.", "introduction_ru": "Слова издателя."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.introduction_ru == "Слова издателя."
    assert 'name="introduction_ru"' not in client.get(reverse("admin:commitments_progressreport_add")).content.decode()


def test_the_quotes_translations_are_grouped_with_their_provenance(ns):
    response = _client(ns.publisher).get(_change_url(ns.expert))
    fieldsets = {fieldset.name: fieldset for fieldset in response.context["adminform"]}
    group = fieldsets["Translations of the quote"]
    assert [tuple(line.fields) for line in group] == [
        row for code in ("en", "ru") for row in (
            (f"quote_translation_{code}",), (f"quote_translation_source_{code}", f"quote_translation_url_{code}"))
    ]
    assert [field for line in fieldsets["What was promised"] for field in line.fields][:2] == ["quote",
                                                                                                "quote_language"]
    form = response.context["adminform"].form
    assert form["quote_translation_ru"].value() == QUOTE_RU and form["quote_translation_url_ru"].value() == OFFICIAL_URL


def test_an_official_translation_without_its_address_is_refused_on_the_form_and_nothing_typed_is_lost(ns):
    client = _client(ns.editor)
    draft = ns.russian_quote  # a draft saves directly: the model's rule, not the review, answers
    url = _change_url(draft)
    typed = "We will bring the families home."
    response = client.post(url, f.admin_form_data(client, url) | {
        "quote_translation_en": typed, "quote_translation_source_en": TranslationSource.OFFICIAL,
        "quote_translation_url_en": "", "title_ru": "Семьи домой",
    })
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {
        "quote_translation_url_en": ["An official translation needs the address of the official text."]}
    assert form["quote_translation_en"].value() == typed and form["title_ru"].value() == "Семьи домой"
    assert typed in response.content.decode()
    draft.refresh_from_db()
    assert draft.quote_translation_en == "" and draft.title_ru == "Семьи"


def test_an_evidence_quote_translated_twice_over_is_refused_on_its_inline(ns):
    client = _client(ns.editor)
    url = _change_url(ns.untranslated_update)
    data = f.admin_form_data(client, url) | {
        "evidence-0-quote": "Words.", "evidence-0-quote_language": "en",
        "evidence-0-quote_translation_en": "Words again.", "evidence-0-quote_translation_source_en": "tracker",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert errors == {"quote_translation_en": ["The quote is already in this language: it is shown as it is."]}


# --- "Needs translation" -------------------------------------------------------------------------


MODELS = [Commitment, StatusUpdate, Evidence, Source, Country, Theme, Actor]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_needs_translation_rule_in_sql_and_in_python_agree_on_the_same_rows(ns, model):
    rows = list(model._base_manager.all())
    by_python = {row.pk for row in rows if translation_status.needs(row, "ru")}
    by_sql = set(model._base_manager.filter(translation_status.needs_q(model, "ru")).values_list("pk", flat=True))
    assert by_sql == by_python
    assert by_python and by_python != {row.pk for row in rows}  # both kinds among the rows


def test_the_rule_names_what_is_missing(ns):
    assert translation_status.missing(ns.expert, "ru") == []
    assert translation_status.missing(ns.no_quote_ru, "ru") == ["quote"]
    assert translation_status.missing(ns.no_title_ru, "ru") == ["title"]
    assert translation_status.missing(ns.no_context_ru, "ru") == ["quote_context"]
    assert translation_status.missing(ns.russian_quote, "ru") == []
    assert translation_status.missing(ns.actor_missing, "ru") == ["name"]


@pytest.mark.parametrize("changelist, expected", [
    ("commitment", lambda ns: {ns.no_quote_ru, ns.no_title_ru, ns.no_context_ru}),
    ("statusupdate", lambda ns: {ns.untranslated_update}),
    ("source", lambda ns: {ns.source_missing}),
    ("theme", lambda ns: {ns.theme_missing}),
    ("actor", lambda ns: {ns.actor_missing}),
    ("country", lambda ns: {ns.country_missing}),
])
def test_the_needs_translation_filter_lists_the_rows_missing_russian_and_the_complete_ones(ns, changelist, expected):
    client = _client(ns.publisher)
    url = reverse(f"admin:commitments_{changelist}_changelist")
    listed = {}
    for choice in ("ru-missing", "ru-complete"):
        response = client.get(url, {"translation": choice})
        assert response.status_code == 200
        listed[choice] = set(response.context["cl"].result_list)
    model = response.context["cl"].model
    assert listed["ru-missing"] == expected(ns)
    assert listed["ru-complete"] == set(model._base_manager.all()) - expected(ns)
    page = response.content.decode()
    assert "Russian: missing" in page and "Russian: complete" in page


# --- review ----------------------------------------------------------------------------------------


def test_the_new_columns_are_reviewed_fields():
    names = [field.name for field in revisions.reviewed_fields(
        Commitment, ["title_ru", "quote_translation_ru", "quote_translation_source_ru", "quote_translation_url_ru",
                     "quote_language", "quote_context_ru", "location_ru"])]
    assert names == ["title_ru", "quote_language", "quote_translation_ru", "quote_translation_source_ru",
                     "quote_translation_url_ru", "quote_context_ru", "location_ru"]


def test_a_russian_title_and_quote_translation_of_a_published_commitment_wait_for_review(ns):
    editor, publisher, reader = _client(ns.editor), _client(ns.publisher), Client()
    url = _change_url(ns.expert)
    new_title, new_quote = "Направить в регион эксперта по безопасности", "ЕС направит эксперта."
    response = editor.post(url, f.admin_form_data(editor, url) | {
        "title_ru": new_title, "quote_translation_ru": new_quote, "quote_translation_source_ru": "tracker",
        "quote_translation_url_ru": "",
    }, follow=True)
    assert DIVERTED in [str(m) for m in response.context["messages"]]
    revision = Revision.objects.get()
    assert revisions.changed_fields(revision) == ["title_ru", "quote_translation_ru", "quote_translation_source_ru",
                                                  "quote_translation_url_ru"]
    stored = Commitment.objects.get(pk=ns.expert.pk)
    assert (stored.title_ru, stored.quote_translation_ru) == (ns.expert.title_ru, QUOTE_RU)  # not applied
    assert new_title not in reader.get(_ru("commitments:detail", ns.expert.slug)).content.decode()

    diff = publisher.get(reverse("admin:commitments_revision_change", args=[revision.pk]))
    # The publisher reads the admin under /ru/ here (``reverse`` after a /ru/ request), so its labels are Russian.
    rows = {str(row["label"]): (row["published"], row["proposed"]) for row in diff.context["rows"]}
    assert rows["Название (Русский)"] == (ns.expert.title_ru, new_title)
    assert rows["Перевод цитаты (Русский)"] == (QUOTE_RU, new_quote)
    assert "Название (Русский)" in diff.content.decode()

    approved = publisher.post(reverse("admin:commitments_revision_change", args=[revision.pk]),
                              {"action": "approve", "reason": "A closer Russian title."})
    assert approved.status_code == 302
    stored.refresh_from_db()
    assert (stored.title_ru, stored.quote_translation_ru, stored.quote_translation_url_ru) == (new_title, new_quote, "")
    change = PublicChange.objects.get(kind=PublicChange.Kind.REVISED)
    cited = {c["field"]: (c["label"], c["old"], c["new"]) for c in change.changes}
    assert cited["title_ru"] == ("Title (Russian)", ns.expert.title_ru, new_title)
    assert cited["quote_translation_ru"] == ("Quote translation (Russian)", QUOTE_RU, new_quote)
    page = reader.get(_ru("commitments:detail", ns.expert.slug)).content.decode()
    assert "A closer Russian title." in page and new_title in page


def test_a_russian_title_of_a_public_source_waits_for_review(ns):
    editor = _client(ns.editor)
    url = _change_url(ns.source)
    editor.post(url, f.admin_form_data(editor, url) | {"title_ru": "Новая стратегия"})
    revision = Revision.objects.get()
    assert (revision.subject_type, revision.data["title_ru"]) == ("source", "Новая стратегия")
    assert Source.objects.get(pk=ns.source.pk).title_ru == "Стратегия ЕС 2019 года"


# --- the quote on the public page ----------------------------------------------------------------


def test_the_russian_page_shows_the_english_quote_verbatim_and_its_official_translation(ns):
    page = Client().get(_ru("commitments:detail", ns.expert.slug)).content.decode()
    assert f'<blockquote lang="en" cite="{ns.source.url}"><p>“{QUOTE}”</p></blockquote>' in page
    assert f"“{QUOTE_RU}”" in page
    assert f'Официальный перевод (<a href="{OFFICIAL_URL}">официальный текст</a>):' in page
    # The evidence's quote, with its machine translation labelled as such.
    assert f'<blockquote lang="en" cite="https://example.org/press"><p>“{EVIDENCE_QUOTE}”</p></blockquote>' in page
    assert EVIDENCE_QUOTE_RU in page
    assert "Машинный перевод, сделанный трекером (неофициальный, не проверен):" in page


def test_the_russian_page_says_when_the_quote_is_not_translated_yet_and_labels_the_trackers_own(ns):
    client = Client()
    untranslated = client.get(_ru("commitments:detail", ns.no_quote_ru.slug)).content.decode()
    assert "Перевод цитаты пока не сделан." in untranslated and 'class="quote-translation"' not in untranslated
    own = client.get(_ru("commitments:detail", ns.no_title_ru.slug)).content.decode()
    assert "Собственный перевод трекера (неофициальный):" in own and "“Слова.”" in own


def test_the_english_page_shows_the_quote_alone(ns):
    page = Client().get(reverse("commitments:detail", args=[ns.expert.slug])).content.decode()
    assert f'<blockquote lang="en" cite="{ns.source.url}"><p>“{QUOTE}”</p></blockquote>' in page
    assert QUOTE_RU not in page and EVIDENCE_QUOTE_RU not in page
    assert "quote-translation" not in page and "not been translated" not in page
    assert f"<blockquote lang=\"en\" cite=\"https://example.org/press\"><p>“{EVIDENCE_QUOTE}”</p></blockquote>" in page


# --- the commitment page's reads carry the Russian columns ----------------------------------------


def test_the_commitment_pages_reads_carry_the_russian_texts_without_more_queries(ns, django_assert_num_queries):
    from django.template import Context, Template

    from commitments import selectors

    with django_assert_num_queries(1):
        commitment = selectors.for_detail(Commitment.objects.public()).get(pk=ns.expert.pk)
    with django_assert_num_queries(0):
        assert (commitment.title_ru, commitment.quote_translation_ru, commitment.source.title_ru) == (
            ns.expert.title_ru, QUOTE_RU, ns.source.title_ru)
    with django_assert_num_queries(1):
        taxonomies = selectors.taxonomies_of(commitment=commitment)
    theme, country = taxonomies["theme"][0], taxonomies["country"][0]
    assert (theme.label, theme.label_ru, country.label_ru) == ("P/CVE", ns.theme.name_ru, "Казахстан")
    assert tuple(theme) == (ns.theme.pk, ns.theme.slug, "P/CVE")  # still the three-field entry
    shown = Template('{% load i18n_content %}{% tr theme "label" %}')
    with translation.override("ru"):
        assert shown.render(Context({"theme": theme})) == ns.theme.name_ru
    with django_assert_num_queries(2):  # the updates, and their evidence
        timeline = selectors.public_timeline(commitment=commitment)
    evidence = timeline[0].evidence.all()[0]
    assert (timeline[0].summary_ru, evidence.quote_translation_ru) == ("Эксперт на месте.", EVIDENCE_QUOTE_RU)


def test_an_archived_commitments_page_keeps_the_quote_and_its_translation(ns):
    from commitments import services

    services.set_commitment_state(commitment=ns.expert, state=Commitment.State.ARCHIVED, user=ns.publisher,
                                  reason="Out of scope.")
    response = Client().get(_ru("commitments:detail", ns.expert.slug))
    page = response.content.decode()
    assert response.status_code == 410
    assert f'<blockquote lang="en"><p>“{QUOTE}”</p></blockquote>' in page and f"“{QUOTE_RU}”" in page
