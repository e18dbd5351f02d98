"""Getting around: the header menu, the index pages of themes, countries, actors and sources, breadcrumbs that
link, /about/ (the methodology's own text, corrections, licence, citation, contact) and /updates/."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from commitments import catalogue as public_catalogue
from commitments import facet_index, services, views
from commitments import status as status_scale
from commitments.dataset.schema import LICENSE
from commitments.models import Commitment

from . import factories
from .conftest import built_once

pytestmark = pytest.mark.django_db

MENU = ["Overview", "Commitments", "Countries", "Themes", "Reports", "Updates", "About"]
MENU_URLS = ["/", "/commitments/", "/countries/", "/themes/", "/reports/", "/updates/", "/about/"]
WITHDRAW_REASON = "It relied on a report about another programme."


class Links(HTMLParser):
    """The ``<a>`` elements of a page (attributes and text), and which ``<nav>`` holds each."""

    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self.navs: list[str] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav":
            self.navs.append(attrs.get("aria-label", ""))
        elif tag == "a":
            self._open = {**attrs, "text": "", "nav": self.navs[-1] if self.navs else ""}
            self.links.append(self._open)

    def handle_endtag(self, tag):
        if tag == "nav" and self.navs:
            self.navs.pop()
        elif tag == "a":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data


def links(response, nav: str | None = None) -> list[dict]:
    parser = Links()
    parser.feed(response.content.decode())
    return [dict(a, text=" ".join(a["text"].split())) for a in parser.links if nav is None or a["nav"] == nav]


def main_text(response) -> str:
    """The page's ``<main>`` as text, tags dropped, spaces collapsed."""
    body = response.content.decode().split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return re.sub(r" ([.,:;])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", body).split()))


@pytest.fixture(autouse=True)
def _warm_synthetic_flag():
    """Production answers "is this demo data?" from the cache almost always; count pages that way."""
    from django.core.cache import cache

    from commitments.context_processors import SYNTHETIC_KEY

    cache.set(SYNTHETIC_KEY, False)


@pytest.fixture
def catalogue(shared_catalogue, db):
    public_catalogue.forget()  # this module's rows, not an earlier module's catalogue at the same version
    return copy.deepcopy(shared_catalogue)


@pytest.fixture(params=["sql", "index"])
def counted_by(request, catalogue):
    """Each count asked of SQL (the index out of date) and of the facet index (current)."""
    if request.param == "index":
        facet_index.refresh()
    else:
        facet_index.clear()
    yield request.param
    facet_index.clear()


# --- the menu -----------------------------------------------------------------------------


def test_every_menu_page_is_reached_from_the_home_page_and_marks_itself(client, catalogue):
    menu = links(client.get("/"), nav="Main")
    assert [a["text"] for a in menu] == MENU
    assert [a["href"] for a in menu] == MENU_URLS  # real addresses: no JavaScript needed, "Updates" is no raw feed
    assert [a.get("aria-current") for a in menu] == ["page", None, None, None, None, None, None]
    for label, url in zip(MENU, MENU_URLS, strict=True):
        response = client.get(url)
        assert response.status_code == 200, url
        current = [a["text"] for a in links(response, nav="Main") if a.get("aria-current") == "page"]
        assert current == [label]


@pytest.mark.parametrize(("url", "section"), [("/themes/pcve/", "Themes"), ("/countries/kz/", "Countries"),
                                              ("/commitments/deploy-ct-expert/", "Commitments"),
                                              ("/methodology/", "About")])
def test_a_page_inside_a_section_marks_its_menu_item_as_the_section_not_the_page(client, catalogue, url, section):
    menu = links(client.get(url), nav="Main")
    assert [(a["text"], a.get("aria-current")) for a in menu if a.get("aria-current")] == [(section, "true")]


