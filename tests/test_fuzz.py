"""Property-based fuzzing of every public URL and list parameter (Hypothesis).

Whatever arrives in a query string or a path -- arbitrary unicode, NUL, lone surrogates (sent as
the invalid UTF-8 a browser might send), RTL marks, emoji, very long strings, huge and negative
numbers, repeated and malformed parameters, markup -- the public site answers 200, 301/302, 400
or 404, never a server error; markup it echoes is escaped; and a 400 page says what was wrong.

The number of examples is bounded by the ``fuzz`` profile (``FUZZ_EXAMPLES`` overrides it), so
the module runs in well under a minute on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitments import services
from commitments.filtersets import FIRST_DAY, LAST_DUE_DAY
from commitments.models import ProgressReport
from commitments.reports.periods import parse_period
from commitments.status import Status

from . import factories

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    # One database (and one small dataset) per test function, shared by its examples: GETs write nothing.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # nothing written to .hypothesis/; a failure prints the blob that reproduces it
    print_blob=True,
)
FUZZ = settings(settings.get_profile("fuzz"))

ALLOWED = {200, 301, 302, 400, 404}
# Markup fragments with a marker; if one comes back verbatim in HTML, it was not escaped.
MARKER = "fz7331"
PAYLOADS = [
    f"<script>alert('{MARKER}')</script>",
    f'"><img src=x onerror=alert("{MARKER}")>',
    f"'><svg/onload=alert({MARKER})>",
    f'" autofocus onfocus="alert({MARKER})" x="',
    f"</textarea></title><b id={MARKER}>",
    f"javascript:alert({MARKER})//<a href=x>",
]

PARAMS = [
    "q", "status", "theme", "country", "actor", "source", "overdue", "stale",
    "due_before", "due_after", "as_of", "sort", "page",
]
KNOWN_VALUES = [
    *Status.values, "pcve", "kz", "kg", "tm", "uz", "eeas", "osce", "eu-strategy-2019", "title", "due", "-due",
    "updated", "-updated", "1", "0", "2", "2020-01-01", "2024-02-29", "",
]

# Dates where a rule changes its answer (``site`` below: due 2020-12-31, last update 2020-06-01,
# made 2019-05-15): the accepted ranges, the overdue and stale boundaries (nine calendar
# months, clamped to a month's end), and the first days whose stale cutoff leaves year 1.
BOUNDARY_DATES = [
    date(1, 1, 1), date(1, 9, 30), date(1, 10, 1), date(9999, 12, 31),
    date(1899, 12, 31), date(1900, 1, 1), date(1900, 9, 30), date(1900, 10, 1),
    date(2020, 2, 14), date(2020, 2, 15), date(2020, 11, 29), date(2020, 11, 30),  # stale from the date made; leap
    date(2020, 12, 31), date(2021, 1, 1),  # overdue from the day after the due date
    date(2021, 2, 28), date(2021, 3, 1),  # stale from nine months after the last update
    date(2100, 12, 31), date(2101, 1, 1),
]

# --- strategies -----------------------------------------------------------------------------

# Any code point, lone surrogates included (they travel as the WTF-8 bytes a broken client would send).
any_char = st.characters(codec=None, exclude_categories=())
special = st.sampled_from([
    "\x00", "\u202e", "\u200f", "\u200e", "\u2066", "\ufeff", "\u200d", "\U0001f600",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\ud800", "\udfff", "%", "%00", "&", "=", "+", ";", "#", "?", "/", "\\", "..", "'", '"', "\r\n", "\t", " ",
    "\u0130", "\u00df", "\ufdfd", "\U0010ffff", "\x7f", "\x1b[31m", "NaN", "Infinity", "None", "null", "[]", "{}",
])
short_text = st.lists(st.one_of(any_char, any_char, special), max_size=20).map("".join)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["-1", "0", "00", "0001", "1e999", "-0", "0x10", "1.5", "١٢", "²", "9" * 400, "1_000", " 2 "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
dates = st.one_of(
    st.dates().map(date.isoformat),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(-99999, 99999), st.integers(0, 99),
              st.integers(0, 99)),
    st.sampled_from(["9999-12-31", "0001-01-01", "0000-01-01", "2024-02-30", "+10000-01-01", "2020-1-1",
                     "2020-01-01T00:00:00", "01/02/2020", "2020-01-01\x00", "２０２０-０１-０１", "today"]),
    st.sampled_from(BOUNDARY_DATES).map(date.isoformat),
)
markup = st.builds(lambda a, p, b: a + p + b, short_text, st.sampled_from(PAYLOADS), short_text)
long_text = st.builds(
    lambda s, n: (s or "x") * n, st.one_of(short_text, st.sampled_from(PAYLOADS)), st.integers(100, 3000)
)
values = st.one_of(
    st.sampled_from(KNOWN_VALUES), short_text, special, numbers, dates, markup, long_text,
)
keys = st.one_of(
    st.sampled_from(PARAMS),
    st.sampled_from(PARAMS).map(str.upper),
    st.sampled_from(["q[]", "status[]", "page[0]", "__proto__", "csrfmiddlewaretoken", "format", "callback"]),
    short_text,
)
pairs = st.lists(st.tuples(keys, values), max_size=8)
# Every known parameter, some repeated, each with a fuzzed value: reaches the cross-field rules too.
all_params = st.lists(st.tuples(st.sampled_from(PARAMS), values), min_size=len(PARAMS), max_size=20)
raw_fragments = st.lists(
    st.sampled_from(["%", "%z", "%zz", "%FF", "%C0%80", "%ED%A0%80", "%00", "&&", "=", "==", "q", "q=1=2", ";q=1",
                     "page", "page=", "status=%", "theme=%E2%80%AE", "+", "%2B", "q=%3Cscript%3E"]),
    max_size=5,
)


def encode(text: str) -> str:
    """Percent-encode as UTF-8, lone surrogates as WTF-8 bytes (what reaches a server from a broken client)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def query_string(items, raw=()) -> str:
    parts = [f"{encode(k)}={encode(v)}" for k, v in items]
    return "&".join([*parts, *raw])


