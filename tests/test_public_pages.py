"""The public pages, read as a reader reads them: through the test client, by what the HTML says."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest
from django.contrib.auth.models import User

from commitments import public_log
from commitments.models import Commitment, PublicChange, StatusUpdate

from . import factories

pytestmark = pytest.mark.django_db


# --- reading a page ------------------------------------------------------------------------------


def text(markup: str) -> str:
    """The visible text of some HTML, tags dropped and whitespace collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
    return re.sub(r" ([,.;:])", r"\1", words)


def section(markup: str, label: str) -> str:
    """The HTML of ``<section aria-labelledby="label">`` (sections on these pages do not nest)."""
    match = re.search(rf'<section[^>]*aria-labelledby="{label}"[^>]*>(.*?)</section>', markup, flags=re.S)
    assert match, f"no section {label!r}"
    return match.group(1)


def row_titles(markup: str) -> list[str]:
    """Titles of the commitment rows, in order."""
    return [text(m) for m in re.findall(r'<li class="commitment">\s*<h3><a [^>]*>(.*?)</a>', markup, flags=re.S)]


def get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def public_urls(ns) -> list[str]:
    """Every public HTML page, export and feed for the catalogue (with a few filtered variants)."""
    urls = ["/", "/?as_of=2024-06-01", "/commitments/", "/commitments/?as_of=2024-06-01",
            "/commitments/?q=achieved", "/commitments/?status=achieved", "/commitments/?theme=border-management",
            "/commitments/?country=uz", "/commitments/export.csv", "/commitments/export.json",
            "/commitments/export.csv?as_of=2024-06-01", "/feeds/updates.atom", "/feeds/updates.atom?theme=pcve",
            "/updates/export.csv", "/updates/export.json", "/updates/export.json?theme=pcve", "/methodology/"]
    urls += [c.get_absolute_url() for c in ns.public]
    urls += [f"/themes/{t.slug}/" for t in (ns.pcve, ns.finance, ns.borders)]
    urls += [f"/countries/{k}/" for k in ("kz", "kg", "tj", "uz")]
    urls += [f"/actors/{a.slug}/" for a in (ns.eeas, ns.commission, ns.osce)]
    urls += [f"/sources/{s.slug}/" for s in (ns.strategy, ns.statement)]
    return urls


# Entries only the draft and the archived commitment use (Returnees, Turkmenistan) are not public:
# their pages are 404, and a filter naming one is refused as an unknown slug is (400).
HIDDEN_ENTRY_URLS = {"/themes/returnees/": 404, "/countries/tm/": 404, "/commitments/?theme=returnees": 400,
                     "/commitments/?country=tm": 400, "/commitments/export.csv?theme=returnees": 400,
                     "/feeds/updates.atom?country=tm": 400}


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    content = response.content.decode()
    if response["Content-Type"].startswith("application/atom+xml") and "<entry>" not in content:
        content = re.sub(r"<updated>[^<]*</updated>", "<updated/>", content)  # an empty feed says "now"
    return content


# --- overview ------------------------------------------------------------------------------------


def test_overview_counts_by_status_theme_and_country(client, catalogue):
    page = get(client, "/").content.decode()
    status = text(section(page, "by-status"))
    assert "5 commitments by status" in status
    for label, n in [("Not yet assessed", 1), ("Not started", 1), ("In progress", 0), ("Stalled", 1),
                     ("Partially achieved", 1), ("Achieved", 1), ("Abandoned", 0)]:
        assert f"{label}: {n}" in status
    themes = text(section(page, "by-theme"))
    assert "P/CVE 3" in themes and "Border management 2" in themes and "Terrorism financing 1" in themes
    assert "Returnees" not in themes  # only its draft and archived commitments are filed there
    countries = text(section(page, "by-country"))
    for name, n in [("Kazakhstan", 2), ("Kyrgyzstan", 2), ("Tajikistan", 2), ("Uzbekistan", 1)]:
        assert f"{name} {n}" in countries
    assert "Turkmenistan" not in countries


