"""Per-country assessments: a commitment's status in a country is that country's own (or, for a regional
commitment, the one regional status), never another country's nor the overall one; the rule's SQL, numpy
and Python forms agree, and every counting engine uses it."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from commitments import cache, catalogue, country_status, facet_index, services
from commitments.models import Commitment, CountryStatus, StatusUpdate

from . import factories as f
from .conftest import built_once

pytestmark = pytest.mark.django_db

PER_COUNTRY, REGIONAL = Commitment.Scope.PER_COUNTRY, Commitment.Scope.REGIONAL
DAYS = [date(2019, 12, 31), date(2020, 1, 1), date(2020, 6, 30), date(2021, 1, 1), date(2021, 3, 1), date(2022, 1, 1)]


def build() -> dict:
    """Returnees (per country: KZ achieved, KG stalled then withdrawn back to in progress, TJ nothing), a
    CT expert (regional, in progress), and a per-country commitment with no update at all."""
    kz, kg, tj = f.country("kz", "Kazakhstan"), f.country("kg", "Kyrgyzstan"), f.country("tj", "Tajikistan")
    theme = f.theme(slug="returnees", name="Returnees")
    returnees = f.commitment(slug="returnees", title="Reintegrate returnee families", assessment_scope=PER_COUNTRY,
                             due_date=date(2021, 12, 31))
    returnees.countries.set([kz, kg, tj])
    returnees.themes.set([theme])
    f.update(returnees, status="in_progress", as_of=date(2020, 1, 1), published=True)  # overall
    f.update(returnees, status="in_progress", as_of=date(2020, 1, 1), published=True, country=kz)
    f.update(returnees, status="achieved", as_of=date(2021, 3, 1), published=True, country=kz)
    f.update(returnees, status="in_progress", as_of=date(2020, 6, 30), published=True, country=kg)
    wrong = f.update(returnees, status="stalled", as_of=date(2021, 1, 1), published=True, country=kg)
    services.withdraw_status_update(update=wrong, user=None, reason="Published in error.")
    expert = f.commitment(slug="expert", title="Deploy a CT expert", due_date=date(2020, 12, 31))
    expert.countries.set([kz, kg, tj])
    expert.themes.set([theme])
    f.update(expert, status="in_progress", as_of=date(2020, 6, 30), published=True)
    silent = f.commitment(slug="silent", title="Exchange good practice", assessment_scope=PER_COUNTRY)
    silent.countries.set([kz, tj])
    f.update(silent, status="not_started", as_of=date(2019, 9, 1), published=True)
    cache.bump()
    return {"kz": kz, "kg": kg, "tj": tj, "returnees": returnees, "expert": expert, "silent": silent}


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as made:
        yield made


@pytest.fixture
def w(built, db) -> dict:
    facet_index.clear()
    catalogue.forget()
    return copy.deepcopy(built)


def python_form(c: Commitment, country, day: date) -> str:
    published = list(StatusUpdate.objects.published().filter(commitment=c)
                     .values_list("as_of", "published_at", "id", "status", "country_id"))
    overall = [u[:4] for u in published if u[4] is None]
    mine = [u[:4] for u in published if u[4] == country.pk]
    return country_status.status_in_country(scope=c.assessment_scope, overall_updates=overall,
                                             country_updates=mine, day=day)[0]


def test_the_three_forms_agree_on_every_commitment_country_and_boundary_day(w):
    index = facet_index.refresh()
    for c in (w["returnees"], w["expert"], w["silent"]):
        for country in c.countries.all():
            now = Commitment.objects.filter(pk=c.pk).at(country=country.pk).get().eff_status
            assert now == python_form(c, country, date.max), (c.slug, country.slug)
            row = int(index.rows_of([c.pk]).nonzero()[0][0])
            status, _ = index.in_country(country.pk)
            assert facet_index.STATUS_CODES[now] == status[row]
            for day in DAYS:
                on = Commitment.objects.filter(pk=c.pk).at(day, country=country.pk).first()
                expected = python_form(c, country, day)
                assert (on.eff_status if on else "not made") == expected, (c.slug, country.slug, day)


def test_a_country_shows_its_own_status_never_another_countrys_nor_the_overall(w):
    in_country = {k: Commitment.objects.filter(pk=w["returnees"].pk).at(country=w[k].pk).get().eff_status
                  for k in ("kz", "kg", "tj")}
    assert in_country == {"kz": "achieved", "kg": "in_progress", "tj": "not_assessed"}
    assert Commitment.objects.get(pk=w["returnees"].pk).current_status == "in_progress"  # overall, from its own
    # a regional commitment's one status is every country's
    assert {Commitment.objects.filter(pk=w["expert"].pk).at(country=w[k].pk).get().eff_status
            for k in ("kz", "kg", "tj")} == {"in_progress"}
    assert set(CountryStatus.objects.values_list("country__slug", "status")) == {("kz", "achieved"),
                                                                                ("kg", "in_progress")}


def test_as_of_per_country(w):
    c = Commitment.objects.filter(pk=w["returnees"].pk)
    assert c.at(date(2021, 1, 15), country=w["kz"].pk).get().eff_status == "in_progress"
    # the withdrawn one never counts
    assert c.at(date(2021, 1, 15), country=w["kg"].pk).get().eff_status == "in_progress"
    assert c.at(date(2020, 3, 1), country=w["kg"].pk).get().eff_status == "not_assessed"


def facets(response) -> dict:
    return {facet.name: {o.value: o.count for o in facet.options} for facet in response.context["facets"]}


@pytest.mark.parametrize("engine", ["sql", "index"])
def test_the_list_filtered_by_one_country_uses_the_status_in_that_country(client, w, engine):
    facet_index.disconnect()
    try:
        if engine == "index":
            facet_index.refresh()
        response = client.get("/commitments/?country=tj")
        rows = {c.slug: c.eff_status for c in response.context["page"].object_list}
        assert rows == {"returnees": "not_assessed", "expert": "in_progress", "silent": "not_assessed"}
        assert "Status in Tajikistan" in response.content.decode()
        assert facets(response)["status"]["not_assessed"] == 2
        response = client.get("/commitments/?country=kz&status=achieved")
        assert [c.slug for c in response.context["page"].object_list] == ["returnees"]
        # each country's option counts its own statuses: only Kazakhstan has the returnees achieved
        assert {k: n for k, n in facets(response)["country"].items() if n} == {"kz": 1}
        response = client.get("/commitments/?country=kz&country=tj&status=in_progress")
        assert "Overall status" in response.content.decode()
        assert {c.slug for c in response.context["page"].object_list} == {"returnees", "expert"}
        response = client.get("/commitments/?country=kz&overdue=1")  # achieved in KZ: not overdue there
        assert {c.slug for c in response.context["page"].object_list} == {"expert"}
        response = client.get("/commitments/?country=kg&overdue=1")
        assert {c.slug for c in response.context["page"].object_list} == {"expert", "returnees"}
    finally:
        facet_index.connect()


@pytest.mark.parametrize("engine", ["sql", "index"])
def test_the_overview_and_the_country_page_count_each_countrys_own_statuses(client, w, engine, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    facet_index.disconnect()
    try:
        if engine == "index":
            facet_index.refresh()
        by_country = {row["slug"]: row["counts"] for row in client.get("/").context["by_country"]}
        assert by_country["kz"] == {"achieved": 1, "in_progress": 1, "not_assessed": 1}
        assert by_country["tj"] == {"in_progress": 1, "not_assessed": 2}
        page = client.get("/countries/tj/")
        assert {c.slug: c.eff_status for c in page.context["page"].object_list} == {
            "returnees": "not_assessed", "expert": "in_progress", "silent": "not_assessed"}
        assert "regional" in page.content.decode()
    finally:
        facet_index.connect()


def test_the_overview_as_of_a_day_counts_each_countrys_status_then(client, w):
    by_country = {row["slug"]: row["counts"] for row in client.get("/?as_of=2021-02-01").context["by_country"]}
    # silent is "not started" overall, but per country and not assessed in Kazakhstan
    assert by_country["kz"] == {"in_progress": 2, "not_assessed": 1}
    assert by_country["kg"] == {"in_progress": 2}  # silent is not filed under Kyrgyzstan



def test_a_country_update_belongs_to_a_per_country_commitment_and_one_of_its_countries(w):
    with pytest.raises(ValidationError) as raised:
        StatusUpdate(commitment=w["expert"], country=w["kz"], status="achieved", as_of=date(2021, 1, 1),
                     summary="x").full_clean()
    assert "regional" in str(raised.value)
    other = f.country("uz", "Uzbekistan")
    with pytest.raises(ValidationError) as raised:
        StatusUpdate(commitment=w["returnees"], country=other, status="achieved", as_of=date(2021, 1, 1),
                     summary="x").full_clean()
    assert "not one of this commitment's countries" in str(raised.value)


def test_a_commitment_with_published_country_updates_cannot_become_regional(w):
    c = w["returnees"]
    c.assessment_scope = REGIONAL
    with pytest.raises(ValidationError) as raised:
        c.full_clean()
    assert "assessment_scope" in raised.value.message_dict


@pytest.mark.parametrize("url", ["/updates/?country={}", "/feeds/updates.atom?country={}"])
def test_the_updates_of_a_country_are_those_that_describe_it(client, w, url):
    """Tajikistan: the regional expert's updates; none of the returnees' (per country: Kazakhstan's and
    Kyrgyzstan's updates are theirs alone, and its overall update is not Tajikistan's)."""
    text = client.get(url.format("tj")).content.decode()
    assert "Deploy a CT expert" in text
    assert "Reintegrate returnee families" not in text
    text = client.get(url.format("kz")).content.decode()
    assert text.count("Reintegrate returnee families") == 2  # Kazakhstan's own two updates
