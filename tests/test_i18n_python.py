"""The interface's Python messages (``commitments/locale``) in Russian, and unchanged in English.

Under ``translation.override("ru")``: the status scale's labels and definitions, a FilterSet's errors, a
model's validation errors and dates at each precision; the admin's changelist of commitments at
``/ru/admin/``, with Django's own Russian around ours. Under "en" every one of them is as before.
"""

from datetime import date

import polib
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from commitments import dates, status
from commitments.filtersets import CommitmentFilterSet
from commitments.models import Commitment, ProgressReport
from commitments.templatetags.tracker import number, stale_after

from . import factories as f
from .conftest import built_once

# The URL configuration is imported here, in English: modules that evaluate a message when imported
# (the exports' data dictionary) must never do it under a test's override("ru").
CHANGELIST = reverse("admin:commitments_commitment_changelist")
CATALOG = settings.BASE_DIR / "commitments" / "locale" / "ru" / "LC_MESSAGES" / "django.po"
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _russian(text: str) -> bool:
    return bool(CYRILLIC & set(str(text).lower()))


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    def build():
        user = f.staff(username="i18n-admin")
        user.is_superuser = True
        user.save()
        commitment = f.commitment(title="Train border guards", due_date=date(2026, 7, 31), due_text="by mid-2026")
        return {"user": user, "commitment": commitment}

    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def ns(shared, db):
    return shared


# --- the catalogue ---------------------------------------------------------------------------


def test_every_python_message_has_a_russian_translation_with_its_placeholders():
    catalog = polib.pofile(str(CATALOG))
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=3;")
    untranslated = [e.msgid for e in catalog if not e.translated() or e.fuzzy]
    assert untranslated == []
    for entry in catalog:
        for text in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            for mark in ("%(", "{"):
                assert text.count(mark) == entry.msgid.count(mark), entry.msgid


# --- the status scale ----------------------------------------------------------------------------


def test_status_labels_and_definitions_are_russian_under_ru_and_unchanged_under_en():
    with translation.override("ru"):
        scale = {i.slug: i for i in status.scale()}
        rules = status.evidence_rules()
        stale = str(status.stale_after_text)
        said = stale_after()
    assert scale["not_assessed"].label == "Ещё не оценено"
    assert scale["achieved"].definition == "Выполнено, как обещано."
    assert all(_russian(i.label) and _russian(i.definition) for i in scale.values())
    assert all(_russian(r.statement) for r in rules)
    assert stale == said == "девять месяцев"  # ngettext: the genitive plural after nine

    with translation.override("en"):
        scale = {i.slug: i for i in status.scale()}
        assert scale["not_assessed"].label == "Not yet assessed"
        assert scale["abandoned"].definition == "Dropped, or can no longer be delivered."
        assert str(status.stale_after_text) == stale_after() == status.STALE_AFTER_TEXT == "nine months"


def test_evidence_problems_are_said_in_the_active_language():
    items = [("supports", "announced", date(2024, 3, 2))]
    with translation.override("ru"):
        problems = status.evidence_problems(status="achieved", as_of=date(2024, 3, 1), items=items)
    assert problems[0].startswith("Для статуса «Выполнено» нужны доказательства подходящего рода.")
    assert problems[1].startswith("Доказательство от 2 марта 2024 г. датировано позже")
    with translation.override("en"):
        problems = status.evidence_problems(status="achieved", as_of=date(2024, 3, 1), items=items)
    assert problems[1] == ("Evidence dated 2 March 2024 is later than the as-of date (1 March 2024). "
                           "No evidence may be dated later than the update’s as-of date.")


# --- the FilterSet ---------------------------------------------------------------------------------


def test_filter_errors_and_labels_are_russian_under_ru(ns):
    data = {"status": "nope", "as_of": "2026-13-40", "theme": "no-such-theme", "sort": "-due"}
    with translation.override("ru"):
        filterset = CommitmentFilterSet(data)
        errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        labels = {name: str(field.label) for name, field in filterset.form.fields.items()}
        sorts = {key: str(label) for key, label in filterset.form.fields["sort"].choices}
    assert errors["status"][0].startswith("«nope» — не статус. Выберите один из: not_assessed (Ещё не оценено);")
    assert errors["as_of"] == ["Введите дату в формате ГГГГ-ММ-ДД (например, 2026-07-01). Дата «по состоянию на» "
                               "может быть с 1 января 1900 г. по сегодняшний день."]
    assert errors["theme"] == ["Нет публичной темы с идентификатором «no-such-theme»."]
    assert labels["q"] == "Поиск" and labels["status"] == "Статус" and labels["as_of"] == "Статус по состоянию на"
    assert sorts["-due"] == "Срок (сначала самые поздние)"

    with translation.override("en"):
        filterset = CommitmentFilterSet(data)
        errors = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        assert errors["theme"] == ["No public theme has the slug “no-such-theme”."]
        assert errors["status"][0].startswith("“nope” is not a status. Choose one of: not_assessed (Not yet assessed);")
        assert str(filterset.form.fields["q"].label) == "Search"


