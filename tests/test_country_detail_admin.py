"""Per-country assessments on the commitment page (the "Status by country" table and the timeline filtered by
country) and in the staff admin (the scope field and its review, the country table, one-step country updates,
the "status in country" list filter)."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from commitments import revisions, services
from commitments.admin_actions import APPLY
from commitments.models import Commitment, CountryStatus, Revision, StatusUpdate

from . import factories as f
from .conftest import built_once
from .factories import admin_change_url as _change_url
from .factories import logged_in as _client
from .test_query_counts import DETAIL

pytestmark = pytest.mark.django_db

PER_COUNTRY, REGIONAL = Commitment.Scope.PER_COUNTRY, Commitment.Scope.REGIONAL
# A per-country commitment's page reads its stored country statuses (``CountryStatus``) in one more query; a
# regional one's table comes from the commitment and its timeline, so its page keeps ``DETAIL``.
DETAIL_PER_COUNTRY = DETAIL + 1
WITHDRAWN = "Published in error: the report was about another programme."


def _build() -> SimpleNamespace:
    ns = SimpleNamespace()
    ns.kz, ns.kg, ns.tj = f.country("kz", "Kazakhstan"), f.country("kg", "Kyrgyzstan"), f.country("tj", "Tajikistan")
    ns.uz = f.country("uz", "Uzbekistan")  # used by a draft commitment only: not public
    f.commitment(state=Commitment.State.DRAFT).countries.set([ns.uz])

    ns.returnees = f.commitment(slug="returnees", title="Reintegrate returnee families", assessment_scope=PER_COUNTRY)
    ns.returnees.countries.set([ns.kz, ns.kg, ns.tj])
    ns.overall = f.update(ns.returnees, status="in_progress", as_of=date(2021, 1, 1), published=True)
    ns.kz_old = f.update(ns.returnees, country=ns.kz, status="in_progress", as_of=date(2021, 6, 1), published=True)
    ns.kz_now = f.update(ns.returnees, country=ns.kz, status="achieved", as_of=date(2022, 3, 1),
                         as_of_precision="month", published=True, summary="Centres open in Almaty.")
    # Never counted: a newer Kazakh update withdrawn, a Kazakh draft, and Tajikistan's only updates (one
    # withdrawn, one draft): Kazakhstan stays "achieved", Tajikistan "not yet assessed".
    ns.kz_withdrawn = f.update(ns.returnees, country=ns.kz, status="abandoned", as_of=date(2023, 1, 1), published=True)
    services.withdraw_status_update(update=ns.kz_withdrawn, user=None, reason=WITHDRAWN)
    ns.kz_draft = f.update(ns.returnees, country=ns.kz, status="abandoned", as_of=date(2024, 1, 1))
    ns.tj_withdrawn = f.update(ns.returnees, country=ns.tj, status="not_started", as_of=date(2021, 2, 1),
                               published=True)
    services.withdraw_status_update(update=ns.tj_withdrawn, user=None, reason=WITHDRAWN)
    ns.tj_draft = f.update(ns.returnees, country=ns.tj, status="achieved", as_of=date(2024, 2, 1))

    ns.expert = f.commitment(slug="expert", title="Deploy a CT expert for the region")  # regional
    ns.expert.countries.set([ns.kz, ns.kg])
    ns.expert_u = f.update(ns.expert, status="in_progress", as_of=date(2020, 6, 1), published=True)

    ns.nowhere = f.commitment(slug="nowhere", title="Share research")  # no country
    ns.returnees.refresh_from_db()
    return ns


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _build) as ns:
        yield ns


def _rows(response) -> dict:
    """The page's country table: slug -> (status, as-of, precision, regional, href)."""
    return {row.country.slug: (row.status, row.as_of, row.precision, row.regional, href)
            for row, href in response.context["country_table"]}


# --- the public page ----------------------------------------------------------------------------