def test_overview_recent_overdue_and_stale_sections(client, catalogue):
    page = get(client, "/").content.decode()
    # Recently assessed: newest assessment first; never-assessed commitments are not listed.
    assert row_titles(section(page, "recent")) == [
        "Reintegrate returning families", "Exchange good practice on P/CVE", "Deploy a dedicated CT expert",
        "Border management programme"]
    overdue = section(page, "overdue")
    assert "Overdue (2)" in text(page)
    assert row_titles(overdue) == ["Border management programme", "Reintegrate returning families"]  # soonest due first
    assert "Stale (3)" in text(page)
    assert row_titles(section(page, "stale")) == [
        "Cut off terrorism financing", "Border management programme", "Exchange good practice on P/CVE"]


def test_overview_as_of_shows_the_state_of_play_that_day(client, catalogue):
    page = get(client, "/?as_of=2021-01-15").content.decode()
    assert "on 15 January 2021" in text(page)
    status = text(section(page, "by-status"))
    assert "3 commitments by status" in status  # two were made later, in June 2021
    assert "In progress: 1" in status and "Not yet assessed: 2" in status and "Achieved: 0" in status
    assert row_titles(section(page, "overdue")) == ["Deploy a dedicated CT expert"]
    # Status links keep the day.
    assert 'href="/commitments/?as_of=2021-01-15&amp;status=in_progress"' in page


# --- detail --------------------------------------------------------------------------------------


def test_detail_shows_quote_source_facts_and_current_status(client, catalogue):
    page = get(client, "/commitments/deploy-ct-expert/").content.decode()
    words = text(page)
    assert "<h1>Deploy a dedicated CT expert</h1>" in page
    assert "“The EU will deploy a dedicated security and CT expert to the region.”" in words
    assert 'href="https://example.org/strategy-2019"' in page and "Read the source" in words
    assert 'href="/sources/eu-strategy-2019/"' in page
    assert "Section 2.1, paragraph 4" in words
    assert "Made 15 May 2019" in words
    assert "Due 31 December 2020" in words
    assert "Responsible EEAS" in words and 'href="/actors/eeas/"' in page
    assert "Countries Kazakhstan, Kyrgyzstan" in words and 'href="/countries/kg/"' in page
    assert "Themes P/CVE" in words and 'href="/themes/pcve/"' in page
    current = text(section(page, "status-heading"))
    assert "Achieved as of 1 March 2022" in current
    assert "Achieved: Delivered as committed." in current
    assert "Overdue" not in current  # achieved: the clock stopped


def test_detail_flags_an_overdue_commitment(client, catalogue):
    current = text(section(get(client, "/commitments/border-management-programme/").content.decode(),
                           "status-heading"))
    assert "Not started as of 1 January 2022 Overdue" in current
    assert "Not started: No evidence of any action." in current


def test_detail_timeline_newest_first_with_evidence_links(client, catalogue):
    ns = catalogue
    page = get(client, ns.expert.get_absolute_url()).content.decode()
    timeline = section(page, "timeline")
    summaries = re.findall(r"<p>(Expert [^<]*)</p>", timeline)
    assert summaries == ["Expert in post in Bishkek since March.", "Expert recruited on a short contract."]
    for u in (ns.expert_u1, ns.expert_u2):
        assert f'id="update-{u.pk}"' in timeline
        assert f'href="https://example.org/e/{u.pk}/0"' in timeline
    assert "Supports the status:" in text(timeline)


def main_text(page: str) -> str:
    """The visible text of the page's ``<main>`` (the footer's method note names every status)."""
    return text(page[page.index("<main") : page.index("</main>")])


def test_detail_not_assessed_commitment_says_so_once(client, catalogue):
    page = get(client, "/commitments/cut-terrorism-financing/").content.decode()
    seen = main_text(page)
    assert len(re.findall("(?i)not yet assessed", seen)) == 1, seen  # the status badge
    assert '<span class="status-badge seg-not_assessed">Not yet assessed</span>' in page
    assert "Status updates No published update yet." in seen  # and why, once, where the updates would be