def test_the_menu_wraps_and_its_targets_are_24px_high():
    """No JavaScript: a list of links that wraps on a phone (no sideways scroll), each at least 24 px high."""
    css = (Path(__file__).resolve().parent.parent / "static/css/site.css").read_text()
    assert re.search(r"\.site-header nav ul \{[^}]*flex-wrap: wrap", css)
    assert re.search(r"\.site-header nav a \{[^}]*min-height: 24px", css)


# --- the index pages ----------------------------------------------------------------------


def rows_of(response) -> dict[str, tuple[int, str]]:
    """The index's rows: entry name -> (count, the status text)."""
    found = {}
    for name, count, statuses in re.findall(
        r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*<td>(\d+)</td>\s*<td>(.*?)</td>',
        response.content.decode(), flags=re.S,
    ):
        found[name] = (int(count), " ".join(re.sub(r"<[^>]+>", " ", statuses).split()))
    return found


EXPECTED = {
    "/themes/": {"P/CVE": 3, "Terrorism financing": 1, "Border management": 2},
    "/countries/": {"Kazakhstan": 2, "Kyrgyzstan": 2, "Tajikistan": 2, "Uzbekistan": 1},
    "/actors/": {"EEAS": 2, "European Commission": 2, "OSCE": 3},
    "/sources/": {"The EU and Central Asia: New Opportunities for a Stronger Partnership": 3,
                  "Joint statement on CT cooperation": 2},
}


@pytest.mark.parametrize("url", list(EXPECTED))
def test_index_pages_list_every_public_entry_with_its_count_and_no_draft_one(client, catalogue, counted_by, url):
    response = client.get(url)
    assert response.status_code == 200
    rows = rows_of(response)
    assert {name: count for name, (count, _) in rows.items()} == EXPECTED[url]
    assert list(rows) == sorted(rows, key=str.casefold)  # an index: by name
    # Only a draft uses the returnees theme and Turkmenistan; a draft's published update shows nowhere.
    assert "Returnees" not in response.content.decode() and "Turkmenistan" not in response.content.decode()
    assert "svg" in response.content.decode()  # each entry's status bar


def test_the_themes_index_says_each_entrys_status_counts(client, catalogue, counted_by):
    rows = rows_of(client.get("/themes/"))
    assert rows["P/CVE"][1] == "Stalled: 1 Partially achieved: 1 Achieved: 1"
    assert rows["Border management"][1] == "Not started: 1 Partially achieved: 1"


def test_the_countries_index_counts_each_countrys_own_statuses(client, catalogue, counted_by):
    """A per-country commitment counts, in each country, its status there ("Not yet assessed" until one)."""
    returnees = factories.commitment(slug="returnees-kz-kg", title="Reintegrate returnees",
                                     assessment_scope=Commitment.Scope.PER_COUNTRY)
    returnees.countries.set([catalogue.kz, catalogue.kg])
    factories.update(returnees, status="stalled", as_of=date(2022, 1, 1), published=True)  # overall: never a country's
    factories.update(returnees, status="achieved", as_of=date(2023, 1, 1), published=True, country=catalogue.kz)
    if counted_by == "index":
        facet_index.refresh()
    rows = rows_of(client.get("/countries/"))
    assert rows["Kazakhstan"] == (3, "Not yet assessed: 1 Achieved: 2")  # financing; the expert, returnees there
    assert rows["Kyrgyzstan"] == (3, "Not yet assessed: 1 Partially achieved: 1 Achieved: 1")
    assert "Stalled" not in rows["Kazakhstan"][1] + rows["Kyrgyzstan"][1]


def test_the_countries_index_links_to_the_compliance_matrix(client, catalogue):
    assert 'href="/countries/matrix/"' in client.get("/countries/").content.decode()
    assert 'href="/countries/matrix/"' not in client.get("/themes/").content.decode()