# --- the models ------------------------------------------------------------------------------------


def test_model_validation_errors_and_names_are_russian_under_ru(ns):
    commitment = Commitment(title="T", slug="t", quote="Q", source=ns["commitment"].source,
                            date_made=date(2020, 5, 1), due_date=date(2019, 1, 1), due_text="by 2019")
    report = ProgressReport(title="R", slug="r", period_label="x", start=date(2026, 2, 1), end=date(2026, 1, 1))
    with translation.override("ru"):
        with pytest.raises(ValidationError) as raised:
            commitment.full_clean()
        with pytest.raises(ValidationError) as report_raised:
            report.clean()
        names = (str(Commitment._meta.verbose_name_plural), str(Commitment._meta.get_field("due_date").verbose_name),
                 str(Commitment.State.PUBLISHED.label))
    assert raised.value.message_dict["due_date"] == [
        "Срок (1 января 2019 г.) не может быть раньше даты принятия обязательства (1 мая 2020 г.)."]
    assert report_raised.value.message_dict == {"end": ["Период не может закончиться раньше, чем начался."]}
    assert names == ("обязательства", "срок", "Опубликовано")

    with translation.override("en"):
        with pytest.raises(ValidationError) as raised:
            commitment.full_clean()
        assert raised.value.message_dict["due_date"] == [
            "The due date (1 January 2019) cannot be before the date the commitment was made (1 May 2020)."]
        assert str(Commitment._meta.get_field("due_date").verbose_name) == "due date"


# --- dates and numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("precision", "english", "russian"), [
    (dates.Precision.DAY, "2 December 2026", "2 декабря 2026 г."),  # the genitive beside the day
    (dates.Precision.MONTH, "December 2026", "декабрь 2026 г."),
    (dates.Precision.YEAR, "2026", "2026 г."),
])
def test_dates_at_each_precision_in_each_language(precision, english, russian):
    day = dates.stored_day(date(2026, 12, 2), precision)
    with translation.override("ru"):
        assert dates.render(day, precision) == russian
    with translation.override("en"):
        assert dates.render(day, precision) == english


def test_date_precision_errors_say_the_precision_in_the_language():
    with translation.override("ru"):
        said = dates.clean_dated(date(2022, 7, 15), dates.Precision.MONTH, dates.END)
    assert said == ("Дата, известная лишь с точностью до месяца, хранится как последний день этого месяца "
                    "(2022-07-31), а не 2022-07-15.")
    with translation.override("en"):
        assert dates.clean_dated(date(2022, 7, 15), dates.Precision.YEAR) == (
            "A date known only to the year is stored as the first day of that year (2022-01-01), not 2022-07-15.")


def test_numbers_are_grouped_in_russian_and_left_as_they_were_in_english():
    with translation.override("ru"):
        assert number(12345) == "12\xa0345"
    with translation.override("en"):
        assert number(12345) == "12345"


# --- the admin -----------------------------------------------------------------------------------------


def test_admin_changelist_of_commitments_in_russian(client, ns):
    client.force_login(ns["user"])
    response = client.get(f"/ru{CHANGELIST}")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="ru"' in page
    # Ours: the model's name, the columns, the filters, the choices and the actions.
    for ours in ("Обязательства", "Статус", "Срок", "Дата принятия", "просрочка",
                 "без движения (обновлений нет девять месяцев)", "Черновик (только для сотрудников)", "Ещё не оценено",
                 "Опубликовать выбранные обязательства", "31 июля 2026 г."):
        assert ours in page, ours
    # Django's own (django.contrib.admin ships them): the search button, the filter heading, the action label.
    for djangos in ("Найти", "Фильтр", "Действие"):
        assert djangos in page, djangos

    english = client.get(CHANGELIST).content.decode()
    for ours in ("Commitments", "Not yet assessed", "Publish selected commitments", "31 July 2026",
                 "Draft (staff only)"):
        assert ours in english, ours
    assert "Ещё не оценено" not in english and "Обязательства" not in english
