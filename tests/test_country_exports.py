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