def test_a_source_only_attributed_is_listed_with_no_count(client, catalogue, counted_by):
    speaker = factories.source(slug="speech-2022", title="Attributed speech")
    Commitment.objects.filter(pk=catalogue.exchange.pk).update(attributed_to=speaker)
    from commitments import cache

    cache.bump()
    if counted_by == "index":
        facet_index.refresh()
    rows = rows_of(client.get("/sources/"))
    assert rows["Attributed speech"] == (0, "Only as the source a commitment is attributed to")
    assert client.get("/sources/speech-2022/").status_code == 200


def test_index_pages_drop_an_entry_once_its_commitments_are_archived(client, catalogue):
    services.set_commitment_state(commitment=catalogue.financing, state=Commitment.State.ARCHIVED, user=None,
                                  reason="Duplicate of another commitment.")
    assert "Terrorism financing" not in rows_of(client.get("/themes/"))


# --- breadcrumbs --------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "trail"), [
    ("/themes/pcve/", [("Commitments", "/commitments/"), ("Themes", "/themes/"), ("P/CVE", "/themes/pcve/")]),
    ("/countries/kz/", [("Commitments", "/commitments/"), ("Countries", "/countries/"),
                        ("Kazakhstan", "/countries/kz/")]),
    ("/actors/osce/", [("Commitments", "/commitments/"), ("Actors", "/actors/"), ("OSCE", "/actors/osce/")]),
    ("/sources/joint-statement-2021/", [("Commitments", "/commitments/"), ("Sources", "/sources/"),
                                        ("Joint statement on CT cooperation", "/sources/joint-statement-2021/")]),
    ("/themes/", [("Commitments", "/commitments/"), ("Themes", "/themes/")]),
])
def test_breadcrumbs_link_every_level(client, catalogue, url, trail):
    crumbs = links(client.get(url), nav="Breadcrumb")
    assert [(a["text"], a["href"]) for a in crumbs] == trail
    assert [a.get("aria-current") for a in crumbs] == [None] * (len(trail) - 1) + ["page"]
    for _, href in trail:
        assert client.get(href).status_code == 200


# --- /about/ ------------------------------------------------------------------------------


def test_about_holds_the_methodology_corrections_licence_citation_and_contact(client, catalogue, settings):
    settings.CORRECTIONS_EMAIL = "fixes@tracker.example"
    response = client.get("/about/")
    assert response.status_code == 200
    text = main_text(response)
    for info in status_scale.scale():  # the scale with its definitions, from ``status``
        assert info.label in text and info.definition in text
    for rule in status_scale.evidence_rules():
        assert rule.statement in text
    assert status_scale.EVIDENCE_DATE_RULE in text
    assert f"no published assessment for {status_scale.STALE_AFTER_TEXT} is marked stale" in text
    assert "overdue" in text and "Regional and per-country assessments" in text
    assert "found verbatim in that stored text" in text
    assert "reviewed by a publisher" in text and "public reason" in text and "withdrawn" in text
    assert LICENSE["title"] in text and LICENSE["name"] in text
    assert f'href="{LICENSE["path"]}"' in response.content.decode()
    assert "accessed" in text and "/commitments/" in text
    assert 'href="mailto:fixes@tracker.example"' in response.content.decode()


def test_about_and_methodology_share_one_text(client, catalogue):
    about, method = main_text(client.get("/about/")), main_text(client.get("/methodology/"))
    shared = method.split("How we rate commitments", 1)[1].strip()
    assert len(shared) > 2000 and shared in about


def test_a_corrections_email_that_is_not_an_address_is_refused_at_start():
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "check"], cwd=root, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "CORRECTIONS_EMAIL": "not an address"},
    )
    assert result.returncode != 0
    assert "CORRECTIONS_EMAIL='not an address' is not an e-mail address" in result.stderr


# --- /updates/ ----------------------------------------------------------------------------


def update_links(response) -> list[str]:
    return [a["href"] for a in links(response) if re.search(r"#(update|withdrawn)-\d+$", a["href"])]