def test_a_per_country_commitment_shows_each_countrys_own_status_never_the_overall_one(client, data):
    response = client.get(data.returnees.get_absolute_url())
    assert response.status_code == 200
    assert _rows(response) == {
        "kz": ("achieved", date(2022, 3, 1), "month", False, f"#update-{data.kz_now.pk}"),
        # Neither the overall "in progress" nor Kazakhstan's; Tajikistan's withdrawn and draft updates count for
        # nothing.
        "kg": ("not_assessed", None, "day", False, None),
        "tj": ("not_assessed", None, "day", False, None),
    }
    html = response.content.decode()
    table = html[html.index('id="by-country"'):html.index('id="timeline"')]
    assert "Status by country" in html and "Overall status" in html
    assert '<span class="status-badge seg-achieved">Achieved</span>' in table  # in words, with its colour class
    assert table.count('<span class="status-badge seg-not_assessed">Not yet assessed</span>') == 2
    assert "March 2022" in table and "1 March 2022" not in table  # at its precision
    assert table.count("#update-") == 1  # no link for a country not yet assessed
    assert "regional" not in table
    assert response.context["commitment"].current_status == "in_progress"  # the overall status block is kept


def test_a_regional_commitment_shows_its_one_status_in_every_country_labelled_regional(client, data):
    response = client.get(data.expert.get_absolute_url())
    link = f"#update-{data.expert_u.pk}"
    assert _rows(response) == {"kz": ("in_progress", date(2020, 6, 1), "day", True, link),
                               "kg": ("in_progress", date(2020, 6, 1), "day", True, link)}
    html = response.content.decode()
    table = html[html.index('id="by-country"'):html.index('id="timeline"')]
    assert table.count('<span class="scope-note">regional</span>') == 2
    assert "Assessed regionally" in table
    assert "Overall status" not in html


def test_a_commitment_without_countries_has_no_country_table(client, data):
    response = client.get(data.nowhere.get_absolute_url())
    assert response.status_code == 200 and response.context["country_table"] == []
    assert "Status by country" not in response.content.decode()


def test_each_update_says_which_country_it_describes(client, data):
    html = client.get(data.returnees.get_absolute_url()).content.decode()

    def heading(update) -> str:
        start = html.index(f'id="update-{update.pk}"')
        return html[start:html.index("</h3>", start)]

    assert "Kazakhstan only" in heading(data.kz_now)
    assert "Overall" in heading(data.overall) and "only" not in heading(data.overall)
    withdrawn = html[html.index(f'id="update-{data.tj_withdrawn.pk}"'):]
    assert "Not started in Tajikistan as of" in withdrawn[:withdrawn.index("</summary>")]
    history = html[html.index('id="changes"'):]
    assert "— Achieved in Kazakhstan as of March 2022" in history and "— In progress as of 1 January 2021" in history
    assert "Kazakhstan only" not in client.get(data.expert.get_absolute_url()).content.decode()


def test_the_timeline_filtered_by_country_shows_that_countrys_updates_only(client, data):
    page = client.get(data.returnees.get_absolute_url()).content.decode()
    for slug in ("kz", "kg", "tj"):
        assert f'href="?country={slug}#timeline"' in page  # a real link per country, beside the table
    assert 'href="?#timeline" aria-current="page">All</a>' in page

    response = client.get(data.returnees.get_absolute_url(), {"country": "kz"})
    assert response.status_code == 200
    assert [u.pk for u in response.context["updates"]] == [data.kz_withdrawn.pk, data.kz_now.pk, data.kz_old.pk]
    html = response.content.decode()
    assert "Showing only the updates for Kazakhstan" in html
    assert 'href="?country=kz#timeline" aria-current="page"' in html

    response = client.get(data.returnees.get_absolute_url(), {"country": "tj"})
    assert [u.pk for u in response.context["updates"]] == [data.tj_withdrawn.pk]
    # Kazakhstan's update is not on this filtered page: its row links to the page filtered to Kazakhstan.
    assert _rows(response)["kz"][-1] == f"?country=kz#update-{data.kz_now.pk}"

    response = client.get(data.returnees.get_absolute_url(), {"country": "kg"})
    assert response.context["updates"] == []
    assert "No published update for Kyrgyzstan yet" in response.content.decode()


