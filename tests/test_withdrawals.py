"""Every change to public data carries a public reason, and the public sees it.

Publishing, withdrawing and archiving need a reason; a withdrawn update stays on its commitment's
page (collapsed, with the date and reason) and in the feed (its own entry), and counts for no status
anywhere; an archived commitment's address answers 410 with the reason and what it last said.
"""

from __future__ import annotations

import copy
import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from commitments import public_log, services
from commitments.models import Commitment, PublicChange, StatusUpdate
from commitments.public_log import REASON_REQUIRED

from . import factories
from .test_public_pages import section, text

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
WITHDRAW_REASON = "The report it relied on was about another expert."


@pytest.fixture
def catalogue(shared_catalogue, db):
    # Built once per module; each test's writes are rolled back, its instances are its own copies.
    return copy.deepcopy(shared_catalogue)


def page_of(client, commitment, status: int = 200) -> str:
    response = client.get(commitment.get_absolute_url())
    assert response.status_code == status
    return response.content.decode()


def feed_entries(client, query: str = "") -> list[dict]:
    response = client.get(f"/feeds/updates.atom?{query}")
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 - our own output; well-formed, or this raises
    return [
        {
            "title": e.findtext(f"{ATOM}title"),
            "summary": e.findtext(f"{ATOM}summary"),
            "link": e.find(f"{ATOM}link").get("href"),
            "id": e.findtext(f"{ATOM}id"),
            "updated": e.findtext(f"{ATOM}updated"),
        }
        for e in root.findall(f"{ATOM}entry")
    ]