def feed_links(client, query: str = "") -> list[str]:
    root = ElementTree.fromstring(client.get(f"/feeds/updates.atom{query}").content)  # noqa: S314 - our own feed
    return [e.find("{http://www.w3.org/2005/Atom}link").get("href").removeprefix("http://testserver")
            for e in root.iter("{http://www.w3.org/2005/Atom}entry")]


def test_updates_lists_published_updates_newest_first_linking_each_to_its_place(client, catalogue):
    response = client.get("/updates/")
    assert response.status_code == 200
    c = catalogue
    assert update_links(response) == [f"/commitments/{u.commitment.slug}/#update-{u.pk}" for u in
                                      (c.families_u1, c.exchange_u1, c.expert_u2, c.borders_u1, c.expert_u1)]
    text = main_text(response)
    assert "Achieved as of 1 March 2022: Deploy a dedicated CT expert Expert in post in Bishkek since March." in text
    for slug in update_links(response):  # each anchor is on its commitment's page
        page, anchor = slug.split("#")
        assert f'id="{anchor}"' in client.get(page).content.decode()


def test_updates_drafts_never_appear(client, catalogue):
    body = client.get("/updates/").content.decode()
    assert "SECRETDRAFTSUMMARY" not in body  # a draft update
    assert "LEAKDRAFTCOMMITMENTUPDATE" not in body and "DRAFTCOMMITMENTTITLE" not in body  # a draft's update


def test_updates_show_a_withdrawal_with_its_date_and_reason_and_keep_the_publication(client, catalogue):
    services.withdraw_status_update(update=catalogue.expert_u1, user=None, reason=WITHDRAW_REASON)
    response = client.get("/updates/")
    hrefs = update_links(response)
    u = catalogue.expert_u1
    assert hrefs[0] == f"/commitments/deploy-ct-expert/#withdrawn-{u.pk}"  # the newest event
    assert f"/commitments/deploy-ct-expert/#update-{u.pk}" in hrefs  # its publication stays listed
    u.refresh_from_db()
    text = main_text(response)
    assert (f"Withdrawn on {u.withdrawn_at.day} {u.withdrawn_at:%B %Y}: the assessment In progress as of "
            f"1 June 2020 of Deploy a dedicated CT expert. Reason: {WITHDRAW_REASON}") in text
    assert hrefs == feed_links(client)  # the same events as the feed, in the same order


def test_updates_name_the_country_an_update_is_about(client, catalogue):
    c = factories.commitment(slug="returnees-kz", title="Reintegrate returnees in Kazakhstan",
                             assessment_scope=Commitment.Scope.PER_COUNTRY)
    c.countries.set([catalogue.kz, catalogue.kg])
    factories.update(c, status="achieved", as_of=date(2023, 5, 1), as_of_precision="month", published=True,
                     country=catalogue.kz)
    text = main_text(client.get("/updates/"))
    assert "Achieved as of May 2023 in Kazakhstan: Reintegrate returnees in Kazakhstan" in text


@pytest.mark.parametrize("query", ["?theme=pcve", "?country=kz", "?status=achieved", "?status=stalled&theme=pcve",
                                   "?as_of=2022-02-01", "?q=expert", "?overdue=1", "?actor=osce&q=",
                                   "?due_before=2021-01-01"])
def test_updates_take_the_lists_filters_as_the_feed_does(client, catalogue, query):
    services.withdraw_status_update(update=catalogue.exchange_u1, user=None, reason=WITHDRAW_REASON)
    response = client.get(f"/updates/{query}")
    assert response.status_code == 200
    assert update_links(response) == feed_links(client, query)
    assert len(update_links(response)) < 7  # the filter left something out
    page_links = [a["href"] for a in links(response)]
    given = query.removesuffix("&q=").lstrip("?")  # an empty field filters nothing
    assert f"/feeds/updates.atom?{given}" in page_links and f"/commitments/?{given}" in page_links
    alternate = f'title="Status updates of these commitments" href="/feeds/updates.atom?{given}"'
    assert alternate in response.content.decode().replace("&amp;", "&")