def injected(items) -> list[str]:
    """The payloads present in the values sent (after the server's decoding they arrive intact)."""
    sent = " ".join(f"{k} {v}" for k, v in items)
    return [p for p in PAYLOADS if p in sent]


# --- the dataset ------------------------------------------------------------------------------


@pytest.fixture
def site(db):
    """Two public commitments with themes, countries and an actor, a published update, and a
    published report for a past quarter."""
    theme = factories.theme(slug="pcve", name="P/CVE")
    other = factories.theme(slug="border-management", name="Border <b>management</b>")
    kz, kg = factories.country("kz", "Kazakhstan"), factories.country("kg", "Kyrgyzstan")
    eeas = factories.actor(slug="eeas", name="EEAS")
    source = factories.source(slug="eu-strategy-2019", title="EU Strategy 2019")
    one = factories.commitment(slug="deploy-ct-expert", title="Deploy a CT expert", source=source,
                               due_date=date(2020, 12, 31))
    one.themes.set([theme])
    one.countries.set([kz, kg])
    one.actors.set([eeas])
    two = factories.commitment(slug="border-programme", title="Border programme", source=source)
    two.themes.set([other])
    two.countries.set([kg])
    factories.update(one, status="in_progress", as_of=date(2020, 6, 1), published=True)
    period = parse_period("2021-Q1")
    report, _ = services.prepare_report(period=period)
    report = services.publish_report(report=report, user=factories.publisher())
    assert report.state == ProgressReport.State.PUBLISHED
    return {"report": report, "slugs": {"commitment": one.slug, "theme": theme.slug, "country": kz.slug,
                                        "actor": eeas.slug, "source": source.slug, "report": report.slug}}


# --- the checks ------------------------------------------------------------------------------

TAG_OPEN = re.compile(r"<\s*(script|img|svg|b)\b[^>]*" + MARKER, re.IGNORECASE)