def test_detail_researchers_notes_have_their_own_heading(client, db):
    c = factories.commitment(slug="who", actors_basis=Commitment.ActorsBasis.INFERRED,
                             actors_note="The text says 'The EU'; the EEAS runs the network.")
    c.actors.add(factories.actor(slug="eeas", name="EEAS"))
    page = get(client, c.get_absolute_url()).content.decode()
    facts = re.search(r'<dl class="facts">(.*?)</dl>', page, flags=re.S)[1]
    responsible = text(re.search(r"<dt>Responsible</dt><dd>(.*?)</dd>", facts, flags=re.S)[1])
    assert responsible == "EEAS (inferred by the tracker: see the researchers’ note )"  # text() keeps the link's gap
    assert "The EEAS runs" not in text(facts)  # the note is not read as part of who is responsible
    notes = section(page, "notes")
    assert '<h2 id="notes">Researchers’ notes</h2>' in notes
    assert "Who is responsible The text says 'The EU'; the EEAS runs the network." in text(notes)
    # A stated list's note is shown too; no note, no heading.
    c.actors_basis = Commitment.ActorsBasis.STATED
    c.save()
    page = get(client, c.get_absolute_url()).content.decode()
    assert "inferred" not in text(re.search(r"<dt>Responsible</dt><dd>(.*?)</dd>", page, flags=re.S)[1])
    assert "the EEAS runs the network" in text(section(page, "notes"))
    bare = factories.commitment(slug="bare")
    assert 'id="notes"' not in get(client, bare.get_absolute_url()).content.decode()


def test_detail_change_history_lists_entries_with_reasons_without_staff_usernames(client, catalogue):
    c = Commitment.objects.get(slug="cut-terrorism-financing")
    user = User.objects.create_user(username="editor-zelda-secret", password="x", is_staff=True)
    # What approving a revision writes (commitments.revisions): the new title and its public entry.
    changes = public_log.field_changes(subject="commitment", model=Commitment, old={"title": c.title, "themes": []},
                                       new={"title": "Cut off the financing of terrorism", "themes": [1]})
    Commitment.objects.filter(pk=c.pk).update(title="Cut off the financing of terrorism")
    public_log.record(kind=PublicChange.Kind.REVISED, subject=c, reason="Closer to the source's words.", by=user,
                      changes=changes)
    page = get(client, c.get_absolute_url()).content.decode()
    changes = text(section(page, "changes"))
    assert re.fullmatch(
        r"Change history \d+ \w+ \d{4}: Corrected\. Reason: Closer to the source's words\. "
        r"Title: was “Cut off terrorism financing”, now “Cut off the financing of terrorism” Themes changed "
        r"\d+ \w+ \d{4}: Published\. Reason: Checked against the evidence\.",
        html.unescape(changes),
    ), changes
    assert "<del>“Cut off terrorism financing”</del>" in page
    assert "editor-zelda-secret" not in page
    assert "zelda" not in page.lower()


def test_detail_of_draft_and_unknown_commitments_is_404(client, catalogue):
    for slug in ("draft-commitment", "no-such-commitment"):
        response = get(client, f"/commitments/{slug}/", 404)
        assert "Not found" in response.content.decode()


# --- taxonomy pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "name", "titles", "counts"),
    [
        ("/themes/pcve/", "P/CVE",
         ["Deploy a dedicated CT expert", "Exchange good practice on P/CVE", "Reintegrate returning families"],
         {"Achieved": 1, "Stalled": 1, "Partially achieved": 1, "Not started": 0}),
        ("/countries/tj/", "Tajikistan", ["Border management programme", "Cut off terrorism financing"],
         {"Not started": 1, "Not yet assessed": 1, "Achieved": 0}),
        ("/actors/osce/", "OSCE",
         ["Border management programme", "Cut off terrorism financing", "Reintegrate returning families"],
         {"Not started": 1, "Not yet assessed": 1, "Partially achieved": 1}),
        ("/sources/joint-statement-2021/", "Joint statement on CT cooperation",
         ["Border management programme", "Cut off terrorism financing"], {"Not started": 1, "Not yet assessed": 1}),
    ],
)
def test_taxonomy_page_lists_its_commitments_and_status_breakdown(client, catalogue, url, name, titles, counts):
    page = get(client, url).content.decode()
    assert f"<h1>{html.escape(name)}</h1>" in page
    assert row_titles(section(page, "list")) == titles
    breakdown = text(section(page, "breakdown"))
    assert f"{len(titles)} commitment" in breakdown
    for label, n in counts.items():
        assert f"{label}: {n}" in breakdown
    kind, slug = url.strip("/").split("/")
    param = {"themes": "theme", "countries": "country", "actors": "actor", "sources": "source"}[kind]
    assert f'href="/commitments/?{param}={slug}"' in page


