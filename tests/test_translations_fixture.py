"""The real data in Russian (fixtures/translations-ru.yaml): every commitment, evidence item, update,
taxonomy entry and source of the real fixtures has its Russian text; every official quote translation is
the stored official text, verbatim; every other one is labelled machine-made; importing the three files
into an empty database gives the Russian columns; and a bad key is refused with its line, writing nothing."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from commitments.importing.stored_texts import parse_passages, verbatim
from commitments.models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

from . import factories
from .conftest import built_once

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DATA_FILE = FIXTURES / "commitments-sources.yaml"
ASSESSMENTS_FILE = FIXTURES / "assessments.yaml"
RU_FILE = FIXTURES / "translations-ru.yaml"
RU_PASSAGES = FIXTURES / "sources" / "passages" / "ru"
DATA = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
ASSESSMENTS = yaml.safe_load(ASSESSMENTS_FILE.read_text(encoding="utf-8"))["assessments"]
RU = yaml.safe_load(RU_FILE.read_text(encoding="utf-8"))
COMMITMENTS = {c["id"]: c for c in DATA["commitments"]}
NO_EVIDENCE = "no evidence found"
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def as_of(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def evidence_items(commitment: dict) -> dict[int, dict]:
    """The commitment's evidence items that become evidence rows, by position (research notes left out)."""
    return {n: e for n, e in enumerate(commitment.get("status_evidence") or [], 1) if e["indicates"] != NO_EVIDENCE}


def quote_translations() -> list[tuple[str, dict, str]]:
    """(where, entry, English quote) of every quote translation in the file."""
    out = []
    for slug, c in RU["commitments"].items():
        out.append((slug, c, COMMITMENTS[slug]["quote"]))
        for e in c.get("evidence") or []:
            english = COMMITMENTS[slug]["status_evidence"][e["item"] - 1]
            out.append((f"{slug} item {e['item']}", e, english.get("quote")))
    return [(where, entry, quote) for where, entry, quote in out if entry.get("quote_translation")]


# --- the file, without a database ---------------------------------------------------------------


def test_the_file_says_who_translated_it_and_how():
    meta = RU["meta"]
    assert (meta["language"], meta["translator"], meta["method"]) == ("ru", "tracker", "machine")
    assert meta["made_on"] == date(2026, 12, 3)
    assert "NOT reviewed by a native speaker" in meta["note"]
    assert meta["translates"] == [DATA_FILE.name]


def test_every_commitment_has_its_russian_texts():
    assert RU["commitments"].keys() == COMMITMENTS.keys()
    for slug, english in COMMITMENTS.items():
        ru = RU["commitments"][slug]
        assert ru["title"] and ru["quote_translation"], slug
        for name in ("location", "quote_context"):
            assert bool(ru.get(name)) == bool(english.get(name)), (slug, name)


def test_every_evidence_item_has_its_russian_description_and_quote_translation():
    for slug, english in COMMITMENTS.items():
        ru = {e["item"]: e for e in RU["commitments"][slug].get("evidence") or []}
        assert ru.keys() == evidence_items(english).keys(), slug
        for n, item in evidence_items(english).items():
            assert ru[n]["description"], (slug, n)
            assert bool(ru[n].get("quote_translation")) == bool(item.get("quote")), (slug, n)


def test_every_status_update_has_its_russian_summary():
    expected = {(a["commitment"], None, as_of(u["as_of"]), u["status"]) for a in ASSESSMENTS for u in a["updates"]}
    expected |= {(a["commitment"], code, as_of(u["as_of"]), u["status"]) for a in ASSESSMENTS
                 for code, updates in (a.get("country_updates") or {}).items() for u in updates}
    translated = {(slug, u.get("country"), as_of(u["as_of"]), u["status"]) for slug, c in RU["commitments"].items()
                  for u in c.get("updates") or [] if u["summary"]}
    assert translated == expected
    assert len(translated) == 68


def test_every_country_theme_actor_and_source_has_its_russian_name():
    assert RU["countries"].keys() == DATA["meta"]["countries"].keys()
    assert RU["themes"].keys() == DATA["meta"]["themes"].keys()
    assert RU["actors"].keys() == {a for c in DATA["commitments"] for a in c["actors"]}
    assert RU["sources"].keys() == {s["id"] for s in DATA["sources"]}