def test_a_regional_timeline_filtered_by_a_country_shows_its_overall_updates_and_says_why(client, data):
    response = client.get(data.expert.get_absolute_url(), {"country": "kg"})
    assert response.status_code == 200
    assert [u.pk for u in response.context["updates"]] == [data.expert_u.pk]
    assert "assessed regionally: every update below is about the whole commitment, Kyrgyzstan" in (
        " ".join(response.content.decode().split()))


@pytest.mark.parametrize("query", [
    {"country": "zz"},  # no such country
    {"country": "uz"},  # a country no public commitment uses
    {"country": "KZ"},
    {"country": "<script>alert(1)</script>"},
    {"country": ["kz", "kg"]},
])
def test_a_bad_country_on_the_timeline_is_a_400_that_says_why(client, data, query):
    response = client.get(data.returnees.get_absolute_url(), query)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<script>alert" not in html
    assert ("not one of this commitment" in html) or ("Choose one country" in html)


def test_a_country_not_among_the_commitments_is_a_400(client, data):
    response = client.get(data.expert.get_absolute_url(), {"country": "tj"})
    assert response.status_code == 400 and "not one of this commitment" in response.content.decode()
    response = client.get(data.nowhere.get_absolute_url(), {"country": "kz"})
    assert response.status_code == 400 and "names no country" in response.content.decode()


@pytest.mark.parametrize(("which", "query", "queries"), [
    ("returnees", {}, DETAIL_PER_COUNTRY),
    ("returnees", {"country": "kz"}, DETAIL_PER_COUNTRY),
    ("expert", {}, DETAIL),
    ("expert", {"country": "kz"}, DETAIL),
])
def test_the_country_table_is_read_in_one_query_whatever_the_countries(
        client, data, django_assert_num_queries, which, query, queries):
    from django.core.cache import cache

    from commitments.context_processors import SYNTHETIC_KEY

    cache.set(SYNTHETIC_KEY, False)  # as in production, almost always (see test_query_counts)
    commitment = getattr(data, which)
    extra = [f.country(slug, slug.upper()) for slug in ("tm", "af")]
    commitment.countries.add(*extra)  # more countries, same count
    with django_assert_num_queries(queries):
        response = client.get(commitment.get_absolute_url(), query)
    assert response.status_code == 200 and len(response.context["country_table"]) == 2 + len(extra) + (
        1 if which == "returnees" else 0)


# --- the admin ----------------------------------------------------------------------------------

UPDATE_ADD = reverse("admin:commitments_statusupdate_add")
CHANGELIST = reverse("admin:commitments_commitment_changelist")


EVIDENCE = {
    "evidence-0-stance": "supports", "evidence-0-title": "Ministry of Labour report",
    "evidence-0-publisher": "Ministry",
    "evidence-0-date": "2024-02-20", "evidence-0-date_precision": "day", "evidence-0-url": "https://example.org/kg",
    "evidence-0-indicates": "under way",
}


def test_the_commitment_form_shows_the_scope_with_its_help(data):
    html = _client(f.editor()).get(_change_url(data.returnees)).content.decode()
    assert "Scope of assessment" in html
    assert "each country shows only its own country updates" in html  # its help text


def test_the_change_page_shows_the_country_table_and_one_add_link_per_country(data):
    editor = _client(f.editor())
    response = editor.get(_change_url(data.returnees))
    rows = {item["row"].country.slug: item for item in response.context["country_rows"]}
    assert rows["kz"]["row"].status == "achieved"
    assert rows["kz"]["update_url"] == _change_url(data.kz_now)
    assert rows["kg"]["row"].status == "not_assessed" and rows["kg"]["update_url"] is None
    assert rows["kg"]["add_url"] == f"{UPDATE_ADD}?commitment={data.returnees.pk}&country={data.kg.pk}"
    html = response.content.decode()
    assert "Add a country update for Kyrgyzstan" in html and "Add an overall status update" in html

    response = editor.get(_change_url(data.expert))  # regional: the table, labelled, and no country add links
    assert {item["row"].regional for item in response.context["country_rows"]} == {True}
    html = response.content.decode()
    assert "In progress (regional)" in html and "Add a country update" not in html