@pytest.mark.parametrize("url", ["/themes/returnees/", "/countries/tm/"])
def test_taxonomy_page_of_an_entry_only_hidden_commitments_use_is_404(client, catalogue, url):
    page = get(client, url, 404).content.decode()
    assert "Not found" in page
    assert "Returnees" not in page and "Turkmenistan" not in page
    assert "DRAFTCOMMITMENTTITLE" not in page and "ARCHIVEDCOMMITMENTTITLE" not in page


@pytest.mark.parametrize("url", ["/themes/nope/", "/countries/xx/", "/actors/nope/", "/sources/nope/"])
def test_unknown_taxonomy_slug_is_404(client, catalogue, url):
    get(client, url, 404)


def test_a_large_taxonomy_page_is_paginated(client, catalogue):
    from commitments.views import PER_PAGE

    for i in range(PER_PAGE + 3):
        factories.commitment(source=catalogue.strategy, title=f"Zz extra {i:02d}")
    first = get(client, "/sources/eu-strategy-2019/").content.decode()
    total = PER_PAGE + 3 + 3  # the catalogue's three public commitments of this source
    assert f"{total} commitments by status" in text(first)
    assert len(row_titles(section(first, "list"))) == PER_PAGE
    assert 'rel="next" href="?page=2"' in first and "Page 1 of 2" in text(first)
    second = get(client, "/sources/eu-strategy-2019/?page=2").content.decode()
    assert len(row_titles(section(second, "list"))) == total - PER_PAGE
    get(client, "/sources/eu-strategy-2019/?page=3", 404)
    get(client, "/sources/eu-strategy-2019/?page=abc", 400)


# --- list ----------------------------------------------------------------------------------------


def test_list_shows_every_public_commitment_with_count(client, catalogue):
    response = get(client, "/commitments/")
    page = response.content.decode()
    assert "5 commitments" in text(page)
    assert row_titles(page) == ["Border management programme", "Cut off terrorism financing",
                                "Deploy a dedicated CT expert", "Exchange good practice on P/CVE",
                                "Reintegrate returning families"]


def test_list_paginates_and_page_past_the_end_is_404(client, db):
    src = factories.source()
    for i in range(27):
        factories.commitment(slug=f"c-{i:02d}", title=f"Item {i:02d}", source=src)
    first = get(client, "/commitments/").content.decode()
    assert len(row_titles(first)) == 25 and "Page 1 of 2" in text(first)
    second = get(client, "/commitments/?page=2").content.decode()
    assert row_titles(second) == ["Item 25", "Item 26"]
    get(client, "/commitments/?page=3", 404)


# --- what must never be seen ---------------------------------------------------------------------


def test_drafts_and_hidden_commitments_appear_on_no_public_url(client, catalogue):
    pages = {url: 200 for url in public_urls(catalogue)} | HIDDEN_ENTRY_URLS
    for url, status in pages.items():
        content = body(get(client, url, status))
        for secret in catalogue.hidden_text:
            assert secret not in content, (secret, url)


def test_hidden_things_change_no_public_url_at_all(client, catalogue):
    """Every public page, export and feed reads exactly the same with the draft update, the draft
    commitment and the archived commitment (and their published updates) gone altogether."""
    ns = catalogue
    urls = {url: 200 for url in public_urls(ns)} | HIDDEN_ENTRY_URLS
    before = {url: without_meta(url, body(get(client, url, status))) for url, status in urls.items()}
    detail = before["/commitments/exchange-pcve-practice/"]
    assert "Stalled as of 10 January 2023" in text(detail)  # the draft update says "achieved" as of 2024
    assert len(re.findall(r'<article class="update"', detail)) == 1
    ns.draft_update.delete()
    StatusUpdate.objects.filter(pk__in=[ns.draft_c_u.pk, ns.archived_c_u.pk]).delete()  # the record's, not staff's
    Commitment.objects.filter(pk__in=[ns.draft_c.pk, ns.archived_c.pk]).delete()
    assert Commitment.objects.count() == 5
    for url, status in urls.items():
        assert without_meta(url, body(get(client, url, status))) == before[url], url


