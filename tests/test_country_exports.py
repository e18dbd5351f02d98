"""Exports and the Atom feed follow the per-country rule (``country_status``): a country is never shown a
status assessed for another country or for the whole of a per-country commitment."""

from __future__ import annotations

import csv
import io
import json

import feedparser
import pytest

from commitments import cache, catalogue, facet_index, services
from commitments.models import Commitment

from . import factories as f
from .conftest import built_once

pytestmark = pytest.mark.django_db

PER_COUNTRY = Commitment.Scope.PER_COUNTRY
D = __import__("datetime").date


def build() -> dict:
    """Returnees (per country: KZ in progress then achieved, KG in progress with a withdrawn "stalled", TJ
    nothing; overall "abandoned", never shown in a country), a CT expert (regional, in progress in all),
    and a per-country commitment filed under KZ and TJ only, with no country update."""
    kz, kg, tj = f.country("kz", "Kazakhstan"), f.country("kg", "Kyrgyzstan"), f.country("tj", "Tajikistan")
    returnees = f.commitment(slug="returnees", title="=Reintegrate returnee families", assessment_scope=PER_COUNTRY)
    returnees.countries.set([kz, kg, tj])
    overall = f.update(returnees, status="abandoned", as_of=D(2020, 1, 1), published=True, summary="Overall.")
    kz_early = f.update(returnees, status="in_progress", as_of=D(2020, 1, 1), published=True, country=kz,
                        summary="KZ started.")
    kz_done = f.update(returnees, status="achieved", as_of=D(2021, 3, 1), published=True, country=kz,
                       summary="KZ done.")
    kg_going = f.update(returnees, status="in_progress", as_of=D(2020, 6, 30), published=True, country=kg,
                        summary="KG started.")
    wrong = f.update(returnees, status="stalled", as_of=D(2021, 1, 1), published=True, country=kg,
                     summary="KG stalled.")
    services.withdraw_status_update(update=wrong, user=None, reason="Published in error.")
    f.update(returnees, status="achieved", as_of=D(2021, 6, 1), country=tj, summary="TJ draft.")  # a draft
    expert = f.commitment(slug="expert", title="Deploy a CT expert")
    expert.countries.set([kz, kg, tj])
    expert_update = f.update(expert, status="in_progress", as_of=D(2020, 6, 30), published=True,
                             summary="Expert deployed.")
    silent = f.commitment(slug="silent", title="Exchange good practice", assessment_scope=PER_COUNTRY)
    silent.countries.set([kz, tj])
    f.update(silent, status="not_started", as_of=D(2019, 9, 1), published=True, summary="Silent overall.")
    cache.bump()
    return {"overall": overall.pk, "kz_early": kz_early.pk, "kz_done": kz_done.pk, "kg_going": kg_going.pk,
            "expert": expert_update.pk}