def test_updates_filtered_by_theme(client, catalogue):
    hrefs = update_links(client.get("/updates/?theme=pcve"))
    assert {h.split("#")[0] for h in hrefs} == {
        "/commitments/deploy-ct-expert/", "/commitments/exchange-pcve-practice/",
        "/commitments/reintegrate-returning-families/",
    }


@pytest.mark.parametrize(("query", "message"), [
    ("?status=bogus", "bogus"), ("?theme=returnees", "returnees"), ("?as_of=2020-13-01", "date"),
    ("?page=0", "page number"), ("?page=x", "page number"),
])
def test_updates_bad_input_is_a_400_that_says_why(client, catalogue, query, message):
    response = client.get(f"/updates/{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_updates_paginate_keeping_the_filters(client, catalogue, monkeypatch):
    monkeypatch.setattr(views, "UPDATES_PER_PAGE", 2)
    first = client.get("/updates/?theme=pcve")
    assert "Page 1" in main_text(first)
    assert [a["href"] for a in links(first, nav="Pages") if a.get("rel") == "next"] == ["?theme=pcve&page=2"]
    second = client.get("/updates/?theme=pcve&page=2")
    assert len(update_links(first)) == 2 and len(update_links(second)) == 2
    assert update_links(first) + update_links(second) == feed_links(client, "?theme=pcve")
    assert [a["href"] for a in links(second, nav="Pages") if a.get("rel")] == ["?theme=pcve&page=1"]  # no older
    assert client.get("/updates/?theme=pcve&page=3").status_code == 404


def test_updates_list_the_newest_pages_only(client, catalogue, monkeypatch):
    """Deeper pages cost every reader more rows to walk: past the last one, a 404 that says to filter."""
    monkeypatch.setattr(views, "UPDATES_PER_PAGE", 1)
    monkeypatch.setattr(views, "UPDATES_MAX_PAGE", 3)
    last = client.get("/updates/?page=3")
    assert last.status_code == 200 and "narrow the filters" in main_text(last)
    assert [a.get("rel") for a in links(last, nav="Pages")] == ["prev"]  # no link past the last page
    assert client.get("/updates/?page=4").status_code == 404


def test_updates_page_links_the_feed_with_a_subscribe_line(client, catalogue):
    response = client.get("/updates/")
    assert "Subscribe in a feed reader: Atom feed of these updates." in main_text(response)
    assert '<a href="/feeds/updates.atom" type="application/atom+xml">' in response.content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in response.content.decode()


def test_the_lists_filters_lead_to_their_updates(client, catalogue):
    hrefs = [a["href"] for a in links(client.get("/commitments/?theme=pcve")) if a["text"] == "Their latest updates"]
    assert hrefs == ["/updates/?theme=pcve"]


# --- pinned query counts ------------------------------------------------------------------


def build(n: int) -> list[Commitment]:
    """``n`` public commitments over three themes, countries, actors and sources, each with two published updates
    (one about a country), every third with one of them withdrawn; and a draft commitment with an update."""
    themes = [factories.theme(slug=f"t{i}", name=f"Theme {i}") for i in range(3)]
    countries = [factories.country(slug, slug.upper()) for slug in ("kz", "kg", "tj")]
    actors = [factories.actor(slug=f"a{i}", name=f"Actor {i}") for i in range(3)]
    sources = [factories.source(slug=f"s{i}") for i in range(3)]
    made = []
    for i in range(n):
        c = factories.commitment(slug=f"c-{i:02d}", title=f"Commitment {i:02d}", source=sources[i % 3],
                                 assessment_scope=Commitment.Scope.PER_COUNTRY, state=Commitment.State.DRAFT)
        c.themes.set([themes[i % 3], themes[(i + 1) % 3]])
        c.countries.set([countries[i % 3], countries[(i + 1) % 3]])
        c.actors.set([actors[i % 3]])
        c.state = Commitment.State.PUBLISHED
        c.save()
        factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True, evidence=1)
        u = factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True, evidence=1,
                             country=countries[i % 3])
        if i % 3 == 0:
            services.withdraw_status_update(update=u, user=None, reason=WITHDRAW_REASON)
        made.append(c)
    draft = factories.commitment(slug="draft", title="DRAFTTITLE", source=sources[0], state=Commitment.State.DRAFT)
    draft.themes.set([factories.theme(slug="draft-theme", name="DRAFTTHEME")])
    factories.update(draft, status="in_progress", as_of=date(2021, 1, 1), published=True)
    return made


