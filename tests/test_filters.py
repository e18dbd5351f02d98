"""The list's filters, facet counts, active-filter chips and bad input, through the public URL contract."""

from __future__ import annotations

import copy
import html
import re
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from django.utils import timezone

from commitments import facet_index
from commitments.models import Commitment

from . import factories

pytestmark = pytest.mark.django_db

LIST = "/commitments/"


@pytest.fixture
def catalogue(shared_catalogue, db):
    """Every test here reads the catalogue: built once for the module, each test's writes undone after it."""
    return copy.deepcopy(shared_catalogue)


def listed(client, query: str = "") -> list[str]:
    """Slugs the list shows for ``query``, across all pages, in order."""
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, (query, response.status_code, response.content[:2000])
    return [c.slug for c in response.context["page"].paginator.object_list]


def count(client, query: str) -> int:
    response = client.get(f"{LIST}?{query}" if not query.startswith("?") else f"{LIST}{query}")
    assert response.status_code == 200, (query, response.status_code)
    # Counted by the list's own SQL, not read off the facets (which is how the page counts).
    rows = response.context["filterset"].qs.count()
    assert response.context["page"].paginator.count == rows, query
    return rows


def pairs(query: str) -> list[tuple[str, str]]:
    return sorted(parse_qsl(query.lstrip("?"), keep_blank_values=True))


# --- each filter alone -----------------------------------------------------------------------------

EXPERT, EXCHANGE, FINANCING, BORDERS, FAMILIES = (
    "deploy-ct-expert", "exchange-pcve-practice", "cut-terrorism-financing", "border-management-programme",
    "reintegrate-returning-families")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [BORDERS, FINANCING, EXPERT, EXCHANGE, FAMILIES]),
        ("q=terrorism", [FINANCING]),  # title
        ("q=TERRORISM", [FINANCING]),  # case-insensitive
        ("q=verbatim+words", [BORDERS, FINANCING, EXCHANGE, FAMILIES]),  # quote, every word must match
        ("q=dedicated+security", [EXPERT]),  # quote
        ("q=Bishkek", [EXPERT]),  # a published update's summary
        ("q=rehabilitation+centres", [FAMILIES]),
        ("q=SECRETDRAFTSUMMARY", []),  # a draft update's summary is not searched
        ("q=LEAKDRAFTCOMMITMENTUPDATE", []),  # nor the update of a draft commitment
        ("q=DRAFTCOMMITMENTTITLE", []),
        ("q=", [BORDERS, FINANCING, EXPERT, EXCHANGE, FAMILIES]),
        ("status=achieved", [EXPERT]),
        ("status=not_assessed", [FINANCING]),
        ("status=achieved&status=stalled", [EXPERT, EXCHANGE]),
        ("status=in_progress", []),
        ("theme=pcve", [EXPERT, EXCHANGE, FAMILIES]),
        ("theme=terrorism-financing&theme=border-management", [BORDERS, FINANCING, FAMILIES]),  # OR within
        ("theme=pcve&theme=border-management", [BORDERS, EXPERT, EXCHANGE, FAMILIES]),  # no duplicate rows
        ("country=kz", [FINANCING, EXPERT]),
        ("country=kz&country=uz", [FINANCING, EXPERT, EXCHANGE]),
        ("actor=osce", [BORDERS, FINANCING, FAMILIES]),
        ("actor=eeas&actor=european-commission", [FINANCING, EXPERT, EXCHANGE, FAMILIES]),
        ("source=eu-strategy-2019", [EXPERT, EXCHANGE, FAMILIES]),
        ("source=eu-strategy-2019&source=joint-statement-2021", [BORDERS, FINANCING, EXPERT, EXCHANGE, FAMILIES]),
        ("overdue=1", [BORDERS, FAMILIES]),
        ("stale=1", [BORDERS, FINANCING, EXCHANGE]),
        ("due_after=2022-06-30", [BORDERS, FINANCING, FAMILIES]),  # inclusive
        ("due_before=2022-06-30", [BORDERS, EXPERT]),  # inclusive
        ("due_after=2022-06-30&due_before=2022-06-30", [BORDERS]),
        ("due_after=2022-07-01&due_before=2024-12-31", []),
        # AND across facets
        ("theme=pcve&country=kg", [EXPERT, FAMILIES]),
        ("actor=osce&source=eu-strategy-2019", [FAMILIES]),
        ("theme=pcve&theme=terrorism-financing&country=kz", [FINANCING, EXPERT]),
        ("theme=pcve&status=achieved&status=partially_achieved&overdue=1", [FAMILIES]),
        ("country=tj&stale=1&overdue=1", [BORDERS]),
        ("q=programme&theme=pcve", []),
        ("q=expert&actor=eeas&due_before=2021-01-01", [EXPERT]),
    ],
)
def test_filter(client, catalogue, query, expected):
    assert listed(client, query) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("title", [BORDERS, FINANCING, EXPERT, EXCHANGE, FAMILIES]),
        ("due", [EXPERT, BORDERS, FAMILIES, FINANCING, EXCHANGE]),  # no due date last
        ("-due", [FINANCING, FAMILIES, BORDERS, EXPERT, EXCHANGE]),
        ("updated", [BORDERS, EXPERT, EXCHANGE, FAMILIES, FINANCING]),  # never assessed last
        ("-updated", [FAMILIES, EXCHANGE, EXPERT, BORDERS, FINANCING]),
    ],
)
def test_sort(client, catalogue, sort, expected):
    assert listed(client, f"sort={sort}") == expected
    assert listed(client, f"sort={sort}&theme=pcve") == [s for s in expected if s in (EXPERT, EXCHANGE, FAMILIES)]


