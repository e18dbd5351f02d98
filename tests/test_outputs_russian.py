"""Reports, the feed, the exports and the API in Russian: the same figures and rows as in English, with the
Russian texts added where they exist (English, marked as such, where they do not)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from commitments import services
from commitments.languages import TranslationSource
from commitments.models import Commitment, Country, Evidence, ProgressReport, Source, StatusUpdate, Theme
from commitments.reports.periods import parse_period

from . import factories
from .conftest import built_once

pytestmark = pytest.mark.django_db

EXPERT_RU = "Направить в регион эксперта по борьбе с терроризмом"
EXPERT_QUOTE_RU = "ЕС направит в регион специального эксперта по безопасности и борьбе с терроризмом."
SUMMARY_RU = "Эксперт работает в Бишкеке с марта."
INTRO_RU = "Первый квартал 2022 года: вступление издателя."


def build():
    ns = factories.catalogue()
    Commitment.objects.filter(pk=ns.expert.pk).update(
        title_ru=EXPERT_RU, quote_translation_ru=EXPERT_QUOTE_RU,
        quote_translation_source_ru=TranslationSource.TRACKER, location_ru="Раздел 2.1, абзац 4")
    StatusUpdate.objects.filter(pk=ns.expert_u2.pk).update(summary_ru=SUMMARY_RU)
    Evidence.objects.filter(status_update=ns.expert_u2).update(description_ru="Назначение эксперта объявлено.")
    Country.objects.filter(slug="kz").update(name_ru="Казахстан")
    Country.objects.filter(slug="kg").update(name_ru="Киргизия")
    Theme.objects.filter(slug="pcve").update(name_ru="Предупреждение насильственного экстремизма")
    Source.objects.filter(slug="eu-strategy-2019").update(title_ru="ЕС и Центральная Азия: новые возможности")
    report, _ = services.prepare_report(period=parse_period("2022-Q1"), introduction="The first quarter of 2022.")
    ProgressReport.objects.filter(pk=report.pk).update(introduction_ru=INTRO_RU)
    ns.report = services.publish_report(report=report, user=None)
    # A report frozen before the snapshot carried other languages: its texts are English only.
    old, _ = services.prepare_report(period=parse_period("2022-Q2"))
    ns.old_report = services.publish_report(report=old, user=None)
    ns.old_report.snapshot = _without_other_languages(ns.old_report.snapshot)
    ProgressReport.objects.filter(pk=ns.old_report.pk).update(snapshot=ns.old_report.snapshot, title_ru="")
    return ns


def _without_other_languages(value):
    if isinstance(value, dict):
        return {k: _without_other_languages(v) for k, v in value.items() if not k.endswith("_ru") and k != "languages"}
    if isinstance(value, list):
        return [_without_other_languages(v) for v in value]
    return value


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def ns(shared, db, settings):
    settings.API_RATE_LIMIT = ""
    return copy.copy(shared)


def _numbers(html: str) -> list[str]:
    """Every figure of a report page: the numeric cells of its tables, in order."""
    return re.findall(r'<td class="num">(?:<span class="zero">)?(\d+)', html)


def _in_language(lang: str, name: str, *args) -> str:
    with translation.override(lang):
        return reverse(name, args=args)


# --- reports ---------------------------------------------------------------------------------------


def test_the_russian_report_page_has_the_english_figures_and_the_russian_texts(client, ns):
    english = client.get(_in_language("en", "reports:detail", ns.report.slug))
    russian = client.get(_in_language("ru", "reports:detail", ns.report.slug))
    assert russian.request["PATH_INFO"] == f"/ru/reports/{ns.report.slug}/"
    assert english.status_code == russian.status_code == 200
    en, ru = english.content.decode(), russian.content.decode()
    assert _numbers(en) and _numbers(en) == _numbers(ru)
    assert "At a glance" in en and "Коротко" in ru and "At a glance" not in ru
    assert "Отчёт о выполнении обязательств за 2022 Q1" in ru  # the report's Russian title
    assert INTRO_RU in ru and "The first quarter of 2022." not in ru
    assert EXPERT_RU in ru and SUMMARY_RU in ru and "Expert in post in Bishkek" not in ru
    # A text with no Russian is shown in English, marked so.
    assert '<span lang="en">Border management programme</span>' in ru
    assert 'href="/ru/commitments/deploy-ct-expert/"' in ru and 'href="/commitments/deploy-ct-expert/"' in en
    assert f'href="/ru/reports/{ns.report.slug}.pdf"' in ru


def test_a_report_frozen_before_other_languages_renders_its_english_texts_marked_english(client, ns):
    ru = client.get(_in_language("ru", "reports:detail", ns.old_report.slug)).content.decode()
    en = client.get(_in_language("en", "reports:detail", ns.old_report.slug)).content.decode()
    assert _numbers(en) == _numbers(ru)
    assert f'<h1><span lang="en">{ns.old_report.title}</span></h1>' in ru
    assert "Коротко" in ru


def test_the_russian_report_list(client, ns):
    ru = client.get("/ru/reports/").content.decode()
    assert "Отчёты о выполнении" in ru and "Отчёт о выполнении обязательств за 2022 Q1" in ru
    assert f'href="/ru/reports/{ns.report.slug}/"' in ru


def test_each_language_has_its_own_stored_pdf(client, ns, pdf_renders):
    english = client.get(_in_language("en", "reports:pdf", ns.report.slug))
    assert pdf_renders == []  # stored at publish
    russian = client.get(_in_language("ru", "reports:pdf", ns.report.slug))
    assert russian.status_code == 200 and russian["Content-Language"] == "ru"
    assert russian.content != english.content and russian["ETag"] != english["ETag"]
    assert russian["Content-Disposition"].endswith(f'-{ns.report.slug}-ru.pdf"')
    assert len(pdf_renders) == 1  # rendered once, on the first request, then stored
    again = Client().get(_in_language("ru", "reports:pdf", ns.report.slug), headers={"if-none-match": russian["ETag"]})
    assert again.status_code == 304 and len(pdf_renders) == 1
    report = ProgressReport.objects.get(pk=ns.report.pk)
    assert bytes(report.pdf_ru) == russian.content and bytes(report.pdf) == english.content


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,  # noqa: S607
                          check=True).stdout.decode()


def _table_figures(text: str) -> list[tuple[str, ...]]:
    """The numeric tails of a PDF's lines (a table row's figures), in order."""
    out = []
    for line in text.splitlines():
        if not re.search(r"[^\W\d_]", line):  # a chart's axis labels (no word): laid out differently per language
            continue
        found = re.search(r"((?:\s+[+-]?\d+){2,})\s*$", line)
        # Years are a date's, not a figure ("30 June 2019 3 0" beside "30 июня 2019 г. 3 0").
        figures = tuple(t for t in found[1].split() if not re.fullmatch(r"(19|20)\d\d", t)) if found else ()
        if len(figures) >= 2:
            out.append(figures)
    return out


@pytest.mark.real_pdf
def test_the_russian_pdf_has_the_english_figures_its_language_and_russian_text(client, ns):
    if not (shutil.which("pdfinfo") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils are not installed")
    en_pdf = client.get(_in_language("en", "reports:pdf", ns.report.slug)).content
    ru_pdf = client.get(_in_language("ru", "reports:pdf", ns.report.slug)).content
    info = subprocess.run(["pdfinfo", "-"], input=ru_pdf, capture_output=True, check=True).stdout.decode()  # noqa: S607
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^Title:\s+Отчёт о выполнении обязательств за 2022 Q1$", info, re.MULTILINE)
    assert re.search(rb"/Lang\s*\(ru\)", _objects(ru_pdf)) and re.search(rb"/Lang\s*\(en\)", _objects(en_pdf))
    en, ru = _pdf_text(en_pdf), _pdf_text(ru_pdf)
    assert _table_figures(en) and _table_figures(en) == _table_figures(ru)
    squeezed = " ".join(ru.split())
    for expected in ("Коротко", "Методология", EXPERT_RU, SUMMARY_RU):
        assert expected in squeezed, expected


def _objects(pdf: bytes) -> bytes:
    import zlib

    streams = re.findall(rb"/Type /ObjStm.*?stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL)
    return b"".join([pdf, *(zlib.decompress(stream) for stream in streams)])


def test_the_snapshot_carries_the_russian_texts(ns):
    s = ProgressReport.objects.get(pk=ns.report.pk).snapshot
    assert s["languages"] == ["en", "ru"]
    row = next(r for r in s["rows"] if r["slug"] == "deploy-ct-expert")
    assert row["title_ru"] == EXPERT_RU
    update = next(u for u in s["updates"] if u["commitment"] == "deploy-ct-expert")
    assert update["summary_ru"] == SUMMARY_RU and update["commitment_title_ru"] == EXPERT_RU
    assert {e["slug"]: e["name_ru"] for e in s["country_counts_end"]}["kz"] == "Казахстан"
    assert {e["slug"]: e["name_ru"] for e in s["by_theme"]}["terrorism-financing"] == ""  # none: English shown
    assert row["url"] == "/commitments/deploy-ct-expert/"


def test_a_snapshot_built_on_a_russian_page_stores_the_default_languages_paths(ns):
    from commitments.reports.snapshot import build_snapshot

    with translation.override("ru"):
        s = build_snapshot(period=parse_period("2022-Q1"))
    assert {r["url"] for r in s["rows"]} >= {"/commitments/deploy-ct-expert/"}
    assert all(not r["url"].startswith("/ru/") for r in s["rows"])
    assert date.fromisoformat(s["period"]["start"]) == date(2022, 1, 1)


# --- the feed --------------------------------------------------------------------------------------


def test_the_russian_feed(client, ns):
    import feedparser

    response = client.get("/ru/feeds/updates.atom")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Мониторинг обязательств: обновления статусов"
    assert parsed.feed.subtitle == "Опубликованные обновления статусов и их отзывы, сначала новые."
    assert parsed.feed.language == "ru" or 'xml:lang="ru"' in response.content.decode()
    by_link = {e.link.rsplit("#", 1)[1]: e for e in parsed.entries}
    translated = by_link[f"update-{ns.expert_u2.pk}"]
    assert translated.title.startswith(f"{EXPERT_RU}: ") and "(по состоянию на " in translated.title
    assert translated.summary == SUMMARY_RU
    # No Russian: the English texts, in the Russian sentence.
    untranslated = by_link[f"update-{ns.exchange_u1.pk}"]
    assert untranslated.title.startswith("Exchange good practice on P/CVE: ")
    assert untranslated.summary == "Exchanges paused after one workshop."
    assert "/ru/commitments/deploy-ct-expert/" in translated.link
    # The same entries as the English feed, in the same order.
    english = feedparser.parse(client.get("/feeds/updates.atom").content)
    assert english.feed.title == "Commitments Tracker: status updates"
    assert [e.link.rsplit("#", 1)[1] for e in english.entries] == [e.link.rsplit("#", 1)[1] for e in parsed.entries]


def test_the_russian_feed_takes_the_lists_filters(client, ns):
    import feedparser

    parsed = feedparser.parse(client.get("/ru/feeds/updates.atom?country=kz").content)
    assert parsed.entries and all("deploy-ct-expert" in e.link or "cut-terrorism" in e.link for e in parsed.entries)
    assert client.get("/ru/feeds/updates.atom?status=nonsense").status_code == 400


# --- the exports -----------------------------------------------------------------------------------


def _body(response) -> str:
    assert response.status_code == 200, response
    if not response.streaming:
        return response.content.decode("utf-8")
    return b"".join(response.streaming_content).decode("utf-8")


def _csv(client, url: str, **headers) -> tuple[list[str], list[dict]]:
    import csv
    import io

    reader = csv.DictReader(io.StringIO(_body(client.get(url, headers=headers)).lstrip("\ufeff"), newline=""))
    rows = list(reader)
    return reader.fieldnames, rows


def _json(client, url: str, **headers) -> dict:
    import json

    return json.loads(_body(client.get(url, headers=headers)))


RU_COMMITMENT_COLUMNS = ["title_ru", "quote_translation_ru", "quote_translation_source_ru", "quote_translation_url_ru",
                         "location_ru", "source_title_ru", "theme_names_ru", "country_names_ru", "actor_names_ru",
                         "status_label_ru", "status_summary_ru"]
RU_UPDATE_COLUMNS = ["commitment_title_ru", "country_name_ru", "status_label_ru", "summary_ru"]


def test_the_commitments_csv_adds_the_russian_columns_after_the_english_ones(client, ns):
    english, en_rows = _csv(client, "/commitments/export.csv")
    header, rows = _csv(client, "/commitments/export.csv?lang=ru")
    countries = [h for h in english if h.startswith("status_") and h not in ("status_label", "status_summary",
                                                                              "status_as_of", "status_as_of_precision",
                                                                              "status_confidence", "status_update_url")]
    fixed = english[: len(english) - len(countries)]
    assert header == [*fixed, *RU_COMMITMENT_COLUMNS, *countries]  # nothing removed, renamed or moved
    assert [{k: r[k] for k in english} for r in rows] == en_rows  # the English cells as they were
    expert = next(r for r in rows if r["slug"] == "deploy-ct-expert")
    assert expert["title_ru"] == EXPERT_RU and expert["quote_translation_ru"] == EXPERT_QUOTE_RU
    assert expert["quote_translation_source_ru"] == "tracker" and expert["quote_translation_url_ru"] == ""
    assert expert["quote"] == "The EU will deploy a dedicated security and CT expert to the region."  # verbatim
    assert expert["country_names_ru"] == "Киргизия; Казахстан" and expert["countries"] == "kg; kz"
    assert expert["source_title_ru"] == "ЕС и Центральная Азия: новые возможности"
    assert expert["status_summary_ru"] == SUMMARY_RU and expert["location_ru"] == "Раздел 2.1, абзац 4"
    untranslated = next(r for r in rows if r["slug"] == "border-management-programme")
    assert untranslated["title_ru"] == "" and untranslated["title"] == "Border management programme"


def test_an_export_follows_its_address_and_an_explicit_lang_wins(client, ns):
    english, _ = _csv(client, "/commitments/export.csv", **{"accept-language": "ru"})  # the header does not count
    assert "title_ru" not in english
    under_ru, _ = _csv(client, "/ru/commitments/export.csv")
    assert "title_ru" in under_ru
    assert "title_ru" not in _csv(client, "/ru/commitments/export.csv?lang=en")[0]
    response = client.get("/ru/commitments/export.csv")
    assert response["Content-Language"] == "en, ru" and response["Content-Disposition"].endswith('commitments-ru.csv"')
    assert client.get("/commitments/export.csv")["Content-Language"] == "en"


@pytest.mark.parametrize("url", ["/commitments/export.csv", "/commitments/export.json", "/updates/export.csv",
                                 "/updates/export.json", "/ru/commitments/export.csv"])
@pytest.mark.parametrize("value", ["de", "RU", "russian", "ru&lang=en"])
def test_an_unknown_language_is_refused_with_a_clear_message(client, ns, url, value):
    response = client.get(f"{url}?lang={value}")
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith("Bad request:\nlang: ") and ("use one of en, ru" in text or "Give lang once" in text)


def test_the_json_exports_in_russian_validate_against_their_published_schemas(client, ns):
    import jsonschema

    for name in ("commitments", "updates"):
        schema = _json(client, f"/{name}/export.schema.json")
        jsonschema.Draft202012Validator.check_schema(schema)
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
        for query in ("lang=ru", "lang=ru&country=kg", "lang=en", ""):
            doc = _json(client, f"/{name}/export.json?{query}")
            validator.validate(doc)
            assert doc["meta"]["language"] == ("ru" if "ru" in query else "en")
        properties = schema["properties"][name]["items"]["properties"]
        assert "title_ru" in properties or "summary_ru" in properties
        assert not {"title_ru", "summary_ru"} & set(schema["properties"][name]["items"]["required"])
    doc = _json(client, "/ru/commitments/export.json")
    assert doc["meta"]["query"] == {} and doc["meta"]["language"] == "ru"
    assert _json(client, "/commitments/export.json?lang=ru")["meta"]["query"] == {"lang": ["ru"]}
    expert = next(r for r in doc["commitments"] if r["slug"] == "deploy-ct-expert")
    assert expert["theme_names_ru"] == ["Предупреждение насильственного экстремизма"]
    assert list(expert)[-1] == "country_status"


def test_the_updates_export_in_russian(client, ns):
    header, rows = _csv(client, "/updates/export.csv?lang=ru")
    english, en_rows = _csv(client, "/updates/export.csv")
    assert header == [*english, *RU_UPDATE_COLUMNS]
    row = next(r for r in rows if r["update_id"] == str(ns.expert_u2.pk))
    assert row["summary_ru"] == SUMMARY_RU and row["commitment_title_ru"] == EXPERT_RU
    assert row["summary"] == "Expert in post in Bishkek since March."
    doc = _json(client, "/updates/export.json?lang=ru")
    update = next(u for u in doc["updates"] if u["update_id"] == ns.expert_u2.pk)
    assert update["evidence"][0]["description_ru"] == "Назначение эксперта объявлено."
    assert update["country_name_ru"] is None  # an update of the whole commitment
    assert "description_ru" not in _json(client, "/updates/export.json")["updates"][0]["evidence"][0]


@pytest.mark.parametrize("url", ["/commitments/export.csv?lang=ru", "/updates/export.csv?lang=ru",
                                 "/ru/commitments/export.csv?country=kg"])
def test_frictionless_validates_the_russian_csvs_against_their_declarations(client, ns, tmp_path, url):
    import frictionless

    from commitments.exports import commitments as commitment_rows
    from commitments.exports import updates as update_rows
    from commitments.exports.schema import table_schema

    export = update_rows.EXPORT if "/updates/" in url else commitment_rows.EXPORT
    header, _ = _csv(client, url)
    declared = {c.name: c for c in export.csv_columns_in(("ru",))}
    schema = table_schema([declared.get(name, commitment_rows.PER_COUNTRY_COLUMN) for name in header])
    for field, name in zip(schema["fields"], header, strict=True):
        field["name"] = name
    path = tmp_path / "export.csv"
    path.write_text(_body(client.get(url)).lstrip("\ufeff"), encoding="utf-8")
    resource = frictionless.Resource(path=path.name, basepath=str(tmp_path), format="csv", encoding="utf-8",
                                     schema=frictionless.Schema.from_descriptor(schema))
    report = frictionless.validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_the_data_documentation_describes_the_russian_columns(client, ns):
    page = client.get("/about/data/").content.decode()
    for name in [*RU_COMMITMENT_COLUMNS, *RU_UPDATE_COLUMNS, "evidence[].description_ru"]:
        assert f"<code>{name}</code>" in page, name
    assert "lang=ru" in page


def test_the_matrix_csv_adds_the_russian_title_last(client, ns):
    english, en_rows = _csv(client, "/countries/matrix.csv")
    header, rows = _csv(client, "/countries/matrix.csv?lang=ru")
    assert header == [*english, "title_ru"]
    assert [{k: r[k] for k in english} for r in rows] == en_rows
    assert {r["slug"]: r["title_ru"] for r in rows}["deploy-ct-expert"] == EXPERT_RU
    assert _csv(client, "/ru/countries/matrix.csv")[0] == header
    assert client.get("/countries/matrix.csv?lang=xx").status_code == 400


# --- the API ---------------------------------------------------------------------------------------


def _without_other_languages_fields(value):
    """A response with every ``*_ru`` field left out (what the English response must then equal)."""
    if isinstance(value, dict):
        return {k: _without_other_languages_fields(v) for k, v in value.items() if not k.endswith("_ru")}
    if isinstance(value, list):
        return [_without_other_languages_fields(v) for v in value]
    return value


API_PATHS = ["commitments/?page_size=100", "commitments/deploy-ct-expert/", "updates/?page_size=100",
             "themes/", "countries/kz/", "actors/", "sources/eu-strategy-2019/", "reports/"]


@pytest.mark.parametrize("path", API_PATHS)
def test_the_api_adds_the_russian_fields_and_keeps_the_english_ones(client, ns, path):
    english = client.get(f"/api/v1/{path}")
    for russian in (client.get(f"/api/v1/{path}{'&' if '?' in path else '?'}lang=ru"),
                    client.get(f"/api/v1/{path}", headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"})):
        assert russian.status_code == 200
        assert russian["Content-Language"] == "en, ru" and english["Content-Language"] == "en"
        assert "Accept-Language" in russian["Vary"] and "Accept-Language" in english["Vary"]
        assert _without_other_languages_fields(russian.json()) == english.json()
        assert "_ru" in russian.content.decode() and "_ru\"" not in english.content.decode()


def test_the_russian_fields_of_a_commitment(client, ns):
    body = client.get("/api/v1/commitments/deploy-ct-expert/?lang=ru").json()
    assert body["title"] == "Deploy a dedicated CT expert" and body["title_ru"] == EXPERT_RU
    assert body["quote_translation_ru"] == EXPERT_QUOTE_RU and body["quote_translation_source_ru"] == "tracker"
    assert body["quote"] == "The EU will deploy a dedicated security and CT expert to the region."
    assert body["status_summary_ru"] == SUMMARY_RU and body["location_ru"] == "Раздел 2.1, абзац 4"
    assert {c["slug"]: c["name_ru"] for c in body["countries"]} == {"kg": "Киргизия", "kz": "Казахстан"}
    assert body["source"]["title_ru"] == "ЕС и Центральная Азия: новые возможности"
    assert body["quote_context_ru"] == ""
    listed = client.get("/api/v1/commitments/?page_size=100&lang=ru").json()["results"]
    untranslated = next(r for r in listed if r["slug"] == "border-management-programme")
    assert untranslated["title_ru"] == "" and untranslated["actors"][0]["name_ru"] == ""
    never_assessed = next(r for r in listed if r["slug"] == "cut-terrorism-financing")
    assert never_assessed["status_summary"] is None and never_assessed["status_summary_ru"] is None
    update = client.get(f"/api/v1/updates/{ns.expert_u2.pk}/?lang=ru").json()
    assert update["summary_ru"] == SUMMARY_RU and update["commitment"]["title_ru"] == EXPERT_RU
    assert update["evidence"][0]["description_ru"] == "Назначение эксперта объявлено."
    report = client.get(f"/api/v1/reports/{ns.report.slug}/?lang=ru").json()
    assert report["title_ru"] == "Отчёт о выполнении обязательств за 2022 Q1" and report["introduction_ru"] == INTRO_RU
    assert report["html_url_ru"] == f"http://testserver/ru/reports/{ns.report.slug}/"
    assert report["pdf_url_ru"] == f"http://testserver/ru/reports/{ns.report.slug}.pdf"


def test_an_explicit_lang_wins_over_accept_language(client, ns):
    body = client.get("/api/v1/commitments/deploy-ct-expert/?lang=en", headers={"accept-language": "ru"})
    assert "title_ru" not in body.json() and body["Content-Language"] == "en"
    other = client.get("/api/v1/commitments/deploy-ct-expert/", headers={"accept-language": "de, fr;q=0.8"})
    assert "title_ru" not in other.json() and other["Content-Language"] == "en"


def test_the_etag_differs_by_language(client, ns):
    url = "/api/v1/commitments/deploy-ct-expert/"
    english = client.get(url)["ETag"]
    russian = client.get(url, headers={"accept-language": "ru"})["ETag"]
    assert russian != english and client.get(f"{url}?lang=ru")["ETag"] not in (english, russian)
    assert client.get(url, headers={"accept-language": "ru", "if-none-match": english}).status_code == 200
    again = client.get(url, headers={"accept-language": "ru", "if-none-match": russian})
    assert again.status_code == 304 and again["Content-Language"] == "en, ru" and "Accept-Language" in again["Vary"]


@pytest.mark.parametrize("path", ["commitments/", "commitments/deploy-ct-expert/", "updates/", "themes/kz/",
                                  "countries/kz/", "reports/"])
def test_an_unknown_language_is_a_400_naming_the_valid_ones(client, ns, path):
    response = client.get(f"/api/v1/{path}?lang=xx")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["parameter"] == "lang" and error["valid_values"] == ["en", "ru"]
    assert "“xx” is not a language of this site" in error["messages"][0]


def test_the_russian_fields_cost_a_fixed_number_of_queries(client, ns):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for path in ("commitments/", "updates/"):
        count(f"/api/v1/{path}?page_size=1&lang=ru")  # what is kept per data version is read once
        one, many = count(f"/api/v1/{path}?page_size=1&lang=ru"), count(f"/api/v1/{path}?page_size=100&lang=ru")
        english = count(f"/api/v1/{path}?page_size=100")
        assert one == many and many - english <= 4, (path, one, many, english)


def test_the_openapi_document_declares_lang_and_the_russian_fields(client, ns):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            names = [p["name"] for p in operation.get("parameters", [])]
            assert "lang" in names, path
            assert "400" in operation["responses"], path
    commitment = document["components"]["schemas"]["Commitment"]
    assert "title_ru" in commitment["properties"] and "title_ru" not in commitment["required"]


def test_the_russian_report_csv_adds_the_russian_titles_last(client, ns):
    english, en_rows = _csv_text(client.get(_in_language("en", "reports:csv", ns.report.slug)))
    header, rows = _csv_text(client.get(_in_language("ru", "reports:csv", ns.report.slug)))
    assert header == [*english, "title_ru"] and [{k: r[k] for k in english} for r in rows] == en_rows
    assert {r["slug"]: r["title_ru"] for r in rows}["deploy-ct-expert"] == EXPERT_RU
    assert client.get(f"/reports/{ns.report.slug}.csv?lang=ru").content == client.get(
        f"/ru/reports/{ns.report.slug}.csv").content
    assert client.get(f"/reports/{ns.report.slug}.csv?lang=zz").status_code == 400


def _csv_text(response) -> tuple[list[str], list[dict]]:
    import csv
    import io

    assert response.status_code == 200
    reader = csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"), newline=""))
    rows = list(reader)
    return reader.fieldnames, rows


def test_the_russian_report_page_reads_as_many_rows_as_the_english_one(client, ns):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for lang in ("en", "ru", "en", "ru"):  # the first of each warms what is kept per process
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_in_language(lang, "reports:detail", ns.report.slug)).status_code == 200
        counts.append(len(queries))
    assert counts[2] == counts[3], counts