def test_an_editor_adds_a_country_update_in_one_step_and_a_publisher_publishes_it(data):
    editor, publisher = _client(f.editor()), _client(f.publisher())
    add_url = f"{UPDATE_ADD}?commitment={data.returnees.pk}&country={data.kg.pk}"
    form = f.admin_form_data(editor, add_url)  # what the add form opens with
    assert (form["commitment"], form["country"]) == (str(data.returnees.pk), str(data.kg.pk))

    post = form | EVIDENCE | {"status": "in_progress", "as_of": "2024-03-01", "summary": "Centres open in Osh.",
                              "_publish": "1"}
    response = editor.post(add_url, post)
    assert response.status_code == 302
    update = StatusUpdate.objects.get(summary="Centres open in Osh.")
    assert (update.country, update.is_published) == (data.kg, False)  # an editor drafts; "_publish" is not theirs
    assert not CountryStatus.objects.filter(commitment=data.returnees, country=data.kg).exists()

    url = _change_url(update)
    post = f.admin_form_data(publisher, url) | {"_publish": "1", "publish_reason": "The ministry's report shows it."}
    response = publisher.post(url, post, follow=True)
    assert response.status_code == 200
    update.refresh_from_db()
    assert update.is_published
    assert any("in Kyrgyzstan" in str(m) for m in response.context["messages"])
    row = CountryStatus.objects.get(commitment=data.returnees, country=data.kg)
    assert (row.status, row.update_id) == ("in_progress", update.pk)
    page = Client().get(data.returnees.get_absolute_url())
    assert _rows(page)["kg"] == ("in_progress", date(2024, 3, 1), "day", False, f"#update-{update.pk}")
    assert page.context["commitment"].current_status == "in_progress"  # the overall status: its own update's

    # Withdrawn from the admin like an overall update: Kyrgyzstan is "not yet assessed" again.
    response = publisher.post(reverse("admin:commitments_statusupdate_changelist"), {
        "action": "withdraw_updates", "_selected_action": [update.pk], APPLY: "1", "reason": WITHDRAWN})
    assert response.status_code == 302
    assert _rows(Client().get(data.returnees.get_absolute_url()))["kg"] == ("not_assessed", None, "day", False, None)


@pytest.mark.parametrize(("which", "country", "message"), [
    ("expert", "kg", "Only a commitment assessed per country takes country updates"),
    ("returnees", "uz", "not one of this commitment's countries"),
])
def test_the_update_form_refuses_a_country_it_cannot_take_beside_the_field(data, which, country, message):
    editor = _client(f.editor())
    commitment = getattr(data, which)
    add_url = f"{UPDATE_ADD}?commitment={commitment.pk}&country={getattr(data, country).pk}"
    post = f.admin_form_data(editor, add_url) | EVIDENCE | {"status": "in_progress", "as_of": "2024-03-01",
                                                           "summary": "Refused."}
    response = editor.post(add_url, post)
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["country"])
    assert not StatusUpdate.objects.filter(summary="Refused.").exists()