def without_meta(url: str, content: str) -> str:
    """A JSON export without its ``meta`` (when it was made and the data version, which any deletion changes)."""
    if ".json" not in url or not content.startswith("{"):
        return content
    document = json.loads(content)
    document.pop("meta", None)
    return json.dumps(document)


def test_published_update_of_a_draft_commitment_counts_nowhere(client, catalogue):
    page = get(client, "/").content.decode()
    assert "Achieved: 1" in text(section(page, "by-status"))  # the draft commitment's "achieved" is not counted
    assert "Abandoned: 0" in text(section(page, "by-status"))  # nor the archived one's "abandoned"
    listing = get(client, "/commitments/?status=achieved")
    assert listing.context["page"].paginator.count == 1


SCRIPT = "<script>alert(1)</script>"


def test_text_is_escaped_on_every_page(client, db):
    ns = factories.catalogue()
    evil = factories.commitment(slug="evil", title=SCRIPT, quote=f"Quote {SCRIPT}", location=SCRIPT,
                                source=ns.strategy)
    evil.themes.set([ns.pcve])
    evil.countries.set([ns.kz])
    evil.actors.set([factories.actor(slug="evil-actor", name=SCRIPT)])
    factories.update(evil, status="in_progress", as_of=date(2024, 1, 1), summary=f"Summary {SCRIPT}", published=True)
    urls = [u for u in public_urls(ns) if "export" not in u and "feeds" not in u]
    urls += ["/commitments/evil/", "/actors/evil-actor/", f"/commitments/?q={SCRIPT}", "/commitments/?q=%3Cscript%3E"]
    for url in urls:
        response = get(client, url)
        assert response["Content-Type"].startswith("text/html")
        assert SCRIPT not in response.content.decode(), url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in get(client, "/commitments/evil/").content.decode()
    # Bad input echoed back on an error page is escaped too.
    bad = client.get(f"/commitments/?theme={SCRIPT}")
    assert bad.status_code == 400 and SCRIPT not in bad.content.decode()


@pytest.mark.django_db
def test_synthetic_data_is_announced_on_every_page(client):
    real = factories.commitment(slug="real-one")
    assert "Demo data." not in client.get("/").content.decode()
    from django.core.cache import cache

    cache.clear()
    real.delete()
    factories.commitment(slug="demo-one", is_synthetic=True)
    for url in ["/", "/commitments/", "/commitments/demo-one/", "/reports/", "/methodology/"]:
        assert "Demo data." in client.get(url).content.decode(), url


def test_the_day_filter_writes_dates_as_the_date_filter_would(settings):
    """``|day`` replaced ``|date:"j F Y"`` on every page: the same text, cheaper (one style: no "j M Y")."""
    from datetime import UTC, datetime, timedelta
    from datetime import date as day_

    from django.template import Context, Template

    ours = Template("{{ v|day }}")
    django = Template('{{ v|date:"j F Y" }}')
    values = [day_(2019, 1, 1) + timedelta(days=n) for n in range(0, 800, 7)]
    values += [datetime(2025, 1, 1, 20, 30, tzinfo=UTC), datetime(2025, 6, 30, 23, 59, tzinfo=UTC), None, ""]
    for zone in ("UTC", "Asia/Almaty"):  # an aware datetime is shown in the site's zone
        settings.TIME_ZONE = zone
        for value in values:
            assert ours.render(Context({"v": value})) == django.render(Context({"v": value})), (zone, value)
    assert ours.render(Context({"v": datetime(2025, 1, 1, 20, 30, tzinfo=UTC)})) in ("2 January 2025", "2 Jan 2025")