@pytest.fixture(scope="module")
def built(request, shared_catalogue, django_db_blocker):
    """``build(n)`` once for the tests that ask for the same ``n``, on top of the module's catalogue (whose
    rows every test of the module sees, so they may share one transaction)."""
    with built_once(django_db_blocker, lambda: build(request.param)) as made:
        yield made


@pytest.fixture
def made(built, db):
    public_catalogue.forget()
    facet_index.clear()
    yield copy.deepcopy(built)
    facet_index.clear()


@pytest.fixture
def index_not_built_after_responses():
    facet_index.disconnect()
    yield
    facet_index.connect()


# An index page: the data version (the page cache) and the catalogue's version check (its entries are kept); then
# from the index, the version it checks and the catalogue's check again inside ``counting``; in SQL, that version
# check, the status counts (which the page does not show) and the entries' counts in one grouped query.
INDEX_PAGE = {"index": 4, "sql": 5}
# /updates/: the data version (the page cache), the newest publications and the newest withdrawals (keys only), and
# the page's updates with commitment and country (one query); a slug filter reads the catalogue's version.
UPDATES = 4
BUILT_ENTRIES = {"/themes/": ("t", 2), "/countries/": None, "/actors/": ("a", 1), "/sources/": ("s", 1)}


@pytest.mark.parametrize("built", [3, 40], indirect=True)
@pytest.mark.parametrize("engine", ["sql", "index"])
@pytest.mark.parametrize("url", ["/themes/", "/countries/", "/actors/", "/sources/"])
def test_index_pages_query_counts_do_not_grow(client, django_assert_num_queries, made, url, engine,
                                              index_not_built_after_responses):
    if engine == "index":
        facet_index.refresh()
    public_catalogue.load()  # kept since an earlier page
    with django_assert_num_queries(INDEX_PAGE[engine]):
        response = client.get(url)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert "DRAFT" not in response.content.decode()
    if BUILT_ENTRIES[url]:  # each built commitment is filed under so many of the built entries
        prefix, per_commitment = BUILT_ENTRIES[url]
        built_rows = [row for row in rows if re.fullmatch(rf"{prefix}\d", row["slug"])]
        assert len(built_rows) == 3 and sum(row["total"] for row in built_rows) == len(made) * per_commitment
    else:
        assert [row["slug"] for row in rows] == ["kz", "kg", "tj", "uz"]


@pytest.mark.parametrize("built", [3, 40], indirect=True)
@pytest.mark.parametrize(("url", "queries"), [("/updates/", UPDATES), ("/updates/?page=2", UPDATES),
                                              ("/updates/?theme=t1&status=in_progress", UPDATES + 1),
                                              ("/updates/?country=kz&as_of=2022-06-01", UPDATES + 1),
                                              ("/updates/?q=commitment", UPDATES)])
def test_updates_query_count_does_not_grow(client, django_assert_num_queries, made, url, queries):
    if "page=2" in url and len(made) < 20:
        url = url.replace("?page=2", "")
    public_catalogue.load()
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    events = response.context["page"].object_list
    assert events and "DRAFTTITLE" not in response.content.decode()
    if url == "/updates/":  # each commitment's two publications, every third's withdrawal, the catalogue's five
        assert len(events) == min(views.UPDATES_PER_PAGE, 2 * len(made) + len(range(0, len(made), 3)) + 5)
