"""The Atom feed of published status updates."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from . import factories

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/feeds/updates.atom"


def entries(client, query: str = "") -> list[dict]:
    response = client.get(f"{FEED}?{query}" if query else FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output; well-formed, or this raises
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Commitments Tracker: status updates"
    assert root.findtext(f"{ATOM}id") and root.findtext(f"{ATOM}updated")
    out = []
    for entry in root.findall(f"{ATOM}entry"):
        links = [link.get("href") for link in entry.findall(f"{ATOM}link")]
        assert len(links) == 1
        out.append({
            "title": entry.findtext(f"{ATOM}title"),
            "link": links[0],
            "id": entry.findtext(f"{ATOM}id"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "published": entry.findtext(f"{ATOM}published"),
            "summary": entry.findtext(f"{ATOM}summary"),
        })
    return out


def test_feed_lists_published_updates_newest_first_by_publication_time(client, catalogue):
    ns = catalogue
    items = entries(client)
    expected = [ns.families_u1, ns.exchange_u1, ns.expert_u2, ns.borders_u1, ns.expert_u1]
    assert [e["link"] for e in items] == [
        f"http://testserver{u.commitment.get_absolute_url()}#update-{u.pk}" for u in expected]
    assert [e["summary"] for e in items] == [u.summary for u in expected]
    assert [e["published"] for e in items] == sorted((e["published"] for e in items), reverse=True)
    assert items[2]["title"] == "Deploy a dedicated CT expert: Achieved (as of 1 March 2022)"
    assert items[2]["published"].startswith("2022-03-10T12:00:00")


def test_each_entry_links_to_its_commitment_page_with_a_unique_id(client, catalogue):
    items = entries(client)
    assert len({e["link"] for e in items}) == len(items)
    assert len({e["id"] for e in items}) == len(items)
    for e in items:
        path = e["link"].removeprefix("http://testserver").split("#")[0]
        anchor = e["link"].split("#")[1]
        page = client.get(path)
        assert page.status_code == 200
        assert f'id="{anchor}"' in page.content.decode()  # the fragment lands on the update


def test_publication_order_not_as_of_order(client, db):
    """An update published later comes first even when it describes an earlier day."""
    c = factories.commitment(slug="c")
    late = factories.update(c, as_of=date(2020, 1, 1), summary="Described early, published late.", published=True)
    early = factories.update(c, as_of=date(2021, 1, 1), summary="Described late, published early.", published=True)
    factories.set_published_at(late, datetime(2024, 1, 2, tzinfo=UTC))
    factories.set_published_at(early, datetime(2024, 1, 1, tzinfo=UTC))
    assert [e["summary"] for e in entries(client)] == ["Described early, published late.",
                                                       "Described late, published early."]


@pytest.mark.parametrize(
    ("query", "summaries"),
    [
        ("theme=pcve", ["Two of five rehabilitation centres open.", "Exchanges paused after one workshop.",
                        "Expert in post in Bishkek since March.", "Expert recruited on a short contract."]),
        ("theme=border-management", ["Two of five rehabilitation centres open.", "No tender issued by January."]),
        ("theme=terrorism-financing", []),
        ("country=tj", ["No tender issued by January."]),
        ("status=achieved", ["Expert in post in Bishkek since March.", "Expert recruited on a short contract."]),
        ("overdue=1&actor=osce", ["Two of five rehabilitation centres open.", "No tender issued by January."]),
        ("q=Bishkek", ["Expert in post in Bishkek since March.", "Expert recruited on a short contract."]),
    ],
)
def test_list_filters_apply_to_the_feed(client, catalogue, query, summaries):
    assert [e["summary"] for e in entries(client, query)] == summaries


def test_drafts_are_absent(client, catalogue):
    content = client.get(FEED).content.decode()
    for secret in catalogue.hidden_text:
        assert secret not in content
    assert "draft-commitment" not in content and "archived-commitment" not in content
    assert entries(client, "q=SECRETDRAFTSUMMARY") == []
    for query in ("theme=returnees", "country=tm"):  # only hidden commitments use them: not a public slug
        assert client.get(f"{FEED}?{query}").status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # The FilterSet's messages (issue 15: a slug's, the status's with its choices, a date's with its format).
        ("theme=nope", "No public theme has the slug “nope”."),
        ("theme=returnees", "No public theme has the slug “returnees”."),  # only hidden commitments
        ("status=bogus", "“bogus” is not a status. Choose one of:"),
        ("as_of=2999-01-01", "The as-of date cannot be in the future."),
        ("due_before=soon", "Enter a date as YYYY-MM-DD"),
    ],
)
def test_invalid_filter_is_400_with_the_message(client, catalogue, query, message):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")


def test_titles_and_summaries_are_escaped_in_xml(client, db):
    c = factories.commitment(slug="amp", title="Fish & <chips>")
    factories.update(c, summary="Less < more & \"quoted\"", published=True)
    (entry,) = entries(client)
    assert entry["title"].startswith("Fish & <chips>: In progress")
    assert entry["summary"] == "Less < more & \"quoted\""


@pytest.mark.django_db
def test_feed_as_of_leaves_out_updates_dated_later(client):
    c = factories.commitment()
    factories.update(c, status="in_progress", as_of=date(2020, 1, 1), published=True, summary="EARLY-UPDATE")
    factories.update(c, status="achieved", as_of=date(2023, 1, 1), published=True, summary="LATE-UPDATE")
    body = client.get("/feeds/updates.atom?as_of=2021-06-01").content.decode()
    assert "EARLY-UPDATE" in body and "LATE-UPDATE" not in body


def test_feed_links_to_the_list_wherever_the_site_is_mounted(client, settings):
    settings.ROOT_URLCONF = "tests.urls_elsewhere"
    response = client.get("/elsewhere/feeds/updates.atom")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "alternate"] == [
        "http://testserver/elsewhere/commitments/"
    ]


# --- as a feed reader reads it ---------------------------------------------------------------------

WITHDRAW_REASON = "The report it relied on was about another expert."


@pytest.mark.parametrize("query", ["", "theme=pcve", "q=Bishkek"])
def test_a_feed_reader_parses_the_feed_with_its_withdrawal_entry(client, catalogue, query):
    """feedparser (what many readers use) finds nothing malformed, and reads every entry as we mean it."""
    feedparser = pytest.importorskip("feedparser")
    from commitments import services

    ns = catalogue
    services.withdraw_status_update(update=ns.expert_u2, user=factories.publisher(), reason=WITHDRAW_REASON)
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 200
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert not caught, [str(w.message) for w in caught]  # and no warning either
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Commitments Tracker: status updates"
    assert parsed.feed.updated_parsed is not None
    assert parsed.feed.author == "Commitments Tracker"  # RFC 4287: the feed or every entry has an author
    suffix = f"?{query}" if query else ""
    (self_link,) = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_link == f"http://testserver{FEED}{suffix}"  # following it keeps the filters
    assert parsed.feed.link == parsed.feed.id == f"http://testserver/commitments/{suffix}"
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == len(ids) == len(parsed.entries) > 0
    for e in parsed.entries:
        assert e.updated_parsed is not None and e.published_parsed is not None, e.id
        assert e.link.startswith("http://testserver/commitments/")
    withdrawals = [e for e in parsed.entries if e.title.startswith("Withdrawn: ")]
    assert [e.title for e in withdrawals] == ["Withdrawn: Deploy a dedicated CT expert: Achieved (as of 1 March 2022)"]
    (withdrawal,) = withdrawals
    assert WITHDRAW_REASON in withdrawal.summary
    assert withdrawal.link.endswith(f"#withdrawn-{ns.expert_u2.pk}")
    # The withdrawal is newest (dated now); the update's own entry stays, with its publication date.
    assert parsed.entries[0] is withdrawal
    (original,) = [e for e in parsed.entries if e.link.endswith(f"#update-{ns.expert_u2.pk}")]
    assert original.title == "Deploy a dedicated CT expert: Achieved (as of 1 March 2022)"
    assert tuple(original.published_parsed[:3]) == (2022, 3, 10)
    assert tuple(withdrawal.updated_parsed[:3]) > tuple(original.updated_parsed[:3])


def test_entry_titles_say_the_as_of_date_as_precisely_as_it_is_known(client, db):
    c = factories.commitment(slug="c", title="Open a centre")
    factories.update(c, as_of=date(2022, 7, 1), as_of_precision="month", summary="Month only.", published=True)
    (entry,) = entries(client)
    assert entry["title"] == "Open a centre: In progress (as of July 2022)"


def test_filtered_feeds_are_feeds_of_their_own_and_empty_fields_do_not_count(client, catalogue):
    def ids(query):
        root = ET.fromstring(client.get(f"{FEED}?{query}").content)  # noqa: S314 - our own output
        selfs = [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
        return root.findtext(f"{ATOM}id"), selfs

    assert ids("") == ("http://testserver/commitments/", [f"http://testserver{FEED}"])
    assert ids("theme=pcve&q=&due_after=") == ("http://testserver/commitments/?theme=pcve",
                                            [f"http://testserver{FEED}?theme=pcve"])
    assert ids("country=kz&country=kg")[0] == "http://testserver/commitments/?country=kz&country=kg"