def check(response, items=(), *, url: str) -> None:
    status = response.status_code
    assert status in ALLOWED, f"{url} answered {status}"
    content_type = response.get("Content-Type", "")
    if response.streaming:
        body = b"".join(response.streaming_content).decode("utf-8", "replace")
    else:
        body = response.content.decode("utf-8", "replace")
    if "html" in content_type or "xml" in content_type:
        for payload in injected(items):
            assert payload not in body, f"{url}: unescaped {payload!r} in the response"
        assert not TAG_OPEN.search(body), f"{url}: an injected tag was rendered"
    if status == 400:
        if "html" in content_type:
            assert 'class="errors"' in body, f"{url}: the 400 page does not say what was wrong"
            assert re.search(r"<li><strong>[^<]+</strong>:\s*\S", body), f"{url}: the 400 page lists no error"
        else:
            assert content_type.startswith("text/plain"), content_type
            assert body.startswith("Bad request:\n") and len(body.strip()) > len("Bad request:"), body


def get(client, path: str, items=(), raw=()):
    qs = query_string(items, raw)
    url = f"{path}?{qs}" if qs else path
    response = client.get(url)
    check(response, items, url=url)
    return response


LIST_LIKE = ["/", "/commitments/", "/commitments/export.csv", "/commitments/export.json", "/feeds/updates.atom"]


# --- the tests --------------------------------------------------------------------------------


@FUZZ
@given(path=st.sampled_from(LIST_LIKE), items=pairs, raw=raw_fragments)
def test_list_like_urls_with_arbitrary_parameters(client, site, path, items, raw):
    get(client, path, items, raw)


@FUZZ
@given(path=st.sampled_from(LIST_LIKE), items=all_params)
def test_every_filter_parameter_at_once(client, site, path, items):
    get(client, path, items)


@FUZZ
@given(name=st.sampled_from(PARAMS), value=values, path=st.sampled_from(["/commitments/", "/commitments/export.csv"]))
def test_each_parameter_alone(client, site, name, value, path):
    response = get(client, path, [(name, value)])
    if name == "q" and "\x00" in value:
        assert response.status_code == 400  # PostgreSQL cannot store or compare NUL; nor should SQLite pretend


DATE_PARAMS = ["as_of", "due_before", "due_after"]


def test_dates_at_every_boundary(client, site):
    """Year 1, year 9999 and every boundary of the ranges and of the overdue and stale rules: each
    date gives a page (in range) or a 400 that names the field (out of range), never a 500."""
    today = timezone.localdate()
    days = [*BOUNDARY_DATES, today, today + timedelta(days=1)]
    for path in ("/", "/commitments/", "/commitments/export.csv"):  # the feed filters as the export does
        for name in DATE_PARAMS:
            for day in days:
                in_range = FIRST_DAY <= day <= (today if name == "as_of" else LAST_DUE_DAY)
                extra = [[], [("overdue", "1"), ("stale", "1")]] if name == "as_of" else [[]]
                for more in extra:
                    response = get(client, path, [(name, day.isoformat()), *more])
                    assert response.status_code == (200 if in_range else 400), (path, name, day, more)
                    if not in_range and path in ("/", "/commitments/"):
                        body = response.content.decode()
                        assert "1 January 1900" in body or "in the future" in body, (path, name, day)


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("as_of=2020-12-31&overdue=1", False), ("as_of=2021-01-01&overdue=1", True),
        ("as_of=2021-02-28&stale=1", False), ("as_of=2021-03-01&stale=1", True),
    ],
)
def test_the_overdue_and_stale_boundaries_fall_where_the_rules_say(client, site, query, listed):
    response = client.get(f"/commitments/?{query}")
    assert response.status_code == 200
    assert ("Deploy a CT expert" in response.content.decode()) is listed


def test_nul_in_every_parameter_is_a_400_not_a_500(client, site):
    """PostgreSQL rejects NUL in strings: the app must refuse it first, in every parameter."""
    for path in LIST_LIKE:
        for name in [*PARAMS, "unknown"]:
            for value in ("pc\x00ve", "\x00", "2020-01-01\x00", "1\x00"):
                response = get(client, path, [(name, value)])
                # ``page`` only means something on the list; the overview, exports and feed ignore it.
                if name not in ("page", "unknown") or (path == "/commitments/" and name == "page"):
                    assert response.status_code == 400, (path, name, value)