@pytest.fixture(scope="module")
def ids(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as made:
        yield made


@pytest.fixture
def w(ids, db) -> dict:
    facet_index.clear()
    catalogue.forget()
    return ids


def read_json(client, query: str = "") -> dict[str, dict]:
    response = client.get(f"/commitments/export.json?{query}")
    assert response.status_code == 200
    return {row["slug"]: row for row in json.loads(b"".join(response.streaming_content))["commitments"]}


def read_csv(client, query: str = "") -> tuple[list[str], dict[str, dict]]:
    response = client.get(f"/commitments/export.csv?{query}")
    assert response.status_code == 200
    reader = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff")))
    rows = list(reader)
    return reader.fieldnames, {row["url"].rstrip("/").rsplit("/", 1)[-1]: row for row in rows}


def here(status, as_of=None, update=None, slug="returnees"):
    url = f"http://testserver/commitments/{slug}/#update-{update}" if update else None
    return {"status": status, "as_of": as_of, "update_url": url}


def test_json_gives_each_country_its_own_status_and_the_regional_one_to_every_country(client, w):
    rows = read_json(client)
    assert rows["returnees"]["country_status"] == {
        "kz": here("achieved", "2021-03-01", w["kz_done"]),
        "kg": here("in_progress", "2020-06-30", w["kg_going"]),  # the withdrawn "stalled" counts for nothing
        "tj": here("not_assessed"),  # a draft counts for nothing; never the overall "abandoned"
    }
    assert rows["returnees"]["status"] == "abandoned"  # no country chosen: the overall status, as on the list
    expert = here("in_progress", "2020-06-30", w["expert"], slug="expert")
    assert rows["expert"]["country_status"] == {"kz": expert, "kg": expert, "tj": expert}
    assert rows["silent"]["country_status"] == {"kz": here("not_assessed"), "tj": here("not_assessed")}


def test_json_as_of_gives_the_status_in_each_country_on_that_day(client, w):
    rows = read_json(client, "as_of=2021-01-15")
    assert rows["returnees"]["country_status"] == {
        "kz": here("in_progress", "2020-01-01", w["kz_early"]),
        "kg": here("in_progress", "2020-06-30", w["kg_going"]),
        "tj": here("not_assessed"),
    }
    before = read_json(client, "as_of=2020-03-01")
    assert before["returnees"]["country_status"]["kg"] == here("not_assessed")
    assert before["expert"]["country_status"]["kz"] == here("not_assessed")  # its update is dated later


def test_the_update_url_lands_on_the_update(client, w):
    url = read_json(client)["returnees"]["country_status"]["kz"]["update_url"]
    page = client.get(url.split("#")[0])
    assert f'id="{url.split("#")[1]}"' in page.content.decode()


def test_csv_has_a_status_column_per_public_country_empty_where_not_filed(client, w):
    columns, rows = read_csv(client)
    assert columns[-3:] == ["status_kg", "status_kz", "status_tj"]
    assert [rows["returnees"][c] for c in columns[-3:]] == ["in_progress", "achieved", "not_assessed"]
    assert [rows["expert"][c] for c in columns[-3:]] == ["in_progress"] * 3
    assert [rows["silent"][c] for c in columns[-3:]] == ["", "not_assessed", "not_assessed"]
    assert rows["returnees"]["title"] == "'=Reintegrate returnee families"  # still neutralised
    _, then = read_csv(client, "as_of=2021-01-15")
    assert then["returnees"]["status_kz"] == "in_progress"


def test_one_country_chosen_the_status_column_is_the_status_there_as_on_the_list(client, w):
    assert read_json(client, "country=kz")["returnees"]["status"] == "achieved"
    assert read_json(client, "country=tj")["returnees"]["status"] == "not_assessed"
    assert list(read_json(client, "country=kz&status=achieved")) == ["returnees"]
    assert list(read_json(client, "country=kg&status=abandoned")) == []  # the overall status is not KG's
    _, rows = read_csv(client, "country=kg&status=in_progress")
    assert sorted(rows) == ["expert", "returnees"]
    # The country_status object is the same whatever the filter.
    assert read_json(client, "country=kz")["returnees"]["country_status"] == read_json(client)["returnees"][
        "country_status"]


# --- the Atom feed -----------------------------------------------------------------------------


def feed(client, query: str = ""):
    response = client.get(f"/feeds/updates.atom?{query}")
    assert response.status_code == 200
    return feedparser.parse(response.content)


def test_the_feed_for_one_country_lists_only_the_updates_that_describe_it(client, w):
    parsed = feed(client, "country=kz")
    summaries = sorted(e.summary for e in parsed.entries)
    assert summaries == ["Expert deployed.", "KZ done.", "KZ started."]
    assert {e.tags[0].term for e in parsed.entries} == {"Kazakhstan", "Regional"}
    done = next(e for e in parsed.entries if e.summary == "KZ done.")
    assert done.title == "=Reintegrate returnee families: Achieved in Kazakhstan (as of 1 March 2021)"
    assert done.link.endswith(f"/commitments/returnees/#update-{w['kz_done']}")
    kg = feed(client, "country=kg")
    kept = sorted(e.summary for e in kg.entries if not e.title.startswith("Withdrawn: "))
    assert kept == ["Expert deployed.", "KG stalled.", "KG started."]
    assert [e.title for e in kg.entries if e.title.startswith("Withdrawn: ")] == [
        "Withdrawn: =Reintegrate returnee families: Stalled in Kyrgyzstan (as of 1 January 2021)"]
    assert [e.summary for e in feed(client, "country=tj").entries] == ["Expert deployed."]


def test_the_whole_feed_says_what_each_update_describes(client, w):
    parsed = feed(client)
    tags = {e.summary: e.tags[0].term for e in parsed.entries if not e.title.startswith("Withdrawn: ")}
    assert tags == {"Overall.": "Overall", "KZ started.": "Kazakhstan", "KZ done.": "Kazakhstan",
                    "KG started.": "Kyrgyzstan", "KG stalled.": "Kyrgyzstan", "Expert deployed.": "Regional",
                    "Silent overall.": "Overall"}
    overall = next(e for e in parsed.entries if e.summary == "Overall.")
    assert overall.title == "=Reintegrate returnee families: Abandoned overall (as of 1 January 2020)"


# --- the open-data dump (format 5) ---------------------------------------------------------------


def _dump(tmp_path):
    from django.core.management import call_command

    call_command("export_dataset", str(tmp_path / "dump"), stdout=io.StringIO())
    return tmp_path / "dump"


def _json_rows(dump, name: str) -> list[dict]:
    return [json.loads(line.rstrip(",\n")) for line in (dump / f"{name}.json").read_text().splitlines()[1:-1]]


def _write_json_rows(dump, name: str, items: list[dict]) -> None:
    (dump / f"{name}.json").write_text("[\n" + ",\n".join(json.dumps(i) for i in items) + "\n]\n")


def test_the_dump_carries_scope_and_country_and_a_restore_derives_each_countrys_status(client, w, tmp_path):
    from commitments import dataset
    from commitments.models import CountryStatus

    from .test_dataset import delete_tracker_rows

    before = read_json(client)
    dump = _dump(tmp_path)
    package = json.loads((dump / "datapackage.json").read_text())
    assert package["tracker_format_version"] == dataset.FORMAT_VERSION == 5
    updates = next(r for r in package["resources"] if r["name"] == "status_updates")
    assert {"fields": "country", "reference": {"resource": "countries", "fields": "slug"}} in updates["schema"][
        "foreignKeys"]
    scopes = {row["slug"]: row["assessment_scope"] for row in _json_rows(dump, "commitments")}
    assert scopes == {"returnees": "per_country", "expert": "regional", "silent": "per_country"}
    countries = {row["summary"]: row["country"] for row in _json_rows(dump, "status_updates")}
    assert countries == {"Overall.": "", "KZ started.": "kz", "KZ done.": "kz", "KG started.": "kg",
                         "KG stalled.": "kg", "Expert deployed.": "", "Silent overall.": ""}  # no draft
    with open(dump / "status_updates.csv", encoding="utf-8", newline="") as f:
        assert {row["summary"]: row["country"] for row in csv.DictReader(f)} == countries
    stored = sorted(CountryStatus.objects.values_list("commitment__slug", "country__slug", "status", "status_date"))

    delete_tracker_rows()
    from django.core.management import call_command

    call_command("import_dataset", str(dump), stdout=io.StringIO(), stderr=io.StringIO())
    catalogue.forget()
    facet_index.clear()
    assert sorted(CountryStatus.objects.values_list("commitment__slug", "country__slug", "status",
                                                    "status_date")) == stored
    after = read_json(client)
    assert {s: r["country_status"] for s, r in after.items()} == {s: r["country_status"] for s, r in before.items()}
    assert after["returnees"]["status"] == "abandoned"  # the overall status: from the overall update only


def test_the_check_refuses_a_country_update_of_a_regional_commitment_or_of_a_country_not_filed(w, tmp_path):
    from commitments import dataset

    dump = _dump(tmp_path)
    items = _json_rows(dump, "status_updates")
    for item in items:
        if item["summary"] == "Expert deployed.":
            item["country"] = "kz"
        if item["summary"] == "Silent overall.":
            item["country"] = "kg"  # silent is per country but not filed under Kyrgyzstan
        if item["summary"] == "KZ started.":
            item["country"] = "xx"
    _write_json_rows(dump, "status_updates", items)
    messages = [p.message for p in dataset.check_dataset(dump) if p.file == "status_updates.json"]
    assert any("'kz' is given but commitment" in m and "not assessed per country" in m for m in messages)
    assert any("'kg' is not among the countries of commitment" in m for m in messages)
    assert any("country 'xx' is not a slug in countries.json" in m for m in messages)


def test_the_check_reads_the_overall_status_from_overall_updates_only(w, tmp_path):
    """A dump whose per-country commitment's current status is its latest *country* update is refused."""
    from commitments import dataset

    dump = _dump(tmp_path)
    items = _json_rows(dump, "commitments")
    for item in items:
        if item["slug"] == "returnees":
            item["current_status"], item["current_status_date"] = "achieved", "2021-03-01"
    _write_json_rows(dump, "commitments", items)
    with open(dump / "commitments.csv", encoding="utf-8", newline="") as f:  # the CSV copy says the same
        table = list(csv.reader(f))
    status, day, slug = (table[0].index(n) for n in ("current_status", "current_status_date", "slug"))
    for row in table[1:]:
        if row[slug] == "returnees":
            row[status], row[day] = "achieved", "2021-03-01"
    with open(dump / "commitments.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(table)
    messages = [p.message for p in dataset.check_dataset(dump) if p.file == "commitments.json"]
    assert any("current_status achieved (2021-03-01) is not what its updates" in m and "abandoned" in m
               for m in messages)