def test_a_change_of_scope_of_a_public_commitment_goes_through_review_with_its_diff(data):
    editor, publisher = _client(f.editor()), _client(f.publisher())
    url = _change_url(data.expert)
    response = editor.post(url, f.admin_form_data(editor, url) | {"assessment_scope": PER_COUNTRY})
    assert response.status_code == 302
    data.expert.refresh_from_db()
    assert data.expert.assessment_scope == REGIONAL  # not applied yet: the public still sees it regional
    revision = Revision.objects.get(subject_id=data.expert.pk, review_state=Revision.State.PENDING)
    page = publisher.get(reverse("admin:commitments_revision_change", args=[revision.pk]))
    rows = {row["label"]: (row["published"], row["proposed"]) for row in page.context["rows"]}
    assert rows == {"Scope of assessment": (Commitment.Scope.REGIONAL.label, Commitment.Scope.PER_COUNTRY.label)}
    revisions.approve_revision(revision=revision, user=f.publisher(), reason="Assessed in each country from now on.")
    data.expert.refresh_from_db()
    assert data.expert.assessment_scope == PER_COUNTRY
    rows = _rows(Client().get(data.expert.get_absolute_url()))
    assert {slug: row[0] for slug, row in rows.items()} == {"kz": "not_assessed", "kg": "not_assessed"}


def test_back_to_regional_with_country_updates_on_record_is_refused_beside_the_field_and_on_approval(data):
    editor = _client(f.editor())
    url = _change_url(data.returnees)
    response = editor.post(url, f.admin_form_data(editor, url) | {"assessment_scope": REGIONAL})
    assert response.status_code == 200
    assert "stays assessed per country" in " ".join(response.context["adminform"].form.errors["assessment_scope"])
    assert not Revision.objects.filter(subject_id=data.returnees.pk).exists()
    # A revision proposed before the country updates were published is refused when approved.
    revision = revisions.propose_revision(instance=data.returnees, data={"assessment_scope": REGIONAL}, user=None)
    with pytest.raises(ValidationError, match="stays assessed per country"):
        revisions.approve_revision(revision=revision, user=f.publisher(), reason="Regional after all.")
    data.returnees.refresh_from_db()
    assert data.returnees.assessment_scope == PER_COUNTRY


@pytest.mark.parametrize(("country", "status", "expected"), [
    ("kz", "", ["expert", "returnees"]),
    ("kz", "achieved", ["returnees"]),  # Kazakhstan's own status
    ("kz", "in_progress", ["expert"]),  # the regional one; never the per-country one's overall "in progress"
    ("kg", "not_assessed", ["returnees"]),
    ("tj", "not_started", []),  # withdrawn: counts for nothing
    ("tj", "achieved", []),  # a draft: counts for nothing
])
def test_the_admin_list_filters_by_status_in_a_country(data, country, status, expected):
    query = {"country": getattr(data, country).pk} | ({"status_in_country": status} if status else {})
    response = _client(f.editor()).get(CHANGELIST, query)
    assert response.status_code == 200
    assert sorted(c.slug for c in response.context["cl"].result_list) == expected


def test_the_admin_list_shows_the_status_in_the_chosen_country(data):
    editor = _client(f.editor())
    html = editor.get(CHANGELIST, {"country": data.kz.pk}).content.decode()
    assert "Achieved (in Kazakhstan)" in html and "In progress (regional)" in html
    assert "status in the chosen country" in html  # the second filter is offered once a country is chosen
    assert "status in the chosen country" not in editor.get(CHANGELIST).content.decode()
    for bad in ("abc", "99999999999", str(data.kz.pk + 1000)):
        assert editor.get(CHANGELIST, {"country": bad, "status_in_country": "nonsense"}).status_code in (200, 302)


def test_the_update_form_offers_only_its_commitments_countries(data):
    """Opened for a commitment, the country select lists that commitment's countries, not every country."""
    editor = _client(f.editor())
    html = editor.get(f"{UPDATE_ADD}?commitment={data.returnees.pk}").content.decode()
    select = html[html.index('name="country"'):]
    select = select[:select.index("</select>")]
    assert "Kazakhstan" in select and "Tajikistan" in select and "Uzbekistan" not in select
    html = editor.get(UPDATE_ADD).content.decode()  # no commitment yet: every country
    select = html[html.index('name="country"'):]
    assert "Uzbekistan" in select[:select.index("</select>")]