def test_every_russian_text_is_in_russian():
    """A text left in English (a copy not translated) fails here."""
    texts = [*RU["countries"].values(), *RU["themes"].values(), *RU["actors"].values(), *RU["sources"].values()]
    for c in RU["commitments"].values():
        texts += [c[k] for k in ("title", "location", "quote_context", "quote_translation") if c.get(k)]
        texts += [e[k] for e in c.get("evidence") or [] for k in ("description", "quote_translation") if e.get(k)]
        texts += [u["summary"] for u in c.get("updates") or []]
    untranslated = [t for t in texts if not CYRILLIC.search(t)]
    assert untranslated == []


def test_every_official_quote_translation_is_its_stored_official_text_verbatim():
    official = [(w, e) for w, e, _ in quote_translations() if e["quote_translation_source"] == "official"]
    assert len(official) == 4  # the Samarkand declaration's paragraphs 1 and 2, in the EEAS's Russian
    passages: dict[str, list[str]] = {}
    for path in sorted(RU_PASSAGES.glob("*.txt")):
        assert path.stem in {s["id"] for s in DATA["sources"]}, f"{path.name}: name a passage file by its source id"
        for url, text in parse_passages(path.read_text(encoding="utf-8")):
            passages.setdefault(url, []).append(text)
    for where, entry in official:
        url = entry["quote_translation_url"]
        assert url in passages, f"{where}: no stored official text read at {url}"
        assert verbatim(entry["quote_translation"], passages[url]), where


def test_every_other_quote_translation_is_labelled_machine_made():
    for where, entry, english in quote_translations():
        assert english, f"{where}: a translation of no quote"
        assert entry["quote_translation_source"] in {"official", "machine"}, where
        if entry["quote_translation_source"] == "machine":
            assert "quote_translation_url" not in entry, where


# --- the import ------------------------------------------------------------------------------------


def write_translations(tmp_path: Path, body: str) -> Path:
    """A translations file in ``tmp_path`` with the real file's meta and ``body``."""
    meta = RU_FILE.read_text(encoding="utf-8").split("\ncountries:", 1)[0]
    meta = meta.replace(f"translates: [{DATA_FILE.name}]", f"translates: [{DATA_FILE}]")
    path = tmp_path / "translations-ru.yaml"
    path.write_text(f"{meta}\n{body}", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_a_bad_key_beside_the_data_files_imports_nothing_at_all(tmp_path):
    assert not Commitment.objects.exists()
    bad = write_translations(tmp_path, "countries:\n  kz: Казахстан\n  xx: Нигде\n")
    err = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_commitments", str(DATA_FILE), str(ASSESSMENTS_FILE), str(bad),
                     stdout=StringIO(), stderr=err)
    assert str(exc.value) == (f"Nothing imported: 1 error in {bad} (first: line 37: country 'xx': "
                              "no country with this slug in the database)")
    assert not Commitment.objects.exists() and not Country.objects.exists()


@pytest.mark.django_db
def test_translations_are_never_applied_to_demo_data():
    factories.commitment(slug="demo", is_synthetic=True)
    factories.country("kz")
    with pytest.raises(CommandError, match="synthetic demo data"):
        call_command("import_commitments", str(RU_FILE), stdout=StringIO(), stderr=StringIO())
    assert Country.objects.get(slug="kz").name_ru == ""


@pytest.fixture(scope="class")
def imported_once(django_db_setup, django_db_blocker):
    """The three files imported once into the empty database, as ``make db`` does (for one class: the tests
    above need an empty database)."""
    out = StringIO()
    with built_once(django_db_blocker, lambda: call_command(
            "import_commitments", "--if-empty", str(DATA_FILE), str(ASSESSMENTS_FILE), str(RU_FILE), stdout=out)):
        yield out.getvalue()