PATH_TEMPLATES = [
    "/commitments/{}/", "/themes/{}/", "/countries/{}/", "/actors/{}/", "/sources/{}/",
    "/reports/{}/", "/reports/{}.pdf", "/reports/{}.csv", "/{}", "/{}/", "/commitments/{}", "/reports/{}",
    "/feeds/{}", "/commitments/export.{}", "/static/{}", "/media/{}",
]
segments = st.one_of(
    short_text.map(lambda s: s or "x"), markup, long_text, numbers,
    st.sampled_from(["pcve", "kz", "eeas", "2021-q1", "-", "_"]),
    st.builds(lambda a, b: f"{a}\x00{b}", short_text, short_text),
)


@FUZZ
@given(template=st.sampled_from(PATH_TEMPLATES), segment=segments, items=st.lists(st.tuples(keys, values), max_size=3))
def test_arbitrary_path_segments(client, site, template, segment, items):
    url = template.format(encode(segment))
    qs = query_string(items)
    response = client.get(f"{url}?{qs}" if qs else url)
    check(response, [("path", segment), *items], url=url)


def test_hostile_slugs_in_every_path(client, site):
    for template in PATH_TEMPLATES:
        for slug in ("pc\x00ve", "%00", "\x00", "<script>", "\ud800", "a" * 5000, "\u202eevil", "\U0001f600"):
            url = template.format(encode(slug))
            check(client.get(url), [("path", slug)], url=url)


def test_a_path_that_starts_with_two_slashes_is_a_404_whose_links_stay_here(client, site):
    """``//[]`` made ``build_absolute_uri`` raise (a 500, found by ``test_arbitrary_path_segments``), and
    ``//example.org/x`` put a link to another host in the language switcher and the alternates."""
    # (An encoded slash: the test client, as a server, decodes it into the path; a literal ``//`` it reads as a host.)
    for path in ("/%2F%5B%5D", "/%2Fexample.org/x", "/%2F%2Fexample.org/", "/ru/%2Fexample.org/x", "/ru/%2F%5B%5D"):
        response = client.get(path)
        check(response, url=path)
        assert response.status_code == 404, path
        body = response.content.decode()
        assert 'href="//' not in body and "://example.org" not in body and "://[" not in body, path
        assert 'hreflang="ru" href="http://testserver/ru/' in body, path


def test_every_public_url_works_for_the_dataset(client, site):
    """The fuzzed URLs exist: with real slugs every page answers 200."""
    s = site["slugs"]
    urls = [
        "/", "/commitments/", "/commitments/export.csv", "/commitments/export.json", "/feeds/updates.atom",
        f"/commitments/{s['commitment']}/", f"/themes/{s['theme']}/", f"/countries/{s['country']}/",
        f"/actors/{s['actor']}/", f"/sources/{s['source']}/", "/reports/", f"/reports/{s['report']}/",
        f"/reports/{s['report']}.csv", f"/reports/{s['report']}.pdf",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        check(response, url=url)


@FUZZ
@given(items=pairs)
def test_detail_and_report_pages_ignore_arbitrary_parameters(client, site, items):
    s = site["slugs"]
    for path in (f"/commitments/{s['commitment']}/", f"/themes/{s['theme']}/", f"/countries/{s['country']}/",
                 f"/actors/{s['actor']}/", f"/sources/{s['source']}/", "/reports/", f"/reports/{s['report']}/",
                 f"/reports/{s['report']}.csv"):
        get(client, path, items)


def test_the_markup_check_sees_echoed_values(client, site):
    """The checks above are not vacuous: the list echoes ``q``, escaped."""
    payload = PAYLOADS[0]
    response = get(client, "/commitments/", [("q", payload)])
    body = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(&#x27;fz7331&#x27;)&lt;/script&gt;" in body
    response = get(client, "/commitments/", [("due_after", PAYLOADS[1])])
    assert response.status_code == 400 and "Due on or after" in response.content.decode()