# --- as_of ---------------------------------------------------------------------------------------


def test_as_of_shows_statuses_as_they_stood_and_leaves_out_later_commitments(client, catalogue):
    response = client.get(f"{LIST}?as_of=2021-01-15")
    rows = {c.slug: c for c in response.context["page"].object_list}
    assert list(rows) == [EXPERT, EXCHANGE, FAMILIES]  # the others were made in June 2021
    assert {s: (c.eff_status, bool(c.eff_overdue)) for s, c in rows.items()} == {
        EXPERT: ("in_progress", True),  # due 31 Dec 2020, not yet achieved on 15 Jan 2021
        EXCHANGE: ("not_assessed", False),
        FAMILIES: ("not_assessed", False),  # due 2025: not yet overdue then
    }
    page = response.content.decode()
    assert "as they stood on 15 January 2021" in page
    expert_row = re.search(r'<li class="commitment">\s*<h3><a href="/commitments/deploy-ct-expert/">.*?</li>', page,
                           flags=re.S).group(0)
    assert "In progress" in expert_row and "Overdue" in expert_row and "Achieved" not in expert_row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("as_of=2021-01-15&status=in_progress", [EXPERT]),
        ("as_of=2021-01-15&status=achieved", []),
        ("as_of=2022-03-01&status=achieved", [EXPERT]),  # the as-of day itself counts
        ("as_of=2022-02-28&status=achieved", []),
        ("as_of=2021-01-15&overdue=1", [EXPERT]),
        ("as_of=2020-12-31&overdue=1", []),  # due that day: not yet overdue
        ("as_of=2021-01-15&stale=1", [EXCHANGE, FAMILIES]),  # made May 2019, never assessed by then
        ("as_of=2020-03-01&stale=1", [EXPERT, EXCHANGE, FAMILIES]),  # the expert's first update came in June 2020
        ("as_of=2019-12-31&stale=1", []),  # nine months after 15 May 2019 is 15 Feb 2020
        ("as_of=2023-06-01&overdue=1", [BORDERS]),  # expert achieved by then
        ("as_of=2021-06-01", [BORDERS, FINANCING, EXPERT, EXCHANGE, FAMILIES]),  # made that day: included
        ("as_of=2021-05-31", [EXPERT, EXCHANGE, FAMILIES]),
        ("as_of=2019-05-14", []),
        ("as_of=2023-06-01&status=stalled&theme=pcve", [EXCHANGE]),
    ],
)
def test_as_of_combined(client, catalogue, query, expected):
    assert listed(client, query) == expected