class TestImported:
    @pytest.fixture
    def imported(self, imported_once, db):
        return imported_once

    def test_the_import_says_what_it_translated(self, imported):
        assert "commitments (ru): 56 translated, 0 unchanged" in imported
        assert "status updates (ru): 68 translated, 0 unchanged" in imported

    def test_every_row_has_its_russian_text_and_the_english_is_as_it_was(self, imported):
        for model, name in ((Country, "name"), (Theme, "name"), (Actor, "name"), (Source, "title")):
            assert not model.objects.filter(**{f"{name}_ru": ""}).exists(), model
        for c in Commitment.objects.all():
            english, ru = COMMITMENTS[c.slug], RU["commitments"][c.slug]
            assert (c.title, c.quote) == (english["title"], english["quote"])
            assert (c.title_ru, c.location_ru, c.quote_context_ru) == (
                ru["title"], ru.get("location", ""), ru.get("quote_context", ""))
            assert (c.quote_translation_ru, c.quote_translation_source_ru, c.quote_translation_url_ru) == (
                ru["quote_translation"], ru["quote_translation_source"], ru.get("quote_translation_url", ""))
        assert not StatusUpdate.objects.filter(summary_ru="").exists()
        assert not Evidence.objects.filter(description_ru="").exists()
        assert not Evidence.objects.exclude(quote="").filter(quote_translation_ru="").exists()
        assert not Evidence.objects.filter(quote="").exclude(quote_translation_ru="").exists()
        assert Evidence.objects.exclude(quote="").exclude(quote_translation_source_ru__in=["machine", "official"]) \
            .count() == 0
        # Every record's Russian texts say they are the tracker's machine translation (shown beside them).
        for model in (Country, Theme, Actor, Source, Commitment, StatusUpdate, Evidence):
            assert set(model.objects.values_list("translation_source_ru", flat=True)) == {"machine"}, model

    def test_an_official_translation_keeps_its_address(self, imported):
        upgrade = Commitment.objects.get(slug="upgrade-to-strategic-partnership-2025")
        assert upgrade.quote_translation_source_ru == "official"
        assert upgrade.quote_translation_url_ru == "https://www.eeas.europa.eu/node/451394_en"
        assert upgrade.quote_translation_ru.startswith("мы решили модернизировать отношения")
        kg = StatusUpdate.objects.get(commitment__slug="leica-law-enforcement-response-to-terrorism",
                                      country__slug="kg")
        assert kg.summary_ru.startswith("Национальный курс подготовки тренеров")

    def test_applying_the_file_again_changes_nothing(self, imported):
        out = StringIO()
        call_command("import_commitments", str(RU_FILE), stdout=out)
        assert "Nothing to change" in out.getvalue()

    @pytest.mark.parametrize(("body", "line", "message"), [
        ("commitments:\n  no-such-commitment:\n    title: Нет\n", 38,
         "commitment 'no-such-commitment': no commitment with this id in the database"),
        ("commitments:\n  deploy-regional-security-ct-expert:\n    title: Эксперт\n    evidence:\n"
         "      - item: 3\n        description: Нет\n", 41,
         "commitment 'deploy-regional-security-ct-expert': evidence item 3: this item is a research note "
         "('no evidence found'), not an evidence row: there is nothing to translate"),
        ("commitments:\n  deploy-regional-security-ct-expert:\n    title: Эксперт\n    updates:\n"
         "      - {as_of: 2019-05-18, status: not_started, summary: Нет}\n", 41,
         "commitment 'deploy-regional-security-ct-expert': update 2019-05-18 not_started: no status update of "
         "this commitment has this country, as_of and status"),
        ("actors:\n  Nobody: Никто\n", 38, "actor 'Nobody': no actor of this name in the database"),
    ])
    def test_a_bad_key_is_refused_with_its_line_and_nothing_changes(self, imported, tmp_path, body, line, message):
        # A good change first, so "nothing changes" is tested: the country's name must stay as it was.
        bad = write_translations(tmp_path, f"countries:\n  kz: Казахстан (изменено)\n{body}")
        with pytest.raises(CommandError) as exc:
            call_command("import_commitments", str(bad), stdout=StringIO(), stderr=StringIO())
        assert str(exc.value) == f"Nothing imported: 1 error in {bad} (first: line {line}: {message})"
        assert "\n" not in str(exc.value)
        assert Country.objects.get(slug="kz").name_ru == "Казахстан"