# --- reasons are required --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_every_public_change_needs_a_reason_and_nothing_changes_without_one(catalogue, reason):
    ns, pub = catalogue, factories.publisher()
    before = PublicChange.objects.count()
    calls = [
        lambda: services.publish_status_update(update=ns.draft_update, user=pub, reason=reason),
        lambda: services.withdraw_status_update(update=ns.expert_u2, user=pub, reason=reason),
        lambda: services.set_commitment_state(commitment=ns.expert, state="archived", user=pub, reason=reason),
        lambda: services.set_commitment_state(commitment=ns.draft_c, state="published", user=pub, reason=reason),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as exc:
            call()
        assert exc.value.messages == [REASON_REQUIRED]
    assert PublicChange.objects.count() == before
    assert not StatusUpdate.objects.get(pk=ns.draft_update.pk).was_published
    assert not StatusUpdate.objects.get(pk=ns.expert_u2.pk).is_withdrawn
    assert Commitment.objects.get(pk=ns.expert.pk).state == "published"
    assert Commitment.objects.get(pk=ns.draft_c.pk).state == "draft"


def test_a_reason_over_the_limit_is_refused_with_its_length(catalogue):
    with pytest.raises(ValidationError, match="under 300 characters"):
        services.withdraw_status_update(update=catalogue.expert_u2, user=None, reason="x" * 301)


def test_publishing_records_the_reason_on_the_update_and_in_the_history_at_the_given_time(catalogue):
    ns = catalogue
    when = datetime(2024, 2, 1, 9, 30, tzinfo=UTC)  # an import gives the assessment's own date
    u = services.publish_status_update(update=ns.draft_update, user=None, reason="  Delivered in January.  ",
                                       when=when)
    assert (u.published_at, u.publish_reason) == (when, "Delivered in January.")
    entry = PublicChange.objects.get(status_update=u)
    assert (entry.kind, entry.commitment, entry.happened_at, entry.reason) == (
        "update_published", ns.exchange, when, "Delivered in January.")
    assert u.history.first().history_change_reason == "Delivered in January."


def test_commitment_states_write_published_archived_and_restored_and_never_return_to_draft(catalogue):
    pub = factories.publisher()
    c = factories.commitment(state=Commitment.State.DRAFT)
    for state, reason in [("published", "Added."), ("archived", "A duplicate."), ("published", "Not a duplicate.")]:
        services.set_commitment_state(commitment=c, state=state, user=pub, reason=reason)
    entries = PublicChange.objects.filter(commitment=c).order_by("happened_at", "id")
    assert [(e.kind, e.reason, e.by) for e in entries] == [
        ("published", "Added.", pub), ("archived", "A duplicate.", pub), ("restored", "Not a duplicate.", pub)]
    with pytest.raises(ValidationError, match="cannot go back to draft.*Archive it instead"):
        services.set_commitment_state(commitment=c, state="draft", user=pub, reason="Oops.")
    assert Commitment.objects.get(pk=c.pk).state == "published"
    draft = factories.commitment(state=Commitment.State.DRAFT)
    with pytest.raises(ValidationError, match="never been public"):
        services.set_commitment_state(commitment=draft, state="archived", user=pub, reason="Tidy.")
    assert PublicChange.objects.filter(commitment=draft).count() == 0


# --- a withdrawal on the commitment page -----------------------------------------------------------


def test_a_withdrawn_update_stays_on_the_page_collapsed_with_its_date_and_reason(client, catalogue):
    ns = catalogue
    u = services.withdraw_status_update(update=ns.expert_u2, user=factories.publisher(), reason=WITHDRAW_REASON)
    page = page_of(client, ns.expert)
    timeline = section(page, "timeline")
    article = re.search(rf'<article class="update withdrawn" id="update-{u.pk}">(.*?)</article>', timeline, re.S)
    assert article, timeline
    day = f"{u.withdrawn_at.day} {u.withdrawn_at:%B %Y}"
    assert f"Withdrawn on {day}: {WITHDRAW_REASON}" in html.unescape(text(article.group(1)))
    # Its text is still readable, inside a collapsed <details> element.
    details = re.search(r"<details>(.*?)</details>", article.group(1), re.S).group(1)
    assert "Expert in post in Bishkek since March." in details
    assert f'href="https://example.org/e/{u.pk}/0"' in details  # and its evidence
    assert "it counts for no status" in text(details)
    # It counts for no status: the page shows the earlier update's status.
    assert "In progress as of 1 June 2020" in text(section(page, "status-heading"))
    # The change history lists the withdrawal with its reason.
    changes = html.unescape(text(section(page, "changes")))
    assert f"{day}: Assessment withdrawn — Achieved as of 1 March 2022. Reason: {WITHDRAW_REASON}" in changes


def test_withdrawing_the_only_update_shows_not_yet_assessed_and_keeps_it_listed(client, catalogue):
    ns = catalogue
    services.withdraw_status_update(update=ns.borders_u1, user=None, reason="Published in error.")
    page = page_of(client, ns.borders_c)
    assert "Not yet assessed" in text(section(page, "status-heading"))
    assert "Published in error." in text(section(page, "timeline"))
    assert "No tender issued by January." in section(page, "timeline")


# --- a withdrawal in the feed --------------------------------------------------------------------


def test_the_feed_keeps_the_original_entry_and_adds_a_withdrawal_entry(client, catalogue):
    ns = catalogue
    before = feed_entries(client)
    u = services.withdraw_status_update(update=ns.expert_u1, user=None, reason=WITHDRAW_REASON)
    after = feed_entries(client)
    assert after[1:] == before  # every entry kept as it was, the original of the withdrawn one included
    entry = after[0]  # the newest: withdrawn just now
    assert entry["title"] == "Withdrawn: Deploy a dedicated CT expert: In progress (as of 1 June 2020)"
    assert WITHDRAW_REASON in entry["summary"] and "counts for no status" in entry["summary"]
    assert entry["link"] == f"http://testserver{ns.expert.get_absolute_url()}#withdrawn-{u.pk}"
    assert entry["updated"].startswith(u.withdrawn_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert len({e["id"] for e in after}) == len(after)
    assert f'id="withdrawn-{u.pk}"' in page_of(client, ns.expert)  # the link lands on the notice
    # Filters apply to withdrawals too.
    assert [e["title"][:10] for e in feed_entries(client, "country=tj")] == ["Border man"]
    assert feed_entries(client, "theme=pcve")[0]["title"].startswith("Withdrawn: ")


# --- a withdrawal changes the counts -------------------------------------------------------------


def test_a_withdrawal_changes_the_overview_the_list_facets_and_the_exports(client, catalogue):
    ns = catalogue

    def by_status() -> str:
        return text(section(client.get("/").content.decode(), "by-status"))

    def status_facet(query: str = "") -> dict[str, int]:
        facets = client.get(f"/commitments/?{query}").context["facets"]
        return {o.value: o.count for o in next(f for f in facets if f.name == "status").options}

    assert "Achieved: 1" in by_status() and "In progress: 0" in by_status()
    assert (status_facet()["achieved"], status_facet()["in_progress"]) == (1, 0)
    services.withdraw_status_update(update=ns.expert_u2, user=None, reason=WITHDRAW_REASON)
    assert "Achieved: 0" in by_status() and "In progress: 1" in by_status()
    assert (status_facet()["achieved"], status_facet()["in_progress"]) == (0, 1)
    assert (status_facet("theme=pcve")["achieved"], status_facet("theme=pcve")["in_progress"]) == (0, 1)
    assert client.get("/commitments/?status=achieved").context["page"].paginator.count == 0
    # As it stood on a past day, too: the withdrawn update never counted.
    assert status_facet("as_of=2023-01-01")["achieved"] == 0
    export = b"".join(client.get("/commitments/export.csv").streaming_content).decode()
    row = next(line for line in export.splitlines() if "deploy-ct-expert" in line)
    assert "in_progress" in row and "achieved" not in row


def test_a_report_counts_no_withdrawn_update():
    c = factories.commitment(slug="c", date_made=date(2019, 1, 1))
    factories.update(c, status="in_progress", as_of=date(2025, 7, 15), published=True)
    late = factories.update(c, status="achieved", as_of=date(2025, 9, 1), published=True)
    services.withdraw_status_update(update=late, user=None, reason="Published in error.")
    report, _ = services.prepare_report(period=parse_period("2025-Q3"))
    row = next(r for r in report.snapshot["rows"] if r["slug"] == "c")
    assert row["status_end"] == "in_progress"
    assert [u["status"] for u in report.snapshot["updates"]] == ["in_progress"]


# --- an archived commitment answers 410 ----------------------------------------------------------


def test_an_archived_commitment_answers_410_with_its_reason_date_and_last_published_state(client, catalogue):
    ns = catalogue
    page = page_of(client, ns.archived_c, status=410)
    entry = PublicChange.objects.get(commitment=ns.archived_c, kind="archived")
    words = html.unescape(text(page))
    day = f"{entry.happened_at.day} {entry.happened_at:%B %Y}"
    assert f"Archived on {day}: Out of scope: not a commitment of the region." in words
    assert "Archived: ARCHIVEDCOMMITMENTTITLE" in words  # the title it had
    assert f"“{ns.archived_c.quote}”" in words  # its quote, verbatim
    assert "Status when archived: Abandoned as of 1 January 2021" in words
    assert '<link rel="stylesheet"' in page  # the site's own page (base.html), not a bare error
    # Drafts and unknown addresses stay 404: nothing of a draft is ever shown.
    for slug in ("draft-commitment", "no-such-commitment"):
        assert client.get(f"/commitments/{slug}/").status_code == 404


def test_archiving_a_commitment_named_by_a_report_leaves_the_reports_link_answering_410(client):
    c = factories.commitment(slug="named", title="Named in a report", date_made=date(2019, 1, 1))
    factories.update(c, status="in_progress", as_of=date(2025, 8, 1), published=True)
    report = services.publish_report(report=services.prepare_report(period=parse_period("2025-Q3"))[0], user=None)
    services.set_commitment_state(commitment=c, state="archived", user=None, reason="Merged into another.")
    report_page = client.get(report.get_absolute_url()).content.decode()
    assert 'href="/commitments/named/"' in report_page  # the frozen report still names it
    gone = client.get("/commitments/named/")
    assert gone.status_code == 410
    assert "Merged into another." in gone.content.decode() and "Named in a report" in gone.content.decode()
    # Published again: the page is back, its history says so.
    services.set_commitment_state(commitment=c, state="published", user=None, reason="Kept separate after all.")
    back = page_of(client, c)
    assert "Restored. Reason: Kept separate after all." in text(section(back, "changes"))
    assert "Archived. Reason: Merged into another." in text(section(back, "changes"))


# --- the public history shows old and new cited words --------------------------------------------


def test_the_history_shows_the_old_and_the_new_quote_and_title(client, catalogue):
    ns = catalogue
    old_title, old_quote = ns.expert.title, ns.expert.quote
    new = {"title": "Deploy a CT expert to the region", "quote": old_quote + " It will report yearly."}
    changes = public_log.field_changes(subject="commitment", model=Commitment,
                                       old={"title": old_title, "quote": old_quote}, new=new)
    Commitment.objects.filter(pk=ns.expert.pk).update(**new)  # what approving the revision applies
    public_log.record(kind=PublicChange.Kind.REVISED, subject=ns.expert, reason="The quote was cut short.",
                      changes=changes)
    history = section(page_of(client, ns.expert), "changes")
    words = html.unescape(text(history))
    assert "Corrected. Reason: The quote was cut short." in words
    assert f"Title: was “{old_title}”, now “{new['title']}”" in words
    assert f"Quote: was “{old_quote}”, now “{new['quote']}”" in words
    assert f"<del>“{html.escape(old_quote)}”</del>" in history


def parse_period(value):
    from commitments.reports.periods import parse_period as parse

    return parse(value)
