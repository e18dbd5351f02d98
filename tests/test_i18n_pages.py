"""The interface in Russian: every public page under /ru/, the language switcher, the hreflang alternates,
content that falls back to English marked lang="en", and no message id left untranslated in either catalog."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest

from .conftest import built_once
from .public_pages import PAGES, build

ROOT = Path(__file__).resolve().parent.parent

# A phrase of the Russian interface that each page type shows (beside base.html's own, on every page).
RUSSIAN = {
    "overview": "Состояние обязательств",
    "list": "Фильтры",
    "list-filtered": "Выбранные фильтры",
    "list-one-country": "статус каждого обязательства в стране",
    "commitment-regional": "Как цитировать эту страницу",
    "commitment-per-country": "Статус по странам",
    "taxonomy": "Отфильтровать их в полном списке",
    "country": "Сравнить все страны: матрица выполнения",
    "source": "Кем издан",
    "themes": "Навигационная цепочка",
    "countries": "матрица выполнения",
    "actors": "Исполнитель",
    "matrix": "Матрица выполнения",
    "updates": "Последние обновления",
    "about": "Как проверяются цитаты",
    "data": "Как устроены файлы",
    "methodology": "Шкала статусов и доказательства",
    "archived": "Снято с публикации",
    "not-found": "По этому адресу нет страницы",
    "bad-request": "Некоторые фильтры не удалось разобрать",
    "bad-request-page": "Не удалось разобрать этот запрос",
}
EVERY_PAGE = "Перейти к содержанию"  # base.html's skip link


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def client(client, data, db):
    return client


class Head(HTMLParser):
    """The page's <html lang>, its <link rel="alternate" hreflang> and the language switcher's links."""

    def __init__(self):
        super().__init__()
        self.lang = None
        self.alternates: dict[str, str] = {}
        self.switcher: list[dict] = []
        self._in_languages = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "link" and a.get("rel") == "alternate" and "hreflang" in a:
            self.alternates[a["hreflang"]] = a["href"]
        elif tag == "nav" and "languages" in (a.get("class") or ""):
            self._in_languages = True
        elif tag == "a" and self._in_languages:
            self.switcher.append(a)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_languages = False


class InterfaceText(HTMLParser):
    """The page's text outside content marked as another language (``lang="en"``: an English fallback, a
    quote) and outside code and scripts: what the interface itself says."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    SKIP = {"script", "style", "code", "samp", "pre", "kbd", "blockquote"}

    def __init__(self):
        super().__init__()
        self.skipping: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            lang = dict(attrs).get("lang") or ""
            self.skipping.append(tag in self.SKIP or (bool(lang) and lang != "ru")
                                 or (bool(self.skipping) and self.skipping[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.skipping:
            self.skipping.pop()

    def handle_data(self, data):
        if not (self.skipping and self.skipping[-1]):
            self.text.append(data)


def _english_messages() -> set[str]:
    """The English of every interface message that has a different Russian text (both catalogs), at least
    two words long: any of them on a Russian page, outside marked English content, was not translated."""
    out = set()
    for po in (ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po",
               ROOT / "commitments" / "locale" / "ru" / "LC_MESSAGES" / "django.po"):
        for entry in polib.pofile(str(po)):
            english = entry.msgid
            if (entry.translated() and entry.msgstr != english and " " in english and "%" not in english
                    and "{" not in english and "<" not in english):
                out.add(" ".join(english.split()))
    return out


ENGLISH_MESSAGES = _english_messages()


def _head(response) -> Head:
    head = Head()
    head.feed(response.content.decode())
    return head


@pytest.mark.parametrize(("name", "path", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_every_public_page_answers_in_russian_under_ru(client, name, path, status):
    response = client.get(f"/ru{path}")
    assert response.status_code == status, path
    html = response.content.decode()
    assert _head(response).lang == "ru"
    assert EVERY_PAGE in html
    if name in RUSSIAN:  # the reports' pages are outputs17's: base.html's Russian is checked above
        assert RUSSIAN[name] in html, name
    assert "Skip to content" not in html
    parser = InterfaceText()
    parser.feed(html)
    text = " ".join(" ".join(parser.text).split())
    left = sorted(m for m in ENGLISH_MESSAGES if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text))
    assert not left, f"{path}: English interface text on the Russian page: {left}"


@pytest.mark.parametrize(("name", "path", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_english_pages_stay_at_their_addresses_in_english(client, name, path, status):
    response = client.get(path)
    assert response.status_code == status, path
    assert _head(response).lang == "en"
    assert "Skip to content" in response.content.decode() and EVERY_PAGE not in response.content.decode()


def test_the_switcher_keeps_the_page_and_its_query_string(client):
    path = "/commitments/?theme=pcve&status=achieved&q=expert"
    english = _head(client.get(path)).switcher
    assert [(a["href"], a["hreflang"], a["lang"], a.get("aria-current")) for a in english] == [
        (path, "en", "en", "true"),
        (f"/ru{path}", "ru", "ru", None),
    ]
    russian = _head(client.get(f"/ru{path}")).switcher
    assert [(a["href"], a.get("aria-current")) for a in russian] == [(path, None), (f"/ru{path}", "true")]


def test_the_switcher_works_on_a_page_that_does_not_exist(client):
    switcher = _head(client.get("/ru/no-such-page/?x=1")).switcher
    assert [a["href"] for a in switcher] == ["/no-such-page/?x=1", "/ru/no-such-page/?x=1"]


@pytest.mark.parametrize("prefix", ["", "/ru"])
def test_hreflang_alternates_name_every_language_and_english_as_the_default(client, prefix):
    alternates = _head(client.get(f"{prefix}/commitments/deploy-ct-expert/?country=kz")).alternates
    assert alternates == {
        "en": "http://testserver/commitments/deploy-ct-expert/?country=kz",
        "ru": "http://testserver/ru/commitments/deploy-ct-expert/?country=kz",
        "x-default": "http://testserver/commitments/deploy-ct-expert/?country=kz",
    }


def test_a_russian_title_is_shown_and_a_missing_one_falls_back_to_english_marked_as_such(client, data):
    from commitments.models import Commitment

    Commitment.objects.filter(pk=data.families.pk).update(title_ru="Реинтеграция вернувшихся семей")
    translated = client.get("/ru/commitments/reintegrate-returning-families/").content.decode()
    assert "<h1>Реинтеграция вернувшихся семей</h1>" in translated
    assert "<title>Реинтеграция вернувшихся семей · Мониторинг обязательств</title>" in translated

    english = Commitment.objects.get(slug="deploy-ct-expert")
    assert not english.title_ru
    missing = client.get("/ru/commitments/deploy-ct-expert/").content.decode()
    assert f'<h1><span lang="en">{english.title}</span></h1>' in missing
    # The same page in English marks nothing: the page itself is English.
    assert f"<h1>{english.title}</h1>" in client.get("/commitments/deploy-ct-expert/").content.decode()


def test_the_list_marks_an_english_fallback_title_and_not_a_russian_one(client, data):
    from commitments.models import Commitment

    Commitment.objects.filter(pk=data.families.pk).update(title_ru="Реинтеграция вернувшихся семей")
    html = client.get("/ru/commitments/").content.decode()
    assert re.search(r'<a href="/ru/commitments/reintegrate-returning-families/">Реинтеграция', html)
    assert re.search(r'<a href="/ru/commitments/deploy-ct-expert/" lang="en">', html)


@pytest.mark.parametrize(("source", "mark"), [("machine", "(машинный перевод)"), ("tracker", "(перевод трекера)"),
                                              ("official", "(официальный перевод)")])
def test_a_translated_text_says_who_translated_it(source, mark):
    from types import SimpleNamespace

    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load language_links %}{% translation_source obj "title" as s %}'
                        '{% include "commitments/_translated_by.html" with source=s %}')
    translated = SimpleNamespace(title="Deploy an expert", title_ru="Направить эксперта", translation_source_ru=source)
    with translation.override("ru"):
        marked = template.render(Context({"obj": translated})).strip()
        assert marked == f'<small class="translation-note">{mark}</small>'
        # Shown in English (no Russian text yet): nothing translated, nothing to mark.
        fallback = SimpleNamespace(title="Deploy an expert", title_ru="", translation_source_ru=source)
        assert template.render(Context({"obj": fallback})).strip() == ""
    with translation.override("en"):
        assert template.render(Context({"obj": translated})).strip() == ""


def test_the_error_pages_are_in_russian(client):
    not_found = client.get("/ru/no-such-page/")
    assert not_found.status_code == 404
    assert "<title>Страница не найдена · Мониторинг обязательств</title>" in not_found.content.decode()
    bad = client.get("/ru/?as_of=31-12-2020")
    assert bad.status_code == 400 and "Не удалось разобрать этот запрос" in bad.content.decode()


def test_the_server_error_page_is_in_russian(client, settings):
    from django.test import RequestFactory
    from django.utils import translation

    from commitments import views

    with translation.override("ru"):
        response = views.handler500(RequestFactory().get("/ru/"))
    html = response.content.decode()
    assert response.status_code == 500 and '<html lang="ru">' in html
    assert "Что-то пошло не так на нашей стороне" in html and 'href="/ru/"' in html


QUERY_PAGES = ["/", "/commitments/?theme=pcve&q=expert", "/commitments/reintegrate-returning-families/",
               "/countries/matrix/", "/updates/", "/themes/"]


@pytest.mark.parametrize("path", QUERY_PAGES)
def test_a_russian_page_makes_the_queries_its_english_one_makes(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for prefix in ("", "/ru"):  # warm what is cached per process (the public data version, the facet index)
        client.get(f"{prefix}{path}")
    counts = {}
    for prefix in ("", "/ru"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{prefix}{path}").status_code == 200
        counts[prefix or "/"] = len(queries)
    assert counts["/ru"] == counts["/"], counts


# --- Every message id translated, in both catalogs ------------------------------------------------------------
# The catalogs are extracted afresh (makemessages, the same xgettext call) into a scratch copy, merged with the
# committed .po files, and every entry must have a translation that is not fuzzy. The scratch copy links to the
# sources, so the project's own catalogs are never rewritten by the test.

CATALOGS = {
    # name: (folder makemessages runs in, relative to the scratch root; its ignore patterns)
    "templates (locale/)": (".", ["commitments/*.*", ".venv/*", "bench/*", ".tools/*", "staticfiles/*", "tests/*",
                                  "node_modules/*", "docs/*", "fixtures/*", "loadtest/*"]),
    "Python (commitments/locale/)": ("commitments", []),
}


def _scratch_copy(tmp: Path) -> None:
    """``tmp`` mirrors the project with links to every source and copies of the two ``locale`` folders."""
    for entry in ROOT.iterdir():
        if entry.name in {"locale", "commitments", ".git"}:
            continue
        (tmp / entry.name).symlink_to(entry)
    if (ROOT / "locale").exists():
        shutil.copytree(ROOT / "locale", tmp / "locale", ignore=shutil.ignore_patterns("*.mo"))
    else:
        (tmp / "locale").mkdir()
    app = tmp / "commitments"
    app.mkdir()
    for entry in (ROOT / "commitments").iterdir():
        if entry.name not in {"locale", "__pycache__"}:
            (app / entry.name).symlink_to(entry)
    if (ROOT / "commitments" / "locale").exists():
        shutil.copytree(ROOT / "commitments" / "locale", app / "locale", ignore=shutil.ignore_patterns("*.mo"))
    else:
        (app / "locale").mkdir()


def _untranslated(po_path: Path) -> list[str]:
    catalog = polib.pofile(str(po_path))
    return [f"{'(fuzzy) ' if e.fuzzy else ''}{e.msgid!r}" for e in catalog
            if not e.obsolete and (e.fuzzy or not e.translated())]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, Path]:
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        reason = "GNU gettext (xgettext, msgmerge) is not installed: makemessages cannot extract the messages"
        if os.environ.get("REQUIRE_GETTEXT"):  # CI (.ci/run) installs it: there a missing gettext is a failure
            pytest.fail(reason)
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("catalogs")
    _scratch_copy(tmp)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # as a translator runs it
    found = {}
    for name, (folder, ignores) in CATALOGS.items():
        # -P: the app folder is not put on sys.path (its selectors.py would shadow the standard library's).
        args = [sys.executable, "-P", "-m", "django", "makemessages", "-l", "ru", "--symlinks", "--no-obsolete"]
        for pattern in ignores:
            args += ["-i", pattern]
        run = subprocess.run(args, cwd=tmp / folder, env=env, capture_output=True, text=True, timeout=300)  # noqa: S603 - Django's own command
        assert run.returncode == 0, f"makemessages for {name} failed:\n{run.stderr}"
        found[name] = tmp / folder / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    return found


@pytest.mark.parametrize("catalog", list(CATALOGS))
def test_every_message_id_has_a_russian_translation(extracted, catalog):
    po = extracted[catalog]
    if not po.exists():  # makemessages writes no catalog where no message is marked for translation
        return
    missing = _untranslated(po)
    assert not missing, f"{catalog}: {len(missing)} message id(s) untranslated or fuzzy:\n" + "\n".join(missing)


def test_the_template_catalog_covers_the_templates_and_nothing_from_the_app(extracted):
    references = {ref for e in polib.pofile(str(extracted["templates (locale/)"])) for ref, _line in e.occurrences}
    assert any(ref.startswith("templates/commitments/") for ref in references)
    assert not any(ref.startswith("commitments/") for ref in references)