def test_as_of_today_is_allowed(client, catalogue):
    assert listed(client, f"as_of={timezone.localdate().isoformat()}") == listed(client)


# --- facet counts --------------------------------------------------------------------------------

COMBINATIONS = [
    "",
    "theme=pcve",
    "theme=pcve&status=achieved",
    "status=stalled&status=not_started",
    "country=kz&country=tj&overdue=1",
    "as_of=2021-01-15",
    "as_of=2021-01-15&theme=pcve&overdue=1",
    "q=verbatim&stale=1",
    "actor=osce&source=joint-statement-2021&due_after=2022-01-01",
    "theme=terrorism-financing&country=uz",  # no row left
    "overdue=1&stale=1",
    "status=stalled&status=not_assessed&overdue=1&stale=1&country=kz",
    "status=not_started&stale=1&as_of=2021-01-15",
]


def only(query: str, name: str, value: str) -> str:
    """``query`` with facet ``name`` set to just ``value`` (page dropped)."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in (name, "page")]
    return urlencode([*kept, (name, value)])


@pytest.fixture(params=["index", "sql"])
def facet_engine(request, monkeypatch):
    """Facets counted by the in-memory index where it applies, or always in SQL: both must agree with the list."""
    if request.param == "sql":
        monkeypatch.setattr(facet_index, "applies", lambda filterset: False)
    return request.param


@pytest.mark.parametrize("query", COMBINATIONS)
def test_each_facet_count_is_the_count_of_the_list_with_that_option(client, catalogue, query, facet_engine):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    facets = response.context["facets"]
    assert [f.name for f in facets] == ["status", "overdue", "stale", "theme", "country", "actor", "source"]
    checked = 0
    for facet in facets:
        facet_has_selection = any(o.selected for o in facet.options)
        for option in facet.options:
            # The list with this option as the facet's only choice, the other filters unchanged.
            assert count(client, only(query, facet.name, option.value)) == option.count, (facet.name, option)
            if not facet_has_selection:
                # Nothing chosen in this facet yet: following the option's link gives exactly that many rows.
                assert count(client, option.toggle_url) == option.count, (facet.name, option)
            checked += 1
    # Every option of every facet is listed, zeros included; only public entries (no "returnees", no "tm").
    assert checked == 7 + 1 + 1 + 3 + 4 + 3 + 2


def test_facet_counts_direct(client, catalogue):
    facets = {f.name: {o.value: o.count for o in f.options} for f in client.get(LIST).context["facets"]}
    assert facets["status"] == {"not_assessed": 1, "not_started": 1, "in_progress": 0, "stalled": 1,
                                "partially_achieved": 1, "achieved": 1, "abandoned": 0}
    # Returnees and Turkmenistan are only a draft's and an archived commitment's: no option for them.
    assert facets["theme"] == {"border-management": 2, "pcve": 3, "terrorism-financing": 1}
    assert facets["country"] == {"kz": 2, "kg": 2, "tj": 2, "uz": 1}
    assert facets["actor"] == {"eeas": 2, "european-commission": 2, "osce": 3}
    assert facets["source"] == {"joint-statement-2021": 2, "eu-strategy-2019": 3}
    assert facets["overdue"] == {"1": 2} and facets["stale"] == {"1": 3}


def test_zero_count_options_are_shown_greyed_not_hidden(client, catalogue):
    page = client.get(f"{LIST}?theme=pcve").content.decode()
    zero_items = re.findall(r'<li class="zero">(.*?)</li>', page, flags=re.S)
    zero_text = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", z)).replace("☐", "").split()) for z in zero_items]
    # With P/CVE chosen: nothing in Tajikistan, nothing from the joint statement, no OSCE-only ...
    for label in ("Tajikistan 0", "Joint statement on CT cooperation 0", "In progress 0",
                  "Not yet assessed 0", "Abandoned 0"):
        assert label in zero_text, (label, zero_text)
    # ... and no option at all for entries only hidden commitments use (their pages are 404 too).
    assert not any(z.startswith(("Turkmenistan", "Returnees")) for z in zero_text)
    assert "Kyrgyzstan 2" not in zero_text
    # The theme facet counts ignore the chosen theme, so another theme is not zero.
    assert not any(z.startswith("Terrorism financing") for z in zero_text)
    assert re.search(r'<li class="">\s*<a href="\?theme=pcve&amp;country=kg"', page)


def test_selected_option_is_marked_and_its_link_removes_it(client, catalogue):
    page = client.get(f"{LIST}?theme=pcve&country=kg").content.decode()
    assert '<a href="?country=kg" aria-current="true" class="selected"' in page  # toggles theme=pcve off
    assert '<a href="?theme=pcve" aria-current="true" class="selected"' in page


# --- active filters ------------------------------------------------------------------------------


def test_each_active_filter_has_a_link_removing_just_that_one(client, catalogue):
    query = ("q=expert&status=achieved&status=stalled&theme=pcve&theme=border-management&country=kg&overdue=1"
             "&due_after=2019-01-01&as_of=2025-01-01&sort=-due&page=1")
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    chips = response.context["active"]
    labels = [c.label for c in chips]
    # one country chosen: the status filter is the status in that country, and its chips say so
    assert labels == ["Search: expert", "Status in Kyrgyzstan: Achieved", "Status in Kyrgyzstan: Stalled",
                      "Theme: P/CVE", "Theme: Border management", "Country: Kyrgyzstan", "Overdue",
                      "Due on or after: 1 January 2019", "Status as of: 1 January 2025"]
    page = response.content.decode()
    base = [p for p in pairs(query) if p[0] != "page"]
    removed = [("q", "expert"), ("status", "achieved"), ("status", "stalled"), ("theme", "pcve"),
               ("theme", "border-management"), ("country", "kg"), ("overdue", "1"), ("due_after", "2019-01-01"),
               ("as_of", "2025-01-01")]
    for chip, gone in zip(chips, removed, strict=True):
        assert f'<a href="{html.escape(chip.remove_url)}">{html.escape(chip.label)} ' in page
        left = list(base)
        left.remove(gone)
        assert pairs(chip.remove_url) == sorted(left), chip
        assert client.get(f"{LIST}{chip.remove_url}").status_code == 200
    assert 'href="/commitments/">Clear all</a>' in page


def test_an_empty_result_still_shows_its_count_chips_and_downloads(client, catalogue):
    response = client.get(f"{LIST}?status=in_progress")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h2 id=\"results-heading\">0 commitments</h2>" in page
    assert "No commitments match." in page
    assert "Status: In progress" in page
    assert 'href="/commitments/export.csv?status=in_progress"' in page
    assert "could not be understood" not in page and "No results until" not in page


def test_no_chips_without_filters(client, catalogue):
    response = client.get(f"{LIST}?sort=due")
    assert response.context["active"] == []
    assert "Active filters" not in response.content.decode()


# --- bad input -----------------------------------------------------------------------------------


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        # A malformed date's message gives the format and the range the filter accepts (issue 15).
        ("due_after=2020-13-01", "due_after",
         "Enter a date as YYYY-MM-DD (e.g. 2026-07-01). Due dates can be from 1 January 1900 to 31 December 2100."),
        ("due_before=yesterday", "due_before", "Enter a date as YYYY-MM-DD"),
        ("due_after=31/12/2020", "due_after", "Enter a date as YYYY-MM-DD"),
        ("due_after=2023-01-01&due_before=2022-01-01", "due_before", "must not be earlier than"),
        ("as_of=TOMORROW", "as_of", "The as-of date cannot be in the future."),
        ("as_of=2021-02-30", "as_of",
         "Enter a date as YYYY-MM-DD (e.g. 2026-07-01). The as-of date can be from 1 January 1900 to today."),
        ("q=" + "x" * 10_000, "q", "Ensure this value has at most 200 characters (it has 10000)."),
        ("q=abc%00def", "q", "Null characters are not allowed."),
        ("sort=random", "sort", "Select a valid choice."),
    ],
)
def test_bad_form_input_is_400_with_the_message_beside_the_field(client, catalogue, query, field, message):
    query = query.replace("TOMORROW", tomorrow())
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    beside = re.search(rf'<p class="error" id="id_{field}_error">([^<]*)</p>', page)
    assert beside and message in beside.group(1), page[:3000]
    assert "Some filters could not be understood" in page
    # Was "No results until the filters are corrected": since issue 15 the page shows what the other (here: no)
    # filters leave, so every commitment is listed (tests/test_bad_filters.py checks the valid ones still apply).
    assert response.context["page"].paginator.count == response.context["filterset"].qs.count() > 0
    assert not response.context["filterset"].errors


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # The status's message lists the valid slugs with their labels; a slug's says no public entry has it
        # (and the page links to the taxonomy's index rather than list thousands of slugs): issue 15.
        ("status=bogus", "“bogus” is not a status. Choose one of: not_assessed (Not yet assessed);"),
        ("status=achieved&status=ACHIEVED", "“ACHIEVED” is not a status."),
        ("theme=no-such-theme", "No public theme has the slug “no-such-theme”."),
        ("country=xx", "No public country has the slug “xx”."),
        ("actor=nobody", "No public actor has the slug “nobody”."),
        ("source=nothing", "No public source has the slug “nothing”."),
        # Entries only a draft and an archived commitment use are not public: as unknown as a typo.
        ("theme=returnees", "No public theme has the slug “returnees”."),
        ("country=tm", "No public country has the slug “tm”."),
        ("overdue=yes", "yes is not one of the available choices."),
        ("stale=2", "2 is not one of the available choices."),
        ("expand=status", "status is not one of the available choices."),
    ],
)
def test_unknown_choice_or_slug_is_400_with_a_message_on_the_page(client, catalogue, query, message):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "", "١"])
def test_malformed_page_is_400_with_a_message(client, catalogue, page):
    response = client.get(f"{LIST}?page={page}")
    assert response.status_code == 400
    assert "The page number must be a whole number of 1 or more." in response.content.decode()


@pytest.mark.parametrize("page", ["2", "999999", "999999999", "99999999999999999999", "9" * 5000])
def test_page_past_the_end_is_404(client, catalogue, page):
    assert client.get(f"{LIST}?page={page}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "q=expert&q=border",
        "status=achieved&status=achieved",
        "theme=pcve&theme=pcve",
        "overdue=1&overdue=1",
        "as_of=2021-01-15&as_of=2022-01-01",
        "sort=title&sort=due",
        "page=1&page=1",
        "due_after=2020-01-01&due_after=2021-01-01",
        "unknown=1&utm_source=x",
    ],
)
def test_repeated_and_unknown_parameters_never_fail(client, catalogue, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert client.get(f"/commitments/export.csv?{query}").status_code == 200
    assert client.get(f"/feeds/updates.atom?{query}").status_code == 200


def test_repeated_single_value_parameters_use_the_last_one(client, catalogue):
    assert listed(client, "q=nothing-matches&q=Bishkek") == [EXPERT]
    assert listed(client, "as_of=2022-01-01&as_of=2021-01-15") == [EXPERT, EXCHANGE, FAMILIES]


def test_overview_rejects_bad_as_of_with_400(client, catalogue):
    response = client.get(f"/?as_of={tomorrow()}")
    assert response.status_code == 400
    assert "The as-of date cannot be in the future." in response.content.decode()
    assert client.get("/?as_of=not-a-date").status_code == 400


def test_no_bad_input_gives_a_server_error(client, catalogue):
    nasty = ["q=%00", "q=%ff%fe", "status=%00", "theme=%00", "theme=" + "a" * 5000, "as_of=0000-00-00",
             "as_of=9999-12-31", "due_before=99999-01-01", "due_after=%00", "sort=%00", "page=%00", "page=1e3",
             "overdue=%00", "country=" + "%C3%A9" * 3]
    for query in nasty:
        for url in (LIST, "/", "/commitments/export.csv", "/commitments/export.json", "/feeds/updates.atom"):
            assert client.get(f"{url}?{query}").status_code in (200, 400, 404), (url, query)


# --- long facets -------------------------------------------------------------------------------


@pytest.fixture
def many_sources(catalogue):
    """Fifteen more sources (more than a facet shows), each with one public commitment; one with four."""
    from commitments import facets

    from . import factories as f

    assert facets.FACET_SIZE < 17
    made = []
    for i in range(15):
        src = f.source(slug=f"extra-{i:02d}", title=f"Extra source {i:02d}")
        for _ in range(4 if i == 14 else 1):
            f.commitment(source=src, title=f"Extra {i}")
        made.append(src)
    return made


def source_facet(client, query: str = ""):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return next(f for f in response.context["facets"] if f.name == "source"), response


def test_a_long_facet_shows_its_largest_options_and_links_to_all(client, many_sources):
    from commitments.facets import FACET_SIZE

    facet, response = source_facet(client)
    assert facet.total == 17 and len(facet.options) == FACET_SIZE
    counts = [o.count for o in facet.options]
    assert counts == sorted(counts, reverse=True)  # the largest first
    assert facet.options[0].value == "extra-14" and facet.options[1].value == "eu-strategy-2019"
    assert "Show all 17 source options" in response.content.decode()
    everything, response = source_facet(client, facet.more_url.lstrip("?"))
    assert len(everything.options) == 17 and everything.fewer_url
    labels = [o.label for o in everything.options]
    assert labels == sorted(labels, key=str.casefold)  # all of them: in the order of their names
    assert dict(parse_qsl(everything.fewer_url.lstrip("?"))) == {}  # back to the short list


def test_a_selected_option_is_shown_even_when_it_is_not_among_the_largest(client, many_sources):
    facet, _ = source_facet(client, "source=extra-03&status=achieved")
    chosen = [o for o in facet.options if o.selected]
    assert [o.value for o in chosen] == ["extra-03"]
    chips = client.get(f"{LIST}?source=extra-03&expand=source").context["active"]
    assert [chip.label for chip in chips] == ["Source: Extra source 03"]  # "expand" is not a filter


def test_expand_survives_the_filter_form(client, many_sources):
    page = client.get(f"{LIST}?expand=source").content.decode()
    assert '<input type="hidden" name="expand" value="source">' in page


PER_COUNTRY_COMBINATIONS = [
    "country=kz",
    "country=tj&status=stalled",
    "country=kz&status=in_progress&status=not_assessed",
    "status=in_progress",  # no country: the overall status; each country's option counts its own
    "status=not_assessed&country=kz&country=tj",  # several countries: the overall status
    "country=tj&overdue=1",
    "country=kz&stale=1&theme=terrorism-financing",
    "stale=1&status=stalled",
    "country=kz&as_of=2022-06-01",
    "status=in_progress&as_of=2022-06-01",
    "country=tj&status=not_assessed&as_of=2022-06-01&due_after=2020-01-01",
]


@pytest.mark.parametrize("query", PER_COUNTRY_COMBINATIONS)
def test_with_per_country_assessments_each_facet_count_is_the_count_of_the_list_with_that_option(
        client, catalogue, query, facet_engine):
    """Terrorism financing is assessed per country (Kazakhstan in progress, Tajikistan stalled, overall not
    assessed): with one country chosen the status facet and filters read the status there, and each country's
    option counts its own; every option still leaves exactly as many rows as it says."""
    from commitments import services

    c = catalogue.financing
    c.assessment_scope = Commitment.Scope.PER_COUNTRY
    c.save()
    factories.update(c, status="in_progress", as_of=date(2022, 1, 1), published=True, country=catalogue.kz)
    factories.update(c, status="stalled", as_of=date(2023, 1, 1), published=True, country=catalogue.tj)
    services.refresh_current_status(commitment=c)
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    for facet in response.context["facets"]:
        for option in facet.options:
            assert count(client, only(query, facet.name, option.value)) == option.count, (query, facet.name, option)
